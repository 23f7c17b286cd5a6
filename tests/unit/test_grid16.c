/* Unit tests for src/ml/grid16.c: a grid grows when a value does not fit
 * (rounding by at most half a new step), recentres and tightens exactly,
 * clamps codes to +-32767, and keeps a swing of 10 on a level of 1e9 to
 * within a step; the two rules (the profile's and the visits') differ only
 * at an exact fit and an empty range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/grid16.h"

#include <math.h>
#include <stdlib.h>

#define N 96

static const kml_grid16_rules_t rules = {120, 0};

/* An owner like the daily profile: codes with a double offset. */
typedef struct {
  double offset;
  int exp, used;
  int16_t code[N];
} owner_t;

static void refit(owner_t *o, kml_grid16_range_t r, int tighten) {
  kml_grid16_fit_t fit = kml_grid16_fit(&rules, o->exp, r, tighten);
  o->offset = kml_grid16_offset(&fit, o->offset);
  o->exp = fit.exp;
  for (int i = 0; i < o->used; i++)
    o->code[i] = kml_grid16_recode(&fit, o->code[i], 0);
}

static kml_grid16_range_t range_of(const owner_t *o) {
  kml_grid16_range_t r = kml_grid16_range_none();
  for (int i = 0; i < o->used; i++)
    kml_grid16_range_add(&r, o->code[i]);
  return r;
}

/* Append v, growing the grid when it does not fit (no tightening). */
static void store(owner_t *o, double v) {
  if (o->used == 0) {
    o->offset = v;
    o->exp = -rules.exp_max;
  }
  double c = kml_grid16_dithered(o->offset, o->exp, v, 0.5);
  if (!kml_grid16_fits(c)) {
    kml_grid16_range_t r = range_of(o);
    kml_grid16_range_add(&r, kml_grid16_steps(o->offset, o->exp, v));
    refit(o, r, 0);
    c = kml_grid16_dithered(o->offset, o->exp, v, 0.5);
  }
  o->code[o->used++] = kml_grid16_clamp(c);
}

static double value(const owner_t *o, int i) {
  return kml_grid16_value(o->offset, o->code[i], o->exp);
}

static void grows_when_a_value_does_not_fit(void **state) {
  (void)state;
  owner_t o = {.offset = 0, .exp = 0, .used = 2, .code = {0, 100}};
  store(&o, 1e6); /* 1e6 steps away: exp 0 -> 4 (32767 * 16 >= 5e5) */
  assert_int_equal(o.exp, 4);
  assert_true(o.offset == 5e5); /* the middle, by whole steps */
  assert_true(value(&o, 0) == 0);
  assert_true(fabs(value(&o, 1) - 100) <= 8); /* half a new step */
  assert_true(value(&o, 2) == 1e6);
}

static void tightens_exactly(void **state) {
  (void)state;
  owner_t o = {.offset = 1, .exp = 10, .used = 3, .code = {-3, 0, 5}};
  double before[3];
  for (int i = 0; i < 3; i++)
    before[i] = value(&o, i);
  refit(&o, range_of(&o), 0); /* no tightening: exp stays */
  assert_int_equal(o.exp, 10);
  refit(&o, range_of(&o), 1);
  assert_true(o.exp < 10);
  for (int i = 0; i < 3; i++) {
    assert_true(value(&o, i) == before[i]); /* codes only doubled */
    assert_true(abs(o.code[i]) <= KML_GRID16_TIGHT * KML_GRID16_MAX);
  }
  /* one exponent finer would not fit in the tight share */
  assert_true(4096 / ldexp(1.0, o.exp - 1) > KML_GRID16_TIGHT * KML_GRID16_MAX);
}

static void recentres_by_whole_steps(void **state) {
  (void)state;
  owner_t o = {
      .offset = 1.5, .exp = -3, .used = 3, .code = {30000, 32000, 32767}};
  double before[3];
  for (int i = 0; i < 3; i++)
    before[i] = value(&o, i);
  refit(&o, range_of(&o), 0);
  assert_int_equal(o.exp, -3);
  assert_int_equal(o.code[0], -1383); /* mid 31383: codes shift by it */
  for (int i = 0; i < 3; i++)
    assert_true(value(&o, i) == before[i]);
}

