/* Unit tests for src/kml_str.c and src/kml_hash.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kml_hash.h"
#include "kml_str.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void sanitize_replaces_bad_bytes(void **state) {
  char out[128], want[128];
  kml_str_sanitize(out, sizeof(out), "svc/a b\tc-1.x", 0);
  snprintf(want, sizeof(want), "svc_a_b_c-1.x~%08x",
           (unsigned)(kml_hash_str("svc/a b\tc-1.x") & 0xffffffffu));
  assert_string_equal(out, want);
  kml_str_sanitize(out, sizeof(out), "svc-a", 1);
  assert_memory_equal(out, "svc_a~", 6);
  assert_int_equal(strlen(out), 5 + 9);
  /* valid names are kept as they are */
  kml_str_sanitize(out, sizeof(out), "orders.v2-3_x", 0);
  assert_string_equal(out, "orders.v2-3_x");
}

static void sanitize_keeps_distinct_names_distinct(void **state) {
  char a[128], b[128], c[128];
  kml_str_sanitize(a, sizeof(a), "group-a/b", 0);
  kml_str_sanitize(b, sizeof(b), "group-a_b", 0);
  kml_str_sanitize(c, sizeof(c), "group-a b", 0);
  assert_string_equal(b, "group-a_b");
  assert_string_not_equal(a, b);
  assert_string_not_equal(a, c);
  assert_string_not_equal(b, c);
  assert_memory_equal(a, "group-a_b~", 10);
  /* a name that looks like a hashed one is itself changed ('~') */
  kml_str_sanitize(c, sizeof(c), a, 0);
  assert_string_not_equal(c, a);
  /* small buffers: the hash still fits */
  char small[16];
  kml_str_sanitize(small, sizeof(small), "x/y/z/w/v/u/t/s/r", 0);
  assert_int_equal(strlen(small), 15);
  assert_int_equal(small[15 - 9], '~');
}

static void sanitize_long_names_stay_distinct(void **state) {
  char a[300], b[300], oa[128], ob[128];
  memset(a, 'x', 299);
  a[299] = '\0';
  memcpy(b, a, sizeof(a));
  b[298] = 'y'; /* differs only past the kept prefix */
  kml_str_sanitize(oa, sizeof(oa), a, 0);
  kml_str_sanitize(ob, sizeof(ob), b, 0);
  assert_int_equal(strlen(oa), 127);
  assert_int_equal(strlen(ob), 127);
  assert_int_equal(oa[127 - 9], '~');
  assert_string_not_equal(oa, ob);
}

static void strlcpy_truncates(void **state) {
  char b[4];
  assert_int_equal(kml_strlcpy(b, "abcdef", sizeof(b)), 6);
  assert_string_equal(b, "abc");
}

static void hash_is_stable_and_spreads(void **state) {
  assert_true(kml_hash_str("a") != kml_hash_str("b"));
  assert_true(kml_hash_str("") == kml_hash_bytes("", 0));
  assert_true(kml_hash_str("abcd") == kml_hash_bytes("abcdef", 4));
  /* Keys that differ only at the end spread over the high bits (shards). */
  int seen[64] = {0}, distinct = 0;
  char key[32];
  for (int i = 0; i < 256; i++) {
    snprintf(key, sizeof(key), "series-%d", i);
    int shard = (int)((kml_hash_str(key) >> 32) % 64);
    distinct += !seen[shard];
    seen[shard] = 1;
  }
  assert_true(distinct >= 56);
}

/* Numbers an operator reads: about 3-4 significant digits, no exponent
 * for the values a lag or a rate takes. */
static void numbers_are_readable(void **state) {
  char b[32];
  assert_string_equal(kml_str_number(b, sizeof(b), 4.98065), "4.98");
  assert_string_equal(kml_str_number(b, sizeof(b), 25), "25");
  assert_string_equal(kml_str_number(b, sizeof(b), 12.5), "12.5");
  assert_string_equal(kml_str_number(b, sizeof(b), 1234.56), "1235");
  assert_string_equal(kml_str_number(b, sizeof(b), 250000), "250000");
  assert_string_equal(kml_str_number(b, sizeof(b), -8228.33), "-8228");
  assert_string_equal(kml_str_number(b, sizeof(b), 0.0123456), "0.0123");
  assert_string_equal(kml_str_number(b, sizeof(b), 0), "0");
}

