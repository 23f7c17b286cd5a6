/* Unit tests for src/ml/correlate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/correlate.h"
#include "signals.h"

static void moving_together_correlates(void **state) {
  kml_sim_rng_t r = {9};
  float a[24], b[24], c[24];
  double walk = 0;
  for (int i = 0; i < 24; i++) {
    walk += kml_sim_gauss(&r);
    a[i] = (float)walk;
    b[i] = (float)(3 * walk + 100); /* same moves, other scale */
    c[i] = (float)(kml_sim_gauss(&r) * 5);
  }
  int lag;
  assert_true(kml_corr_best(a, b, 24, 2, &lag) > 0.99);
  assert_int_equal(lag, 0);
  assert_true(fabs(kml_corr_best(a, c, 24, 0, &lag)) < 0.6);
}

static void lag_is_found(void **state) {
  kml_sim_rng_t r = {10};
  float a[30], b[24];
  for (int i = 0; i < 30; i++)
    a[i] = (float)kml_sim_gauss(&r);
  for (int i = 0; i < 24; i++)
    b[i] = a[i + 4]; /* b = a two steps later than a[2..25] */
  int lag;
  double rr = kml_corr_best(a + 2, b, 24, 3, &lag);
  assert_true(rr > 0.95);
  assert_int_equal(lag, -2);
}

static void constant_is_nan(void **state) {
  float a[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, b[10] = {0};
  int lag;
  assert_true(isnan(kml_corr_best(a, b, 10, 1, &lag)));
}

/* One scan ranks every target: each gets the best of its own host only. */
static void one_scan_ranks_every_target_within_its_host(void **state) {
  float a[24], twin[24], other[24], noise[24];
  kml_sim_rng_t r = {3};
  for (int i = 0; i < 24; i++) {
    a[i] = (float)(10 * sin(i * 0.7) + kml_sim_gauss(&r));
    twin[i] = 2 * a[i] + 1;
    other[i] = -a[i];
    noise[i] = (float)kml_sim_gauss(&r);
  }
  kml_corr_target_t t[2];
  kml_corr_target_init(&t[0], "h1/x/gauge/value", a, 24);
  kml_corr_target_init(&t[1], "h2/x/gauge/value", a, 24);
  const char *keys[] = {"h1/x/gauge/value", "h1/twin/gauge/value",
                        "h1/noise/gauge/value", "h2/anti/gauge/value",
                        "h3/twin/gauge/value"};
  const float *wins[] = {a, twin, noise, other, twin};
  for (int k = 0; k < 5; k++)
    kml_corr_rank(t, 2, keys[k], wins[k], 24);
  assert_string_equal(t[0].top[0].key, "h1/twin/gauge/value");
  assert_true(t[0].top[0].r > 0.99);
  assert_string_equal(t[0].top[1].key, ""); /* noise is below 0.5 */
  assert_string_equal(t[1].top[0].key, "h2/anti/gauge/value");
  assert_true(t[1].top[0].r < -0.99);
  assert_string_equal(t[1].top[1].key, ""); /* h3 is another host */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_scan_ranks_every_target_within_its_host),
      cmocka_unit_test(moving_together_correlates),
      cmocka_unit_test(lag_is_found),
      cmocka_unit_test(constant_is_nan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
