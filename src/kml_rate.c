/* kml_rate: the one rate computation of both plugins. A COUNTER that goes
 * down either wrapped or was reset by a restart. Like collectd's own uc_update,
 * a wrap is assumed at 2^32 when the old value fit in 32 bits, else at 2^64; if
 * the wrapped rise is implausibly large (more than a quarter of the range in
 * one step) it was a reset, and the sample only re-bases the counter. A DERIVE
 * that goes down is always a reset. A reset keeps the old base for one more
 * sample: when that sample is back above it, the low one was a glitch (the
 * rate spans both steps); when it is still below, the counter restarted and
 * is re-based there.
 */
#include "kml_rate.h"

#include <math.h>

kml_rate_result_t kml_rate_update(kml_rate_t *r, kml_ds_kind_t k, double t,
                                  double raw, double *out) {
  if (!isfinite(raw) || !isfinite(t))
    return KML_RATE_NAN;
  if (!(t >= 0 && t <= KML_RATE_TIME_MAX))
    return KML_RATE_TIME;
  if (r->last_time > 0 && t <= r->last_time)
    return KML_RATE_OLD;
  double dt = r->last_time > 0 ? t - r->last_time : 0;

  switch (k) {
  case KML_DS_GAUGE:
    r->last_time = t;
    *out = raw;
    return KML_RATE_OK;
  case KML_DS_ABSOLUTE:
    r->last_time = t;
    if (dt <= 0)
      return KML_RATE_FIRST;
    *out = raw / dt;
    return isfinite(*out) ? KML_RATE_OK : KML_RATE_NAN;
  case KML_DS_COUNTER:
  case KML_DS_DERIVE:
    break;
  }

  if (!r->have_raw) {
    r->have_raw = 1;
    r->last_raw = raw;
    r->last_time = t;
    return KML_RATE_FIRST;
  }
  double d = raw - r->last_raw;
  kml_rate_result_t res = KML_RATE_OK;
  if (d < 0) {
    if (k == KML_DS_COUNTER) {
      double range =
          r->last_raw <= 4294967295.0 ? 4294967296.0 : 18446744073709551616.0;
      d += range;
      if (d < 0 || d > range / 4) /* fell further than any wrap */
        res = KML_RATE_RESET;
    } else {
      res = KML_RATE_RESET;
    }
  }
  if (res != KML_RATE_OK && r->have_raw == 1) {
    /* Keep the old base for one sample: a glitch that reads low once is
     * followed by a value back above it, and the rate spans both steps. */
    r->have_raw = 2;
    return res;
  }
  r->last_raw = raw;
  r->last_time = t;
  if (res != KML_RATE_OK) {
    /* Still below the old base: a real restart, re-based here. */
    r->have_raw = 1;
    return res;
  }
  r->have_raw = 1;
  *out = d / dt;
  return isfinite(*out) ? KML_RATE_OK : KML_RATE_NAN;
}
