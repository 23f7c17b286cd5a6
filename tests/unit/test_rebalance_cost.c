/* Unit tests for src/cli/rebalance_cost.c: the backlog a rebalance adds,
 * the time to drain it, and whether a group keeps up at a rebalance rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "cli/rebalance_cost.h"

#include <math.h>

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9 * (1 + fabs((double)(b))))

static void one_rebalance(void **state) {
  kml_rebalance_cost_t c;
  /* 1200 msg/s, 12 consumers x 150 = 1800 msg/s, a 30 s pause */
  assert_int_equal(kml_rebalance_cost(1200, 1800, 30, 0, &c), 0);
  NEAR(c.messages, 36000);
  NEAR(c.lag_seconds, 30);
  NEAR(c.drain_seconds, 60); /* 36000 / 600 spare */
  NEAR(c.recovered, 90);
  assert_true(c.keeps_up);
  NEAR(c.capacity_left, 1800);
  NEAR(c.growth, 0);
}

static void rates_of_rebalances(void **state) {
  kml_rebalance_cost_t c;
  /* 20 an hour: one every 180 s, 90 s to recover: keeps up */
  assert_int_equal(kml_rebalance_cost(1200, 1800, 30, 20, &c), 0);
  assert_true(c.keeps_up);
  NEAR(c.paused_share, 30.0 / 180);
  NEAR(c.capacity_left, 1800 * (1 - 30.0 / 180));
  /* 60 an hour: one a minute, 90 s to recover: behind, but 1800 * 0.5 =
   * 900 < 1200: the backlog grows 300 msg/s */
  assert_int_equal(kml_rebalance_cost(1200, 1800, 30, 60, &c), 0);
  assert_false(c.keeps_up);
  NEAR(c.growth, 300);
  /* 45 an hour: every 80 s, 90 s to recover: never back to 0 lag, yet the
   * capacity over time (1800 * (1 - 30/80) = 1125) ... is short by 75 */
  assert_int_equal(kml_rebalance_cost(1200, 1800, 30, 45, &c), 0);
  assert_false(c.keeps_up);
  NEAR(c.growth, 75);
  /* 40 an hour at a lower rate: every 90 s, 67.5 s to recover */
  assert_int_equal(kml_rebalance_cost(1000, 1800, 30, 40, &c), 0);
  NEAR(c.recovered, 30 + 30000.0 / 800);
  assert_true(c.keeps_up);
  NEAR(c.growth, 0);
  /* recovering in time and capacity over time are the same condition */
  for (double r = 100; r < 1800; r += 37)
    for (double h = 1; h < 200; h *= 1.7) {
      assert_int_equal(kml_rebalance_cost(r, 1800, 30, h, &c), 0);
      assert_int_equal(c.keeps_up, !(c.growth > 1e-9));
    }
  /* pauses longer than the time between them: nothing is consumed */
  assert_int_equal(kml_rebalance_cost(10, 100, 120, 60, &c), 0);
  NEAR(c.paused_share, 1);
  NEAR(c.growth, 10);
}

static void no_spare_capacity_never_drains(void **state) {
  kml_rebalance_cost_t c;
  assert_int_equal(kml_rebalance_cost(1800, 1800, 10, 0, &c), 0);
  assert_true(isinf(c.drain_seconds));
  assert_false(c.keeps_up);
  assert_int_equal(kml_rebalance_cost(0, 10, 10, 0, &c), 0);
  NEAR(c.drain_seconds, 0);
  assert_true(c.keeps_up);
}

static void refusals(void **state) {
  kml_rebalance_cost_t c;
  assert_int_equal(kml_rebalance_cost(-1, 10, 10, 0, &c), -1);
  assert_int_equal(kml_rebalance_cost(1, 0, 10, 0, &c), -1);
  assert_int_equal(kml_rebalance_cost(1, 10, 0, 0, &c), -1);
  assert_int_equal(kml_rebalance_cost(1, 10, 10, -1, &c), -1);
  assert_int_equal(kml_rebalance_cost(NAN, 10, 10, 0, &c), -1);
  assert_int_equal(kml_rebalance_cost(1, INFINITY, 10, 0, &c), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_rebalance),
      cmocka_unit_test(rates_of_rebalances),
      cmocka_unit_test(no_spare_capacity_never_drains),
      cmocka_unit_test(refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
