/* Unit tests for src/kafka/arrival_plan.c: the budget of arrival lookups
 * per collection, one request per record however many groups ask, and
 * questions that have no answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/arrival_plan.h"

#include <stdio.h>
#include <string.h>

static void one_request_per_record(void **state) {
  kml_arrival_plan_t p;
  kml_arrival_plan_init(&p, 10);
  assert_int_equal(kml_arrival_plan_add(&p, "orders", 0, 100, 500), 1);
  /* a second group at the same offset: already asked */
  assert_int_equal(kml_arrival_plan_add(&p, "orders", 0, 100, 500), 0);
  /* another offset, partition or topic is another record */
  assert_int_equal(kml_arrival_plan_add(&p, "orders", 0, 200, 500), 1);
  assert_int_equal(kml_arrival_plan_add(&p, "orders", 1, 100, 500), 1);
  assert_int_equal(kml_arrival_plan_add(&p, "payments", 0, 100, 500), 1);
  assert_int_equal(p.n, 4);
  assert_int_equal(p.waiting, 0);
  assert_string_equal(p.reqs[3].topic, "payments");
  assert_true(p.reqs[1].offset == 200 && p.reqs[1].high == 500);
  assert_int_equal(p.reqs[0].result, KML_ARRIVAL_PENDING);
}

static void the_budget_caps_a_collection(void **state) {
  kml_arrival_plan_t p;
  kml_arrival_plan_init(&p, KML_ARRIVAL_MAX);
  char names[150][16];
  int added = 0;
  for (int i = 0; i < 150; i++) {
    snprintf(names[i], sizeof(names[i]), "t%d", i);
    added += kml_arrival_plan_add(&p, names[i], 0, 5, 10) == 1;
  }
  assert_int_equal(added, KML_ARRIVAL_MAX);
  assert_int_equal(p.n, KML_ARRIVAL_MAX);
  assert_int_equal(p.waiting, 150 - KML_ARRIVAL_MAX);
  /* a record asked already is not "waiting" */
  assert_int_equal(kml_arrival_plan_add(&p, names[0], 0, 5, 10), 0);
  assert_int_equal(p.waiting, 150 - KML_ARRIVAL_MAX);
  /* the cap is clamped */
  kml_arrival_plan_init(&p, 100000);
  assert_int_equal(p.cap, KML_ARRIVAL_MAX);
  kml_arrival_plan_init(&p, 0);
  assert_int_equal(p.cap, 1);
  assert_int_equal(kml_arrival_plan_add(&p, "a", 0, 1, 2), 1);
  assert_int_equal(kml_arrival_plan_add(&p, "b", 0, 1, 2), -1);
}

static void void_questions_are_refused(void **state) {
  kml_arrival_plan_t p;
  kml_arrival_plan_init(&p, 10);
  assert_int_equal(kml_arrival_plan_add(&p, "t", 0, -1, 10), -1);
  assert_int_equal(kml_arrival_plan_add(&p, "t", 0, 10, 10),
                   -1); /* caught up */
  assert_int_equal(kml_arrival_plan_add(&p, NULL, 0, 1, 10), -1);
  assert_int_equal(p.n, 0);
  assert_int_equal(p.waiting, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_request_per_record),
      cmocka_unit_test(the_budget_caps_a_collection),
      cmocka_unit_test(void_questions_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
