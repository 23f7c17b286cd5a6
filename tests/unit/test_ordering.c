/* Unit tests for src/kafka/ordering.c: the spread of lag in seconds
 * between a group's topics, unknown partitions, the verdict's hysteresis
 * and the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/ordering.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void spread_is_between_topic_maxima(void **state) {
  kml_ordering_acc_t a = {0};
  kml_ordering_add(&a, "purchases", 95);
  kml_ordering_add(&a, "cancellations", 2);
  kml_ordering_add(&a, "purchases", 120); /* its oldest partition counts */
  kml_ordering_add(&a, "cancellations", 0);
  kml_ordering_add(&a, "refunds", 30);
  kml_ordering_result_t r;
  assert_int_equal(kml_ordering_spread(&a, &r), 1);
  assert_true(fabs(r.spread - 118) < 1e-9);
  assert_string_equal(r.behind, "purchases");
  assert_string_equal(r.ahead, "cancellations");
  assert_true(r.behind_s == 120 && r.ahead_s == 2);
  assert_int_equal(r.topics, 3);
  kml_ordering_clear(&a);
  assert_int_equal(a.n, 0);
}

static void unknown_partition_makes_the_spread_unknown(void **state) {
  kml_ordering_acc_t a = {0};
  kml_ordering_result_t r;
  kml_ordering_add(&a, "a", 10);
  kml_ordering_add(&a, "b", 500);
  kml_ordering_add(&a, "b", NAN); /* one partition not measured */
  assert_int_equal(kml_ordering_spread(&a, &r), 0);
  kml_ordering_clear(&a);
  kml_ordering_add(&a, "a", -1); /* nonsense is not a measurement */
  kml_ordering_add(&a, "b", 3);
  assert_int_equal(kml_ordering_spread(&a, &r), 0);
  kml_ordering_clear(&a);
}

/* A reset accumulator is empty for the next group, its buffer kept: the
 * previous group's topics, unknowns and lack of memory are forgotten. */
static void reset_starts_the_next_group_afresh(void **state) {
  kml_ordering_acc_t a = {0};
  kml_ordering_result_t r;
  kml_ordering_add(&a, "a", 10);
  kml_ordering_add(&a, "b", NAN);
  a.failed = 1;
  kml_ordering_topic_t *v = a.v;
  kml_ordering_reset(&a);
  assert_int_equal(a.n, 0);
  assert_int_equal(kml_ordering_spread(&a, &r), 0);
  kml_ordering_add(&a, "b", 4);
  kml_ordering_add(&a, "c", 1);
  assert_ptr_equal(a.v, v);
  assert_int_equal(kml_ordering_spread(&a, &r), 1);
  assert_true(r.spread == 3 && r.topics == 2);
  assert_string_equal(r.behind, "b");
  kml_ordering_clear(&a);
}

static void one_topic_has_no_spread(void **state) {
  kml_ordering_acc_t a = {0};
  kml_ordering_result_t r;
  assert_int_equal(kml_ordering_spread(&a, &r), 0);
  for (int p = 0; p < 12; p++)
    kml_ordering_add(&a, "orders", 10.0 * p);
  assert_int_equal(a.n, 1);
  assert_int_equal(kml_ordering_spread(&a, &r), 0);
  kml_ordering_clear(&a);
}

static void equal_lags_give_zero_and_distinct_topics(void **state) {
  kml_ordering_acc_t a = {0};
  kml_ordering_result_t r;
  kml_ordering_add(&a, "b", 7);
  kml_ordering_add(&a, "a", 7);
  assert_int_equal(kml_ordering_spread(&a, &r), 1);
  assert_true(r.spread == 0);
  assert_string_not_equal(r.behind, r.ahead);
  kml_ordering_clear(&a);
}

static void many_topics_grow_the_accumulator(void **state) {
  static char names[40][8];
  kml_ordering_acc_t a = {0};
  for (int i = 0; i < 40; i++) {
    snprintf(names[i], sizeof(names[i]), "t%02d", i);
    kml_ordering_add(&a, names[i], i);
  }
  kml_ordering_result_t r;
  assert_int_equal(kml_ordering_spread(&a, &r), 1);
  assert_int_equal(r.topics, 40);
  assert_true(r.spread == 39);
  assert_string_equal(r.behind, "t39");
  assert_string_equal(r.ahead, "t00");
  kml_ordering_clear(&a);
}

static void verdict_has_hysteresis(void **state) {
  kml_ordering_result_t r = {.spread = 61};
  assert_int_equal(kml_ordering_verdict(&r, 60, KML_SEV_OKAY), KML_SEV_WARNING);
  r.spread = 60; /* at the threshold: not over it */
  assert_int_equal(kml_ordering_verdict(&r, 60, KML_SEV_OKAY), KML_SEV_OKAY);
  r.spread = 50; /* between 80% and 100%: the state holds */
  assert_int_equal(kml_ordering_verdict(&r, 60, KML_SEV_WARNING),
                   KML_SEV_WARNING);
  assert_int_equal(kml_ordering_verdict(&r, 60, KML_SEV_OKAY), KML_SEV_OKAY);
  r.spread = 47;
  assert_int_equal(kml_ordering_verdict(&r, 60, KML_SEV_WARNING), KML_SEV_OKAY);
}

static void event_names_topics_and_fits(void **state) {
  char group[300];
  memset(group, 'g', sizeof(group) - 1);
  group[sizeof(group) - 1] = '\0';
  kml_ordering_result_t r = {.spread = 118,
                             .behind = "purchases",
                             .ahead = "cancellations",
                             .behind_s = 120,
                             .ahead_s = 2,
                             .topics = 2};
  kml_event_t ev = {0};
  kml_ordering_event(&r, "svc-billing", 60, KML_SEV_WARNING, &ev);
  assert_int_equal(ev.severity, KML_SEV_WARNING);
  assert_non_null(strstr(ev.message, "svc-billing"));
  assert_non_null(
      strstr(ev.message, "purchases is 118.0 s behind cancellations"));
  assert_true(ev.n_meta <= KML_EVENT_META_MAX);
  int found = 0;
  for (int i = 0; i < ev.n_meta; i++)
    if (strcmp(ev.meta[i].key, "skew_seconds") == 0)
      found = ev.meta[i].number == 118;
  assert_true(found);
  kml_ordering_event(&r, group, 60, KML_SEV_OKAY, &ev);
  assert_int_equal(ev.severity, KML_SEV_OKAY);
  assert_true(strlen(ev.message) < sizeof(ev.message));
  assert_non_null(strstr(ev.message, "in step again"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(spread_is_between_topic_maxima),
      cmocka_unit_test(unknown_partition_makes_the_spread_unknown),
      cmocka_unit_test(reset_starts_the_next_group_afresh),
      cmocka_unit_test(one_topic_has_no_spread),
      cmocka_unit_test(equal_lags_give_zero_and_distinct_topics),
      cmocka_unit_test(many_topics_grow_the_accumulator),
      cmocka_unit_test(verdict_has_hysteresis),
      cmocka_unit_test(event_names_topics_and_fits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
