/* Unit tests for src/ml/forecast.c: trends, time to breach, flat noise,
 * and the daily profile through the model bundle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/forecast.h"
#include "ml/model.h"
#include "signals.h"

#define STEP 60.0
#define T0 1400000000.0

static void linear_trend_is_extrapolated(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  for (int i = 0; i < 500; i++)
    kml_forecast_update(&f, &c, T0 + i * STEP, 2.0 * i, 0);
  double m, lo, hi;
  assert_int_equal(kml_forecast_at(&f, &c, 10 * STEP, 0, &m, &lo, &hi), 0);
  /* true value 2 * 509 = 1018; damping makes it slightly lower */
  assert_true(m > 1000 && m <= 1018.5);
  assert_true(lo <= m && m <= hi);
}

static void breach_eta_is_close_and_early(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  rng_t r = {1};
  for (int i = 0; i < 600; i++)
    kml_forecast_update(&f, &c, T0 + i * STEP, 1000 + 10.0 * i + rng_normal(&r),
                        0);
  /* now about 6990, rising 10 per minute: 8000 in about 101 min */
  double eta = kml_forecast_breach(&f, &c, 8000, 4 * 3600, NULL, NULL);
  assert_true(eta > 0);
  assert_true(eta <= 105 * STEP); /* within 4% of the truth */
  assert_true(eta >= 60 * STEP);  /* the band is not absurdly wide */
  /* beyond the horizon: no breach reported */
  assert_true(kml_forecast_breach(&f, &c, 8000, 30 * STEP, NULL, NULL) < 0);
  /* already above */
  assert_true(kml_forecast_breach(&f, &c, 5000, 3600, NULL, NULL) == 0);
}

static void flat_noise_does_not_breach(void **state) {
  kml_forecast_cfg_t c = kml_forecast_defaults();
  kml_forecast_t f;
  kml_forecast_init(&f);
  rng_t r = {2};
  for (int i = 0; i < 2000; i++)
    kml_forecast_update(&f, &c, T0 + i * STEP, 100 + 5 * rng_normal(&r), 0);
  assert_true(kml_forecast_breach(&f, &c, 200, 3600, NULL, NULL) < 0);
}

static void model_uses_the_daily_profile(void **state) {
  kml_model_cfg_t cfg = kml_model_defaults();
  kml_model_t m;
  kml_model_init(&m);
  cfg.horizon = 6 * 3600;
  rng_t r = {3};
  kml_output_t o;
  double step = 300;
  int n = 10 * 288;
  for (int i = 0; i < n; i++)
    kml_model_update(&m, &cfg, KML_DS_GAUGE, T0 + i * step,
                     100 + 40 * daily(T0 + i * step) + rng_normal(&r), &o);
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
  rng_t r = {4};
  kml_output_t o;
  int warned_at = -1, crossed_at = -1;
  for (int i = 0; i < 1000 && crossed_at < 0; i++) {
    double x = 1000 + 5.0 * i + 3 * rng_normal(&r);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(linear_trend_is_extrapolated),
      cmocka_unit_test(breach_eta_is_close_and_early),
      cmocka_unit_test(flat_noise_does_not_breach),
      cmocka_unit_test(model_uses_the_daily_profile),
      cmocka_unit_test(model_warns_before_threshold),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
