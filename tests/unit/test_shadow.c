/* Unit tests for src/ml/shadow.c: which <Match> blocks an earlier one
 * shadows, decided exactly or not at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/shadow.h"

enum { H, P, PI, T, TI };

/* The shipped ml.conf's kafka lag block, and tune output after it. */
static void same_selectors_are_shadowed(void **state) {
  (void)state;
  kml_shadow_sel_t shipped = {.re = {[P] = "^kafka$", [T] = "^kafka_lag$"}};
  kml_shadow_sel_t tuned = {.re = {[P] = "^kafka$", [T] = "^kafka_lag$"}};
  assert_true(kml_shadow_covers(&shipped, &tuned));
  assert_true(kml_shadow_covers(&tuned, &shipped));
}

/* More selectors on the later block: a subset of what the earlier takes. */
static void narrower_later_block_is_shadowed(void **state) {
  (void)state;
  kml_shadow_sel_t wide = {.re = {[P] = "^kafka$"}};
  kml_shadow_sel_t narrow = {
      .re = {[P] = "^kafka$", [PI] = "^group-billing$", [T] = "^kafka_lag$"}};
  assert_true(kml_shadow_covers(&wide, &narrow));
  assert_false(kml_shadow_covers(&narrow, &wide)); /* the other way round */
  kml_shadow_sel_t everything = {.re = {NULL}};
  assert_true(kml_shadow_covers(&everything, &narrow));
  kml_shadow_sel_t dot_star = {.re = {[H] = ".*", [P] = "^.*$", [T] = ""}};
  assert_true(kml_shadow_covers(&dot_star, &narrow));
}

/* Different texts are not compared as languages: no warning. */
static void different_regexes_are_not_decided(void **state) {
  (void)state;
  kml_shadow_sel_t a = {.re = {[P] = "^kafka"}};
  kml_shadow_sel_t b = {.re = {[P] = "^kafka$"}}; /* a subset, unproven */
  assert_false(kml_shadow_covers(&a, &b));
  kml_shadow_sel_t c = {.re = {[P] = "^kafka$", [T] = "^kafka_lag$"}};
  kml_shadow_sel_t d = {.re = {[P] = "^kafka$", [T] = "^kafka_offset$"}};
  assert_false(kml_shadow_covers(&c, &d));
  kml_shadow_sel_t dot = {.re = {[PI] = "."}}; /* not "" */
  kml_shadow_sel_t none = {.re = {NULL}};
  assert_false(kml_shadow_covers(&dot, &none));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_selectors_are_shadowed),
      cmocka_unit_test(narrower_later_block_is_shadowed),
      cmocka_unit_test(different_regexes_are_not_decided),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
