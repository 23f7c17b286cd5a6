/* Unit tests for src/kafka/schema_mix.c: learning, a new wire-format id, a
 * JSON shape gaining a boolean, null variants, a shift of the mix, the
 * OKAY after it settles, and binary garbage (no notification storm). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/schema_mix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kml_schema_round_t R;
static int warnings, okays;

static void add_bytes(kml_schema_mix_t *m, const void *p, size_t n, double t) {
  kml_schema_t s;
  kml_schema_classify(p, n, &s);
  kml_schema_mix_add(m, &s, t);
}

static void add_json(kml_schema_mix_t *m, const char *j, double t) {
  add_bytes(m, j, strlen(j), t);
}

static void add_wire(kml_schema_mix_t *m, unsigned id, double t) {
  unsigned char b[8] = {0, 0,   0,  (unsigned char)(id >> 8), (unsigned char)id,
                        2, 'x', 'y'};
  add_bytes(m, b, sizeof(b), t);
}

static void round_at(kml_schema_mix_t *m, double t) {
  kml_schema_mix_round(m, t, "orders", &R);
  for (int i = 0; i < R.n_events; i++) {
    warnings += R.events[i].severity == KML_SEV_WARNING;
    okays += R.events[i].severity == KML_SEV_OKAY;
  }
}

static void reset(void) { warnings = okays = 0; }

static void new_wire_id_is_named_with_the_old_one(void **state) {
  reset();
  kml_schema_mix_t *m = kml_schema_mix_new(60);
  double t = 1000;
  for (int r = 0; r < 30; r++, t += 10) { /* 5 min of id 7 */
    for (int k = 0; k < 5; k++)
      add_wire(m, 7, t);
    round_at(m, t);
  }
  assert_int_equal(warnings, 0);
  assert_int_equal(R.schemas, 1);
  assert_int_equal(R.records, 5);
  /* a producer starts writing id 8 beside id 7 */
  add_wire(m, 8, t);
  round_at(m, t);
  assert_int_equal(warnings, 0); /* one record: not yet */
  t += 10;
  add_wire(m, 8, t);
  add_wire(m, 7, t);
  round_at(m, t);
  assert_int_equal(warnings, 1);
  assert_int_equal(R.n_events, 1);
  assert_string_equal(R.events[0].new_schema, "id 8");
  assert_string_equal(R.events[0].old_schema, "id 7");
  assert_non_null(strstr(R.events[0].message, "new schema id 8 (was id 7)"));
  assert_int_equal(R.schemas, 2);
  assert_int_equal(R.state, KML_SEV_WARNING);
  /* both keep coming in the same proportions: OKAY after it settles,
   * once */
  for (int r = 0; r < 360; r++, t += 10) {
    add_wire(m, 7, t);
    add_wire(m, 8, t);
    round_at(m, t);
  }
  assert_int_equal(warnings, 1);
  assert_int_equal(okays, 1);
  assert_int_equal(R.state, KML_SEV_OKAY);
  kml_schema_mix_destroy(m);
}

static void json_gaining_a_boolean(void **state) {
  reset();
  kml_schema_mix_t *m = kml_schema_mix_new(30);
  double t = 0;
  char doc[128];
  for (int r = 0; r < 10; r++, t += 10) {
    for (int k = 0; k < 4; k++) {
      snprintf(doc, sizeof(doc), "{\"id\":%d,\"sku\":\"s%d\",\"qty\":%d}",
               r * 4 + k, k, k + 1);
      add_json(m, doc, t);
    }
    round_at(m, t);
  }
  assert_int_equal(warnings, 0);
  for (int k = 0; k < 3; k++)
    add_json(m, "{\"id\":99,\"sku\":\"z\",\"qty\":1,\"paid\":true}", t);
  round_at(m, t);
  assert_int_equal(warnings, 1);
  assert_string_equal(R.events[0].fields, "+paid:bool");
  assert_non_null(strstr(R.events[0].message, "+paid:bool"));
  assert_true(strlen(R.events[0].message) < 256);
  /* a field that is sometimes null is the same shape */
  t += 10;
  for (int k = 0; k < 3; k++)
    add_json(m, "{\"id\":null,\"sku\":\"z\",\"qty\":1}", t);
  round_at(m, t);
  assert_int_equal(warnings, 1);
  kml_schema_mix_destroy(m);
}

