/* alert: the state machine between anomaly scores and notifications.
 *
 * Evidence accumulates like a CUSUM on surprise u = -log10(p), where p is
 * the detector's tail probability:  E = decay * E + max(0, u - slack).
 * One very rare value or a run of moderately rare ones reach the WARNING
 * level; isolated mildly unusual values never do. As in collectd's
 * threshold plugin, a notification is sent when the state changes, not per
 * value; FAILURE at a higher evidence level; OKAY only after the evidence
 * stayed below okay_evidence for okay_hits values (hysteresis).
 * Fixed size; not thread-safe. */
#ifndef KML_ML_ALERT_H
#define KML_ML_ALERT_H

#include <stdint.h>

typedef enum {
  KML_ALERT_OKAY = 0,
  KML_ALERT_WARNING = 1,
  KML_ALERT_FAILURE = 2,
} kml_alert_state_t;

typedef struct {
  double slack;         /* surprise a value must exceed to count (1.5) */
  double decay;         /* evidence kept per value (0.7) */
  double warn_evidence; /* WARNING at this evidence (2) */
  double fail_evidence; /* FAILURE at this evidence (4) */
  double okay_evidence; /* calm below this (0.5) */
  uint32_t okay_hits;   /* calm values before OKAY (5) */
} kml_alert_cfg_t;

typedef struct {
  uint8_t state; /* kml_alert_state_t */
  uint32_t calm;
  double evidence;
  double peak; /* highest evidence of the current incident */
} kml_alert_t;

/* Default configuration. */
kml_alert_cfg_t kml_alert_defaults(void);
/* Feed one tail probability p (1 = nothing unusual). Returns 1 and sets
 * *state when the state changed (a notification is due), else 0. */
int kml_alert_update(kml_alert_t *a, const kml_alert_cfg_t *c, double p,
                     kml_alert_state_t *state);

#endif
