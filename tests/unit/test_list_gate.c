/* Unit tests for src/kafka/list_gate.c: ListConsumerGroups is not sent
 * while a broker once in the metadata is missing from it, nor for a while
 * after a list that did not complete, unless no list is known yet; a
 * broker missing for the gone time is forgotten and named once. Times are
 * given (a fake monotonic clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/list_gate.h"

static const int32_t all3[] = {1, 2, 3}, two[] = {1, 2};

static void open_while_every_broker_answers(void **state) {
  (void)state;
  kml_list_gate_t g = {0};
  for (double t = 0; t < 100; t += 10) {
    assert_int_equal(kml_list_gate_open(&g, all3, 3, t > 0, t), 1);
    kml_list_gate_done(&g, 1, t);
  }
}

static void shut_while_a_broker_is_missing(void **state) {
  (void)state;
  kml_list_gate_t g = {0};
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 0, 0), 1);
  kml_list_gate_done(&g, 1, 0);
  /* broker 3 left the metadata: for as long as it is missing (less than
   * KML_LIST_GATE_GONE_S, after which it is taken as removed) */
  for (double t = 10; t < KML_LIST_GATE_GONE_S; t += 10)
    assert_int_equal(kml_list_gate_open(&g, two, 2, 1, t), 0);
  /* without any list to fall back on, ask all the same */
  assert_int_equal(kml_list_gate_open(&g, two, 2, 0, KML_LIST_GATE_GONE_S), 1);
  /* back */
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, KML_LIST_GATE_GONE_S + 5),
                   1);
  assert_int_equal(g.n_removed, 0);
}

static void shut_for_a_while_after_an_incomplete_list(void **state) {
  (void)state;
  kml_list_gate_t g = {0};
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, 100), 1);
  kml_list_gate_done(&g, 0, 100); /* broker 3 listed, but down */
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, 101), 0);
  assert_int_equal(
      kml_list_gate_open(&g, all3, 3, 1, 100 + KML_LIST_GATE_RETRY_S - 1), 0);
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 0, 102), 1); /* no list */
  assert_int_equal(
      kml_list_gate_open(&g, all3, 3, 1, 100 + KML_LIST_GATE_RETRY_S), 1);
  kml_list_gate_done(&g, 1, 100 + KML_LIST_GATE_RETRY_S);
  assert_int_equal(
      kml_list_gate_open(&g, all3, 3, 1, 101 + KML_LIST_GATE_RETRY_S), 1);
}

/* gone: what KML_LIST_GATE_GONE_S means for a gate with gone_s unset */
static const double gone = KML_LIST_GATE_GONE_S;

static void a_broker_missing_for_gone_s_is_forgotten(void **state) {
  (void)state;
  kml_list_gate_t g = {0};
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 0, 0), 1);
  kml_list_gate_done(&g, 1, 0);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 100), 0); /* leaves */
  assert_int_equal(g.n_removed, 0);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 100 + gone - 1), 0);
  assert_int_equal(g.n_removed, 0);
  /* gone_s missing: forgotten, named once, and the gate opens */
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 100 + gone), 1);
  assert_int_equal(g.n_removed, 1);
  assert_int_equal(g.removed[0], 3);
  assert_int_equal(g.n_seen, 2);
  /* the renewed handle's first list failed: once more at the next
   * collection, then RETRY_S as usual */
  kml_list_gate_done(&g, 0, 100 + gone);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 101 + gone), 1);
  kml_list_gate_done(&g, 0, 101 + gone);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 102 + gone), 0);
  assert_int_equal(
      kml_list_gate_open(&g, two, 2, 1, 101 + gone + KML_LIST_GATE_RETRY_S), 1);
  kml_list_gate_done(&g, 1, 101 + gone + KML_LIST_GATE_RETRY_S);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 110 + gone), 1);
  assert_int_equal(g.n_removed, 0);
  /* back later: a broker like any new one (seen again, nothing removed) */
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, 120 + gone), 1);
  assert_int_equal(g.n_removed, 0);
  assert_int_equal(g.n_seen, 3);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 130 + gone), 0);
}

static void a_broker_back_before_gone_s_changes_nothing(void **state) {
  (void)state;
  kml_list_gate_t g = {0};
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, 0), 1);
  kml_list_gate_done(&g, 1, 0);
  /* a restart: missing, back, missing again; no absence lasts gone_s, the
   * two together do */
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 10), 0);
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, 10 + gone - 1), 1);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 10 + gone), 0);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 9 + 2 * gone), 0);
  assert_int_equal(g.n_removed, 0);
  assert_int_equal(g.n_seen, 3);
  assert_int_equal(kml_list_gate_open(&g, two, 2, 1, 10 + 2 * gone), 1);
  assert_int_equal(g.n_removed, 1);
}

