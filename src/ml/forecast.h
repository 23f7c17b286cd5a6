/* forecast: where will this series be in h seconds, and when will the
 * upper bound of its 95% band first cross a threshold (time to breach,
 * e.g. lag reaching an SLA)?
 *
 * Model, in continuous time so that it means the same at a 1 s and a
 * 5 min collection interval (every constant is in seconds, smoothing
 * weights are 1 - exp(-step / tau)):
 *   x(t) = level + trend * D(h) + weekly(t + h) + season(t + h)
 * - season: the daily profile the detector learns (passed in by the
 *   caller, as known before the value), when it explains the series;
 * - weekly: a coarse weekly profile of what is left, 7 days x 12 cells of
 *   2 hours, each the mean deviation of its visits from a slow base level,
 *   remembered over about 3 weeks and interpolated between cell centres;
 *   used once two weeks were seen and a test says last week's visits
 *   foretell this week's better than yesterday's (forecast.c; e.g. quiet
 *   weekends, a Monday-morning rise, not a random walk). It also
 *   carries the daily shape of a series whose daily profile is not used
 *   (a forecast with a threshold);
 * - level and trend: damped-trend exponential smoothing of what is left
 *   (D(h) = tau_d * (1 - exp(-h / tau_d)) damps the trend), with time
 *   constants proportional to the lead (the horizon) so a forecast looks
 *   back about as far as it looks ahead; a trend that is small next to
 *   the errors made at the lead is shrunk towards 0 (it is noise).
 * - when a daily profile is passed in: how much of the level's deviation
 *   from the slow base plus the weekly cells lasts one lead. A deviation
 *   that fades within the lead (the profile or the cells fitting a day
 *   less well, a passing burst) should not be carried into the forecast;
 *   one that lasts (the level moving) should. The share that lasts, k in
 *   [0, 1], is the regression of the error of the rest of the forecast
 *   (base + weekly + trend + season) one lead later on the deviation
 *   when the forecast was made, measured out of sample over about a week
 *   (at most 255 leads);
 *   the forecast carries the deviation with weight 1 - (1 - k) h / lead up
 *   to the lead and k^(h / lead) beyond. Until measured, and without a
 *   profile (e.g. a forecast against a threshold, where a ramp must not
 *   be pulled back to the pattern), k is 1: the level as it is.
 * Band: its variance grows from the one-step error variance at h -> 0 to
 * the variance of the errors actually made `lead` seconds ahead (measured
 * out of sample: every `lead` seconds the forecast for lead seconds later
 * is kept and compared with what came). The band is Student-t with as
 * many degrees of freedom as lead-ahead errors were seen, so a young model
 * has a wide band; forecasts alert only after a warm-up in time.
 *
 * Fixed size (244 bytes, no pointers, 4-byte aligned so that it packs into
 * the model without padding); not thread-safe for one forecaster. */
#ifndef KML_ML_FORECAST_H
#define KML_ML_FORECAST_H

#include <stdint.h>

typedef struct {
  double level_lead;   /* level smoothing time constant, in leads (0.25:
                          a 2 h forecast follows the last half hour; 0.5
                          warns 53 min before the test ramp's breach
                          instead of 70, and since the share of the
                          deviation that lasts (model version 16)
                          forecasts NAB's nyc_taxi about as well, MASE
                          1.056 vs 1.061) */
  double trend_lead;   /* trend smoothing time constant, in leads (1) */
  double trend_shrink; /* k: the trend is used with weight b^2/(b^2 + k v),
                          b its distance in one lead, v the error variance
                          at the lead (16) */
  double damp_tau;     /* seconds: trend damping time constant (86400) */
  double noise_tau;    /* seconds: memory of the error variances (86400) */
  double week_visits;  /* visits (weeks) a weekly cell remembers (3) */
  double base_tau;     /* seconds: memory of the base level the weekly
                          cells are measured from (86400) */
  double lead;         /* seconds ahead at which errors are measured; the
                          model sets it to its horizon (1800) */
  double warmup;       /* seconds before a forecast may alert; at least one
                          lead (3600) */
  double z;            /* band half-width in error sds, normal case (1.96) */
  int weekly;          /* 1: detect and use a weekly pattern; 0: daily only */
} kml_forecast_cfg_t;

#define KML_FC_WEEKLY 1u    /* flags: weekly pattern detected */
#define KML_FC_CELLS_DAY 12 /* weekly cells per day (2 hours each) */
#define KML_FC_CELLS (7 * KML_FC_CELLS_DAY)
#define KML_FC_VISITS (KML_FC_CELLS / 2) /* the weekly test's: 4 hours */
#define KML_FC_CELL_NONE -32             /* a cell not seen yet */
#define KML_FC_EXP_MAX 120               /* |cell_exp| bound (state files) */
#define KML_FC_VISIT_NONE INT16_MIN      /* a visit not seen yet */

