/* gpd: see gpd.h. Grimshaw (1993): at a maximum of the GPD likelihood,
 * x = shape / scale solves w(x) = u(x) v(x) - 1 = 0 with
 * u(x) = mean(1 / (1 + x y)), v(x) = 1 + mean(log(1 + x y)); then
 * shape = v(x) - 1 and scale = shape / x. Roots are bracketed on a grid of
 * each admissible interval and refined with GSL's Brent solver; the root
 * with the best likelihood wins, the exponential fit (x -> 0) being one
 * candidate. */
#include "gpd.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_roots.h>
#include <math.h>

typedef struct {
  const double *y;
  int n;
} sample_t;

static double w_of(double x, void *p) {
  const sample_t *s = p;
  double u = 0, v = 0;
  for (int i = 0; i < s->n; i++) {
    double a = 1 + x * s->y[i];
    u += 1 / a;
    v += gsl_log1p(x * s->y[i]);
  }
  u /= s->n;
  v = 1 + v / s->n;
  return u * v - 1;
}

static double loglik(const sample_t *s, double shape, double scale) {
  if (!(scale > 0))
    return -INFINITY;
  double l = -s->n * log(scale);
  if (fabs(shape) < 1e-9) {
    for (int i = 0; i < s->n; i++)
      l -= s->y[i] / scale;
    return l;
  }
  for (int i = 0; i < s->n; i++) {
    double a = shape * s->y[i] / scale;
    if (!(a > -1))
      return -INFINITY;
    l -= (1 + 1 / shape) * gsl_log1p(a);
  }
  return l;
}

/* Refine a bracketed root of w in [lo, hi] into a candidate fit. */
static void try_root(const sample_t *s, double lo, double hi, kml_gpd_t *best,
                     double *best_l) {
  gsl_function f = {w_of, (void *)s};
  gsl_root_fsolver *r = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (r == NULL)
    return;
  if (gsl_root_fsolver_set(r, &f, lo, hi) == GSL_SUCCESS) {
    for (int it = 0; it < 60; it++) {
      if (gsl_root_fsolver_iterate(r) != GSL_SUCCESS)
        break;
      double a = gsl_root_fsolver_x_lower(r), b = gsl_root_fsolver_x_upper(r);
      if (gsl_root_test_interval(a, b, 0, 1e-8) == GSL_SUCCESS)
        break;
    }
    double x = gsl_root_fsolver_root(r);
    double v = 0;
    for (int i = 0; i < s->n; i++)
      v += gsl_log1p(x * s->y[i]);
    double shape = v / s->n;
    double scale = shape / x;
    double l = loglik(s, shape, scale);
    if (isfinite(l) && l > *best_l) {
      *best_l = l;
      best->shape = shape;
      best->scale = scale;
    }
  }
  gsl_root_fsolver_free(r);
}

/* Scan the points xs[0..n-1] (increasing, one side of 0) for sign
 * changes of w and refine each. */
static void scan(const sample_t *s, const double *xs, int n, kml_gpd_t *best,
                 double *best_l) {
  double prev_w = w_of(xs[0], (void *)s);
  for (int k = 1; k < n; k++) {
    double w = w_of(xs[k], (void *)s);
    if (isfinite(prev_w) && isfinite(w) && (prev_w < 0) != (w < 0))
      try_root(s, xs[k - 1], xs[k], best, best_l);
    prev_w = w;
  }
}

int kml_gpd_fit(const double *y, int n, kml_gpd_t *out) {
  if (n < 3)
    return -1;
  double mean = 0, ymin = INFINITY, ymax = 0;
  for (int i = 0; i < n; i++) {
    if (!(y[i] > 0) || !isfinite(y[i]))
      return -1;
    mean += y[i];
    ymin = fmin(ymin, y[i]);
    ymax = fmax(ymax, y[i]);
  }
  mean /= n;
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  sample_t s = {y, n};
  kml_gpd_t exp_fit = {0, mean};
  double exp_l = loglik(&s, 0, mean);
  kml_gpd_t best = exp_fit;
  double best_l = exp_l;
  /* Admissible x: 1 + x y > 0 for all y, so x > -1 / ymax; positive roots
   * lie below 2 (mean - ymin) / ymin^2 (Grimshaw). Roots can sit close to
   * 0 or close to either end, so both sides are scanned on geometric grids
   * (x = 0 itself is the trivial root, the exponential). */
  enum { STEPS = 32 };
  double xs[STEPS];
  for (int k = 0; k < STEPS; k++) /* -1/ymax (1 - 1e-6) ... -1e-6/ymax */
    xs[k] = k < STEPS / 2
                ? -(1 - pow(10, -6.0 * (STEPS / 2 - k) / (STEPS / 2))) / ymax
                : -pow(10, -6.0 * (k - STEPS / 2 + 1) / (STEPS / 2)) / ymax;
  scan(&s, xs, STEPS, &best, &best_l);
  double c = 2 * (mean - ymin) / (ymin * ymin), lo = 1e-6 / ymax;
  if (isfinite(c) && c > lo) {
    for (int k = 0; k < STEPS; k++) /* 1e-6/ymax ... c */
      xs[k] = lo * pow(c / lo, (double)k / (STEPS - 1));
    scan(&s, xs, STEPS, &best, &best_l);
  }
  gsl_set_error_handler(old);
  *out = best;
  return 0;
}

double kml_gpd_sf(const kml_gpd_t *g, double y) {
  if (!(y > 0))
    return 1;
  double z = y / g->scale;
  if (fabs(g->shape) < 1e-9)
    return exp(-z);
  double a = g->shape * z;
  if (a <= -1)
    return 0;
  return exp(-gsl_log1p(a) / g->shape);
}

double kml_gpd_quantile(const kml_gpd_t *g, double p) {
  if (!(p < 1))
    return 0;
  if (!(p > 0))
    return INFINITY;
  if (fabs(g->shape) < 1e-9)
    return -g->scale * log(p);
  return g->scale / g->shape * gsl_expm1(-g->shape * log(p));
}
