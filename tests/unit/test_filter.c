/* Unit tests for src/kafka/filter.c and the snapshot look-ups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/filter.h"
#include "kafka/snapshot.h"

#include <stdlib.h>
#include <string.h>

static void include_and_exclude(void **state) {
  kml_filter_t f = {0};
  char err[256];
  assert_true(kml_filter_match(&f, "anything"));
  assert_int_equal(kml_filter_set(&f, 0, "^svc-", err, sizeof(err)), 0);
  assert_int_equal(kml_filter_set(&f, 1, "-test$", err, sizeof(err)), 0);
  assert_true(kml_filter_match(&f, "svc-orders"));
  assert_false(kml_filter_match(&f, "svc-orders-test"));
  assert_false(kml_filter_match(&f, "batch"));
  kml_filter_free(&f);
}

static void bad_regex_is_reported(void **state) {
  kml_filter_t f = {0};
  char err[256] = "";
  assert_int_equal(kml_filter_set(&f, 0, "([a-", err, sizeof(err)), -1);
  assert_non_null(strstr(err, "([a-"));
  assert_false(f.has_include);
  kml_filter_free(&f);
}

static void snapshot_lookups(void **state) {
  kml_snapshot_t *s = kml_snapshot_new();
  s->topics = calloc(3, sizeof(*s->topics));
  const char *names[] = {"zeta", "alpha", "mid"};
  for (int i = 0; i < 3; i++) {
    s->topics[i].name = strdup(names[i]);
    s->topics[i].parts = calloc(2, sizeof(kml_partition_t));
    s->topics[i].n_parts = 2;
    s->topics[i].parts[0].id = 1;
    s->topics[i].parts[1].id = 0;
    s->topics[i].parts[0].replicas = malloc(4);
    s->topics[i].parts[1].replicas = malloc(4);
  }
  s->n_topics = 3;
  kml_snapshot_sort(s);
  assert_string_equal(s->topics[0].name, "alpha");
  const kml_topic_t *t = kml_snapshot_topic(s, "mid");
  assert_non_null(t);
  assert_string_equal(t->name, "mid");
  assert_int_equal(t->parts[0].id, 0);
  assert_non_null(kml_topic_partition(t, 1));
  assert_null(kml_topic_partition(t, 7));
  assert_null(kml_snapshot_topic(s, "nope"));
  assert_null(kml_snapshot_group(s, "g"));
  kml_snapshot_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(include_and_exclude),
      cmocka_unit_test(bad_regex_is_reported),
      cmocka_unit_test(snapshot_lookups),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
