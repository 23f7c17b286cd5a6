/* Unit tests for src/kafka/schema.c: Confluent wire format ids, JSON field
 * set fingerprints (order and values do not matter, names and kinds do;
 * nested keys to a bounded depth), field diffs, and bytes that are
 * neither (never read past their end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static kml_schema_t S;

static kml_schema_kind_t classify(const char *text) {
  return kml_schema_classify(text, strlen(text), &S);
}

static void wire_format_ids(void **state) {
  const unsigned char v7[] = {0, 0, 0, 0, 7, 0x02, 'h', 'i'};
  const unsigned char big[] = {0, 0x12, 0x34, 0x56, 0x78};
  assert_int_equal(kml_schema_classify(v7, sizeof(v7), &S), KML_SCHEMA_WIRE);
  assert_int_equal(S.id, 7);
  assert_int_equal(kml_schema_classify(big, sizeof(big), &S), KML_SCHEMA_WIRE);
  assert_int_equal(S.id, 0x12345678);
  /* the magic byte without a whole id */
  assert_int_equal(kml_schema_classify(big, 4, &S), KML_SCHEMA_OTHER);
  assert_int_equal(kml_schema_classify(NULL, 0, &S), KML_SCHEMA_EMPTY);
  assert_int_equal(kml_schema_classify("x", 0, &S), KML_SCHEMA_EMPTY);
}

static void json_field_sets(void **state) {
  assert_int_equal(classify("{\"id\": 1, \"sku\": \"a\", \"qty\": 2.5e3}"),
                   KML_SCHEMA_JSON);
  uint64_t f1 = S.fingerprint;
  assert_int_equal(S.n_fields, 3);
  assert_string_equal(S.fields[0].path, "id");
  assert_int_equal(S.fields[0].kind, KML_JSON_NUMBER);
  /* other values, other order, blanks: the same field set */
  classify(" {\"qty\":-0.5,\"sku\":\"b\\\"c\",\n\"id\":99}\r\n");
  assert_true(S.fingerprint == f1);
  /* one more field, a boolean: another set */
  classify("{\"id\": 1, \"sku\": \"a\", \"qty\": 2, \"paid\": true}");
  assert_true(S.fingerprint != f1);
  kml_schema_t with_paid = S;
  classify("{\"id\": 1, \"sku\": \"a\", \"qty\": 2}");
  kml_schema_t without = S;
  char diff[256];
  assert_int_equal(kml_schema_diff(&without, &with_paid, diff, sizeof(diff)),
                   1);
  assert_string_equal(diff, "+paid:bool");
  assert_int_equal(kml_schema_diff(&with_paid, &without, diff, sizeof(diff)),
                   1);
  assert_string_equal(diff, "-paid:bool");
  /* a kind change is a removal and an addition */
  classify("{\"id\": \"1\", \"sku\": \"a\", \"qty\": 2}");
  assert_int_equal(kml_schema_diff(&without, &S, diff, sizeof(diff)), 2);
  assert_string_equal(diff, "+id:string -id:number");
}

static void nested_keys_to_a_bounded_depth(void **state) {
  classify("{\"a\": {\"b\": {\"c\": {\"d\": 1}}, \"e\": [1, {\"x\": 2}]}}");
  assert_int_equal(S.kind, KML_SCHEMA_JSON);
  const char *want[] = {"a", "a.b", "a.b.c", "a.e"};
  assert_int_equal(S.n_fields, 4);
  for (int i = 0; i < 4; i++)
    assert_string_equal(S.fields[i].path, want[i]);
  assert_int_equal(S.fields[2].kind, KML_JSON_OBJECT); /* a.b.c, not below */
  assert_int_equal(S.fields[3].kind, KML_JSON_ARRAY);
  uint64_t f = S.fingerprint;
  /* deeper than the depth, and inside arrays: not part of the shape */
  classify("{\"a\": {\"b\": {\"c\": {\"z\": \"q\"}}, \"e\": []}}");
  assert_true(S.fingerprint == f);
}

