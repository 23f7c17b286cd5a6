/* Unit tests for src/ml/peers.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/peers.h"

static kml_peers_summary_t eval(const double *x, int n, double *z, int *o) {
  double scratch[64];
  kml_peers_cfg_t c = kml_peers_defaults();
  kml_peers_summary_t s;
  kml_peers_eval(&c, x, n, z, o, scratch, &s);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_hot_broker_is_named),
      cmocka_unit_test(smooth_spread_has_no_outlier),
      cmocka_unit_test(two_clusters_are_not_outliers),
      cmocka_unit_test(low_outlier_is_found_too),
      cmocka_unit_test(nearly_identical_peers_tolerate_small_differences),
      cmocka_unit_test(identical_and_tiny_populations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