/* Rarity in hours, days below a year, then years; two digits. */
static void rarity_in_plain_units(void **state) {
  char b[64];
  assert_string_equal(kml_str_rarity(b, sizeof(b), 1 / 2.13e5),
                      "once in 580 years");
  assert_string_equal(kml_str_rarity(b, sizeof(b), 1 / 21.3),
                      "once in 21 days");
  assert_string_equal(kml_str_rarity(b, sizeof(b), 1 / 364.0),
                      "once in 360 days");
  assert_string_equal(kml_str_rarity(b, sizeof(b), 1 / 365.25),
                      "once in 1 year");
  assert_string_equal(kml_str_rarity(b, sizeof(b), 1 / 1.5),
                      "once in 1.5 days");
  assert_string_equal(kml_str_rarity(b, sizeof(b), 4.8), "once in 5 hours");
  assert_string_equal(kml_str_rarity(b, sizeof(b), 0),
                      "once in more than a million years");
  assert_string_equal(kml_str_rarity(b, sizeof(b), 1e-12),
                      "once in more than a million years");
}

/* A series named as the forecast messages name it; a peer with the
 * plugin instance (the Kafka group) it belongs to. */
static void series_and_members_are_named_fully(void **state) {
  char b[256];
  assert_string_equal(kml_str_series_name(b, sizeof(b), "kafka",
                                          "group-svc-billing",
                                          "kafka_lag_seconds", "max", "value"),
                      "kafka_lag_seconds max of kafka group-svc-billing");
  assert_string_equal(
      kml_str_series_name(b, sizeof(b), "cpu", "", "cpu", "", "rx"),
      "cpu.rx of cpu");
  assert_string_equal(
      kml_str_member_name(b, sizeof(b), "h", "kafka", "group-svc", "orders-2"),
      "orders-2 of kafka group-svc");
  assert_string_equal(
      kml_str_member_name(b, sizeof(b), "h", "kafka", "broker-3", ""),
      "broker-3");
  assert_string_equal(kml_str_member_name(b, sizeof(b), "h", "load", "", ""),
                      "h");
}

/* Spans switch unit at 2 min, 2 h and 1 d, never print an exponent, and
 * read 0 s for nonsense. */
static void duration_in_plain_units(void **state) {
  (void)state;
  char b[32];
  assert_string_equal(kml_str_duration(b, sizeof(b), 50), "50 s");
  assert_string_equal(kml_str_duration(b, sizeof(b), 119.4), "119 s");
  assert_string_equal(kml_str_duration(b, sizeof(b), 720), "12 min");
  assert_string_equal(kml_str_duration(b, sizeof(b), 3600), "60 min");
  assert_string_equal(kml_str_duration(b, sizeof(b), 12600), "3.5 h");
  assert_string_equal(kml_str_duration(b, sizeof(b), 21600), "6 h");
  assert_string_equal(kml_str_duration(b, sizeof(b), 23 * 3600), "23 h");
  assert_string_equal(kml_str_duration(b, sizeof(b), 86400), "1 d");
  assert_string_equal(kml_str_duration(b, sizeof(b), 4.5 * 86400), "4.5 d");
  assert_string_equal(kml_str_duration(b, sizeof(b), 400 * 86400), "400 d");
  assert_string_equal(kml_str_duration(b, sizeof(b), -3), "0 s");
  assert_string_equal(kml_str_duration(b, sizeof(b), NAN), "0 s");
  assert_string_equal(kml_str_duration(b, 4, 12600), "3.5");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sanitize_replaces_bad_bytes),
      cmocka_unit_test(sanitize_keeps_distinct_names_distinct),
      cmocka_unit_test(sanitize_long_names_stay_distinct),
      cmocka_unit_test(strlcpy_truncates),
      cmocka_unit_test(duration_in_plain_units),
      cmocka_unit_test(hash_is_stable_and_spreads),
      cmocka_unit_test(numbers_are_readable),
      cmocka_unit_test(rarity_in_plain_units),
      cmocka_unit_test(series_and_members_are_named_fully),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
