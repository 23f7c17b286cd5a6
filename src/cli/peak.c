/* peak: see peak.h. Daily maxima are the unit because capacity is about
 * the busiest moment of a day; the Theil-Sen slope (median of pairwise
 * slopes) ignores a single incident day, and the trend is only used when
 * it is positive and larger than the day-to-day scatter of the peaks. */
#include "peak.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof(double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Per-day maxima of the values before t_end into peaks; returns the days. */
static size_t daily_peaks(const double *t, const double *x, size_t n,
                          double t_end, double *peaks, double *measured) {
  size_t days = 0;
  double day = NAN;
  *measured = -INFINITY;
  for (size_t i = 0; i < n && t[i] < t_end; i++) {
    if (!isfinite(x[i]))
      continue;
    double d = floor(t[i] / 86400);
    if (d != day) {
      day = d;
      peaks[days++] = x[i];
    } else if (x[i] > peaks[days - 1])
      peaks[days - 1] = x[i];
    if (x[i] > *measured)
      *measured = x[i];
  }
  return days;
}

static void plan_from_peaks(const double *peaks, size_t days, double measured,
                            double horizon, kml_peak_plan_t *p) {
  memset(p, 0, sizeof(*p));
  p->days = days;
  p->measured = measured;
  p->planned = measured;
  double *tmp = malloc((days * (days + 1) / 2 + days + 1) * sizeof(double));
  if (tmp == NULL || days == 0) {
    free(tmp);
    return;
  }
  memcpy(tmp, peaks, days * sizeof(double));
  p->median_peak = median(tmp, days);
  if (days < 3) {
    free(tmp);
    return;
  }
  size_t k = 0;
  for (size_t i = 0; i < days; i++)
    for (size_t j = i + 1; j < days; j++)
      tmp[k++] = (peaks[j] - peaks[i]) / (double)(j - i);
  double slope = median(tmp, k);
  /* scatter of the peaks around the trend, as a robust sd */
  for (size_t i = 0; i < days; i++)
    tmp[i] = peaks[i] - slope * (double)i;
  double level = median(tmp, days);
  for (size_t i = 0; i < days; i++)
    tmp[i] = fabs(peaks[i] - slope * (double)i - level);
  double sd = 1.4826 * median(tmp, days);
  free(tmp);
  if (!(slope > 0) || !(slope * (double)(days - 1) > 2 * sd))
    return; /* no growth the scatter does not explain */
  p->slope = slope;
  p->ahead_days = fmin(horizon / 86400, (double)days);
  double at = level + slope * ((double)(days - 1) + p->ahead_days);
  /* the highest day was this far above its trend: keep that margin */
  double margin = measured - (level + slope * (double)(days - 1));
  if (margin > 0)
    at += margin;
  if (at > p->planned)
    p->planned = at;
}

int kml_peak_plan(const double *t, const double *x, size_t n, double horizon,
                  kml_peak_plan_t *p) {
  memset(p, 0, sizeof(*p));
  if (n == 0)
    return -1;
  double *peaks = malloc(n * sizeof(double)), measured;
  if (peaks == NULL)
    return -1;
  size_t days = daily_peaks(t, x, n, INFINITY, peaks, &measured);
  if (days > 0)
    plan_from_peaks(peaks, days, measured, horizon, p);
  free(peaks);
  return days > 0 ? 0 : -1;
}

void kml_peak_backtest(const double *t, const double *x, size_t n,
                       double horizon, double headroom,
                       kml_peak_backtest_t *b) {
  memset(b, 0, sizeof(*b));
  if (n == 0)
    return;
  double *peaks = malloc(n * sizeof(double));
  if (peaks == NULL)
    return;
  double first = floor(t[0] / 86400) * 86400;
  for (double end = first + 3 * 86400; end + horizon <= t[n - 1];
       end += 86400) {
    double measured;
    size_t days = daily_peaks(t, x, n, end, peaks, &measured);
    if (days < 3)
      continue;
    kml_peak_plan_t p;
    plan_from_peaks(peaks, days, measured, horizon, &p);
    double actual = -INFINITY;
    for (size_t i = 0; i < n && t[i] < end + horizon; i++)
      if (t[i] >= end && isfinite(x[i]) && x[i] > actual)
        actual = x[i];
    if (!isfinite(actual) || !(p.planned > 0))
      continue;
    b->tried++;
    b->held += actual <= p.planned;
    b->held_headroom += actual <= p.planned * (1 + headroom);
    if (actual / p.planned > b->worst)
      b->worst = actual / p.planned;
  }
  free(peaks);
}
