/* peers: see peers.h. Median and MAD by sorting a copy (populations are
 * brokers or partitions: tens to thousands, evaluated once per interval),
 * the floor from the medians of the members' own typical |x| and |step|. */
#include "peers.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

kml_peers_cfg_t kml_peers_defaults(void) {
  return (kml_peers_cfg_t){.z_threshold = 3.5,
                           .gap_factor = 2.0,
                           .min_members = 3,
                           .min_spread = 0.1,
                           .step_floor = 0.6};
}

static int dcmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_sorted(const double *s, int n) {
  /* halves first: the sum of two huge values would overflow */
  return n % 2 ? s[n / 2] : 0.5 * s[n / 2 - 1] + 0.5 * s[n / 2];
}

static int usable(double v) { return isfinite(v) && v >= 0; }

/* Median of h[i] over the members with a finite x and a usable h[i]; 0
 * when none. s holds n doubles. */
static double median_of(const double *h, const double *x, int n, double *s) {
  int m = 0;
  for (int i = 0; h != NULL && i < n; i++)
    if (isfinite(x[i]) && usable(h[i]))
      s[m++] = h[i];
  if (m == 0)
    return 0;
  qsort(s, m, sizeof(double), dcmp);
  return median_sorted(s, m);
}

/* The population's floor of the scale (see peers.h). */
static double population_floor(const kml_peers_cfg_t *c, double med,
                               const kml_peers_history_t *h, const double *x,
                               int n, double *s) {
  double f = c->min_spread * fabs(med);
  if (h != NULL) {
    f = fmax(f, c->min_spread * median_of(h->typ_abs, x, n, s));
    f = fmax(f, c->step_floor * median_of(h->typ_step, x, n, s));
  }
  return isfinite(f) ? f + 1e-9 : DBL_MAX;
}

void kml_peers_eval(const kml_peers_cfg_t *c, const double *x,
                    const kml_peers_history_t *h, int n, double *z,
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
  sum->members = m;
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
  double floor = population_floor(c, med, h, x, n, s);
  sum->median = med;
  sum->floor = floor;
  sum->mad = fmax(mad, floor);
  for (int i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      continue;
    double scale = sum->mad;
    if (h != NULL && h->typ_step != NULL && usable(h->typ_step[i]))
      scale = fmax(scale, c->step_floor * h->typ_step[i]);
    /* differences of huge values overflow: z is bounded, not infinite */
    double zi = 0.6745 * (x[i] - med) / scale;
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
    if (nearest > c->gap_factor * scale) {
      outlier[i] = 1;
      sum->outliers++;
    }
  }
}
