/* Unit tests for src/cli/series_csv.c, the reader kafka-ml trusts with
 * recorded series: line ends, byte order mark, impossible dates, order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "cli/series_csv.h"

#include <math.h>
#include <string.h>

static int parse(const char *text, size_t len, const kml_csv_opts_t *o,
                 kml_csv_series_t *s, char *err) {
  return kml_csv_parse("t.csv", text, len, o, s, err, 512);
}

static void line_ends_and_bom_read_alike(void **state) {
  static const char *const texts[] = {
      "timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:01:00,2\n",
      "\xef\xbb\xbftimestamp,value\r\n2024-01-01 00:00:00,1\r\n"
      "2024-01-01 00:01:00,2\r\n",
      "timestamp,value\r2024-01-01 00:00:00,1\r2024-01-01 00:01:00,2",
      "epoch,value\n1704067200,1\n1704067260.000,2\n"};
  for (size_t i = 0; i < 4; i++) {
    kml_csv_series_t s;
    char err[512];
    assert_int_equal(parse(texts[i], strlen(texts[i]), NULL, &s, err), 0);
    assert_int_equal(s.n, 2);
    assert_true(s.t[0] == 1704067200 && s.t[1] == 1704067260);
    assert_true(s.x[0] == 1 && s.x[1] == 2);
    kml_csv_free(&s);
  }
}

static void refusals_name_file_and_line(void **state) {
  static const struct {
    const char *text;
    size_t len;
    const char *want;
  } cases[] = {
      {"", 0, "t.csv:1: empty file"},
      {"timestamp,value\n", 16, "t.csv:1: no data rows"},
      {"timestamp,value\n2024-02-31 00:00:00,1\n", 38,
       "t.csv:2: impossible date or time"},
      {"timestamp,value\n2024-01-01 00:00:00.5e999,1\n", 44,
       "t.csv:2: unparsable timestamp"},
      {"epoch,value\n1700000000000,1\n", 28, "t.csv:2: timestamp out of range"},
      {"timestamp,value\n2024-01-01 00:00:00,1\0002\n", 40,
       "t.csv:2: NUL byte"},
      {"timestamp,value\n2024-01-01 00:00:00,inf\n", 40,
       "t.csv:2: unparsable value"},
      {"epoch,rx,tx\n1,2,3\n", 18, "t.csv:1: header must name"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    kml_csv_series_t s;
    char err[512];
    int rc = parse(cases[i].text, cases[i].len, NULL, &s, err);
    assert_true(rc < 0);
    assert_non_null(strstr(err, cases[i].want));
    kml_csv_free(&s);
  }
}

static void unsorted_rows_are_sorted_or_refused(void **state) {
  const char *text = "timestamp,value\n2024-01-01 00:02:00,3\n"
                     "2024-01-01 00:00:00,1\n2024-01-01 00:00:00,2\n";
  kml_csv_series_t s;
  char err[512];
  assert_int_equal(parse(text, strlen(text), NULL, &s, err), 0);
  assert_int_equal(s.n, 3);
  assert_true(s.x[0] == 1 && s.x[1] == 2 && s.x[2] == 3); /* stable */
  assert_int_equal(s.first_unsorted, 3);
  assert_int_equal(s.duplicates, 1);
  kml_csv_free(&s);
  kml_csv_opts_t strict = {.strict = 1};
  assert_int_equal(parse(text, strlen(text), &strict, &s, err), -1);
  assert_non_null(strstr(err, "t.csv:3: timestamp \"2024-01-01 00:00:00\" "
                              "is before the one on line 2"));
  kml_csv_free(&s);
}

static void gaps_and_columns(void **state) {
  const char *text = "value,rx,timestamp\n,5,2024-01-01 00:00:00\n"
                     "nan,6,2024-01-01 00:01:00\n";
  kml_csv_series_t s;
  char err[512];
  assert_int_equal(parse(text, strlen(text), NULL, &s, err), 0);
  assert_true(isnan(s.x[0]) && isnan(s.x[1]));
  kml_csv_free(&s);
  kml_csv_opts_t rx = {.column = "rx"};
  assert_int_equal(parse(text, strlen(text), &rx, &s, err), 0);
  assert_true(s.x[0] == 5 && s.x[1] == 6);
  assert_string_equal(s.stamp[1], "2024-01-01 00:01:00");
  kml_csv_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(line_ends_and_bom_read_alike),
      cmocka_unit_test(refusals_name_file_and_line),
      cmocka_unit_test(unsorted_rows_are_sorted_or_refused),
      cmocka_unit_test(gaps_and_columns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
