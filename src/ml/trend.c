/* trend: see trend.h for the idea. Values go into 15-minute buckets on an
 * absolute time grid; a completed bucket's mean joins the last few, and
 * the question "still moving?" is a t test of the slope of a line through
 * them. The means are floats relative to a reference that moves to the
 * newest bucket as each one completes, so a series far from 0 (bytes in
 * the 1e12) keeps the precision of its changes, not of its magnitude. */
#include "trend.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <string.h>

/* Stored means are differences of values within +-1e30 (the detector's
 * clamp): their bound, with room. */
#define MEAN_BOUND 4e30

void kml_trend_init(kml_trend_t *tr) { memset(tr, 0, sizeof(*tr)); }

static double bucket_of(double t) { return floor(t / KML_TREND_BUCKET); }

/* The current bucket is complete: its mean joins the history (the oldest
 * leaves when it is full) and becomes the new reference. */
static void close_bucket(kml_trend_t *tr) {
  if (tr->n == 0)
    return;
  if (tr->full == KML_TREND_BUCKETS) {
    memmove(tr->mean, tr->mean + 1, (KML_TREND_BUCKETS - 1) * sizeof(float));
    tr->full--;
  }
  tr->mean[tr->full++] = tr->cur;
  float ref = (float)((double)tr->ref + tr->cur);
  double shift = (double)ref - tr->ref;
  for (int k = 0; k < tr->full; k++)
    tr->mean[k] = (float)(tr->mean[k] - shift);
  tr->ref = ref;
  tr->cur = 0;
  tr->n = 0;
}

void kml_trend_update(kml_trend_t *tr, double prev_t, double t, double x) {
  if (!isfinite(x) || !isfinite(t))
    return;
  if (prev_t > 0 && bucket_of(t) != bucket_of(prev_t)) {
    close_bucket(tr);
    if (bucket_of(t) - bucket_of(prev_t) > 1) /* a whole bucket missing */
      kml_trend_init(tr);
  }
  if (tr->n == 0 && tr->full == 0)
    tr->ref = (float)x;
  if (tr->n == UINT16_MAX)
    return;
  tr->n++;
  double dx = x - tr->ref;
  tr->cur = (float)(tr->cur + (dx - tr->cur) / tr->n);
}

int kml_trend_moving(const kml_trend_t *tr, double *slope) {
  if (slope)
    *slope = 0;
  if (tr->full < KML_TREND_BUCKETS)
    return 0;
  double xs[KML_TREND_BUCKETS], ys[KML_TREND_BUCKETS];
  for (int k = 0; k < KML_TREND_BUCKETS; k++) {
    xs[k] = k * KML_TREND_BUCKET;
    ys[k] = tr->mean[k];
  }
  double c0, c1, cov00, cov01, cov11, sumsq;
  if (gsl_fit_linear(xs, 1, ys, 1, KML_TREND_BUCKETS, &c0, &c1, &cov00, &cov01,
                     &cov11, &sumsq) != 0 ||
      !isfinite(c1))
    return 0;
  if (slope)
    *slope = c1;
  double rise = fabs(c1) * (KML_TREND_BUCKETS - 1) * KML_TREND_BUCKET;
  double level = fabs((double)tr->ref + tr->mean[KML_TREND_BUCKETS - 1]);
  if (rise <= KML_TREND_FLOOR * level + 1e-9)
    return 0;
  if (!(cov11 > 0)) /* the means lie on the line: a clean ramp */
    return 1;
  double crit = gsl_cdf_tdist_Qinv(KML_TREND_ALPHA / 2, KML_TREND_BUCKETS - 2);
  return fabs(c1) / sqrt(cov11) > crit;
}

const char *kml_trend_check(const kml_trend_t *tr) {
  if (tr->full > KML_TREND_BUCKETS || tr->pad != 0)
    return "trend buckets";
  if (!(isfinite(tr->ref) && fabs(tr->ref) <= MEAN_BOUND) ||
      !(isfinite(tr->cur) && fabs(tr->cur) <= MEAN_BOUND))
    return "trend means";
  for (int k = 0; k < KML_TREND_BUCKETS; k++)
    if (!(isfinite(tr->mean[k]) && fabs(tr->mean[k]) <= MEAN_BOUND) ||
        (k >= tr->full && tr->mean[k] != 0))
      return "trend means";
  return NULL;
}
