/* Unit tests for src/ml/forecast.c: trends, time to breach, flat noise,
 * the daily profile through the model bundle, and the properties a
 * forecast alert needs: the same warnings at 2 s and 10 s, none on a
 * healthy noisy lag (nor while the model is young), an hour's notice on a
 * steady ramp, a weekly series forecast better than daily-only, a
 * weekly flag that random walks and white noise do not raise, and a
 * deviation from the pattern carried ahead as far as it lasts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/forecast.h"
#include "ml/model.h"
#include "signals.h"

#include <string.h>

#define STEP 60.0
#define T0 1400000000.0

static void feed(kml_forecast_t *f, const kml_forecast_cfg_t *c, double t,
                 double step, double x) {
  kml_forecast_update(f, c, t, step, x, NAN, NAN); /* no daily profile */
}

static void linear_trend_is_extrapolated(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  for (int i = 0; i < 500; i++)
    feed(&f, &c, T0 + i * STEP, STEP, 2.0 * i);
  double m, lo, hi;
  double now = T0 + 499 * STEP;
  assert_int_equal(kml_forecast_at(&f, &c, now, 10 * STEP, 0, &m, &lo, &hi), 0);
  /* true value 2 * 509 = 1018; damping makes it slightly lower */
  assert_true(m > 1000 && m <= 1018.5);
  assert_true(lo <= m && m <= hi);
}

static void breach_eta_is_close_and_early(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  c.lead = 3600;
  kml_forecast_t f;
  kml_forecast_init(&f);
  kml_sim_rng_t r = {1};
  for (int i = 0; i < 600; i++)
    feed(&f, &c, T0 + i * STEP, STEP, 1000 + 10.0 * i + kml_sim_gauss(&r));
  double now = T0 + 599 * STEP;
  /* now about 6990, rising 10 per minute: 8000 in about 101 min */
  double eta = kml_forecast_breach(&f, &c, now, 8000, 4 * 3600, NULL, NULL);
  assert_true(eta > 0);
  assert_true(eta <= 110 * STEP); /* within 9% of the truth */
  assert_true(eta >= 60 * STEP);  /* the band is not absurdly wide */
  /* beyond the horizon: no breach reported */
  assert_true(kml_forecast_breach(&f, &c, now, 8000, 30 * STEP, NULL, NULL) <
              0);
  /* already above */
  assert_true(kml_forecast_breach(&f, &c, now, 5000, 3600, NULL, NULL) == 0);
}

static void flat_noise_does_not_breach(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  kml_sim_rng_t r = {2};
  for (int i = 0; i < 2000; i++)
    feed(&f, &c, T0 + i * STEP, STEP, 100 + 5 * kml_sim_gauss(&r));
  assert_true(kml_forecast_ready(&f, &c));
  assert_true(
      kml_forecast_breach(&f, &c, T0 + 1999 * STEP, 200, 3600, NULL, NULL) < 0);
}

static void young_model_is_not_ready(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  /* a steep start: without a warm-up in time this would "breach" */
  for (int i = 0; i < 30; i++)
    feed(&f, &c, T0 + i * 2.0, 2.0, i < 5 ? 0 : 5);
  assert_false(kml_forecast_ready(&f, &c));
  assert_true(kml_forecast_breach(&f, &c, T0 + 58, 20, 1800, NULL, NULL) < 0);
}

static void model_uses_the_daily_profile(void **state) {
  kml_model_cfg_t cfg = kml_model_defaults();
  kml_model_t m;
  kml_model_init(&m);
  cfg.horizon = 6 * 3600;
  kml_sim_rng_t r = {3};
  kml_output_t o;
  double step = 300;
  int n = 10 * 288;
  for (int i = 0; i < n; i++)
    kml_model_update(&m, &cfg, KML_DS_GAUGE, T0 + i * step,
                     100 + 40 * daily(T0 + i * step) + kml_sim_gauss(&r), &o);
  double t_last = T0 + (n - 1) * step;
  double truth = 100 + 40 * daily(t_last + cfg.horizon);
  /* Within a quarter of the daily swing (a flat forecast misses by up to
   * the full swing). */
  assert_true(fabs(o.forecast - truth) < 20);
}

