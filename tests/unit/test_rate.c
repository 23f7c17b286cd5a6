/* Unit tests for src/ml/rate.c: every data-source kind, wraps, resets and
 * the samples that must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kml_rate.h"

#include <math.h>

static void gauge_passes_through(void **state) {
  kml_rate_t r = {0};
  double out = 0;
  assert_int_equal(kml_rate_update(&r, KML_DS_GAUGE, 10, 3.5, &out),
                   KML_RATE_OK);
  assert_true(out == 3.5);
}

static void derive_becomes_rate(void **state) {
  kml_rate_t r = {0};
  double out = -1;
  assert_int_equal(kml_rate_update(&r, KML_DS_DERIVE, 100, 1000, &out),
                   KML_RATE_FIRST);
  assert_int_equal(kml_rate_update(&r, KML_DS_DERIVE, 110, 1500, &out),
                   KML_RATE_OK);
  assert_true(fabs(out - 50.0) < 1e-12);
}

static void derive_reset_is_not_a_rate(void **state) {
  kml_rate_t r = {0};
  double out = -1;
  kml_rate_update(&r, KML_DS_DERIVE, 100, 1000, &out);
  assert_int_equal(kml_rate_update(&r, KML_DS_DERIVE, 110, 10, &out),
                   KML_RATE_RESET);
  /* still below the old base: a restart, re-based here */
  assert_int_equal(kml_rate_update(&r, KML_DS_DERIVE, 120, 110, &out),
                   KML_RATE_RESET);
  assert_int_equal(kml_rate_update(&r, KML_DS_DERIVE, 130, 210, &out),
                   KML_RATE_OK);
  assert_true(fabs(out - 10.0) < 1e-12);
}

static void glitch_reading_zero_once_keeps_the_rate(void **state) {
  kml_rate_t r = {0};
  double out = -1;
  kml_rate_update(&r, KML_DS_COUNTER, 100, 3000000000.0, &out);
  assert_int_equal(kml_rate_update(&r, KML_DS_COUNTER, 110, 0, &out),
                   KML_RATE_RESET);
  /* back above the old base: the rate spans both steps, not 3e9 / 10 s */
  assert_int_equal(kml_rate_update(&r, KML_DS_COUNTER, 120, 3000000400.0, &out),
                   KML_RATE_OK);
  assert_true(fabs(out - 20.0) < 1e-9);
}

static void counter_wraps_at_32_bits(void **state) {
  kml_rate_t r = {0};
  double out = -1;
  kml_rate_update(&r, KML_DS_COUNTER, 100, 4294967290.0, &out);
  assert_int_equal(kml_rate_update(&r, KML_DS_COUNTER, 110, 4, &out),
                   KML_RATE_OK);
  assert_true(fabs(out - 1.0) < 1e-9); /* 10 counts in 10 s */
}

static void counter_restart_is_a_reset(void **state) {
  kml_rate_t r = {0};
  double out = -1;
  kml_rate_update(&r, KML_DS_COUNTER, 100, 3000000000.0, &out);
  assert_int_equal(kml_rate_update(&r, KML_DS_COUNTER, 110, 5, &out),
                   KML_RATE_RESET);
}

static void absolute_divides_by_interval(void **state) {
  kml_rate_t r = {0};
  double out = -1;
  assert_int_equal(kml_rate_update(&r, KML_DS_ABSOLUTE, 100, 50, &out),
                   KML_RATE_FIRST);
  assert_int_equal(kml_rate_update(&r, KML_DS_ABSOLUTE, 105, 50, &out),
                   KML_RATE_OK);
  assert_true(fabs(out - 10.0) < 1e-12);
}

static void nan_old_and_duplicate_are_refused(void **state) {
  kml_rate_t r = {0};
  double out = 42;
  assert_int_equal(kml_rate_update(&r, KML_DS_GAUGE, 10, NAN, &out),
                   KML_RATE_NAN);
  assert_int_equal(kml_rate_update(&r, KML_DS_GAUGE, 10, INFINITY, &out),
                   KML_RATE_NAN);
  assert_int_equal(kml_rate_update(&r, KML_DS_GAUGE, 10, 1, &out), KML_RATE_OK);
  out = 42;
  assert_int_equal(kml_rate_update(&r, KML_DS_GAUGE, 10, 2, &out),
                   KML_RATE_OLD);
  assert_int_equal(kml_rate_update(&r, KML_DS_GAUGE, 9, 2, &out), KML_RATE_OLD);
  assert_true(out == 42); /* untouched */
  assert_true(r.last_time == 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gauge_passes_through),
      cmocka_unit_test(derive_becomes_rate),
      cmocka_unit_test(derive_reset_is_not_a_rate),
      cmocka_unit_test(glitch_reading_zero_once_keeps_the_rate),
      cmocka_unit_test(counter_wraps_at_32_bits),
      cmocka_unit_test(counter_restart_is_a_reset),
      cmocka_unit_test(absolute_divides_by_interval),
      cmocka_unit_test(nan_old_and_duplicate_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
