/* Unit tests for src/ml/alert.c: evidence, escalation, hysteresis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/alert.h"

static int feed(kml_alert_t *a, double p, kml_alert_state_t *st) {
  kml_alert_cfg_t c = kml_alert_defaults();
  return kml_alert_update(a, &c, p, st);
}

static void mild_values_never_alert(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  for (int i = 0; i < 10000; i++)
    assert_int_equal(feed(&a, i % 2 ? 0.05 : 0.5, &st), 0);
  assert_true(a.evidence < 0.5);
}

static void one_rare_value_is_not_enough_two_are(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  assert_int_equal(feed(&a, 1e-3, &st), 0); /* u = 3: evidence 1.5 */
  assert_int_equal(feed(&a, 1e-3, &st), 1); /* 1.05 + 1.5 */
  assert_int_equal(st, KML_ALERT_WARNING);
}

static void very_rare_value_fails_at_once_and_escalates(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  assert_int_equal(feed(&a, 1e-4, &st), 1); /* u = 4: evidence 2.5 */
  assert_int_equal(st, KML_ALERT_WARNING);
  assert_int_equal(feed(&a, 1e-5, &st), 1); /* 1.75 + 3.5 */
  assert_int_equal(st, KML_ALERT_FAILURE);
  assert_true(a.peak >= 4);
  /* No step down to WARNING, no repeat while it lasts. */
  assert_int_equal(feed(&a, 1e-3, &st), 0);
  assert_int_equal(feed(&a, 1e-6, &st), 0);
}

static void okay_needs_calm_values(void **state) {
  kml_alert_t a = {0};
  kml_alert_state_t st;
  feed(&a, 1e-8, &st);
  assert_int_equal(st, KML_ALERT_FAILURE);
  int changes = 0, i;
  for (i = 0; i < 100 && !changes; i++)
    changes = feed(&a, 0.5, &st);
  assert_int_equal(st, KML_ALERT_OKAY);
  /* evidence 6.5 is below 0.5 from the 8th calm value on (6.5 * 0.7^8);
   * that one and 4 more make the 5 calm values */
  assert_int_equal(i, 8 + 4);
  assert_true(a.peak == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mild_values_never_alert),
      cmocka_unit_test(one_rare_value_is_not_enough_two_are),
      cmocka_unit_test(very_rare_value_fails_at_once_and_escalates),
      cmocka_unit_test(okay_needs_calm_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
