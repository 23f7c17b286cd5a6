/* xcorr: how well one recent window of values matches another, tolerating
 * a small time shift between them and not fooled by two series that merely
 * both trend.
 *
 * Each window is first "prepared":
 *  - a series that accumulates (a backlog: lag in messages or seconds) is
 *    differenced once, so its growth rate is compared, not its size (a
 *    backlog grows while its cause is high: the cause's level matches the
 *    backlog's slope);
 *  - then smoothed over span k slots (a moving mean: lag saw-tooths with
 *    the consumer's commits) and detrended: the least-squares line through
 *    the window is subtracted, so a series that ramps steadily (traffic
 *    growing, memory filling) leaves only its noise, and a step (the slow
 *    broker's round-trip time) stays a step.
 * Two prepared windows are compared by Pearson's r at shifts from
 * max_follow slots after to max_lag slots before (a cause moves first, or
 * within a collection of its effect), over the pairs where both are known
 * (at least 8), and the shift with the largest |r| wins.
 *
 * Two peers are kept for measuring this one against: first differences at
 * the same shifts (the older hint of correlate.h), and Pearson's r of the
 * raw values at shift 0.
 * Pure functions on caller memory; thread-safe. */
#ifndef KML_ML_XCORR_H
#define KML_ML_XCORR_H

typedef enum {
  KML_XCORR_DETREND = 0, /* span-k mean, linear trend removed (default) */
  KML_XCORR_DIFF = 1,    /* first differences (correlate.h's way) */
  KML_XCORR_RAW = 2,     /* raw values, shift 0 (plain Pearson) */
} kml_xcorr_method_t;

typedef struct {
  kml_xcorr_method_t method;
  int max_lag;    /* most slots the other series may move first (3) */
  int max_follow; /* most slots it may move after (1) */
  int span;       /* slots of the moving mean (2) */
} kml_xcorr_cfg_t;

#define KML_XCORR_MAX 128 /* longest window */

/* Defaults: KML_XCORR_DETREND, max_lag 3, max_follow 1, span 2. Pure. */
kml_xcorr_cfg_t kml_xcorr_defaults(void);

/* Name of a method ("detrend", "diff", "raw") and back (-1 unknown).
 * Pure. */
const char *kml_xcorr_method_name(kml_xcorr_method_t m);
int kml_xcorr_method_parse(const char *s, kml_xcorr_method_t *m);

/* Prepare w (n <= KML_XCORR_MAX values, oldest first, NaN = unknown) into
 * out[n] for the method; accumulates: the series is a backlog (differenced
 * once more, except for KML_XCORR_RAW). Slots that cannot be computed are
 * NaN. Returns how many outputs are finite. Pure. */
int kml_xcorr_prepare(const kml_xcorr_cfg_t *c, const float *w, int n,
                      int accumulates, float *out);

/* Best r between prepared windows a and b (n values each, same slots) over
 * the method's shifts; *lag gets the shift: positive when b moved that many
 * slots before a. NAN when no shift has 8 pairs with variance on both
 * sides. Pure. */
double kml_xcorr_best(const kml_xcorr_cfg_t *c, const float *a, const float *b,
                      int n, int *lag);

/* How surprising a match is. Prepared windows are autocorrelated (the
 * moving mean, the differencing), so two unrelated ones reach a larger |r|
 * than independent values would: r's spread under independence is widened
 * by Bartlett's factor 1 + 2 sum_k rho_a(k) rho_b(k) (at least 1), and
 * |r| is judged by Fisher's z on the pairs divided by that factor.
 * kml_xcorr_acf: rho[1..k] of a prepared window (rho[0] = 1), k <= 8;
 * returns k, or 0 (rho[1..k] all 0) with fewer than 8 finite values. */
#define KML_XCORR_ACF 3 /* autocorrelations the matching uses */
int kml_xcorr_acf(const float *w, int n, int k, double *rho);
/* Pairs both prepared windows know at shift lag (as kml_xcorr_best). */
int kml_xcorr_pairs(const float *a, const float *b, int n, int lag);
/* Two-sided p-value of r over that many pairs at one shift, for windows
 * with autocorrelations ra, rb[0..k]; 1 when pairs leave nothing to judge.
 * Pure. */
double kml_xcorr_p(double r, int pairs, const double *ra, const double *rb,
                   int k);
/* The chance that the best of `tests` comparisons has a p-value this small
 * when none is related (Sidak: 1 - (1 - p)^tests). Pure. */
double kml_xcorr_family_p(double p, double tests);

#endif