typedef struct {
  float level_hi, level_lo; /* level = hi + lo (a double kept as two
                               floats so the struct is 4-byte aligned) */
  float trend;              /* per second */
  float age;                /* seconds modelled */
  float var1;               /* one-step squared error, smoothed */
  float var_lead;           /* squared error `lead` ahead, smoothed */
  float pending;            /* forecast made one lead ago for now */
  float base;               /* slow level the weekly cells are measured
                               from (moves only when a cell is stored) */
  float acc;                /* mean of value - base over the current
                               cell's visit so far */
  uint8_t cell[KML_FC_CELLS * 6 / 8]; /* weekly cells, signed 6-bit
                                         values (cell k at bit 6k, little
                                         endian; cell 0 starts Sunday
                                         00:00 UTC): deviation
                                         q * 2^cell_exp, KML_FC_CELL_NONE
                                         before seen */
  int8_t cell_exp;
  uint8_t n_lead;   /* lead-ahead errors seen (max 255) */
  uint8_t flags;    /* KML_FC_* */
  int8_t visit_exp; /* the weekly test's visits' scale (below) */
  /* The weekly test (forecast.c): each cell's last visit (its mean level,
   * visit_ref + code * 2^visit_exp, KML_FC_VISIT_NONE before seen); today's
   * sums of squared differences of the visits from one day and one week
   * earlier (d1, d7); their decayed day means (s1, s7), the sums of their
   * squares and product with squared weights relative to the means (r11,
   * r17, r77: the ratio's variance, each in [0, 1]) and the squared
   * weights' sum (w2). */
  float wk_d1, wk_d7;
  float wk_s1, wk_s7, wk_r11, wk_r17, wk_r77, wk_w2;
  float visit_ref;
  int16_t visit[KML_FC_VISITS];
  float half; /* mean level of the first cell of the current 4-hour
                 visit (NAN when none) */
  /* The share of the level's deviation that lasts a lead (above): at
   * the last lead boundary, the deviation (NAN when none) and the rest of
   * the forecast then made for one lead later (what kml_forecast_at gives
   * for it with k = 0: base, weekly, trend and season); the smoothed
   * products of the rest's error with the deviation and of the deviation
   * with itself (k = dev_xy / dev_xx). */
  float dev, dev_rest;
  float dev_xy, dev_xx;
} kml_forecast_t;

/* Default configuration. */
kml_forecast_cfg_t kml_forecast_defaults(void);
/* Reset. */
void kml_forecast_init(kml_forecast_t *f);
/* Learn value x at time t, step seconds after the previous value of the
 * series (<= 0 for the first). season is the expected seasonal offset at
 * t, NAN when no daily profile is used: the forecaster models x - season.
 * Whether a profile is used is its finiteness, not its value (a profile
 * in use may give exactly 0); when that changes, the weekly cells start
 * again. season_ahead is the offset at t + lead as known now, the one
 * kml_forecast_at will be given (NAN for none): the share of the level's
 * deviation that lasts is measured on the forecast as made. Non-finite x
 * or t are ignored. */
void kml_forecast_update(kml_forecast_t *f, const kml_forecast_cfg_t *c,
                         double t, double step, double x, double season,
                         double season_ahead);
/* Point forecast and band h seconds after now (the time of the last
 * value); season_at_h: seasonal offset at now + h (NAN for none). Returns
 * 0, or -1 before the first value. */
int kml_forecast_at(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                    double now, double h, double season_at_h, double *mean,
                    double *lower, double *upper);
/* 1 once the forecaster has modelled at least its warm-up (and one lead)
 * of time: before, its forecasts must not alert. */
int kml_forecast_ready(const kml_forecast_t *f, const kml_forecast_cfg_t *c);
/* Seconds until the upper band first reaches threshold, searched up to
 * horizon seconds after now; -1 when it does not or the forecaster is not
 * ready; 0 when the level is already at or above it. season(t) may be
 * NULL (or return NAN) for none. */
double kml_forecast_breach(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                           double now, double threshold, double horizon,
                           double (*season)(const void *ctx, double t),
                           const void *ctx);
/* The weekly effect at time t (interpolated cell deviation less the mean
 * of the cells; 0 when the series shows no weekly pattern). */
double kml_forecast_weekly(const kml_forecast_t *f, double t);
/* 1 when the fields of f are in range (state files); why names the first
 * that is not. */
int kml_forecast_valid(const kml_forecast_t *f, const char **why);

#endif
