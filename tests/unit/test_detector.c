/* Unit tests for src/ml/detector.c and the model bundle on known signals:
 * each anomaly shape must be found near where it starts, and signals with
 * no anomaly must raise no alert through the default alert rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/model.h"
#include "signals.h"

#include <string.h>

#define STEP 300.0 /* seconds between values: 5 minutes */
#define T0 1400000000.0

typedef struct {
  int alerts;       /* WARNING/FAILURE notifications */
  int first_alert;  /* index of the first one, -1 none */
  double max_score; /* over [from, to) */
  int argmax;
} run_t;

/* Feed n values from gen; record alerts from index `from` on. */
static run_t run(double (*gen)(int i, rng_t *r), int n, int from) {
  kml_model_cfg_t cfg = kml_model_defaults();
  kml_model_t m;
  kml_model_init(&m);
  rng_t r = {42};
  run_t out = {.first_alert = -1, .argmax = -1};
  for (int i = 0; i < n; i++) {
    kml_output_t o;
    int rc =
        kml_model_update(&m, &cfg, KML_DS_GAUGE, T0 + i * STEP, gen(i, &r), &o);
    assert_int_equal(rc, KML_RATE_OK);
    assert_true(o.score >= 0 && o.score <= 1);
    if (i < from)
      continue;
    if (o.score > out.max_score) {
      out.max_score = o.score;
      out.argmax = i;
    }
    if (o.alert_changed && o.alert != KML_ALERT_OKAY) {
      out.alerts++;
      if (out.first_alert < 0)
        out.first_alert = i;
    }
  }
  return out;
}

static double noise(int i, rng_t *r) { return 50 + 5 * rng_normal(r); }
static double flat(int i, rng_t *r) { return 7.0; }
static double seasonal(int i, rng_t *r) {
  return 100 + 40 * daily(T0 + i * STEP) + 2 * rng_normal(r);
}
static double trend(int i, rng_t *r) { return 10 + 0.05 * i + rng_normal(r); }
static double step_up(int i, rng_t *r) {
  return (i >= 3000 ? 80 : 50) + 5 * rng_normal(r);
}
static double spike(int i, rng_t *r) {
  return (i == 3000 ? 150 : 50) + 5 * rng_normal(r);
}
static double season_break(int i, rng_t *r) {
  /* The daily swing stops for a day: only unusual for the time of day. */
  double shape = i >= 3000 && i < 3288 ? 0 : 40 * daily(T0 + i * STEP);
  return 100 + shape + 2 * rng_normal(r);
}
static double flat_then_move(int i, rng_t *r) { return i >= 2500 ? 9.0 : 7.0; }

static void noise_only_raises_no_alert(void **state) {
  run_t r = run(noise, 20000, 0);
  assert_int_equal(r.alerts, 0);
}

static void flat_line_raises_no_alert(void **state) {
  run_t r = run(flat, 5000, 0);
  assert_int_equal(r.alerts, 0);
  assert_true(r.max_score < 0.5);
}

static void seasonality_is_learned(void **state) {
  /* Eight days of a daily cycle with noise: no alert after the first day. */
  run_t r = run(seasonal, 8 * 288, 288);
  assert_int_equal(r.alerts, 0);
}

static void steady_trend_raises_no_alert(void **state) {
  run_t r = run(trend, 6000, 500);
  assert_int_equal(r.alerts, 0);
}

static void step_is_found_at_once(void **state) {
  run_t r = run(step_up, 4000, 200);
  assert_true(r.first_alert >= 3000 && r.first_alert <= 3003);
  assert_true(r.argmax >= 3000 && r.argmax <= 3003);
  assert_true(r.max_score >= 0.99);
}

static void spike_is_found_at_its_value(void **state) {
  run_t r = run(spike, 4000, 200);
  assert_int_equal(r.first_alert, 3000);
  assert_int_equal(r.argmax, 3000);
}

static void missing_daily_swing_is_found(void **state) {
  run_t r = run(season_break, 4000, 300);
  assert_true(r.first_alert >= 3000 && r.first_alert < 3288);
}

static void flat_line_that_moves_is_found(void **state) {
  run_t r = run(flat_then_move, 4000, 200);
  assert_int_equal(r.first_alert, 2500);
}

static void nan_input_leaves_state_untouched(void **state) {
  kml_model_cfg_t cfg = kml_model_defaults();
  kml_model_t m, copy;
  kml_model_init(&m);
  kml_output_t o;
  for (int i = 0; i < 100; i++)
    kml_model_update(&m, &cfg, KML_DS_GAUGE, T0 + i, i % 7, &o);
  memcpy(&copy, &m, sizeof(m));
  assert_int_equal(kml_model_update(&m, &cfg, KML_DS_GAUGE, T0 + 200, NAN, &o),
                   KML_RATE_NAN);
  assert_int_equal(kml_model_update(&m, &cfg, KML_DS_GAUGE, T0 + 50, 1, &o),
                   KML_RATE_OLD);
  assert_memory_equal(&m, &copy, sizeof(m));
}

static void state_fits_the_budget(void **state) {
  /* 2 KiB per series including the store's node header and key. */
  assert_true(sizeof(kml_model_t) <= 2048 - 128);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(noise_only_raises_no_alert),
      cmocka_unit_test(flat_line_raises_no_alert),
      cmocka_unit_test(seasonality_is_learned),
      cmocka_unit_test(steady_trend_raises_no_alert),
      cmocka_unit_test(step_is_found_at_once),
      cmocka_unit_test(spike_is_found_at_its_value),
      cmocka_unit_test(missing_daily_swing_is_found),
      cmocka_unit_test(flat_line_that_moves_is_found),
      cmocka_unit_test(nan_input_leaves_state_untouched),
      cmocka_unit_test(state_fits_the_budget),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