static void a_shift_of_the_mix(void **state) {
  reset();
  kml_schema_mix_t *m = kml_schema_mix_new(600);
  double t = 0;
  /* during learning both ids are seen: 90% id 1, 10% id 2 */
  for (int r = 0; r < 360; r++, t += 10) {
    for (int k = 0; k < 10; k++)
      add_wire(m, k == 0 ? 2 : 1, t);
    round_at(m, t);
  }
  assert_int_equal(warnings, 0);
  /* then 90% id 2: seen within 15 minutes against an hour's baseline */
  for (int r = 0; r < 90; r++, t += 10) {
    for (int k = 0; k < 10; k++)
      add_wire(m, k == 0 ? 1 : 2, t);
    round_at(m, t);
  }
  assert_int_equal(warnings, 1);
  kml_schema_mix_destroy(m);
}

static void garbage_is_quiet(void **state) {
  reset();
  kml_schema_mix_t *m = kml_schema_mix_new(60);
  unsigned int seed = 7;
  unsigned char b[64];
  double t = 0;
  int zero_first = 0;
  for (int r = 0; r < 8640; r++, t += 10) { /* a day, 20 records a round */
    for (int k = 0; k < 20; k++) {
      for (size_t i = 0; i < sizeof(b); i++)
        b[i] = (unsigned char)rand_r(&seed);
      if (k == 0 && r % 16 == 0)
        b[0] = 0; /* now and then the wire format's magic byte */
      zero_first += b[0] == 0;
      add_bytes(m, b, sizeof(b), t);
    }
    round_at(m, t);
    if (r == 100) { /* a readable record once in a while: seen, no storm */
      add_json(m, "{\"a\":1}", t);
    }
  }
  assert_true(zero_first > 500);
  assert_int_equal(warnings, 0);
  assert_int_equal(R.schemas, 0); /* random ids never become schemas */
  assert_int_equal(okays, 0);
  assert_true(R.unreadable >= 19);
  kml_schema_mix_destroy(m);
}

static void a_topic_turning_to_garbage_warns_once(void **state) {
  reset();
  kml_schema_mix_t *m = kml_schema_mix_new(60);
  double t = 0;
  for (int r = 0; r < 360; r++, t += 10) { /* an hour of id 3 */
    for (int k = 0; k < 5; k++)
      add_wire(m, 3, t);
    round_at(m, t);
  }
  unsigned char junk[16];
  memset(junk, 0xab, sizeof(junk));
  for (int r = 0; r < 600; r++, t += 10) {
    for (int k = 0; k < 5; k++)
      add_bytes(m, junk, sizeof(junk), t);
    round_at(m, t);
  }
  assert_int_equal(warnings, 1);
  assert_int_equal(okays, 1); /* once the baseline is all garbage too */
  assert_int_equal(R.schemas, 0);
  kml_schema_mix_destroy(m);
}

static void no_records_no_round(void **state) {
  kml_schema_mix_t *m = kml_schema_mix_new(60);
  kml_schema_mix_round(m, 5, "t", &R);
  assert_int_equal(R.sampled, 0);
  assert_int_equal(R.schemas, 0);
  assert_int_equal(R.n_events, 0);
  add_bytes(m, NULL, 0, 6); /* a tombstone: a record without a shape */
  kml_schema_mix_round(m, 7, "t", &R);
  assert_int_equal(R.sampled, 1);
  assert_int_equal(R.records, 1);
  assert_int_equal(R.schemas, 0);
  kml_schema_mix_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(new_wire_id_is_named_with_the_old_one),
      cmocka_unit_test(json_gaining_a_boolean),
      cmocka_unit_test(a_shift_of_the_mix),
      cmocka_unit_test(garbage_is_quiet),
      cmocka_unit_test(a_topic_turning_to_garbage_warns_once),
      cmocka_unit_test(no_records_no_round),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
