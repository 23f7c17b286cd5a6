/* forecast: see forecast.h. Why it looks like this:
 * - Weights per value are 1 - exp(-step / tau), so a series sampled every
 *   2 s and every 10 s ends with the same level and trend (the finer one
 *   averages more values, nothing else).
 * - The band is measured, not derived from a per-step model: a formula
 *   that counts steps (Holt's) widens with the number of values in the
 *   horizon, which made the 30-minute band of a quiet series at 2 s wide
 *   enough to "breach" any threshold. Here the error variance at the lead
 *   is the squared error of forecasts really made one lead earlier.
 * - GSL gives the Student-t quantile of a young model's band. */
#include "forecast.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#define STARTED 2u      /* flags: a value was seen */
#define BIG 1e30        /* values are clamped to this magnitude */
#define WEEK_MIN 14.0   /* days seen before a weekly pattern may be used */
#define WEEK_SIGNIF 1.0 /* weekday effect sd, in one-step error sds */

kml_forecast_cfg_t kml_forecast_defaults(void) {
  return (kml_forecast_cfg_t){.level_lead = 0.25,
                              .trend_lead = 1,
                              .trend_shrink = 16,
                              .damp_tau = 86400,
                              .noise_tau = 86400,
                              .week_tau = 3 * 86400,
                              .lead = 1800,
                              .warmup = 3600,
                              .z = 1.96,
                              .weekly = 1};
}

void kml_forecast_init(kml_forecast_t *f) {
  memset(f, 0, sizeof(*f));
  f->pending = NAN;
  for (int d = 0; d < 7; d++)
    f->wk[d] = NAN;
}

static double level_of(const kml_forecast_t *f) {
  return (double)f->level_hi + (double)f->level_lo;
}

static void set_level(kml_forecast_t *f, double v) {
  v = v > BIG ? BIG : v < -BIG ? -BIG : v;
  f->level_hi = (float)v;
  f->level_lo = (float)(v - (double)f->level_hi);
}

static float clampf(double v) {
  return (float)(v > BIG ? BIG : v < -BIG ? -BIG : v);
}

static double trend_used(const kml_forecast_t *f, const kml_forecast_cfg_t *c);

static int weekday(double t) {
  double days = floor(t / 86400.0);
  int d = (int)fmod(days + 4, 7); /* 1970-01-01 was a Thursday */
  return d < 0 ? d + 7 : d;
}

/* Damped horizon: integral of exp(-s / tau) over [0, h]. */
static double damped(const kml_forecast_cfg_t *c, double h) {
  if (!(c->damp_tau > 0))
    return h;
  return c->damp_tau * -expm1(-h / c->damp_tau);
}

static double weight(double step, double tau) {
  if (!(tau > 0))
    return 1;
  return -expm1(-step / tau);
}

/* Weekday effects: the weekday levels less their mean. (Bringing each
 * forward by the trend to today made it worse: the trend is measured over
 * one lead, far too noisy to carry over days.) Returns the standard
 * deviation of the effects, or -1 while a weekday is still missing. */
static double week_effects(const kml_forecast_t *f, double r[7]) {
  double mean = 0, ss = 0;
  for (int d = 0; d < 7; d++) {
    if (!isfinite(f->wk[d]))
      return -1;
    r[d] = f->wk[d];
    mean += r[d] / 7;
  }
  for (int d = 0; d < 7; d++) {
    r[d] -= mean;
    ss += r[d] * r[d];
  }
  return sqrt(ss / 7);
}

/* Weekly offset at time t relative to the weekday of the last value. */
static double week_offset(const kml_forecast_t *f, const double r[7],
                          double t) {
  if (!(f->flags & KML_FC_WEEKLY))
    return 0;
  return r[weekday(t)] - r[f->wday];
}

double kml_forecast_weekly(const kml_forecast_t *f, double t) {
  double r[7];
  if (!(f->flags & KML_FC_WEEKLY) || week_effects(f, r) < 0)
    return 0;
  return week_offset(f, r, t);
}

/* Re-decide whether the series is weekly (once per day). */
static void week_decide(kml_forecast_t *f, const kml_forecast_cfg_t *c) {
  double r[7];
  double sd = week_effects(f, r);
  int weekly = c->weekly && f->age >= WEEK_MIN * 86400 && sd > 0 &&
               sd > WEEK_SIGNIF * sqrt(f->var1);
  f->flags =
      (uint8_t)(weekly ? f->flags | KML_FC_WEEKLY : f->flags & ~KML_FC_WEEKLY);
}

