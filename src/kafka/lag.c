/* lag: see lag.h. */
#include "lag.h"

#include <math.h>
#include <string.h>

void kml_lag_observe(kml_lag_ring_t *r, double t, int64_t high) {
  if (high < 0)
    return;
  if (r->n > 0 && high < r->high[r->n - 1])
    r->n = 0; /* topic re-created or truncated: history is void */
  /* Same value as the newest: refresh nothing, the earlier time is what
   * tells when the mark got there. */
  if (r->n > 0 && high == r->high[r->n - 1])
    return;
  if (r->n == KML_LAG_RING) {
    /* Thin the older half: keep every other entry of it. */
    int half = KML_LAG_RING / 2, k = 0;
    for (int i = 0; i < half; i += 2) {
      r->t[k] = r->t[i];
      r->high[k] = r->high[i];
      k++;
    }
    for (int i = half; i < KML_LAG_RING; i++) {
      r->t[k] = r->t[i];
      r->high[k] = r->high[i];
      k++;
    }
    r->n = k;
  }
  r->t[r->n] = t;
  r->high[r->n] = high;
  r->n++;
}

void kml_lag_observe_low(kml_lag_ring_t *r, double t, int64_t low) {
  if (low < 0)
    return;
  if (r->low_t > 0 && t > r->low_t && low >= r->low) {
    double rate = (low - r->low) / (t - r->low_t);
    r->low_rate = r->low_rate > 0 ? 0.8 * r->low_rate + 0.2 * rate : rate;
  }
  r->low = low;
  r->low_t = t;
}

int64_t kml_lag_messages(int64_t high, int64_t committed) {
  if (committed < 0 || high < 0)
    return -1;
  return high > committed ? high - committed : 0;
}

double kml_lag_seconds(const kml_lag_ring_t *r, int64_t committed, double now) {
  if (r->n == 0)
    return NAN;
  if (committed < 0)
    return NAN;
  if (committed >= r->high[r->n - 1])
    return 0; /* everything produced has been consumed */
  /* Oldest unconsumed message is at offset `committed`: it was produced
   * when the high-water mark went from <= committed to > committed. */
  if (committed < r->high[0])
    return now - r->t[0]; /* before the ring: at least this old */
  for (int i = 1; i < r->n; i++) {
    if (r->high[i] > committed) {
      double frac = (double)(committed + 1 - r->high[i - 1]) /
                    (double)(r->high[i] - r->high[i - 1]);
      double t = r->t[i - 1] + frac * (r->t[i] - r->t[i - 1]);
      double age = now - t;
      return age > 0 ? age : 0;
    }
  }
  return 0;
}