static void model_warns_before_threshold(void **state) {
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.threshold = 5000;
  cfg.horizon = 1800;
  kml_model_t m;
  kml_model_init(&m);
  kml_sim_rng_t r = {4};
  kml_output_t o;
  int warned_at = -1, crossed_at = -1;
  for (int i = 0; i < 1000 && crossed_at < 0; i++) {
    double x = 1000 + 5.0 * i + 3 * kml_sim_gauss(&r);
    kml_model_update(&m, &cfg, KML_DS_GAUGE, T0 + i * STEP, x, &o);
    if (o.fc_changed && o.fc_alert == KML_ALERT_WARNING && warned_at < 0)
      warned_at = i;
    if (x >= 5000)
      crossed_at = i;
  }
  assert_true(warned_at >= 0);
  assert_true(crossed_at >= 0);
  /* Warned at least 20 minutes before the crossing (horizon 30 min). */
  assert_true(crossed_at - warned_at >= 20);
  assert_int_equal(o.fc_alert, KML_ALERT_FAILURE);
}

/* A consumer's lag in seconds, healthy: 0-5 s of commit saw-tooth and
 * jitter, a benign pause of up to a minute now and then (lag grows with
 * the clock, then catches up 5x faster); from ramp_at on, lag grows by
 * `slope` seconds per second. */
typedef struct {
  kml_sim_rng_t r;
  double pause_start, pause_end;
} lag_gen_t;

static double lag_at(lag_gen_t *g, double t, double ramp_at, double slope) {
  /* pauses start at fixed times (every ~6 h, deterministic in t) so two
   * samplings of the same series see the same pauses */
  double k = floor((t - T0) / 21600.0);
  double ps = T0 + k * 21600.0 + 7000, pd = 20 + fmod(k * 37.0, 41.0);
  double lag = fmod(t, 5.0) + 0.3 * fabs(kml_sim_gauss(&g->r));
  if (t >= ps && t < ps + pd)
    lag += t - ps;
  else if (t >= ps + pd && t < ps + pd + pd / 5)
    lag += pd - 5 * (t - ps - pd);
  if (t >= ramp_at)
    lag += slope * (t - ramp_at);
  return lag;
}

/* Replays days of lag at step seconds through the model with a threshold
 * and horizon; returns how many WARNINGs were raised, the time of the
 * first one (or 0) and the first time the lag crossed the threshold. */
static int replay_lag(double step, double days, double ramp_at, double slope,
                      double threshold, double horizon, double *first_warn,
                      double *crossed) {
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.threshold = threshold;
  cfg.horizon = horizon;
  kml_model_t m;
  kml_model_init(&m);
  lag_gen_t g = {.r = {7}};
  kml_output_t o;
  int warnings = 0;
  *first_warn = *crossed = 0;
  long n = (long)(days * 86400 / step);
  for (long i = 0; i < n; i++) {
    double t = T0 + i * step;
    double x = lag_at(&g, t, ramp_at, slope);
    if (kml_model_update(&m, &cfg, KML_DS_GAUGE, t, x, &o) != KML_RATE_OK)
      continue;
    if (o.fc_changed && o.fc_alert == KML_ALERT_WARNING) {
      warnings++;
      if (*first_warn == 0)
        *first_warn = t;
    }
    if (x >= threshold && *crossed == 0) {
      *crossed = t;
      break;
    }
  }
  return warnings;
}

static void healthy_noisy_lag_never_warns(void **state) {
  double w, c;
  /* the shipped snippet's numbers, at 2 s and at 10 s */
  assert_int_equal(replay_lag(2, 1, INFINITY, 0, 300, 1800, &w, &c), 0);
  assert_int_equal(replay_lag(10, 1, INFINITY, 0, 300, 1800, &w, &c), 0);
  /* a 2 h horizon, as for an SLA, and a threshold near the pauses */
  assert_int_equal(replay_lag(10, 2, INFINITY, 0, 300, 7200, &w, &c), 0);
  assert_int_equal(replay_lag(2, 0.5, INFINITY, 0, 120, 1800, &w, &c), 0);
}