static void brokers_gone_one_after_another(void **state) {
  (void)state;
  static const int32_t four[] = {1, 2, 3, 4}, three[] = {1, 2, 4},
                       one_two[] = {1, 2};
  kml_list_gate_t g = {0};
  g.gone_s = 30; /* what the test hook sets */
  assert_int_equal(kml_list_gate_open(&g, four, 4, 1, 0), 1);
  assert_int_equal(kml_list_gate_open(&g, three, 3, 1, 10), 0);   /* 3 goes */
  assert_int_equal(kml_list_gate_open(&g, one_two, 2, 1, 20), 0); /* 4 too */
  /* 3 is forgotten, 4 not yet: still shut */
  assert_int_equal(kml_list_gate_open(&g, one_two, 2, 1, 40), 0);
  assert_int_equal(g.n_removed, 1);
  assert_int_equal(g.removed[0], 3);
  assert_int_equal(kml_list_gate_open(&g, one_two, 2, 1, 45), 0);
  assert_int_equal(g.n_removed, 0);
  assert_int_equal(kml_list_gate_open(&g, one_two, 2, 1, 50), 1);
  assert_int_equal(g.n_removed, 1);
  assert_int_equal(g.removed[0], 4);
  assert_int_equal(g.n_seen, 2);
  /* two at once: both named by the same call */
  kml_list_gate_t h = {0};
  assert_int_equal(kml_list_gate_open(&h, four, 4, 1, 0), 1);
  assert_int_equal(kml_list_gate_open(&h, one_two, 2, 1, 1), 0);
  assert_int_equal(kml_list_gate_open(&h, one_two, 2, 1, 1 + gone), 1);
  assert_int_equal(h.n_removed, 2);
  assert_int_equal(h.removed[0] + h.removed[1], 3 + 4);
}

static void an_empty_metadata_removes_nobody(void **state) {
  (void)state;
  kml_list_gate_t g = {0};
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, 0), 1);
  /* the whole cluster out of reach for longer than gone_s */
  for (double t = 10; t <= 10 + 2 * gone; t += 10) {
    assert_int_equal(kml_list_gate_open(&g, all3, 0, 1, t), 0);
    assert_int_equal(g.n_removed, 0);
  }
  /* broker 1 first back: the others get gone_s from now */
  double t = 20 + 2 * gone;
  assert_int_equal(kml_list_gate_open(&g, all3, 1, 1, t), 0);
  assert_int_equal(kml_list_gate_open(&g, all3, 1, 1, t + gone - 1), 0);
  assert_int_equal(g.n_removed, 0);
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, t + gone), 1);
  assert_int_equal(g.n_seen, 3);
}

static void new_brokers_are_remembered_up_to_capacity(void **state) {
  (void)state;
  kml_list_gate_t g = {0};
  int32_t ids[KML_LIST_GATE_IDS + 10];
  for (int i = 0; i < KML_LIST_GATE_IDS + 10; i++)
    ids[i] = i + 1;
  assert_int_equal(kml_list_gate_open(&g, ids, KML_LIST_GATE_IDS + 10, 1, 0),
                   1);
  assert_int_equal(g.n_seen, KML_LIST_GATE_IDS);
  /* a broker added later is one to wait for once seen */
  kml_list_gate_t h = {0};
  assert_int_equal(kml_list_gate_open(&h, two, 2, 1, 0), 1);
  assert_int_equal(kml_list_gate_open(&h, all3, 3, 1, 1), 1);
  assert_int_equal(kml_list_gate_open(&h, two, 2, 1, 2), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(open_while_every_broker_answers),
      cmocka_unit_test(shut_while_a_broker_is_missing),
      cmocka_unit_test(shut_for_a_while_after_an_incomplete_list),
      cmocka_unit_test(new_brokers_are_remembered_up_to_capacity),
      cmocka_unit_test(a_broker_missing_for_gone_s_is_forgotten),
      cmocka_unit_test(a_broker_back_before_gone_s_changes_nothing),
      cmocka_unit_test(brokers_gone_one_after_another),
      cmocka_unit_test(an_empty_metadata_removes_nobody),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