void kml_forecast_update(kml_forecast_t *f, const kml_forecast_cfg_t *c,
                         double t, double step, double x, double season) {
  if (!isfinite(x) || !isfinite(t) || !isfinite(season))
    return;
  double y = x - season;
  y = y > BIG ? BIG : y < -BIG ? -BIG : y;
  int d = weekday(t);
  if (!(f->flags & STARTED)) {
    kml_forecast_init(f);
    set_level(f, y);
    f->wk[d] = (float)y;
    f->wday = (uint8_t)d;
    f->flags = STARTED;
    return;
  }
  if (!(step > 0) || !isfinite(step))
    step = 0;
  if (step > 30 * 86400.0)
    step = 30 * 86400.0;
  double r[7] = {0};
  if (f->flags & KML_FC_WEEKLY)
    week_effects(f, r);
  double wko = week_offset(f, r, t);
  double level = level_of(f), trend = f->trend;
  double pred = level + trend * damped(c, step) + wko;
  double err = y - pred;
  double age = f->age + step;

  /* One-step error variance: equal weights while young, then a time
   * window; one wild value moves it by a bounded amount. */
  double e2 = err * err;
  if (age > c->warmup && e2 > 25 * f->var1)
    e2 = 25 * f->var1;
  double w1 = weight(step, c->noise_tau);
  if (age > 0 && step / age > w1)
    w1 = step / age;
  f->var1 = clampf(f->var1 + w1 * (e2 - f->var1));

  /* The forecast made one lead ago for about now. */
  double lead = c->lead > 0 ? c->lead : 1800;
  int anchor = step > 0 && floor(t / lead) != floor((t - step) / lead);
  if (anchor && isfinite(f->pending)) {
    double e = y - f->pending;
    e2 = e * e;
    if (f->n_lead >= 5 && e2 > 16 * f->var_lead)
      e2 = 16 * f->var_lead;
    double w = weight(lead, c->noise_tau);
    if (1.0 / (f->n_lead + 1) > w)
      w = 1.0 / (f->n_lead + 1);
    f->var_lead = clampf(f->var_lead + w * (e2 - f->var_lead));
    if (f->n_lead < 255)
      f->n_lead++;
  }

  /* Level and damped trend (per second). */
  double ltau = lead * c->level_lead, ttau = lead * c->trend_lead;
  double a = weight(step, ltau);
  double nl = pred + a * err;
  if (step > 0) {
    double phi = exp(-step / (c->damp_tau > 0 ? c->damp_tau : INFINITY));
    double slope = (nl - level - wko) / step;
    double b = weight(step, ttau);
    trend = phi * trend + b * (slope - phi * trend);
    f->trend = clampf(trend);
  }
  set_level(f, nl);

  /* Weekday level (deseasonalised, not de-weekified). */
  if (isfinite(f->wk[d]))
    f->wk[d] = clampf(f->wk[d] + weight(step, c->week_tau) * (y - f->wk[d]));
  else
    f->wk[d] = (float)y;
  f->age = (float)(age > 4e6 ? 4e6 : age); /* exact to 0.5 s up to there */
  if (d != f->wday) {
    f->wday = (uint8_t)d;
    week_decide(f, c);
  }
  /* A new forecast to score one lead later, with the whole trend (so the
   * errors say how far the trend can be trusted, see trend_used); none
   * while the trend has not had twice its time constant to settle (a
   * young model's errors say little about the grown one's). */
  if (anchor) {
    double rr[7] = {0};
    if (f->flags & KML_FC_WEEKLY)
      week_effects(f, rr);
    f->pending = age >= 2 * ttau
                     ? clampf(level_of(f) + f->trend * damped(c, lead) +
                              week_offset(f, rr, t + lead))
                     : NAN;
  }
}

/* Band quantile: Student-t with one degree of freedom per lead-ahead
 * error seen (a young model is unsure of its own spread). */
static double quantile(const kml_forecast_t *f, const kml_forecast_cfg_t *c) {
  double z = c->z > 0 ? c->z : 1.96;
  if (f->n_lead >= 60)
    return z;
  double nu = f->n_lead > 0 ? f->n_lead : 1;
  return gsl_cdf_tdist_Pinv(gsl_cdf_ugaussian_P(z), nu);
}

