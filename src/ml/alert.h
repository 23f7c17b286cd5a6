/* alert: the state machine between calibrated rates and notifications.
 *
 * tail.h gives, for each value, the rate per day of events at least as
 * surprising on normal data. A value whose rate is within the operator's
 * budget (notifications per series and day), in an open cluster of
 * surprising values, raises a notification: FAILURE when it is
 * fail_factor times rarer than the budget, else WARNING. One incident is
 * one notification (its severity is decided at its start; an escalation
 * would page twice), then an OKAY when its cluster of surprising values
 * ended (no value above the tail's threshold for `calm` seconds). A new
 * incident waits `refractory` seconds after the start of the last one.
 * Everything is in seconds, so it means
 * the same at any interval.
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
  double budget;      /* false notifications per series and day on normal
                         data (FalseAlarmsPerDay, 0.02) */
  double fail_factor; /* FAILURE at rate <= budget * fail_factor (1e-3) */
  double calm;        /* seconds without a surprising value before OKAY
                         (1800); also what separates two clusters */
  double refractory;  /* seconds after an incident's start before the next
                         (43200) */
} kml_alert_cfg_t;

typedef struct {
  double since;       /* time the current incident began */
  double quiet_until; /* no new incident before this time */
  float peak;         /* -log10(rate / budget) at the incident's worst */
  uint8_t state;      /* kml_alert_state_t */
} kml_alert_t;

/* Default configuration. */
kml_alert_cfg_t kml_alert_defaults(void);
/* Feed the value at time t: its rate per day (tail.h) and whether its
 * cluster of surprising values is open. Returns 1 and sets *state when
 * the state changed (a notification is due), else 0. */
int kml_alert_update(kml_alert_t *a, const kml_alert_cfg_t *c, double t,
                     double rate, int active, kml_alert_state_t *state);
/* End the current incident now (a re-learned level, a reset). Returns 1
 * when it was not OKAY (an OKAY is due). */
int kml_alert_end(kml_alert_t *a);
/* NULL when a's fields are in range, else a short reason (checks restored
 * state). Pure. */
const char *kml_alert_check(const kml_alert_t *a);

#endif