/* Three weeks of healthy lag (20 s behind plus saw-tooth and pauses) that
 * follows the traffic's daily cycle and quiet weekends, against a
 * threshold a third above its highest value: once the weekly cells are in use
 * (after 14 days, with the daily shape in them: a threshold forecast has no
 * daily profile), the daily rise must not read as a breach ahead. */
static void healthy_lag_for_weeks_never_warns(void **state) {
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.threshold = 200;
  cfg.horizon = 7200;
  kml_model_t m;
  kml_model_init(&m);
  lag_gen_t g = {.r = {9}};
  kml_output_t o;
  int warnings = 0;
  double top = 0;
  for (long i = 0; i < 21 * 86400 / 13; i++) {
    double t = T0 + i * 13.0;
    int dow = (int)fmod(floor(t / 86400) + 4, 7);
    double x = (20 + lag_at(&g, t, INFINITY, 0)) * (1 + 0.6 * daily(t)) *
               (dow == 0 || dow == 6 ? 0.7 : 1);
    top = x > top ? x : top;
    kml_model_update(&m, &cfg, KML_DS_GAUGE, t, x, &o);
    warnings += o.fc_changed && o.fc_alert == KML_ALERT_WARNING;
  }
  assert_true(m.fc.flags & KML_FC_WEEKLY); /* the cells were in use */
  print_message("highest lag %.0f, %d warning(s)\n", top, warnings);
  assert_true(top < 150);
  assert_int_equal(warnings, 0);
}

static void steady_ramp_warns_an_hour_ahead(void **state) {
  /* a day of normal operation, then lag grows 80 s per hour: 300 s is
   * crossed about 3.7 h later */
  double ramp = T0 + 86400 + 3600;
  double w, c;
  int n = replay_lag(10, 2, ramp, 80 / 3600.0, 300, 7200, &w, &c);
  print_message("ramp: %d warning(s), first %.0f min before the breach\n", n,
                (c - w) / 60);
  assert_true(n >= 1);
  assert_true(c > ramp);
  assert_true(w > ramp); /* never before the ramp began */
  assert_true(c - w >= 3600);
}

static void warnings_do_not_depend_on_the_interval(void **state) {
  double ramp = T0 + 86400 + 3600;
  double w2, c2, w10, c10;
  int n2 = replay_lag(2, 2, ramp, 80 / 3600.0, 300, 7200, &w2, &c2);
  int n10 = replay_lag(10, 2, ramp, 80 / 3600.0, 300, 7200, &w10, &c10);
  assert_true(n2 >= 1 && n10 >= 1);
  /* the crossing differs by the commit saw-tooth the 10 s sampling does
   * not see (up to 5 s of lag: 225 s at 80 s per hour) */
  assert_true(fabs(c2 - c10) <= 300);
  /* the notice given within 10 minutes of each other */
  assert_true(fabs((c2 - w2) - (c10 - w10)) <= 600);
}

/* Traffic with a daily shape and quiet weekends (60%), every 5 min. */
static double weekly_traffic(kml_sim_rng_t *r, double t) {
  int dow = (int)fmod(floor(t / 86400) + 4, 7);
  double wk = (dow == 0 || dow == 6) ? 0.6 : 1.0;
  return 1000 * wk * (1 + 0.5 * daily(t)) + 20 * kml_sim_gauss(r);
}