static void clamps_codes(void **state) {
  (void)state;
  assert_int_equal(kml_grid16_clamp(1e9), KML_GRID16_MAX);
  assert_int_equal(kml_grid16_clamp(-1e9), -KML_GRID16_MAX);
  assert_int_equal(kml_grid16_clamp(-32768), -KML_GRID16_MAX);
  assert_int_equal(kml_grid16_clamp(NAN), KML_GRID16_MAX);
  assert_int_equal(kml_grid16_nearest(0, 0, -1e6), -KML_GRID16_MAX);
  assert_int_equal(kml_grid16_nearest(0, 0, 2.5), 2); /* ties to even */
  assert_true(kml_grid16_fits(32767) && !kml_grid16_fits(32768));
  assert_true(!kml_grid16_fits(NAN));
  /* a refit's codes are clamped too: a range past the codes, no growth */
  kml_grid16_fit_t fit = {.mid = 0, .q = 1, .scale = 2, .exp = 0};
  assert_int_equal(kml_grid16_recode(&fit, 30000, 0), KML_GRID16_MAX);
  assert_int_equal(kml_grid16_recode(&fit, -30000, 0), -KML_GRID16_MAX);
}

/* A swing of 10 on a level of 1e9 (a float's step there is 64): every
 * value within a step of its own, and the step a fraction of the swing. */
static void keeps_a_swing_far_from_zero(void **state) {
  (void)state;
  owner_t o = {0};
  double v[N];
  for (int i = 0; i < N; i++) {
    v[i] = 1e9 + 10 * sin(2 * M_PI * i / N);
    store(&o, v[i]);
  }
  refit(&o, range_of(&o), 1); /* the daily refit */
  double step = kml_grid16_step(o.exp);
  assert_true(step <= 20.0 / 24576);
  for (int i = 0; i < N; i++)
    assert_true(fabs(value(&o, i) - v[i]) <= step);
}

/* The rules differ at an exact fit (half = MAX steps) and an empty range;
 * elsewhere they agree. */
static void strict_rules_take_the_next_exponent(void **state) {
  (void)state;
  const kml_grid16_rules_t strict = {120, 1};
  double q = ldexp(1.0, -5);
  assert_int_equal(kml_grid16_exp_for(&rules, KML_GRID16_MAX * q, 1.0), -5);
  assert_int_equal(kml_grid16_exp_for(&strict, KML_GRID16_MAX * q, 1.0), -4);
  assert_int_equal(kml_grid16_exp_for(&rules, 0, 1.0), -120);
  assert_int_equal(kml_grid16_exp_for(&strict, 0, 1.0), 0);
  assert_int_equal(kml_grid16_exp_for(&rules, 1000 * q, 1.0),
                   kml_grid16_exp_for(&strict, 1000 * q, 1.0));
  assert_int_equal(kml_grid16_exp_for(&strict, 1e300, 1.0), 120);
  assert_int_equal(kml_grid16_exp_for(&strict, 1e-300, 1.0), -120);
}

/* A float offset that cannot move exactly: its rounding, passed as moved,
 * keeps the values. */
static void a_float_offset_folds_its_rounding(void **state) {
  (void)state;
  float ref = 1e9f;
  int exp = -2;
  int16_t code[2] = {-30001, 30003};
  double before[2];
  kml_grid16_range_t r = kml_grid16_range_none();
  for (int i = 0; i < 2; i++) {
    before[i] = kml_grid16_value(ref, code[i], exp);
    kml_grid16_range_add(&r, code[i]);
  }
  kml_grid16_fit_t fit = kml_grid16_fit(&rules, exp, r, 0);
  double to = kml_grid16_offset(&fit, ref);
  float moved_ref = (float)to;
  assert_true(moved_ref != to); /* 1e9 + 0.25: a float's step is 64 */
  for (int i = 0; i < 2; i++) {
    code[i] = kml_grid16_recode(&fit, code[i], (to - moved_ref) / fit.q);
    assert_true(kml_grid16_value(moved_ref, code[i], fit.exp) == before[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(grows_when_a_value_does_not_fit),
      cmocka_unit_test(tightens_exactly),
      cmocka_unit_test(recentres_by_whole_steps),
      cmocka_unit_test(clamps_codes),
      cmocka_unit_test(keeps_a_swing_far_from_zero),
      cmocka_unit_test(strict_rules_take_the_next_exponent),
      cmocka_unit_test(a_float_offset_folds_its_rounding),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
