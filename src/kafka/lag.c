/* lag: see lag.h. Interpolating between the last sighting of the old mark
 * and the first sighting of the new one bounds the error by one collection
 * interval, however long the partition was idle before. */
#include "lag.h"

#include <math.h>

static void thin(kml_lag_ring_t *r) {
  int half = KML_LAG_RING / 2, k = 0;
  for (int i = 0; i < KML_LAG_RING; i++) {
    if (i < half && i % 2 == 1)
      continue; /* drop every other entry of the older half */
    r->first[k] = r->first[i];
    r->last[k] = r->last[i];
    r->high[k] = r->high[i];
    k++;
  }
  r->n = k;
}

void kml_lag_observe(kml_lag_ring_t *r, double t, int64_t high) {
  if (high < 0 || !isfinite(t))
    return;
  if (r->n > 0 && high < r->high[r->n - 1])
    r->n = 0; /* topic re-created or truncated: history is void */
  if (r->n > 0 && t < r->last[r->n - 1])
    t = r->last[r->n - 1]; /* the wall clock stepped back: keep order */
  if (r->n > 0 && high == r->high[r->n - 1]) {
    r->last[r->n - 1] = t;
    return;
  }
  if (r->n == KML_LAG_RING)
    thin(r);
  r->first[r->n] = t;
  r->last[r->n] = t;
  r->high[r->n] = high;
  r->n++;
}

int64_t kml_lag_messages(int64_t high, int64_t committed) {
  if (committed < 0 || high < 0)
    return -1;
  return high > committed ? high - committed : 0;
}

double kml_lag_seconds(const kml_lag_ring_t *r, int64_t committed, double now) {
  if (r->n == 0 || committed < 0)
    return NAN;
  if (committed >= r->high[r->n - 1])
    return 0; /* everything produced has been consumed */
  /* The oldest unconsumed message is at offset `committed`: it arrived
   * when the high-water mark went from <= committed to > committed. */
  if (committed < r->high[0]) {
    double age = now - r->first[0]; /* before the ring: at least this old */
    return age > 0 ? age : 0;
  }
  for (int i = 1; i < r->n; i++) {
    if (r->high[i] <= committed)
      continue;
    /* Arrived in (last[i-1], first[i]]: the (committed + 1 - high[i-1])-th
     * of the (high[i] - high[i-1]) messages of that window. */
    double frac = (double)(committed + 1 - r->high[i - 1]) /
                  (double)(r->high[i] - r->high[i - 1]);
    double t = r->last[i - 1] + frac * (r->first[i] - r->last[i - 1]);
    double age = now - t;
    return age > 0 ? age : 0;
  }
  return 0; /* not reached: high[n-1] > committed */
}