static double weekly_mae(int weekly, int *detected) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  c.weekly = weekly;
  c.lead = 6 * 3600;
  kml_forecast_t f;
  kml_forecast_init(&f);
  kml_sim_rng_t r = {11}, r2 = {12};
  double step = 300, h = 6 * 3600, err = 0;
  int n = 0;
  /* the true daily shape is given as the season, so what is left is the
   * weekly pattern: weeks 1-4 to learn, week 5 to score */
  for (int i = 0; i < 35 * 288; i++) {
    double t = T0 + i * step;
    double x = weekly_traffic(&r, t);
    kml_forecast_update(&f, &c, t, step, x, 500 * daily(t) * 0.8,
                        500 * daily(t + h) * 0.8);
    if (i >= 28 * 288) {
      double m, lo, hi;
      kml_forecast_at(&f, &c, t, h, 500 * daily(t + h) * 0.8, &m, &lo, &hi);
      err += fabs(m - weekly_traffic(&r2, t + h));
      n++;
    }
  }
  *detected = (f.flags & KML_FC_WEEKLY) != 0;
  return err / n;
}

static void weekly_series_beats_daily_only(void **state) {
  int det_w, det_d;
  double mae_w = weekly_mae(1, &det_w), mae_d = weekly_mae(0, &det_d);
  assert_true(det_w);
  assert_false(det_d);
  print_message("weekly MAE %.1f, daily-only %.1f\n", mae_w, mae_d);
  assert_true(mae_w < 0.9 * mae_d); /* measured: 26.7 vs 119 (26.2 vs 125
                                       before the share of the deviation
                                       that lasts, 27.5 with 8-bit cells
                                       of 4 h, 46.3 with 4-bit) */
}

static void daily_series_is_not_weekly(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  kml_sim_rng_t r = {13};
  for (int i = 0; i < 28 * 288; i++) {
    double t = T0 + i * 300.0;
    kml_forecast_update(&f, &c, t, 300, 1000 + 20 * kml_sim_gauss(&r), NAN,
                        NAN);
  }
  assert_false(f.flags & KML_FC_WEEKLY);
  assert_true(kml_forecast_weekly(&f, T0 + 40 * 86400.0) == 0);
}

/* Four weeks at 5 min of one of five series (kind), seeded; 1 when the
 * forecaster calls it weekly at the end. The weekly ones: weekdays 1000,
 * weekends 600, noise 150 (times scale); and a weekday office hump (+600
 * from 9 to 17 h) on a daily swing passed as the season, noise 150. */
static int flagged_weekly(int kind, unsigned long long seed, double scale) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  kml_sim_rng_t r = {seed};
  double walk = 1000;
  for (int i = 0; i < 28 * 288; i++) {
    double t = T0 + i * 300.0;
    int day = (int)fmod(floor(t / 86400) + 4, 7); /* 0: Sunday */
    int weekend = day == 0 || day == 6;
    double hour = fmod(t, 86400) / 3600, season = NAN, x; /* none */
    if (kind == 0)
      x = 1000 + 20 * kml_sim_gauss(&r);
    else if (kind == 1)
      x = walk += 20 * kml_sim_gauss(&r);
    else if (kind == 2)
      x = scale * ((weekend ? 600 : 1000) + 150 * kml_sim_gauss(&r));
    else {
      season = 300 * sin(2 * M_PI * hour / 24);
      x = 1000 + season + (!weekend && hour >= 9 && hour < 17 ? 600 : 0) +
          150 * kml_sim_gauss(&r);
    }
    kml_forecast_update(&f, &c, t, i ? 300 : 0, x, season, 0);
  }
  return (f.flags & KML_FC_WEEKLY) != 0;
}

/* The weekly flag is a test (forecast.c): the visits of last week must
 * say more than yesterday's. The old rule (the cells apart by more than
 * the one-step error) called 100 of these 100 random walks weekly. */
