/* peers: see peers.h. Median and MAD by sorting a copy (populations are
 * brokers or partitions: tens to thousands, evaluated once per interval). */
#include "peers.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

kml_peers_cfg_t kml_peers_defaults(void) {
  return (kml_peers_cfg_t){.z_threshold = 3.5,
                           .gap_factor = 2.0,
                           .min_members = 3,
                           .min_spread = 0.1};
}

static int dcmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_sorted(const double *s, int n) {
  /* halves first: the sum of two huge values would overflow */
  return n % 2 ? s[n / 2] : 0.5 * s[n / 2 - 1] + 0.5 * s[n / 2];
}

void kml_peers_eval(const kml_peers_cfg_t *c, const double *x, int n, double *z,
                    int *outlier, double *scratch, kml_peers_summary_t *sum) {
  memset(sum, 0, sizeof(*sum));
  for (int i = 0; i < n; i++) {
    z[i] = 0;
    outlier[i] = 0;
  }
  /* Non-finite members have no place in the population (and would break
   * the sort's ordering): they are neither counted nor outliers. */
  double *s = scratch, *dev = scratch + n;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i]))
      s[m++] = x[i];
  if (m < c->min_members || m < 1)
    return;
  qsort(s, m, sizeof(double), dcmp);
  double med = median_sorted(s, m);
  for (int i = 0; i < m; i++)
    dev[i] = fabs(s[i] - med);
  qsort(dev, m, sizeof(double), dcmp);
  double mad = median_sorted(dev, m);
  if (!isfinite(mad))
    mad = DBL_MAX;
  /* Near-identical peers: a small difference relative to the values is
   * not worth a page, however tight the population. */
  double floor_mad = c->min_spread * fabs(med) + 1e-9;
  if (mad < floor_mad)
    mad = floor_mad;
  sum->median = med;
  sum->mad = mad;
  for (int i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      continue;
    /* differences of huge values overflow: z is bounded, not infinite */
    double zi = 0.6745 * (x[i] - med) / mad;
    z[i] = isfinite(zi) ? zi : copysign(DBL_MAX, x[i] - med);
    if (fabs(z[i]) < c->z_threshold)
      continue;
    /* Density: the nearest value on the median's side must be far. */
    double nearest = INFINITY;
    for (int j = 0; j < n; j++) {
      if (j == i || !isfinite(x[j]))
        continue;
      int toward = x[i] > med ? x[j] <= x[i] : x[j] >= x[i];
      if (toward && fabs(x[i] - x[j]) < nearest)
        nearest = fabs(x[i] - x[j]);
    }
    if (nearest > c->gap_factor * mad) {
      outlier[i] = 1;
      sum->outliers++;
    }
  }
}
