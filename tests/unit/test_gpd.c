/* Unit tests for src/ml/gpd.c: the maximum-likelihood fit recovers known
 * generalised Pareto and exponential samples (small exponential samples
 * give small shapes), and the survival function and quantile are
 * inverses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/gpd.h"
#include "signals.h"

#include <math.h>

/* n excesses of a GPD(shape, scale) by inversion. */
static void sample(double shape, double scale, int n, double *y,
                   kml_sim_rng_t *r) {
  for (int i = 0; i < n; i++) {
    double u = kml_sim_uni(r);
    y[i] = fabs(shape) < 1e-12 ? -scale * log(u)
                               : scale * (pow(u, -shape) - 1) / shape;
  }
}

static void recovers_a_heavy_tail(void **state) {
  static double y[4000];
  kml_sim_rng_t r = {11};
  sample(0.3, 2.0, 4000, y, &r);
  kml_gpd_t g;
  assert_int_equal(kml_gpd_fit(y, 4000, &g), 0);
  print_message("heavy: shape %.3f scale %.3f\n", g.shape, g.scale);
  assert_true(fabs(g.shape - 0.3) < 0.08);
  assert_true(fabs(g.scale - 2.0) < 0.25);
}

static void recovers_a_bounded_tail(void **state) {
  static double y[4000];
  kml_sim_rng_t r = {12};
  sample(-0.25, 1.0, 4000, y, &r);
  kml_gpd_t g;
  assert_int_equal(kml_gpd_fit(y, 4000, &g), 0);
  print_message("bounded: shape %.3f scale %.3f\n", g.shape, g.scale);
  assert_true(fabs(g.shape + 0.25) < 0.08);
}

static void small_exponential_samples_give_small_shapes(void **state) {
  /* 48 maxima, as the tail fits them: the shape stays near 0 */
  kml_sim_rng_t r = {13};
  int near = 0;
  for (int k = 0; k < 40; k++) {
    double y[48];
    sample(0, 1.5, 48, y, &r);
    kml_gpd_t g;
    assert_int_equal(kml_gpd_fit(y, 48, &g), 0);
    near += fabs(g.shape) < 0.3;
    assert_true(g.scale > 0.5 && g.scale < 4);
  }
  print_message("|shape| < 0.3 in %d of 40 samples\n", near);
  assert_true(near >= 34);
}

static void sf_and_quantile_are_inverses(void **state) {
  kml_gpd_t gs[] = {{0, 1.3}, {0.4, 0.7}, {-0.2, 2}};
  for (int k = 0; k < 3; k++)
    for (double p = 1e-9; p < 1; p *= 7) {
      double y = kml_gpd_quantile(&gs[k], p);
      assert_true(fabs(kml_gpd_sf(&gs[k], y) / p - 1) < 1e-9);
    }
  kml_gpd_t b = {-0.5, 1}; /* ends at 2 */
  assert_true(kml_gpd_sf(&b, 2.5) == 0);
  assert_true(kml_gpd_sf(&b, -1) == 1);
}

static void refuses_what_it_cannot_fit(void **state) {
  kml_gpd_t g;
  double two[2] = {1, 2}, neg[4] = {1, 2, -1, 3}, nan4[4] = {1, NAN, 2, 3};
  assert_int_equal(kml_gpd_fit(two, 2, &g), -1);
  assert_int_equal(kml_gpd_fit(neg, 4, &g), -1);
  assert_int_equal(kml_gpd_fit(nan4, 4, &g), -1);
  double same[8] = {2, 2, 2, 2, 2, 2, 2, 2};
  assert_int_equal(kml_gpd_fit(same, 8, &g), 0);
  assert_true(isfinite(g.shape) && g.scale > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(recovers_a_heavy_tail),
      cmocka_unit_test(recovers_a_bounded_tail),
      cmocka_unit_test(small_exponential_samples_give_small_shapes),
      cmocka_unit_test(sf_and_quantile_are_inverses),
      cmocka_unit_test(refuses_what_it_cannot_fit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