static void random_walks_and_noise_are_not_weekly(void **state) {
  int white = 0, walk = 0, weekday = 0, big = 0, hump = 0;
  for (unsigned long long s = 1; s <= 100; s++) {
    white += flagged_weekly(0, 1000 + s, 1);
    walk += flagged_weekly(1, 2000 + s, 1);
    weekday += flagged_weekly(2, 3000 + s, 1);
    big += flagged_weekly(2, 4000 + s, 1e9); /* on any scale */
    hump += flagged_weekly(3, 5000 + s, 1);
  }
  print_message("weekly of 100: white %d, walk %d, weekday %d (x1e9 %d), "
                "hump %d\n",
                white, walk, weekday, big, hump);
  assert_true(white <= 5);
  assert_true(walk <= 5);
  assert_true(weekday >= 95);
  assert_true(big >= 95);
  assert_true(hump >= 95);
}

/* Weekly effect of the series below at time t: a weekday office hump
 * (+600 from 9 to 17 h) and a deep Monday-night dip (-3000 from 0 to 4 h),
 * which sets the cells' scale. */
static double office_and_dip(double t) {
  int day = (int)fmod(floor(t / 86400) + 4, 7); /* 0: Sunday */
  double hour = fmod(t, 86400) / 3600;
  return (day >= 1 && day <= 5 && hour >= 9 && hour < 17 ? 600 : 0) +
         (day == 1 && hour < 4 ? -3000 : 0);
}

/* Five weeks at 5 min of office_and_dip on a daily swing passed as the
 * season, noise 150, seeded; the root mean square error of the learned
 * weekly effect against the true one at every 5 min of the sixth week
 * (both less their mean over the week). */
static double weekly_effect_rmse(unsigned long long seed) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  kml_sim_rng_t r = {seed};
  /* from a Sunday 0 h, values half way through each 5 min */
  double start = T0 - fmod(T0 + 4 * 86400.0, 7 * 86400.0);
  for (int i = 0; i < 35 * 288; i++) {
    double t = start + (i + 0.5) * 300.0;
    double season = 300 * sin(2 * M_PI * fmod(t, 86400) / 86400);
    double x = 1000 + season + office_and_dip(t) + 150 * kml_sim_gauss(&r);
    kml_forecast_update(&f, &c, t, i ? 300 : 0, x, season, 0);
  }
  assert_true(f.flags & KML_FC_WEEKLY);
  /* every 5 min of the sixth week, both less their mean over the week */
  double got[2016], want[2016], gm = 0, wm = 0, ss = 0;
  for (int j = 0; j < 2016; j++) {
    double u = start + 35 * 86400.0 + (j + 0.5) * 300;
    got[j] = kml_forecast_weekly(&f, u);
    want[j] = office_and_dip(u);
    gm += got[j] / 2016;
    wm += want[j] / 2016;
  }
  for (int j = 0; j < 2016; j++)
    ss += (got[j] - gm - want[j] + wm) * (got[j] - gm - want[j] + wm);
  return sqrt(ss / 2016);
}

/* The cells share one scale, set by the largest effect (here the dip),
 * and are interpolated between their centres. Mean error over these 20
 * seeds (worst): 4-bit cells of 4 h 230 (241; a step of 512, and a cell
 * whose visits would move it by less than half a step never moved), 8-bit
 * cells of 4 h 227 (236; what is left is the interpolation across the
 * dip's and the hump's edges), 6-bit cells of 2 h 191 (202). */
/* A daily profile in use gives exactly 0 where a bin equals its mean
 * (integer codes, e.g. a quantised series): the forecaster must not read
 * that as "no profile". It clears its weekly cells and flag when the
 * profile starts or stops being used, which an offset of 0 at one value
 * did twice. Five weeks of office_and_dip on a passed season (the weekly
 * flag set), then one value at an offset of exactly 0 and the same value
 * at the smallest positive offset (x - offset is the same double): the
 * state and the 6 h forecast after it are the same. */