static void non_objects_and_duplicates(void **state) {
  assert_int_equal(classify("[1,2,3]"), KML_SCHEMA_JSON);
  assert_int_equal(S.n_fields, 2);
  assert_string_equal(S.fields[0].path, "$");
  assert_int_equal(S.fields[0].kind, KML_JSON_ARRAY);
  assert_string_equal(S.fields[1].path, "[]"); /* of numbers */
  assert_int_equal(S.fields[1].kind, KML_JSON_NUMBER);
  uint64_t arr = S.fingerprint;
  classify("\"just a string\"");
  assert_true(S.fingerprint != arr);
  /* records batched in an array: the first element's keys */
  assert_int_equal(classify("[{\"host\":\"a\",\"values\":[1]},{\"x\":1}]"),
                   KML_SCHEMA_JSON);
  assert_int_equal(S.n_fields, 4);
  assert_string_equal(S.fields[0].path, "$");
  assert_string_equal(S.fields[1].path, "[]");
  assert_string_equal(S.fields[2].path, "[].host");
  assert_string_equal(S.fields[3].path, "[].values");
  uint64_t batch = S.fingerprint;
  classify("[{\"host\":\"b\",\"values\":[2,3]}]");
  assert_true(S.fingerprint == batch);
  classify("[{\"host\":\"b\",\"values\":[2,3],\"meta\":{}}]");
  assert_true(S.fingerprint != batch);
  assert_int_equal(classify("{\"a\":1,\"a\":2}"), KML_SCHEMA_JSON);
  assert_int_equal(S.n_fields, 1);
  assert_int_equal(classify("{}"), KML_SCHEMA_JSON);
  assert_int_equal(S.n_fields, 0);
  assert_int_equal(classify("null"), KML_SCHEMA_JSON);
}

static void not_json(void **state) {
  const char *bad[] = {
      "{",        "{\"a\":}",    "{\"a\" 1}", "{\"a\":1,}",  "[1,]",
      "{'a':1}",  "tru",         "01",        "1.",          "-",
      "1e",       "\"\\x\"",     "\"\\u12\"", "{\"a\":1} x", "{\"a\":nul}",
      "\"a\nb\"", "hello world", "{\"a\":1}}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(classify(bad[i]), KML_SCHEMA_OTHER);
    assert_int_equal(S.n_fields, 0);
  }
  /* nesting past the limit */
  char deep[2 * KML_SCHEMA_NEST + 8];
  int n = 0;
  for (int i = 0; i < KML_SCHEMA_NEST + 2; i++)
    deep[n++] = '[';
  for (int i = 0; i < KML_SCHEMA_NEST + 2; i++)
    deep[n++] = ']';
  assert_int_equal(kml_schema_classify(deep, (size_t)n, &S), KML_SCHEMA_OTHER);
  /* the bytes end inside a string: no read past them */
  char *cut = malloc(5);
  memcpy(cut, "{\"ab", 4);
  assert_int_equal(kml_schema_classify(cut, 4, &S), KML_SCHEMA_OTHER);
  free(cut);
}

static void many_fields_are_bounded(void **state) {
  char doc[8192];
  int n = snprintf(doc, sizeof(doc), "{");
  for (int i = 0; i < 100; i++)
    n += snprintf(doc + n, sizeof(doc) - (size_t)n, "%s\"field_%03d\":%d",
                  i ? "," : "", i, i);
  snprintf(doc + n, sizeof(doc) - (size_t)n, "}");
  assert_int_equal(classify(doc), KML_SCHEMA_JSON);
  assert_int_equal(S.n_fields, KML_SCHEMA_FIELDS);
  assert_true(S.more);
  /* a very long key is cut, not overflowed */
  char longkey[300];
  memset(longkey, 'k', sizeof(longkey));
  memcpy(longkey, "{\"", 2);
  memcpy(longkey + 290, "\":true}", 8);
  assert_int_equal(classify(longkey), KML_SCHEMA_JSON);
  assert_int_equal(strlen(S.fields[0].path), KML_SCHEMA_NAME);
  char diff[16];
  kml_schema_t empty;
  classify("{}");
  empty = S;
  classify(doc);
  assert_true(kml_schema_diff(&empty, &S, diff, sizeof(diff)) > 10);
  assert_true(strlen(diff) < sizeof(diff));
}

static void garbage_never_crashes(void **state) {
  unsigned char buf[512];
  unsigned int seed = 12345;
  int wire = 0, other = 0;
  for (int round = 0; round < 20000; round++) {
    size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
    for (size_t i = 0; i < len; i++)
      buf[i] = (unsigned char)rand_r(&seed);
    /* exact-size heap copy so that ASan sees any overread */
    unsigned char *p = malloc(len ? len : 1);
    memcpy(p, buf, len);
    kml_schema_kind_t k = kml_schema_classify(p, len, &S);
    wire += k == KML_SCHEMA_WIRE;
    other += k == KML_SCHEMA_OTHER;
    free(p);
  }
  /* random bytes: mostly neither, a few with the magic byte */
  assert_true(other > 19000);
  assert_true(wire > 20 && wire < 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(wire_format_ids),
      cmocka_unit_test(json_field_sets),
      cmocka_unit_test(nested_keys_to_a_bounded_depth),
      cmocka_unit_test(non_objects_and_duplicates),
      cmocka_unit_test(not_json),
      cmocka_unit_test(many_fields_are_bounded),
      cmocka_unit_test(garbage_never_crashes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
