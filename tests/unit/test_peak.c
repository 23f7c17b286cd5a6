/* Unit tests for src/cli/peak.c: a flat series is planned at its highest
 * value (no extrapolated growth), a growing one ahead of it, and the
 * backtest counts what it checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "cli/peak.h"

#include <math.h>
#include <stdlib.h>

#define STEP 300.0
#define T0 1767225600.0

/* days of a daily cycle, level * (1 + growth * day), seeded noise */
static size_t series(double *t, double *x, int days, double level,
                     double growth, double noise) {
  size_t n = 0;
  unsigned s = 7;
  for (int d = 0; d < days; d++)
    for (int i = 0; i < 288; i++, n++) {
      s = s * 1103515245u + 12345u;
      double u = ((s >> 8) & 0xffff) / 65536.0 - 0.5;
      t[n] = T0 + n * STEP;
      x[n] = level * (1 + growth * d) * (1 + 0.5 * sin(2 * M_PI * i / 288.0)) +
             noise * u;
    }
  return n;
}

static void flat_series_is_planned_at_its_peak(void **state) {
  double *t = malloc(288 * 60 * sizeof(double)),
         *x = malloc(288 * 60 * sizeof(double));
  size_t n = series(t, x, 60, 1000, 0, 100);
  x[288 * 20 + 100] = 40000; /* one incident: not a trend */
  kml_peak_plan_t p;
  assert_int_equal(kml_peak_plan(t, x, n, 7 * 86400, &p), 0);
  assert_int_equal(p.days, 60);
  assert_true(p.slope == 0);
  assert_true(p.planned == p.measured);
  assert_true(p.planned == 40000);
  /* without the incident: the highest day, never a 40x extrapolation */
  x[288 * 20 + 100] = 1000;
  assert_int_equal(kml_peak_plan(t, x, n, 7 * 86400, &p), 0);
  assert_true(p.planned <= 1.06 * 1500 && p.planned >= 1500);
  free(t);
  free(x);
}

static void growth_shown_by_daily_peaks_is_carried_ahead(void **state) {
  double *t = malloc(288 * 30 * sizeof(double)),
         *x = malloc(288 * 30 * sizeof(double));
  size_t n = series(t, x, 30, 1000, 0.02, 10); /* +2% of the start a day */
  kml_peak_plan_t p;
  assert_int_equal(kml_peak_plan(t, x, n, 7 * 86400, &p), 0);
  assert_true(fabs(p.slope - 30) < 3); /* 1500 * 0.02 per day */
  assert_true(p.ahead_days == 7);
  assert_true(p.planned > p.measured + 6 * 27 &&
              p.planned < p.measured + 8 * 33);
  /* never carried further than the history is long */
  assert_int_equal(kml_peak_plan(t, x, n, 365 * 86400, &p), 0);
  assert_true(p.ahead_days == 30);
  free(t);
  free(x);
}

static void short_history_has_no_trend(void **state) {
  double t[576], x[576];
  size_t n = series(t, x, 2, 1000, 0.5, 0);
  kml_peak_plan_t p;
  assert_int_equal(kml_peak_plan(t, x, n, 86400, &p), 0);
  assert_int_equal(p.days, 2);
  assert_true(p.slope == 0 && p.planned == p.measured);
  assert_int_equal(kml_peak_plan(t, x, 0, 86400, &p), -1);
}

static void backtest_counts_each_day(void **state) {
  double *t = malloc(288 * 20 * sizeof(double)),
         *x = malloc(288 * 20 * sizeof(double));
  size_t n = series(t, x, 20, 1000, 0, 0);
  kml_peak_backtest_t b;
  kml_peak_backtest(t, x, n, 86400, 0.2, &b);
  /* plans at the end of days 3..18 (day 19 has no whole day after it) */
  assert_int_equal(b.tried, 16);
  assert_int_equal(b.held, 16);
  assert_int_equal(b.held_headroom, 16);
  assert_true(b.worst <= 1.0 && b.worst > 0.99);
  /* a level shift up the day after a plan is missed */
  for (size_t i = 288 * 10; i < n; i++)
    x[i] *= 1.5;
  kml_peak_backtest(t, x, n, 86400, 0.2, &b);
  assert_true(b.held < b.tried);
  assert_true(b.held_headroom < b.tried);
  assert_true(b.worst > 1.4);
  free(t);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(flat_series_is_planned_at_its_peak),
      cmocka_unit_test(growth_shown_by_daily_peaks_is_carried_ahead),
      cmocka_unit_test(short_history_has_no_trend),
      cmocka_unit_test(backtest_counts_each_day),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