static void zero_season_is_a_season(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f, g;
  memset(&f, 0, sizeof(f));
  kml_forecast_init(&f);
  kml_sim_rng_t r = {6001};
  double start = T0 - fmod(T0 + 4 * 86400.0, 7 * 86400.0), t = start;
  for (int i = 0; i < 35 * 288; i++) {
    t = start + (i + 0.5) * 300.0;
    double season = 300 * sin(2 * M_PI * fmod(t, 86400) / 86400);
    double x = 1000 + season + office_and_dip(t) + 150 * kml_sim_gauss(&r);
    kml_forecast_update(&f, &c, t, i ? 300 : 0, x, season, NAN);
  }
  assert_true(f.flags & KML_FC_WEEKLY);
  memcpy(&g, &f, sizeof(f));
  t += 300;
  kml_forecast_update(&f, &c, t, 300, 1000, 0.0, NAN);
  kml_forecast_update(&g, &c, t, 300, 1000, 5e-324, NAN);
  assert_true(f.flags & KML_FC_WEEKLY);
  assert_memory_equal(&f, &g, sizeof(f));
  double mf, mg, lo, hi;
  assert_int_equal(kml_forecast_at(&f, &c, t, 6 * 3600, 0, &mf, &lo, &hi), 0);
  assert_int_equal(kml_forecast_at(&g, &c, t, 6 * 3600, 0, &mg, &lo, &hi), 0);
  assert_true(mf == mg);
}

static void weekly_cells_follow_the_week(void **state) {
  double sum = 0, worst = 0;
  for (unsigned long long s = 1; s <= 20; s++) {
    double e = weekly_effect_rmse(6000 + s);
    sum += e / 20;
    worst = e > worst ? e : worst;
  }
  print_message("weekly effect rmse: mean %.1f, worst %.1f (hump 600)\n", sum,
                worst);
  assert_true(sum < 210);
}

/* Five weeks at 5 min, seeded: a daily swing passed as the season, quiet
 * weekends (700 against 1000), noise 30, and a deviation from the pattern
 * that either passes (kind 0: an AR(1) burst, 1 h time constant, sd 150)
 * or lasts (kind 1: the level walks, 10 per step). Mean absolute error of
 * the 6 h forecast over the fifth week. */
static double deviation_mae(int kind, unsigned long long seed) {
  enum { N = 35 * 288 };
  static double xs[N], ss[N];
  kml_forecast_cfg_t c = kml_forecast_defaults();
  c.lead = 6 * 3600;
  kml_forecast_t f;
  kml_forecast_init(&f);
  kml_sim_rng_t r = {seed};
  double dev = 0, phi = exp(-300 / 3600.0), h = 6 * 3600, err = 0;
  int n = 0, ahead = (int)(h / 300);
  for (int i = 0; i < N; i++) {
    double t = T0 + i * 300.0;
    int day = (int)fmod(floor(t / 86400) + 4, 7); /* 0: Sunday */
    ss[i] = 300 * sin(2 * M_PI * fmod(t, 86400) / 86400);
    dev = kind == 0 ? phi * dev + sqrt(1 - phi * phi) * 150 * kml_sim_gauss(&r)
                    : dev + 10 * kml_sim_gauss(&r);
    xs[i] = (day == 0 || day == 6 ? 700 : 1000) + ss[i] + dev +
            30 * kml_sim_gauss(&r);
  }
  for (int i = 0; i < N; i++) {
    double t = T0 + i * 300.0;
    double s_h = 300 * sin(2 * M_PI * fmod(t + h, 86400) / 86400);
    kml_forecast_update(&f, &c, t, i ? 300 : 0, xs[i], ss[i], s_h);
    if (i >= 28 * 288 && i + ahead < N) {
      double m, lo, hi;
      kml_forecast_at(&f, &c, t, h, s_h, &m, &lo, &hi);
      err += fabs(m - xs[i + ahead]);
      n++;
    }
  }
  return err / n;
}

/* How much of the level's deviation from base + weekly lasts a lead is
 * measured (forecast.h): a passing deviation is no longer carried 6 h
 * ahead, a lasting one still is. Mean absolute error over 20 seeds each
 * (worst), before / after: passing 154.3 (190.0) / 138.2 (162.9),
 * lasting 92.7 (118.1) / 93.3 (117.9); the pattern alone, the best
 * forecast of the passing kind, about 122. */
