/* alert: see alert.h. */
#include "alert.h"

#include <math.h>
#include <stddef.h>

/* budget: one false notification per 50 days per series, so a fleet's
 * pages stay near 1 per 1,000 series-hours (0.83). fail_factor: three
 * orders of magnitude past the budget is unmistakable. calm: half an hour
 * without a surprising value ends an incident (collectd's threshold plugin
 * uses a few intervals; a time makes it the same at any interval).
 * refractory: chosen on NAB by bench/quality.py (leave one category out;
 * doc/DESIGN-NOTES.md). */
kml_alert_cfg_t kml_alert_defaults(void) {
  return (kml_alert_cfg_t){.budget = 0.02,
                           .fail_factor = 1e-3,
                           .calm = 1800,
                           .refractory = 12 * 3600};
}

int kml_alert_end(kml_alert_t *a) {
  int was = a->state != KML_ALERT_OKAY;
  a->state = KML_ALERT_OKAY;
  a->peak = 0;
  return was;
}

int kml_alert_update(kml_alert_t *a, const kml_alert_cfg_t *c, double t,
                     double rate, int active, kml_alert_state_t *state) {
  if (!(rate >= 0))
    rate = INFINITY;
  kml_alert_state_t before = (kml_alert_state_t)a->state;
  kml_alert_state_t next = before;
  if (before == KML_ALERT_OKAY) {
    if (rate <= c->budget && active && t >= a->quiet_until)
      next = rate <= c->budget * c->fail_factor ? KML_ALERT_FAILURE
                                                : KML_ALERT_WARNING;
  } else if (!active) {
    next = KML_ALERT_OKAY;
  }
  if (next != KML_ALERT_OKAY && rate < INFINITY) {
    double e = -log10((rate > 1e-300 ? rate : 1e-300) / c->budget);
    if (e > a->peak)
      a->peak = (float)e;
  }
  if (next == before)
    return 0;
  if (before == KML_ALERT_OKAY) {
    a->since = t;
    a->quiet_until = t + c->refractory;
  }
  if (next == KML_ALERT_OKAY)
    a->peak = 0;
  a->state = (uint8_t)next;
  *state = next;
  return 1;
}

const char *kml_alert_check(const kml_alert_t *a) {
  if (a->state > KML_ALERT_FAILURE)
    return "alert state";
  if (!isfinite(a->since) || !isfinite(a->quiet_until) ||
      !(a->peak >= 0 && a->peak < 1e4))
    return "alert times";
  return NULL;
}
