/* Unit tests for src/kml_conf.c: what a configuration value or a
 * command-line number may be, and the words of each refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kml_conf.h"

#include <math.h>
#include <string.h>

static kml_conf_value_t num(double d) {
  kml_conf_value_t v = {.type = KML_CONF_NUMBER, .number = d};
  return v;
}

static void decimal_is_strict(void **state) {
  double d = -1;
  assert_int_equal(kml_conf_parse_decimal("12", &d), 0);
  assert_true(d == 12);
  assert_int_equal(kml_conf_parse_decimal(" -2.5e3 ", &d), 0);
  assert_true(d == -2500);
  assert_int_equal(kml_conf_parse_decimal(".5", &d), 0);
  assert_true(d == 0.5);
  const char *bad[] = {"",    "  ",  "-",     "e5",  "1e",   "0x10",
                       "inf", "nan", "1e999", "1,5", "5m",   "1 2",
                       "+-1", "1e+", "..1",   "NaN", "1.2.3"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(kml_conf_parse_decimal(bad[i], &d), -1);
}

static void whole_numbers_refuse_fractions(void **state) {
  char err[256];
  long long v = -1;
  kml_conf_value_t x = num(2.5);
  assert_int_equal(kml_conf_int(&x, 2, 10, &v, err, sizeof(err)), -1);
  assert_string_equal(err, "must be a whole number from 2 to 10, not 2.5");
  assert_true(v == -1); /* untouched */
  x = num(1.5);
  assert_int_equal(kml_conf_int(&x, 1, 1000000000, &v, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "not 1.5"));
  x = num(11);
  assert_int_equal(kml_conf_int(&x, 2, 10, &v, err, sizeof(err)), -1);
  x = num(7);
  assert_int_equal(kml_conf_int(&x, 2, 10, &v, err, sizeof(err)), 0);
  assert_true(v == 7);
  x = kml_conf_string("1e3");
  assert_int_equal(kml_conf_int(&x, 0, 5000, &v, err, sizeof(err)), 0);
  assert_true(v == 1000);
  x = kml_conf_string("2.5");
  assert_int_equal(kml_conf_int(&x, 0, 5000, &v, err, sizeof(err)), -1);
  assert_string_equal(err,
                      "must be a whole number from 0 to 5000, not \"2.5\"");
  x = num(1e300);
  assert_int_equal(kml_conf_int(&x, 0, 5000, &v, err, sizeof(err)), -1);
  x = num(NAN);
  assert_int_equal(kml_conf_int(&x, 0, 5000, &v, err, sizeof(err)), -1);
}

static void numbers_respect_open_bounds(void **state) {
  char err[256];
  double d = 42;
  kml_conf_value_t x = num(0);
  assert_int_equal(
      kml_conf_number(&x, 0, INFINITY, KML_CONF_MIN_OPEN, &d, err, sizeof(err)),
      -1);
  assert_string_equal(err, "must be above 0, not 0");
  x = num(-1);
  assert_int_equal(
      kml_conf_number(&x, 0, INFINITY, KML_CONF_MIN_OPEN, &d, err, sizeof(err)),
      -1);
  x = kml_conf_string("2");
  assert_int_equal(kml_conf_number(&x, 0, 1,
                                   KML_CONF_MIN_OPEN | KML_CONF_MAX_OPEN, &d,
                                   err, sizeof(err)),
                   -1);
  assert_string_equal(err, "must be above 0 and below 1, not \"2\"");
  x = kml_conf_string("0.01");
  assert_int_equal(kml_conf_number(&x, 0, 1,
                                   KML_CONF_MIN_OPEN | KML_CONF_MAX_OPEN, &d,
                                   err, sizeof(err)),
                   0);
  assert_true(d == 0.01);
  x = kml_conf_string("abc");
  assert_int_equal(
      kml_conf_number(&x, -INFINITY, INFINITY, 0, &d, err, sizeof(err)), -1);
  assert_string_equal(err, "must be a number, not \"abc\"");
  x = (kml_conf_value_t){.type = KML_CONF_NONE};
  assert_int_equal(kml_conf_number(&x, 0, 1, 0, &d, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "nothing"));
}