static void passing_deviation_is_not_carried(void **state) {
  double passing = 0, lasting = 0;
  for (unsigned long long s = 1; s <= 20; s++) {
    passing += deviation_mae(0, 7000 + s) / 20;
    lasting += deviation_mae(1, 7100 + s) / 20;
  }
  print_message("6 h MAE: passing deviation %.1f, lasting %.1f\n", passing,
                lasting);
  assert_true(passing < 145);
  assert_true(lasting < 100);
}

static void validator_names_bad_fields(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  const char *why = NULL;
  assert_true(kml_forecast_valid(&f, &why));
  feed(&f, &c, T0, 0, 5);
  feed(&f, &c, T0 + 10, 10, 6);
  assert_true(kml_forecast_valid(&f, &why));
  kml_forecast_t b = f;
  b.level_hi = NAN;
  assert_false(kml_forecast_valid(&b, &why));
  assert_string_equal(why, "forecast level");
  b = f;
  b.cell_exp = 127;
  assert_false(kml_forecast_valid(&b, &why));
  assert_string_equal(why, "forecast weekly scale");
  b = f;
  b.visit_exp = -128;
  assert_false(kml_forecast_valid(&b, &why));
  assert_string_equal(why, "forecast weekly scale");
  b = f;
  b.wk_r17 = 2;
  assert_false(kml_forecast_valid(&b, &why));
  assert_string_equal(why, "forecast weekly test");
  b = f;
  b.visit_ref = INFINITY;
  assert_false(kml_forecast_valid(&b, &why));
  assert_string_equal(why, "forecast weekly test");
  b = f;
  b.base = NAN;
  assert_false(kml_forecast_valid(&b, &why));
  b = f;
  b.var_lead = -1;
  assert_false(kml_forecast_valid(&b, &why));
  b = f;
  b.acc = INFINITY;
  assert_false(kml_forecast_valid(&b, &why));
  b = f;
  b.flags = 0x80;
  assert_false(kml_forecast_valid(&b, &why));
  b = f;
  b.dev_xx = -1;
  assert_false(kml_forecast_valid(&b, &why));
  assert_string_equal(why, "forecast deviation share");
  b = f;
  b.dev_rest = INFINITY;
  assert_false(kml_forecast_valid(&b, &why));
  assert_string_equal(why, "forecast deviation share");
}

/* The forecaster's share of the 1,416 bytes a series may cost: 60 bytes,
 * 124 more for the weekly test since the detector's daily profile became
 * 16-bit (model version 13), 20 for 8-bit weekly cells (version 14), and
 * 24 for 6-bit cells of 2 h (version 15), and 16 for the share of the
 * level's deviation that lasts a lead (version 16). */
static void fits_the_memory_budget(void **state) {
  assert_true(sizeof(kml_forecast_t) <= 244);
  assert_true(sizeof(kml_model_t) <= 1416);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(linear_trend_is_extrapolated),
      cmocka_unit_test(breach_eta_is_close_and_early),
      cmocka_unit_test(flat_noise_does_not_breach),
      cmocka_unit_test(young_model_is_not_ready),
      cmocka_unit_test(model_uses_the_daily_profile),
      cmocka_unit_test(model_warns_before_threshold),
      cmocka_unit_test(healthy_noisy_lag_never_warns),
      cmocka_unit_test(healthy_lag_for_weeks_never_warns),
      cmocka_unit_test(steady_ramp_warns_an_hour_ahead),
      cmocka_unit_test(warnings_do_not_depend_on_the_interval),
      cmocka_unit_test(weekly_series_beats_daily_only),
      cmocka_unit_test(daily_series_is_not_weekly),
      cmocka_unit_test(random_walks_and_noise_are_not_weekly),
      cmocka_unit_test(weekly_cells_follow_the_week),
      cmocka_unit_test(zero_season_is_a_season),
      cmocka_unit_test(passing_deviation_is_not_carried),
      cmocka_unit_test(validator_names_bad_fields),
      cmocka_unit_test(fits_the_memory_budget),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
