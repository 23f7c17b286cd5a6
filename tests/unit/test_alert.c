/* Unit tests for src/ml/alert.c: the budget as a level on the rate, one
 * notification per incident, OKAY when the cluster ends, the refractory
 * time, and the range checks of restored state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/alert.h"

#include <math.h>

#define BUDGET 0.1 /* notifications per day */

static int feed(kml_alert_t *a, double t, double rate, int active,
                kml_alert_state_t *st) {
  kml_alert_cfg_t c = kml_alert_defaults();
  c.budget = BUDGET;
  return kml_alert_update(a, &c, t, rate, active, st);
}

static void rates_above_the_budget_never_notify(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  for (int i = 0; i < 10000; i++)
    assert_int_equal(feed(&a, i * 10.0, i % 2 ? 2 * BUDGET : 50, 1, &st), 0);
  assert_int_equal(a.state, KML_ALERT_OKAY);
}

static void a_rate_within_the_budget_warns_once(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  assert_int_equal(feed(&a, 0, 50, 1, &st), 0);
  assert_int_equal(feed(&a, 10, BUDGET, 1, &st), 1);
  assert_int_equal(st, KML_ALERT_WARNING);
  assert_true(a.since == 10);
  /* no repeat and no escalation while the incident lasts: one page */
  assert_int_equal(feed(&a, 20, BUDGET / 2, 1, &st), 0);
  assert_int_equal(feed(&a, 30, 1e-12, 1, &st), 0);
  assert_int_equal(a.state, KML_ALERT_WARNING);
  assert_true(a.peak >= 10);
}

static void a_far_rarer_start_is_a_failure(void **state) {
  kml_alert_cfg_t c = kml_alert_defaults();
  kml_alert_t a = {0};
  kml_alert_state_t st;
  assert_int_equal(feed(&a, 0, BUDGET * c.fail_factor, 1, &st), 1);
  assert_int_equal(st, KML_ALERT_FAILURE);
}

static void no_incident_outside_a_cluster(void **state) {
  /* a rare rate on a value below the tail's threshold (no open cluster)
   * is the body of the distribution: never a notification */
  kml_alert_t a = {0};
  kml_alert_state_t st;
  assert_int_equal(feed(&a, 0, BUDGET / 10, 0, &st), 0);
}

static void okay_when_the_cluster_ends(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  feed(&a, 0, BUDGET / 2, 1, &st);
  for (double t = 60; t < 3600; t += 60)
    assert_int_equal(feed(&a, t, 50, 1, &st), 0);
  assert_int_equal(feed(&a, 3600, 50, 0, &st), 1);
  assert_int_equal(st, KML_ALERT_OKAY);
  assert_true(a.peak == 0);
}

static void refractory_holds_the_next_incident_back(void **state) {
  kml_alert_cfg_t c = kml_alert_defaults();
  kml_alert_t a = {0};
  kml_alert_state_t st;
  feed(&a, 0, BUDGET / 2, 1, &st);
  feed(&a, 600, 50, 0, &st); /* OKAY */
  assert_int_equal(st, KML_ALERT_OKAY);
  assert_int_equal(feed(&a, c.refractory - 1, BUDGET / 2, 1, &st), 0);
  assert_int_equal(feed(&a, c.refractory + 1, 50, 0, &st), 0);
  assert_int_equal(feed(&a, c.refractory + 2, BUDGET / 2, 1, &st), 1);
  assert_int_equal(st, KML_ALERT_WARNING);
}

static void nan_rate_is_not_an_incident(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  assert_int_equal(feed(&a, 0, NAN, 1, &st), 0);
  assert_int_equal(feed(&a, 1, -1, 1, &st), 0);
}

static void end_reports_whether_an_okay_is_due(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  assert_int_equal(kml_alert_end(&a), 0);
  feed(&a, 0, BUDGET, 1, &st);
  assert_int_equal(kml_alert_end(&a), 1);
  assert_int_equal(a.state, KML_ALERT_OKAY);
}

static void check_names_fields_out_of_range(void **state) {
  kml_alert_t a = {0};
  assert_null(kml_alert_check(&a));
  a.state = 7;
  assert_string_equal(kml_alert_check(&a), "alert state");
  a.state = 0;
  a.quiet_until = NAN;
  assert_string_equal(kml_alert_check(&a), "alert times");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rates_above_the_budget_never_notify),
      cmocka_unit_test(a_rate_within_the_budget_warns_once),
      cmocka_unit_test(a_far_rarer_start_is_a_failure),
      cmocka_unit_test(no_incident_outside_a_cluster),
      cmocka_unit_test(okay_when_the_cluster_ends),
      cmocka_unit_test(refractory_holds_the_next_incident_back),
      cmocka_unit_test(nan_rate_is_not_an_incident),
      cmocka_unit_test(end_reports_whether_an_okay_is_due),
      cmocka_unit_test(check_names_fields_out_of_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
