/* forecast: see forecast.h. Why it looks like this:
 * - Weights per value are 1 - exp(-step / tau), so a series sampled every
 *   2 s and every 10 s ends with the same level and trend (the finer one
 *   averages more values, nothing else).
 * - The band is measured, not derived from a per-step model: a formula
 *   that counts steps (Holt's) widens with the number of values in the
 *   horizon, which made the 30-minute band of a quiet series at 2 s wide
 *   enough to "breach" any threshold. Here the error variance at the lead
 *   is the squared error of forecasts really made one lead earlier.
 * - The season passed in is the one known before the value: a profile
 *   that already learned the value would hide part of each error, and the
 *   band measured from those errors was too narrow (77% coverage of a
 *   95% band on simulated traffic, 92% on NAB's daily series).
 * - The weekly cells are 6-bit, 12 a day (84 cells in 63 bytes with one
 *   shared power-of-two scale); the weekly test's visits stay 4 hours
 *   (two cells). They were 4-bit, 6 a day, while the forecaster had 60
 *   bytes: the largest deviation from the base sets the scale, so on
 *   NAB's nyc_taxi a step was 4,096 taxis over 69% of the second half
 *   (2,048 over 28%), and a cell whose visits would move it by less than
 *   half a step (a third of the gap, with 3 weeks of memory) never moved.
 *   bench/forecast.py, nyc_taxi MASE: 1.62 with 4-bit cells of 4 h, 1.35
 *   8-bit (float: the same), 1.17 with 6-bit cells of 2 h (8-bit 1.15,
 *   float cells of 1 h 1.11); seasonal naive 1.31, weekly naive 0.83.
 *   8-bit cells of 2 h do not fit the budget.
 * - GSL gives the Student-t quantile of a young model's band. */
#include "forecast.h"
#include "grid16.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STARTED 2u      /* flags: a value was seen */
#define SEASONED 4u     /* flags: the cells were learned beside a season */
#define BIG 1e30        /* values are clamped to this magnitude */
#define WEEK_MIN 14.0   /* days seen before a weekly pattern may be used */
#define WEEK_SIGNIF 1.0 /* weekly effect sd, in one-step error sds */
#define WEEK (7 * 86400.0)
#define CELL (WEEK / KML_FC_CELLS) /* seconds */
/* Memory of the share of the level's deviation that lasts a lead: one
 * period of the longest pattern modelled, set before measuring
 * (bench/forecast.py --nab, nyc_taxi MASE 1.061; 3 days 1.078, 28 days
 * 1.038; every other series moves by at most 0.001). At most 255 leads
 * (n_lead's bound, see kml_forecast_update). */
#define DEV_TAU WEEK

kml_forecast_cfg_t kml_forecast_defaults(void) {
  return (kml_forecast_cfg_t){.level_lead = 0.25,
                              .trend_lead = 1,
                              .trend_shrink = 16,
                              .damp_tau = 86400,
                              .noise_tau = 86400,
                              .week_visits = 3,
                              .base_tau = 86400,
                              .lead = 1800,
                              .warmup = 3600,
                              .z = 1.96,
                              .weekly = 1};
}

static void cell_put(kml_forecast_t *f, int k, int q);

static void cells_clear(kml_forecast_t *f) {
  for (int k = 0; k < KML_FC_CELLS; k++)
    cell_put(f, k, KML_FC_CELL_NONE);
  f->cell_exp = 0;
  /* the visits restart with the cells; what the test learned from the
   * days so far (its log ratios) is kept */
  for (int k = 0; k < KML_FC_VISITS; k++)
    f->visit[k] = KML_FC_VISIT_NONE;
  f->visit_exp = 0;
  f->half = NAN;
  f->wk_d1 = f->wk_d7 = 0;
}

