/* Unit tests for src/ml/correlate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/correlate.h"
#include "signals.h"

static void moving_together_correlates(void **state) {
  rng_t r = {9};
  float a[24], b[24], c[24];
  double walk = 0;
  for (int i = 0; i < 24; i++) {
    walk += rng_normal(&r);
    a[i] = (float)walk;
    b[i] = (float)(3 * walk + 100); /* same moves, other scale */
    c[i] = (float)(rng_normal(&r) * 5);
  }
  int lag;
  assert_true(kml_corr_best(a, b, 24, 2, &lag) > 0.99);
  assert_int_equal(lag, 0);
  assert_true(fabs(kml_corr_best(a, c, 24, 0, &lag)) < 0.6);
}

static void lag_is_found(void **state) {
  rng_t r = {10};
  float a[30], b[24];
  for (int i = 0; i < 30; i++)
    a[i] = (float)rng_normal(&r);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(moving_together_correlates),
      cmocka_unit_test(lag_is_found),
      cmocka_unit_test(constant_is_nan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