/* Forecast error variance h seconds ahead: from the one-step variance at
 * h -> 0 to the measured variance at the lead, linear in h in between and
 * beyond (a level that wanders like a random walk). */
static double band_var(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                       double h) {
  double lead = c->lead > 0 ? c->lead : 1800;
  double v1 = f->var1, vl = f->n_lead > 0 ? f->var_lead : 2 * f->var1;
  if (vl < v1)
    vl = v1;
  return v1 + (vl - v1) * (h / lead);
}

/* Trend actually extrapolated: shrunk towards 0 when the distance it
 * covers in one lead is small next to the errors made at that lead (a
 * trend that is mostly noise, e.g. seasonal residue), kept whole when it
 * dominates them (a steady ramp): a James-Stein-like weight
 * b^2 / (b^2 + k v). */
static double trend_used(const kml_forecast_t *f, const kml_forecast_cfg_t *c) {
  double lead = c->lead > 0 ? c->lead : 1800;
  double b = f->trend * damped(c, lead);
  double v = f->n_lead > 0 ? f->var_lead : f->var1;
  double k = c->trend_shrink > 0 ? c->trend_shrink : 0;
  return b * b + k * v > 0 ? f->trend * (b * b / (b * b + k * v)) : f->trend;
}

static int forecast_with(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                         const double r[7], double q, double now, double h,
                         double season_at_h, double *mean, double *lower,
                         double *upper) {
  if (!(f->flags & STARTED))
    return -1;
  if (!(h > 0))
    h = 0;
  double m = level_of(f) + trend_used(f, c) * damped(c, h) +
             week_offset(f, r, now + h) + season_at_h;
  double sd = sqrt(band_var(f, c, h));
  *mean = m;
  *lower = m - q * sd;
  *upper = m + q * sd;
  return 0;
}

int kml_forecast_at(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                    double now, double h, double season_at_h, double *mean,
                    double *lower, double *upper) {
  double r[7] = {0};
  if (f->flags & KML_FC_WEEKLY)
    week_effects(f, r);
  return forecast_with(f, c, r, quantile(f, c), now, h, season_at_h, mean,
                       lower, upper);
}

int kml_forecast_ready(const kml_forecast_t *f, const kml_forecast_cfg_t *c) {
  double lead = c->lead > 0 ? c->lead : 1800;
  double w = c->warmup > lead ? c->warmup : lead;
  return (f->flags & STARTED) && f->age >= w && f->n_lead >= 1;
}

double kml_forecast_breach(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                           double now, double threshold, double horizon,
                           double (*season)(const void *ctx, double t),
                           const void *ctx) {
  if (!kml_forecast_ready(f, c) || !(horizon > 0))
    return -1;
  double r[7] = {0};
  if (f->flags & KML_FC_WEEKLY)
    week_effects(f, r);
  double q = quantile(f, c);
  double s0 = season ? season(ctx, now) : 0;
  if (level_of(f) + s0 >= threshold)
    return 0;
  /* 256 probes over the horizon, none closer than a second. */
  double stride = horizon / 256 > 1 ? horizon / 256 : 1;
  for (double h = stride; h <= horizon + 1e-9; h += stride) {
    double m, lo, hi;
    forecast_with(f, c, r, q, now, h, season ? season(ctx, now + h) : 0, &m,
                  &lo, &hi);
    if (hi >= threshold)
      return h;
  }
  return -1;
}

int kml_forecast_valid(const kml_forecast_t *f, const char **why) {
  const char *bad = NULL;
  if (f->flags & ~(STARTED | KML_FC_WEEKLY))
    bad = "forecast flags";
  else if (!isfinite(f->level_hi) || !isfinite(f->level_lo))
    bad = "forecast level";
  else if (!isfinite(f->trend))
    bad = "forecast trend";
  else if (!(f->age >= 0 && f->age <= 4e6))
    bad = "forecast age";
  else if (!(f->var1 >= 0 && isfinite(f->var1)) ||
           !(f->var_lead >= 0 && isfinite(f->var_lead)))
    bad = "forecast error variance";
  else if (isinf(f->pending))
    bad = "forecast pending value";
  else if (f->wday > 6)
    bad = "forecast weekday";
  for (int d = 0; bad == NULL && d < 7; d++)
    if (isinf(f->wk[d]))
      bad = "forecast weekday level";
  if (why)
    *why = bad;
  return bad == NULL;
}
