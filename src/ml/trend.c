/* trend: see trend.h for the idea. Values go into 15-minute buckets on an
 * absolute time grid; a completed bucket's mean joins the last few, and
 * the question "still moving?" is a t test of the slope of a line through
 * them. The means are floats relative to a reference that moves to the
 * newest bucket as each one completes, so a series far from 0 (bytes in
 * the 1e12) keeps the precision of its changes, not of its magnitude.
 * The trend view keeps the steepest slope of the current run of
 * significant windows and a record of slopes, one byte each (code_of). */
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
  if (!tr->has)
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
  tr->has = 0;
}

/* Forget the bucket means and the current run (a gap), keep the record. */
static void restart(kml_trend_t *tr) {
  uint8_t r0 = tr->record[0], r1 = tr->record[1];
  kml_trend_init(tr);
  tr->record[0] = r0;
  tr->record[1] = r1;
}

/* Slope code: |rise per hour| in half bits, 128 at 1 per hour, 1..255. */
static uint8_t code_of(double slope) {
  double c = 128 + 2 * log2(fabs(slope) * 3600 + 1e-300);
  return (uint8_t)(c < 1 ? 1 : c > 255 ? 255 : c);
}

static void learn_code(kml_trend_t *tr, uint8_t c) {
  if (c > tr->record[1])
    tr->record[1] = c;
}

/* The steepest slope learned in memory (code; 0 none). */
static int record_of(const kml_trend_t *tr) {
  return tr->record[0] > tr->record[1] ? tr->record[0] : tr->record[1];
}

/* After a bucket completed: the run of trending windows goes on, starts or
 * ends; its steepest slope is learned when it ends (or as it goes, for a
 * run from the warm-up); a window that does not trend is learned at once. */
static void step_run(kml_trend_t *tr, int learn, int warm) {
  double slope;
  int moving = kml_trend_moving(tr, &slope);
  int dir = moving ? (slope > 0 ? 1 : 2) : 0;
  uint8_t c = tr->full == KML_TREND_BUCKETS ? code_of(slope) : 0;
  if (dir != 0 && dir == tr->dir) {
    if (c > tr->run_max)
      tr->run_max = c;
  } else {
    if (learn && tr->dir != 0)
      learn_code(tr, tr->run_max);
    tr->dir = (uint8_t)dir;
    tr->run_max = dir ? c : 0;
    tr->early = !warm;
    if (learn && !dir)
      learn_code(tr, c);
  }
  if (tr->early && learn && tr->dir)
    learn_code(tr, tr->run_max);
}

void kml_trend_update(kml_trend_t *tr, double prev_t, double t, double x,
                      double memory, int learn, int warm) {
  if (!isfinite(x) || !isfinite(t))
    return;
  double half = memory / 2;
  if (prev_t > 0 && half > 0 && floor(t / half) != floor(prev_t / half)) {
    tr->record[0] = tr->record[1]; /* a new half of the memory */
    tr->record[1] = 0;
  }
  if (prev_t > 0 && bucket_of(t) != bucket_of(prev_t)) {
    int had = tr->has;
    close_bucket(tr);
    if (had)
      step_run(tr, learn, warm);
    if (bucket_of(t) - bucket_of(prev_t) > 1) /* a whole bucket missing */
      restart(tr);
  }
  if (!tr->has && tr->full == 0)
    tr->ref = (float)x;
  double dx = x - tr->ref;
  if (!tr->has || !(prev_t > 0 && t > prev_t)) {
    if (!tr->has)
      tr->cur = (float)dx;
    tr->has = 1;
    return;
  }
  /* Time-weighted: each value stands for the interval before it; the
   * bucket's first one for as long as the latest interval too. */
  double w = t - prev_t;
  double span = t - bucket_of(t) * KML_TREND_BUCKET + w;
  tr->cur = (float)(tr->cur + (dx - tr->cur) * fmin(1, w / span));
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

double kml_trend_surprise(const kml_trend_t *tr, double seen) {
  int record = record_of(tr);
  if (tr->early || tr->dir == 0 || record == 0 || tr->run_max <= record + 1)
    return 0;
  /* The steepest slope in memory, once among the n windows of the `seen`
   * seconds it covers (windows an hour apart share no bucket), has a rank
   * of 2 / (n + 1); slopes with an exponential tail whose largest of n is
   * the record are that rare again per record's worth of slope. The
   * codes are floors of half bits: the ratio is at least 2^((d - 1) / 2)
   * for codes d apart, and that is what counts. */
  double n = fmax(seen, 0) / (KML_TREND_BUCKETS * KML_TREND_BUCKET);
  double rank = log2((n + 1) / 2);
  double ratio = exp2((tr->run_max - record - 1) / 2.0);
  return rank > 0 ? rank * ratio : 0;
}

double kml_trend_rate(double g) {
  if (!(g > 0))
    return INFINITY;
  return 86400 / (KML_TREND_BUCKETS * KML_TREND_BUCKET) * exp2(-g);
}

const char *kml_trend_check(const kml_trend_t *tr) {
  if (tr->full > KML_TREND_BUCKETS || tr->dir > 2 || (!tr->has && tr->cur != 0))
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
