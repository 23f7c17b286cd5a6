/* Unit tests for src/kafka/list_gate.c: ListConsumerGroups is not sent
 * while a broker once in the metadata is missing from it, nor for a while
 * after a list that did not complete, unless no list is known yet. Times
 * are given (a fake monotonic clock). */
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
  /* broker 3 left the metadata: for as long as it is gone */
  for (double t = 10; t < 1000; t += 10)
    assert_int_equal(kml_list_gate_open(&g, two, 2, 1, t), 0);
  /* without any list to fall back on, ask all the same */
  assert_int_equal(kml_list_gate_open(&g, two, 2, 0, 1000), 1);
  /* back */
  assert_int_equal(kml_list_gate_open(&g, all3, 3, 1, 1010), 1);
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
