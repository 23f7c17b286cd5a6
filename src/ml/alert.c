/* alert: see alert.h. Escalation WARNING -> FAILURE is a change and is
 * reported; FAILURE never steps down to WARNING (only OKAY ends it), which
 * keeps one incident to at most three notifications. */
#include "alert.h"

#include <math.h>

/* 10^-x, cached for the last x (the slack rarely changes). */
static double pow10_neg(double x) {
  static __thread double last_x = -1, last_v;
  if (x != last_x) {
    last_v = pow(10, -x);
    last_x = x;
  }
  return last_v;
}

kml_alert_cfg_t kml_alert_defaults(void) {
  return (kml_alert_cfg_t){.slack = 1.5,
                           .decay = 0.7,
                           .warn_evidence = 2,
                           .fail_evidence = 4,
                           .okay_evidence = 0.5,
                           .okay_hits = 5};
}

int kml_alert_update(kml_alert_t *a, const kml_alert_cfg_t *c, double p,
                     kml_alert_state_t *state) {
  /* Most values are unsurprising: skip the logarithm for them. */
  double gain = 0;
  if (p < pow10_neg(c->slack)) {
    double u = p > 1e-300 ? -log10(p) : 300;
    gain = u - c->slack;
  }
  a->evidence = c->decay * a->evidence + gain;
  kml_alert_state_t before = (kml_alert_state_t)a->state;
  a->calm = a->evidence < c->okay_evidence ? a->calm + 1 : 0;

  kml_alert_state_t next = before;
  if (a->evidence >= c->fail_evidence)
    next = KML_ALERT_FAILURE;
  else if (before == KML_ALERT_OKAY && a->evidence >= c->warn_evidence)
    next = KML_ALERT_WARNING;
  else if (before != KML_ALERT_OKAY && a->calm >= c->okay_hits)
    next = KML_ALERT_OKAY;

  if (next != KML_ALERT_OKAY && a->evidence > a->peak)
    a->peak = a->evidence;
  if (next == before)
    return 0;
  if (next == KML_ALERT_OKAY)
    a->peak = 0;
  a->state = (uint8_t)next;
  *state = next;
  return 1;
}