void kml_forecast_init(kml_forecast_t *f) {
  memset(f, 0, sizeof(*f));
  f->pending = NAN;
  f->dev = f->dev_rest = NAN;
  cells_clear(f);
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

/* ---- weekly cells: 6-bit values q, deviation q * 2^cell_exp ---- */

#define CELL_Q_MAX 31

static int cell_q(const kml_forecast_t *f, int k) {
  int b = 6 * k / 8, sh = 6 * k % 8;
  unsigned v = f->cell[b];
  if (sh > 2) /* the value runs into the next byte */
    v |= (unsigned)f->cell[b + 1] << 8;
  int q = (int)((v >> sh) & 63);
  return q >= 32 ? q - 64 : q;
}

static void cell_put(kml_forecast_t *f, int k, int q) {
  int b = 6 * k / 8, sh = 6 * k % 8;
  unsigned v = f->cell[b], mask = 63u << sh;
  if (sh > 2)
    v |= (unsigned)f->cell[b + 1] << 8;
  v = (v & ~mask) | (((unsigned)q & 63u) << sh);
  f->cell[b] = (uint8_t)v;
  if (sh > 2)
    f->cell[b + 1] = (uint8_t)(v >> 8);
}

static double cell_value(const kml_forecast_t *f, int k) {
  int q = cell_q(f, k);
  return q == KML_FC_CELL_NONE ? NAN : ldexp(q, f->cell_exp);
}

/* Re-express every cell with exponent e (only ever coarser, rounding, or
 * finer when that is exact). */
static void cells_rescale(kml_forecast_t *f, int e) {
  e = e > KML_FC_EXP_MAX    ? KML_FC_EXP_MAX
      : e < -KML_FC_EXP_MAX ? -KML_FC_EXP_MAX
                            : e;
  for (int k = 0; k < KML_FC_CELLS; k++) {
    int q = cell_q(f, k);
    if (q != KML_FC_CELL_NONE)
      cell_put(f, k, (int)lround(ldexp(q, f->cell_exp - e)));
  }
  f->cell_exp = (int8_t)e;
}

/* Store deviation v in cell k: the scale grows when v needs it and
 * shrinks while every cell fits in half the range (no precision lost). */
static void cell_store(kml_forecast_t *f, int k, double v) {
  int any = 0, top = 0;
  for (int j = 0; j < KML_FC_CELLS; j++) {
    int q = cell_q(f, j);
    if (q != KML_FC_CELL_NONE && j != k) {
      any = 1;
      top = abs(q) > top ? abs(q) : top;
    }
  }
  if (!any) /* the first cell sets the scale */
    cells_rescale(f, -KML_FC_EXP_MAX);
  int e;
  frexp(fabs(v) / CELL_Q_MAX, &e); /* CELL_Q_MAX * 2^e > |v| */
  if (e > f->cell_exp)
    cells_rescale(f, e);
  int q = (int)lround(ldexp(v, -f->cell_exp));
  cell_put(f, k,
           q > CELL_Q_MAX    ? CELL_Q_MAX
           : q < -CELL_Q_MAX ? -CELL_Q_MAX
                             : q);
  top = abs(q) > top ? abs(q) : top;
  while (top <= CELL_Q_MAX / 2 && f->cell_exp > -KML_FC_EXP_MAX) {
    cells_rescale(f, f->cell_exp - 1);
    top *= 2;
  }
}

/* Position in the week in cells (0 = Sunday 00:00 UTC). */
static double week_pos(double t) {
  double p = fmod(t + 4 * 86400.0, WEEK);
  return (p < 0 ? p + WEEK : p) / CELL;
}

static int cell_of(double t) {
  int k = (int)week_pos(t);
  return k < 0 ? 0 : k >= KML_FC_CELLS ? KML_FC_CELLS - 1 : k;
}

/* Cell effects: deviations less their mean; returns their sd, or -1
 * while a cell is missing. */
static double week_effects(const kml_forecast_t *f, double r[KML_FC_CELLS]) {
  double mean = 0, ss = 0;
  for (int k = 0; k < KML_FC_CELLS; k++) {
    r[k] = cell_value(f, k);
    if (!isfinite(r[k]))
      return -1;
    mean += r[k] / KML_FC_CELLS;
  }
  for (int k = 0; k < KML_FC_CELLS; k++) {
    r[k] -= mean;
    ss += r[k] * r[k];
  }
  return sqrt(ss / KML_FC_CELLS);
}

/* The two cells whose centres frame t, and t's share of the second. */
static void week_frame(double t, int *i0, int *i1, double *a) {
  double u = week_pos(t) - 0.5, k = floor(u);
  *a = u - k;
  *i0 = ((int)k + KML_FC_CELLS) % KML_FC_CELLS;
  *i1 = (*i0 + 1) % KML_FC_CELLS;
}

/* Cell deviation at t, linear between cell centres (NAN while one of the
 * two is missing). */
static double week_at(const kml_forecast_t *f, double t) {
  int i0, i1;
  double a;
  week_frame(t, &i0, &i1, &a);
  return cell_value(f, i0) * (1 - a) + cell_value(f, i1) * a;
}

/* The same from decoded cells. */
static double week_at_values(const double v[KML_FC_CELLS], double t) {
  int i0, i1;
  double a;
  week_frame(t, &i0, &i1, &a);
  return v[i0] * (1 - a) + v[i1] * a;
}

/* Weekly offset between times `from` and t (the mean of the cells
 * cancels); 0 when the series is not weekly. */
static double week_offset(const kml_forecast_t *f, double t, double from) {
  if (!(f->flags & KML_FC_WEEKLY))
    return 0;
  double d = week_at(f, t) - week_at(f, from);
  return isfinite(d) ? d : 0;
}

double kml_forecast_weekly(const kml_forecast_t *f, double t) {
  double r[KML_FC_CELLS];
  if (!(f->flags & KML_FC_WEEKLY) || week_effects(f, r) < 0)
    return 0;
  double mean = 0;
  for (int k = 0; k < KML_FC_CELLS; k++)
    mean += cell_value(f, k) / KML_FC_CELLS;
  return week_at(f, t) - mean;
}

/* ---- the weekly test ----
 * A series is weekly when the same time of the week last week says more
 * about a visit than the same time yesterday: each ended visit of a cell
 * adds its squared difference from the cell's visit one week earlier to
 * d7 and from the visit one day earlier (the daily profile, when there is
 * one, is already out of y) to d1. The days' sums are averaged over about
 * WEEK_DAYS days (equal weights at first), and the series is weekly when
 * log(s1 / s7) is above 0 by a one-sided test at WEEK_ALPHA: a ratio
 * estimator whose variance comes from the days themselves (delta method:
 * the sum over days of w^2 (d1 / s1 - d7 / s7)^2), so the correlation of
 * the visits within a day is counted, and a pattern that shows on two
 * days of seven (weekends) weighs as much as it differs. Student t with
 * 1 / sum w^2 - 1 degrees of freedom (GSL). On white noise the two
 * differences are alike (the ratio is symmetric about 1); a random walk's
 * drift grows with the lag, so its ratio is below 1 (the old test, cells
 * apart by more than the one-step error, flagged 76-100 of 100 random
 * walks). */
#define WEEK_ALPHA 1e-3       /* significance alone */
#define WEEK_EFFECT_ALPHA 0.1 /* with an effect worth modelling */
#define WEEK_DAYS 28.0        /* days the test remembers */

static const kml_grid16_rules_t visit_rules = {KML_FC_EXP_MAX, 1};

static double visit_value(const kml_forecast_t *f, int k) {
  return f->visit[k] == KML_FC_VISIT_NONE
             ? NAN
             : kml_grid16_value(f->visit_ref, f->visit[k], f->visit_exp);
}

/* Store v as cell k's last visit: one grid (grid16.h) for the visits,
 * refitted at each store to their range with v (recentred and tightened,
 * exact; grown when v does not fit, rounding once), so a step is at most
 * 1/24,576 of the range. The offset is a float: the recentred offset
 * rounds to one, and that rounding is folded into the codes. O(cells),
 * once per visit. */
static void visit_store(kml_forecast_t *f, int k, double v) {
  kml_grid16_range_t r = kml_grid16_range_none();
  for (int j = 0; j < KML_FC_VISITS; j++)
    if (j != k && f->visit[j] != KML_FC_VISIT_NONE)
      kml_grid16_range_add(&r, f->visit[j]);
  if (kml_grid16_range_empty(&r)) { /* the first visit: the grid starts at it */
    f->visit_ref = (float)v;
    f->visit_exp = (int8_t)-KML_FC_EXP_MAX;
    kml_grid16_range_add(&r, 0);
  }
  kml_grid16_range_add(&r, kml_grid16_steps(f->visit_ref, f->visit_exp, v));
  kml_grid16_fit_t fit = kml_grid16_fit(&visit_rules, f->visit_exp, r, 1);
  double to = kml_grid16_offset(&fit, f->visit_ref);
  float ref = (float)to;
  double moved = (to - ref) / fit.q; /* the float's rounding, in old steps */
  for (int j = 0; j < KML_FC_VISITS; j++)
    if (j != k && f->visit[j] != KML_FC_VISIT_NONE)
      f->visit[j] = kml_grid16_recode(&fit, f->visit[j], moved);
  f->visit_ref = ref;
  f->visit_exp = (int8_t)fit.exp;
  f->visit[k] = kml_grid16_nearest(ref, fit.exp, v);
}

/* Cell k's visit ended with mean level a (y, not less base: a random
 * walk's drift must show in the differences): the differences from its
 * visits a week and a day earlier. */
static void week_test_visit(kml_forecast_t *f, int k, double a) {
  double w7 = visit_value(f, k);
  double w1 =
      visit_value(f, (k + KML_FC_VISITS - KML_FC_VISITS / 7) % KML_FC_VISITS);
  if (isfinite(w7) && isfinite(w1)) {
    f->wk_d7 = clampf(f->wk_d7 + (a - w7) * (a - w7));
    f->wk_d1 = clampf(f->wk_d1 + (a - w1) * (a - w1));
  }
  visit_store(f, k, a);
}

/* A day ended: its sums join the decayed means. The variance terms are
 * kept relative to the means (r11 = sum w^2 d1^2 / s1^2, ...), so they
 * stay near 1 whatever the series' scale. Returns the test's t statistic
 * for log(s1 / s7) > 0 and its degrees of freedom in *dof (0 and 0 while
 * it has too little to say). */
static double week_test_day(kml_forecast_t *f, double *dof) {
  double d1 = f->wk_d1, d7 = f->wk_d7;
  f->wk_d1 = f->wk_d7 = 0;
  if (d1 > 0 && d7 > 0) {
    /* equal weights at first (w2 = 1/n), then about WEEK_DAYS days */
    double w = f->wk_w2 > 0 ? 1 / (1 / (double)f->wk_w2 + 1) : 1;
    if (w < 1 / WEEK_DAYS)
      w = 1 / WEEK_DAYS;
    double k = (1 - w) * (1 - w);
    double s1 = f->wk_s1 + w * (d1 - f->wk_s1);
    double s7 = f->wk_s7 + w * (d7 - f->wk_s7);
    double g1 = f->wk_s1 / s1, g7 = f->wk_s7 / s7;
    double u1 = d1 / s1, u7 = d7 / s7;
    /* each at most 1 ((sum w d)^2 >= sum w^2 d^2); fmin: float rounding */
    f->wk_r11 = (float)fmin(1, k * f->wk_r11 * g1 * g1 + w * w * u1 * u1);
    f->wk_r17 = (float)fmin(1, k * f->wk_r17 * g1 * g7 + w * w * u1 * u7);
    f->wk_r77 = (float)fmin(1, k * f->wk_r77 * g7 * g7 + w * w * u7 * u7);
    f->wk_s1 = clampf(s1);
    f->wk_s7 = clampf(s7);
    f->wk_w2 = (float)(k * f->wk_w2 + w * w);
  }
  *dof = f->wk_w2 > 0 ? 1 / (double)f->wk_w2 - 1 : 0;
  double v = f->wk_r11 - 2 * f->wk_r17 + f->wk_r77;
  if (*dof < 5 || !(v > 0) || !(f->wk_s1 > 0 && f->wk_s7 > 0) ||
      f->wk_s1 >= BIG || f->wk_s7 >= BIG) /* saturated: says nothing */
    return *dof = 0;
  return log((double)f->wk_s1 / f->wk_s7) / sqrt(v);
}

/* Re-decide whether the series is weekly (once per day). */
static void week_decide(kml_forecast_t *f, const kml_forecast_cfg_t *c) {
  double r[KML_FC_CELLS], dof;
  double tstat = week_test_day(f, &dof);
  double sd = week_effects(f, r);
  int effect = sd > WEEK_SIGNIF * sqrt(f->var1) && dof > 0 &&
               tstat > gsl_cdf_tdist_Qinv(WEEK_EFFECT_ALPHA, dof);
  int signif = dof > 0 && tstat > gsl_cdf_tdist_Qinv(WEEK_ALPHA, dof);
  int weekly =
      c->weekly && f->age >= WEEK_MIN * 86400 && sd > 0 && (effect || signif);
  f->flags =
      (uint8_t)(weekly ? f->flags | KML_FC_WEEKLY : f->flags & ~KML_FC_WEEKLY);
}

/* The visit of cell k ended with mean deviation acc from base: the cell
 * moves towards it (equal weights over the first weeks, then about
 * week_visits weeks of memory), and base follows the level the cells
 * do not explain. */
static void week_learn(kml_forecast_t *f, const kml_forecast_cfg_t *c, int k,
                       int next, double age) {
  double r[KML_FC_CELLS];
  double a = f->acc;
  double effect = week_effects(f, r) >= 0 ? r[k] : 0;
  double w = weight(1, c->week_visits > 0 ? c->week_visits : 3);
  double weeks = floor(age / WEEK);
  if (1 / (weeks + 1) > w)
    w = 1 / (weeks + 1);
  double old = cell_value(f, k);
  /* the test's visits are 4 hours: two cells */
  if (k % 2 == 0 && next == k + 1)
    f->half = (float)(a + f->base);
  else {
    double v = a + f->base;
    if (k % 2 == 1 && isfinite(f->half))
      v = (f->half + v) / 2;
    f->half = NAN;
    week_test_visit(f, k / 2, v);
  }
  cell_store(f, k, isfinite(old) ? old + w * (a - old) : a);
  f->base = clampf(f->base + weight(CELL, c->base_tau) * (a - effect));
}

/* ---- the share of the level's deviation that lasts a lead ---- */

/* The level's deviation from base plus the weekly cells at t; NAN without
 * a daily profile (the level is then used as it is). */
static double deviation(const kml_forecast_t *f, double t) {
  if (!(f->flags & SEASONED))
    return NAN;
  double w = f->flags & KML_FC_WEEKLY ? week_at(f, t) : 0;
  double d = level_of(f) - f->base - w;
  return isfinite(d) ? d : NAN;
}

/* Weight of the deviation in a forecast h seconds ahead: 1 at h = 0 (the
 * level is the best estimate of now), the share k that lasts at the lead,
 * linear in between (as the band) and k^(h / lead) beyond. k is the
 * measured regression coefficient, clamped to [0, 1], whose distance g
 * from 1 is used with weight g^2 / (g^2 + se^2), as the trend is (see
 * trend_used): a share measured on few errors, or near 1 by less than its
 * standard error se, stays near 1 (the level as it is). se^2 is the error
 * variance at the lead over the errors in memory times the deviation's
 * mean square. */
static double dev_keep(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                       double h) {
  double lead = c->lead > 0 ? c->lead : 1800;
  if (!(f->dev_xx > 0) || f->n_lead == 0)
    return 1;
  double k = f->dev_xy / f->dev_xx;
  double g = 1 - (k < 0 ? 0 : k > 1 ? 1 : k);
  double n = DEV_TAU / lead < f->n_lead ? DEV_TAU / lead : f->n_lead;
  double se2 = f->var_lead / (n * f->dev_xx);
  k = g > 0 ? 1 - g * g * g / (g * g + se2) : 1;
  return h <= lead ? 1 - (1 - k) * h / lead : pow(k, h / lead);
}

void kml_forecast_update(kml_forecast_t *f, const kml_forecast_cfg_t *c,
                         double t, double step, double x, double season,
                         double season_ahead) {
  if (!isfinite(x) || !isfinite(t))
    return;
  /* Whether a profile is used is said by the caller, never read from the
   * offset's value: a profile in use gives exactly 0 where a bin equals
   * its mean (integer codes, e.g. a quantised series), and reading
   * that as "no profile" cleared the weekly cells twice. */
  int seasoned = isfinite(season);
  if (!seasoned)
    season = 0;
  if (!isfinite(season_ahead))
    season_ahead = 0;
  double y = x - season;
  y = y > BIG ? BIG : y < -BIG ? -BIG : y;
  if (!(f->flags & STARTED)) {
    kml_forecast_init(f);
    set_level(f, y);
    f->base = (float)y;
    f->flags = (uint8_t)(STARTED | (seasoned ? SEASONED : 0));
    return;
  }
  if (!(step > 0) || !isfinite(step))
    step = 0;
  if (step > 30 * 86400.0)
    step = 30 * 86400.0;
  /* The cells hold deviations from the daily profile when there is one:
   * they start again when the profile starts or stops being used (and the
   * deviation pending was measured from the old base). */
  if (seasoned != ((f->flags & SEASONED) != 0)) {
    cells_clear(f);
    f->flags = (uint8_t)((f->flags ^ SEASONED) & ~KML_FC_WEEKLY);
    f->base = (float)y;
    f->acc = 0;
    f->dev = NAN;
  }
  double wko = week_offset(f, t, t - step);
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
    if (isfinite(f->dev) && isfinite(f->dev_rest)) {
      /* The band measures the forecast as made: the deviation carried
       * with the share known then. Then the share learns from this
       * error (equal weights over the lead errors seen, then about
       * DEV_TAU; n_lead stops at 255, so at a lead under 40 min, the
       * default 30 among them, 255 leads: 5.3 days at 30 min, 21 h at
       * 5 min). */
      double d = f->dev, rest = y + season - f->dev_rest;
      e += (1 - dev_keep(f, c, lead)) * d;
      double w = weight(lead, DEV_TAU);
      if (1.0 / (f->n_lead + 1) > w)
        w = 1.0 / (f->n_lead + 1);
      f->dev_xy = clampf(f->dev_xy + w * (rest * d - f->dev_xy));
      f->dev_xx = clampf(f->dev_xx + w * (d * d - f->dev_xx));
    }
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

  /* Weekly cells: a visit ends when the value falls in another cell; acc
   * is the time-weighted mean of y - base over the visit so far. */
  int cell = cell_of(t), prev = cell_of(t - step);
  if (cell != prev && step > 0)
    week_learn(f, c, prev, cell, age);
  double in = fmod(week_pos(t), 1.0) * CELL; /* seconds into the cell */
  double wa = cell != prev || !(in > step) ? 1 : step / in;
  f->acc = clampf(f->acc + wa * (y - f->base - f->acc));
  f->age = (float)(age > 4e6 ? 4e6 : age); /* exact to 0.5 s up to there */
  if (weekday(t) != weekday(t - step))
    week_decide(f, c);
  /* A new forecast to score one lead later, with the whole trend (so the
   * errors say how far the trend can be trusted, see trend_used); none
   * while the trend has not had twice its time constant to settle (a
   * young model's errors say little about the grown one's). */
  if (anchor) {
    double woff = week_offset(f, t + lead, t);
    f->pending = age >= 2 * ttau
                     ? clampf(level_of(f) + f->trend * damped(c, lead) + woff)
                     : NAN;
    /* and the deviation and the rest of the forecast made now (with the
     * trend as used), whose errors say how much of the deviation lasts */
    double d = age >= 2 * ttau ? deviation(f, t) : NAN;
    f->dev = isfinite(d) ? clampf(d) : NAN;
    f->dev_rest = isfinite(d) ? clampf(level_of(f) - d +
                                       trend_used(f, c) * damped(c, lead) +
                                       woff + season_ahead)
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

/* woff: the weekly offset between now and now + h. */
static int forecast_with(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                         double now, double q, double h, double woff,
                         double season_at_h, double *mean, double *lower,
                         double *upper) {
  if (!(f->flags & STARTED))
    return -1;
  if (!(h > 0))
    h = 0;
  if (!isfinite(season_at_h)) /* no profile */
    season_at_h = 0;
  double m = level_of(f) + trend_used(f, c) * damped(c, h) + woff + season_at_h;
  double d = deviation(f, now);
  if (isfinite(d))
    m -= (1 - dev_keep(f, c, h)) * d;
  double sd = sqrt(band_var(f, c, h));
  *mean = m;
  *lower = m - q * sd;
  *upper = m + q * sd;
  return 0;
}

int kml_forecast_at(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                    double now, double h, double season_at_h, double *mean,
                    double *lower, double *upper) {
  return forecast_with(f, c, now, quantile(f, c), h,
                       week_offset(f, now + h, now), season_at_h, mean, lower,
                       upper);
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
  double q = quantile(f, c);
  double s0 = season ? season(ctx, now) : 0;
  if (!isfinite(s0)) /* no profile */
    s0 = 0;
  if (level_of(f) + s0 >= threshold)
    return 0;
  /* The cells decoded once for the probes below. */
  double v[KML_FC_CELLS], w0 = 0;
  int weekly = (f->flags & KML_FC_WEEKLY) != 0;
  if (weekly) {
    for (int k = 0; k < KML_FC_CELLS; k++)
      v[k] = cell_value(f, k);
    w0 = week_at_values(v, now);
  }
  /* 256 probes over the horizon, none closer than a second. */
  double stride = horizon / 256 > 1 ? horizon / 256 : 1;
  for (double h = stride; h <= horizon + 1e-9; h += stride) {
    double m, lo, hi, woff = weekly ? week_at_values(v, now + h) - w0 : 0;
    forecast_with(f, c, now, q, h, isfinite(woff) ? woff : 0,
                  season ? season(ctx, now + h) : 0, &m, &lo, &hi);
    if (hi >= threshold)
      return h;
  }
  return -1;
}

int kml_forecast_valid(const kml_forecast_t *f, const char **why) {
  const char *bad = NULL;
  if (f->flags & ~(STARTED | KML_FC_WEEKLY | SEASONED))
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
  else if (isinf(f->dev) || isinf(f->dev_rest) || !isfinite(f->dev_xy) ||
           !(f->dev_xx >= 0 && isfinite(f->dev_xx)))
    bad = "forecast deviation share";
  else if (!isfinite(f->base) || !isfinite(f->acc))
    bad = "forecast weekly base";
  else if (f->cell_exp > KML_FC_EXP_MAX || f->cell_exp < -KML_FC_EXP_MAX ||
           f->visit_exp > KML_FC_EXP_MAX || f->visit_exp < -KML_FC_EXP_MAX)
    bad = "forecast weekly scale";
  else if (!isfinite(f->visit_ref) || isinf(f->half) ||
           !(f->wk_d1 >= 0 && isfinite(f->wk_d1)) ||
           !(f->wk_d7 >= 0 && isfinite(f->wk_d7)) ||
           !(f->wk_s1 >= 0 && isfinite(f->wk_s1)) ||
           !(f->wk_s7 >= 0 && isfinite(f->wk_s7)) ||
           !(f->wk_r11 >= 0 && f->wk_r11 <= 1) ||
           !(f->wk_r17 >= 0 && f->wk_r17 <= 1) ||
           !(f->wk_r77 >= 0 && f->wk_r77 <= 1) ||
           !(f->wk_w2 >= 0 && f->wk_w2 <= 1))
    bad = "forecast weekly test";
  if (why)
    *why = bad;
  return bad == NULL;
}
