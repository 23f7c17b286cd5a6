/* forecast: see forecast.h. Steps are counted in typical intervals (dt),
 * so forecasts in seconds work for any collectd Interval. */
#include "forecast.h"

#include <math.h>
#include <string.h>

#define WARMUP 10

kml_forecast_cfg_t kml_forecast_defaults(void) {
  return (kml_forecast_cfg_t){
      .alpha = 0.3, .beta = 0.05, .halflife = 86400, .z = 1.96};
}

/* Damping per step for the typical interval (recomputed when dt moves). */
static double phi_of(const kml_forecast_t *f, const kml_forecast_cfg_t *c) {
  (void)c;
  return f->phi > 0 ? f->phi : 1.0;
}

void kml_forecast_init(kml_forecast_t *f) { memset(f, 0, sizeof(*f)); }

void kml_forecast_update(kml_forecast_t *f, const kml_forecast_cfg_t *c,
                         double t, double x, double season) {
  double y = x - season;
  if (!isfinite(y))
    return;
  if (f->n == 0) {
    f->level = y;
    f->trend = 0;
  } else {
    double step = t - f->last_t;
    if (step > 0) {
      double dt = f->dt > 0 ? 0.9 * f->dt + 0.1 * step : step;
      if (fabs(dt - f->dt) > 1e-3 * dt || !(f->phi > 0))
        f->phi = c->halflife > 0 ? pow(0.5, dt / c->halflife) : 1.0;
      f->dt = dt;
    }
    double phi = phi_of(f, c);
    double pred = f->level + phi * f->trend;
    double err = y - pred;
    /* Squared error smoothed over ~50 values; the first ones seed it. */
    double w = f->n < 50 ? 1.0 / f->n : 0.02;
    f->err_var += w * (err * err - f->err_var);
    double level = pred + c->alpha * err;
    f->trend = phi * f->trend + c->beta * (level - f->level - phi * f->trend);
    f->level = level;
  }
  f->last_t = t;
  f->n++;
}

/* Sum of phi^1..phi^k. */
static double damp_sum(double phi, double k) {
  if (fabs(1 - phi) < 1e-12)
    return k;
  return phi * (1 - pow(phi, k)) / (1 - phi);
}

static double band_sd(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                      double k) {
  double a = c->alpha, b = c->beta;
  double v = 1 + (k - 1) * a * a * (1 + k * b + k * (2 * k - 1) * b * b / 6.0);
  return sqrt(f->err_var * (v > 1 ? v : 1));
}

int kml_forecast_at(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                    double h, double season_at_h, double *mean, double *lower,
                    double *upper) {
  if (f->n < WARMUP || !(f->dt > 0))
    return -1;
  double k = h / f->dt;
  if (k < 1)
    k = 1;
  double m = f->level + damp_sum(phi_of(f, c), k) * f->trend + season_at_h;
  double sd = band_sd(f, c, k);
  *mean = m;
  *lower = m - c->z * sd;
  *upper = m + c->z * sd;
  return 0;
}

double kml_forecast_breach(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                           double threshold, double horizon,
                           double (*season)(const void *ctx, double t),
                           const void *ctx) {
  if (f->n < WARMUP || !(f->dt > 0))
    return -1;
  double s0 = season ? season(ctx, f->last_t) : 0;
  if (f->level + s0 >= threshold)
    return 0;
  /* At most 256 probes over the horizon: fine where it matters, cheap. */
  double steps = horizon / f->dt;
  double stride = steps > 256 ? steps / 256 : 1;
  for (double k = 1; k <= steps + 1e-9; k += stride) {
    double h = k * f->dt;
    double m, lo, hi;
    kml_forecast_at(f, c, h, season ? season(ctx, f->last_t + h) : 0, &m, &lo,
                    &hi);
    if (hi >= threshold)
      return h;
  }
  return -1;
}
