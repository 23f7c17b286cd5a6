/* Unit tests for src/ml/peers.c: the two rules, and the floors of the
 * spread that come from the members' own history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/peers.h"

#include <math.h>

static kml_peers_summary_t eval(const double *x, int n, double *z, int *o) {
  double scratch[64];
  kml_peers_cfg_t c = kml_peers_defaults();
  kml_peers_summary_t s;
  kml_peers_eval(&c, x, NULL, n, z, o, scratch, &s);
  return s;
}

static void one_hot_broker_is_named(void **state) {
  double x[] = {1000, 1040, 980, 1010, 5200, 995};
  double z[6];
  int o[6];
  kml_peers_summary_t s = eval(x, 6, z, o);
  assert_int_equal(s.outliers, 1);
  assert_int_equal(o[4], 1);
  assert_true(z[4] > 3.5);
  assert_true(s.median > 990 && s.median < 1030);
}

static void smooth_spread_has_no_outlier(void **state) {
  double x[] = {100, 200, 300, 400, 500, 600, 700, 800};
  double z[8];
  int o[8];
  assert_int_equal(eval(x, 8, z, o).outliers, 0);
}

static void two_clusters_are_not_outliers(void **state) {
  /* Half the partitions idle, half busy: a bimodal population, no one is
   * the odd one out. */
  double x[] = {0, 0, 0, 0, 500, 510, 490, 505};
  double z[8];
  int o[8];
  assert_int_equal(eval(x, 8, z, o).outliers, 0);
}

static void low_outlier_is_found_too(void **state) {
  double x[] = {300, 310, 295, 305, 2, 298, 302};
  double z[7];
  int o[7];
  kml_peers_summary_t s = eval(x, 7, z, o);
  assert_int_equal(s.outliers, 1);
  assert_int_equal(o[4], 1);
  assert_true(z[4] < -3.5);
}

static void nearly_identical_peers_tolerate_small_differences(void **state) {
  /* Six partitions fed at random: a 15% difference is noise, not a page;
   * four times the rate is. */
  double x[] = {33.2, 32.9, 33.7, 31.3, 38.1, 33.4};
  double z[6];
  int o[6];
  assert_int_equal(eval(x, 6, z, o).outliers, 0);
  x[4] = 132;
  assert_int_equal(eval(x, 6, z, o).outliers, 1);
  assert_int_equal(o[4], 1);
}

static void identical_and_tiny_populations(void **state) {
  double same[] = {7, 7, 7, 7};
  double z[4];
  int o[4];
  assert_int_equal(eval(same, 4, z, o).outliers, 0);
  double two[] = {1, 1000};
  assert_int_equal(eval(two, 2, z, o).outliers, 0);
}

static kml_peers_summary_t eval_h(const double *x, const double *typ_abs,
                                  const double *typ_step, int n, double *z,
                                  int *o) {
  double scratch[64];
  kml_peers_cfg_t c = kml_peers_defaults();
  kml_peers_history_t h = {typ_abs, typ_step};
  kml_peers_summary_t s;
  kml_peers_eval(&c, x, &h, n, z, o, scratch, &s);
  return s;
}

static void median_zero_needs_the_members_steps(void **state) {
  /* Six partitions of a healthy group: lag 0 most of the time, a few
   * messages while a batch is in flight. At this moment one holds 5. */
  double x[] = {0, 0, 5, 0, 0, 0};
  double z[6];
  int o[6];
  /* The median is 0, so a floor relative to it alone is ~0: the old rule
   * makes 5 messages an outlier with an absurd z. */
  kml_peers_summary_t s = eval(x, 6, z, o);
  assert_int_equal(s.outliers, 1);
  assert_true(z[2] > 1e6);
  /* The members usually move by 2 to 4 messages per interval: 5 is
   * nothing. */
  double abs_[] = {1.5, 2, 2.5, 1, 2, 1.8}, step[] = {3, 2, 4, 2.5, 3, 2.8};
  s = eval_h(x, abs_, step, 6, z, o);
  assert_int_equal(s.outliers, 0);
  assert_true(z[2] < 3.5 && z[2] > 0);
  assert_true(s.floor >= 0.6 * 2.8 && s.mad >= s.floor);
  /* A stuck partition is still named: 500 messages behind. */
  x[2] = 500;
  s = eval_h(x, abs_, step, 6, z, o);
  assert_int_equal(s.outliers, 1);
  assert_int_equal(o[2], 1);
}

static void typical_values_floor_a_momentary_zero_median(void **state) {
  /* Brokers that each usually take about 100 messages/s read 0 at this
   * instant but one (a collection between batches): 12 is not an outlier
   * for a population that usually carries 100; 300 is. */
  double x[] = {0, 0, 12, 0, 0};
  double abs_[] = {100, 95, 105, 98, 102}, step[] = {0, 0, 0, 0, 0};
  double z[5];
  int o[5];
  assert_int_equal(eval_h(x, abs_, step, 5, z, o).outliers, 0);
  x[2] = 300;
  assert_int_equal(eval_h(x, abs_, step, 5, z, o).outliers, 1);
}

static void own_steps_widen_only_that_member(void **state) {
  /* Member 4 always swings by about 500; being 1000 off is its habit. A
   * steady member 1000 off is an outlier. */
  double x[] = {1000, 1005, 995, 1002, 2000, 998};
  double abs_[] = {1000, 1000, 1000, 1000, 1000, 1000};
  double step[] = {5, 5, 5, 5, 500, 5};
  double z[6];
  int o[6];
  assert_int_equal(eval_h(x, abs_, step, 6, z, o).outliers, 0);
  step[4] = 5;
  kml_peers_summary_t s = eval_h(x, abs_, step, 6, z, o);
  assert_int_equal(s.outliers, 1);
  assert_int_equal(o[4], 1);
}

static void unusable_history_is_ignored(void **state) {
  double x[] = {1000, 1040, 980, 1010, 5200, 995};
  double abs_[] = {NAN, -1, INFINITY, NAN, NAN, NAN};
  double step[] = {NAN, NAN, -5, INFINITY, NAN, NAN};
  double z[6];
  int o[6];
  kml_peers_summary_t s = eval_h(x, abs_, step, 6, z, o);
  assert_int_equal(s.outliers, 1);
  assert_int_equal(o[4], 1);
  assert_true(s.members == 6 && s.floor > 0 && s.floor < 200);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_hot_broker_is_named),
      cmocka_unit_test(smooth_spread_has_no_outlier),
      cmocka_unit_test(two_clusters_are_not_outliers),
      cmocka_unit_test(low_outlier_is_found_too),
      cmocka_unit_test(nearly_identical_peers_tolerate_small_differences),
      cmocka_unit_test(identical_and_tiny_populations),
      cmocka_unit_test(median_zero_needs_the_members_steps),
      cmocka_unit_test(typical_values_floor_a_momentary_zero_median),
      cmocka_unit_test(own_steps_widen_only_that_member),
      cmocka_unit_test(unusable_history_is_ignored),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