static void durations_take_units_and_refuse_zero(void **state) {
  char err[256];
  double d = -1;
  kml_conf_value_t x = kml_conf_string("5m");
  assert_int_equal(
      kml_conf_duration(&x, 0, 86400, KML_CONF_MIN_OPEN, &d, err, sizeof(err)),
      0);
  assert_true(d == 300);
  x = kml_conf_string("1d");
  assert_int_equal(kml_conf_duration(&x, 0, 7 * 86400, KML_CONF_MIN_OPEN, &d,
                                     err, sizeof(err)),
                   0);
  assert_true(d == 86400);
  x = kml_conf_string("1.5h");
  assert_int_equal(
      kml_conf_duration(&x, 0, 86400, KML_CONF_MIN_OPEN, &d, err, sizeof(err)),
      0);
  assert_true(d == 5400);
  x = num(0);
  assert_int_equal(
      kml_conf_duration(&x, 0, 86400, KML_CONF_MIN_OPEN, &d, err, sizeof(err)),
      -1);
  assert_string_equal(err, "must be above 0 and up to 86400 seconds, not 0");
  x = kml_conf_string("0s");
  assert_int_equal(
      kml_conf_duration(&x, 0, 86400, KML_CONF_MIN_OPEN, &d, err, sizeof(err)),
      -1);
  const char *bad[] = {"", "m", "5mm", "5x", "inf", "-", "5 m", "0x5m"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    x = kml_conf_string(bad[i]);
    assert_int_equal(kml_conf_duration(&x, 0, 86400, KML_CONF_MIN_OPEN, &d, err,
                                       sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "must be a duration"));
  }
  x = kml_conf_string("2w");
  assert_int_equal(
      kml_conf_duration(&x, 0, 86400, KML_CONF_MIN_OPEN, &d, err, sizeof(err)),
      -1);
  assert_string_equal(err,
                      "must be above 0 and up to 86400 seconds, not \"2w\"");
}

static void names_fit_their_field(void **state) {
  char err[256], long_name[301];
  memset(long_name, 'c', 300);
  long_name[300] = '\0';
  kml_conf_value_t x = kml_conf_string(long_name);
  assert_int_equal(kml_conf_name(&x, 127, "/", err, sizeof(err)), -1);
  assert_non_null(strstr(err, "is 300 bytes long; at most 127 fit"));
  assert_true(strlen(err) < 200);
  x = kml_conf_string("a/b");
  assert_int_equal(kml_conf_name(&x, 127, "/", err, sizeof(err)), -1);
  assert_string_equal(err, "must not contain '/' (\"a/b\")");
  x = kml_conf_string("");
  assert_int_equal(kml_conf_name(&x, 127, "/", err, sizeof(err)), -1);
  assert_string_equal(err, "must not be empty");
  x = kml_conf_string("tab\there");
  assert_int_equal(kml_conf_name(&x, 127, NULL, err, sizeof(err)), -1);
  assert_string_equal(err,
                      "must not hold control characters (\"tab\\x09here\")");
  x = num(3);
  assert_int_equal(kml_conf_name(&x, 127, NULL, err, sizeof(err)), -1);
  x = kml_conf_string("prod-eu \xc3\xa9");
  assert_int_equal(kml_conf_name(&x, 127, "/", err, sizeof(err)), 0);
}

static void booleans(void **state) {
  char err[256];
  int b = -1;
  kml_conf_value_t x = {.type = KML_CONF_BOOLEAN, .boolean = 1};
  assert_int_equal(kml_conf_bool(&x, &b, err, sizeof(err)), 0);
  assert_int_equal(b, 1);
  x = kml_conf_string("off");
  assert_int_equal(kml_conf_bool(&x, &b, err, sizeof(err)), 0);
  assert_int_equal(b, 0);
  x = num(1);
  assert_int_equal(kml_conf_bool(&x, &b, err, sizeof(err)), -1);
  assert_string_equal(err, "must be true or false, not 1");
}

/* found by tests/fuzz/fuzz_conf: a long run of control bytes overflowed the
 * buffer that quotes the value */
static void control_bytes_are_quoted_within_bounds(void **state) {
  char err[256], val[200];
  memset(val, 0x01, sizeof(val) - 1);
  val[sizeof(val) - 1] = '\0';
  long long v;
  kml_conf_value_t x = kml_conf_string(val);
  assert_int_equal(kml_conf_int(&x, 0, 1, &v, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "\\x01\\x01"));
  assert_non_null(strstr(err, "...\""));
}

static void tiny_error_buffers_stay_terminated(void **state) {
  char err[8];
  long long v;
  kml_conf_value_t x = kml_conf_string("this is not a number at all");
  assert_int_equal(kml_conf_int(&x, 0, 1, &v, err, sizeof(err)), -1);
  assert_int_equal(strlen(err), 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decimal_is_strict),
      cmocka_unit_test(whole_numbers_refuse_fractions),
      cmocka_unit_test(numbers_respect_open_bounds),
      cmocka_unit_test(durations_take_units_and_refuse_zero),
      cmocka_unit_test(names_fit_their_field),
      cmocka_unit_test(booleans),
      cmocka_unit_test(control_bytes_are_quoted_within_bounds),
      cmocka_unit_test(tiny_error_buffers_stay_terminated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
