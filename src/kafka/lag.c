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
  if (r->n == 0) {
    r->watched = high;
    r->watched_dated = 0;
  }
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

int kml_lag_wants_arrival(const kml_lag_ring_t *r, int64_t from) {
  if (r->n == 0 || from < 0 || from >= r->watched)
    return 0;
  if (from + 1 == r->watched)
    return !r->watched_dated; /* the first sighting bounds it, no more */
  for (int i = 0; i < r->n && r->high[i] <= from + 1; i++)
    if (r->high[i] == from + 1)
      return 0; /* seeded already */
  return 1;
}

/* Index of the first entry whose mark is >= high (n when none). */
static int position(const kml_lag_ring_t *r, int64_t high) {
  int p = 0;
  while (p < r->n && r->high[p] < high)
    p++;
  return p;
}

void kml_lag_seed(kml_lag_ring_t *r, int64_t offset, double t) {
  int64_t high = offset + 1; /* the mark right after the message */
  if (r->n == 0 || offset < 0 || high > r->watched || !isfinite(t))
    return;
  int p = position(r, high);
  if (p == r->n)
    return; /* not reached: marks only grow, high[n-1] >= watched */
  if (r->high[p] != high && r->n == KML_LAG_RING) {
    thin(r); /* keeps entry 0 and the newer half */
    p = position(r, high);
  }
  if (t > r->first[p])
    t = r->first[p]; /* it cannot arrive after a later mark was seen */
  if (p > 0 && t < r->last[p - 1])
    t = r->last[p - 1];     /* nor before an earlier mark was last seen */
  if (r->high[p] == high) { /* the ring knew the mark: date it earlier */
    r->first[p] = t;
    if (high == r->watched)
      r->watched_dated = 1;
    return;
  }
  for (int i = r->n; i > p; i--) {
    r->first[i] = r->first[i - 1];
    r->last[i] = r->last[i - 1];
    r->high[i] = r->high[i - 1];
  }
  r->first[p] = r->last[p] = t;
  r->high[p] = high;
  r->n++;
}

double kml_lag_clamp_arrival(double ts, double now, double retention_s) {
  if (!isfinite(ts) || ts <= 0)
    return NAN;
  if (ts > now)
    ts = now;
  if (retention_s > 0 && ts < now - retention_s)
    ts = now - retention_s;
  return ts;
}
