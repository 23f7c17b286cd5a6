/* Unit tests for src/ml/xcorr.c: shifted matches, trends that must not
 * match, backlogs against their cause, unknown values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/xcorr.h"
#include "signals.h"

#include <math.h>
#include <stdlib.h>

#define N 32

static double best(kml_xcorr_method_t m, const float *a, int acc_a,
                   const float *b, int acc_b, int *lag) {
  kml_xcorr_cfg_t c = kml_xcorr_defaults();
  c.method = m;
  float pa[N], pb[N];
  kml_xcorr_prepare(&c, a, N, acc_a, pa);
  kml_xcorr_prepare(&c, b, N, acc_b, pb);
  return kml_xcorr_best(&c, pa, pb, N, lag);
}

/* A step two slots before another is found at lag 2. */
static void a_step_that_comes_first_matches_at_its_lag(void **state) {
  (void)state;
  kml_sim_rng_t r = {1};
  float a[N], b[N];
  for (int i = 0; i < N; i++) {
    b[i] = (float)((i >= 22 ? 10 : 0) + 0.5 * kml_sim_gauss(&r));
    a[i] = (float)((i >= 24 ? 3 : 0) + 0.2 * kml_sim_gauss(&r));
  }
  int lag;
  double rr = best(KML_XCORR_DETREND, a, 0, b, 0, &lag);
  assert_true(rr > 0.8);
  assert_int_equal(lag, 2);
  /* the other way round it would move after its effect: beyond max_follow */
  rr = best(KML_XCORR_DETREND, b, 0, a, 0, &lag);
  assert_true(lag <= 1);
}

/* A backlog grows while its cause is high: differenced, the backlog's
 * growth matches the cause's level; taken as a level, it would not. */
static void a_backlog_matches_the_level_of_its_cause(void **state) {
  (void)state;
  kml_sim_rng_t r = {2};
  float lag[N], cause[N];
  double backlog = 0;
  for (int i = 0; i < N; i++) {
    int slow = i >= 20;
    cause[i] = (float)(4 + (slow ? 30 : 0) + kml_sim_gauss(&r));
    backlog += slow ? 400 : 0;
    lag[i] = (float)(backlog + 100 * kml_sim_uni(&r)); /* commit saw-tooth */
  }
  int l;
  assert_true(best(KML_XCORR_DETREND, lag, 1, cause, 0, &l) > 0.75);
  assert_true(best(KML_XCORR_DETREND, lag, 1, cause, 0, &l) >
              best(KML_XCORR_DETREND, lag, 0, cause, 0, &l));
}

/* Two series that merely trend (traffic growing, memory filling) match
 * no better once detrended than two series of noise do (the best |r| of
 * five shifts), over 200 seeds; plain Pearson of the raw values says they
 * match. */
static void trends_do_not_match(void **state) {
  (void)state;
  double detrended = 0, raw = 0, noise = 0;
  for (uint64_t seed = 1; seed <= 200; seed++) {
    kml_sim_rng_t r = {seed};
    float a[N], b[N], na[N], nb[N];
    double sa = 1 + kml_sim_uni(&r), sb = 50 * kml_sim_uni(&r);
    for (int i = 0; i < N; i++) {
      na[i] = (float)kml_sim_gauss(&r);
      nb[i] = (float)(20 * kml_sim_gauss(&r));
      a[i] = (float)(100 + sa * i + na[i]);
      b[i] = (float)(4e3 + sb * i + nb[i]);
    }
    int lag;
    detrended += fabs(best(KML_XCORR_DETREND, a, 0, b, 0, &lag)) / 200;
    noise += fabs(best(KML_XCORR_DETREND, na, 0, nb, 0, &lag)) / 200;
    raw += fabs(best(KML_XCORR_RAW, a, 0, b, 0, &lag)) / 200;
  }
  print_message("mean |r| of two trends: detrended %.2f (of their noise "
                "alone %.2f), raw %.2f\n",
                detrended, noise, raw);
  assert_true(fabs(detrended - noise) < 0.03);
  assert_true(raw > 0.9);
}

/* Independent random walks: differences and detrending keep the
 * spurious |r| low on average. */
static void random_walks_rarely_match(void **state) {
  (void)state;
  double m = 0;
  for (uint64_t seed = 1; seed <= 200; seed++) {
    kml_sim_rng_t r = {seed + 500};
    float a[N], b[N];
    double wa = 0, wb = 0;
    for (int i = 0; i < N; i++) {
      a[i] = (float)(wa += kml_sim_gauss(&r));
      b[i] = (float)(wb += kml_sim_gauss(&r));
    }
    int lag;
    m += fabs(best(KML_XCORR_DIFF, a, 0, b, 0, &lag)) / 200;
  }
  assert_true(m < 0.45);
}

static void unknown_and_flat_values(void **state) {
  (void)state;
  kml_xcorr_cfg_t c = kml_xcorr_defaults();
  float a[N], b[N], pa[N], pb[N], flat[N];
  kml_sim_rng_t r = {3};
  for (int i = 0; i < N; i++) {
    a[i] = (float)(i >= 20 ? 5 + kml_sim_gauss(&r) : kml_sim_gauss(&r));
    b[i] = i % 3 == 0 ? NAN : a[i] * 2; /* every third slot unknown */
    flat[i] = 7;
  }
  assert_true(kml_xcorr_prepare(&c, a, N, 0, pa) > N / 2);
  assert_true(kml_xcorr_prepare(&c, b, N, 0, pb) > 0);
  int lag;
  /* the moving mean needs both slots: a third of b's slots make two
   * unknown means out of three, and what is left still matches */
  double rr = kml_xcorr_best(&c, pa, pb, N, &lag);
  assert_true(isnan(rr) || rr > 0.8);
  float pf[N];
  kml_xcorr_prepare(&c, flat, N, 0, pf);
  assert_true(isnan(kml_xcorr_best(&c, pa, pf, N, &lag)));
  float huge[N];
  for (int i = 0; i < N; i++)
    huge[i] = i == 5 ? 3e38f : a[i];
  kml_xcorr_prepare(&c, huge, N, 0, pf);
  assert_true(isnan(pf[5]));
  kml_xcorr_method_t m;
  assert_int_equal(kml_xcorr_method_parse("raw", &m), 0);
  assert_int_equal(m, KML_XCORR_RAW);
  assert_string_equal(kml_xcorr_method_name(KML_XCORR_DETREND), "detrend");
  assert_int_equal(kml_xcorr_method_parse("dtw", &m), -1);
}

/* A backlog growing from its onset against 300 unrelated wandering
 * series: the best of them reaches |r| >= 0.5 (the fixed threshold named
 * it), but as good a best is likely among so many (family-wise chance
 * above 0.1: a step and a random walk are both smooth, few of their
 * values are independent), while a series that steps with the backlog
 * stays below 0.1. The autocorrelation of a moving mean of white noise is about
 * 0.5 at lag 1, which is what widens the null. */
static void the_best_of_many_unrelated_is_not_significant(void **state) {
  (void)state;
  kml_xcorr_cfg_t c = kml_xcorr_defaults();
  int shifts = 1 + c.max_lag + c.max_follow;
  kml_sim_rng_t r = {7};
  float lag[N], pt[N], w[N], pw[N];
  double lagv = 0;
  for (int i = 0; i < N; i++) {
    lagv += i >= 20 ? 50 + 5 * kml_sim_gauss(&r) : 0;
    lag[i] = (float)(lagv + 20 * kml_sim_uni(&r));
  }
  assert_true(kml_xcorr_prepare(&c, lag, N, 1, pt) >= N / 2);
  double rt[KML_XCORR_ACF + 1], rw[KML_XCORR_ACF + 1];
  assert_int_equal(kml_xcorr_acf(pt, N, KML_XCORR_ACF, rt), KML_XCORR_ACF);
  double top = 0, top_p = 1;
  int candidates = 300;
  for (int k = 0; k < candidates; k++) {
    double walk = 0;
    for (int i = 0; i < N; i++) {
      walk += kml_sim_gauss(&r);
      w[i] = (float)walk;
    }
    kml_xcorr_prepare(&c, w, N, 0, pw);
    kml_xcorr_acf(pw, N, KML_XCORR_ACF, rw);
    int l;
    double rr = kml_xcorr_best(&c, pt, pw, N, &l);
    if (isfinite(rr) && fabs(rr) > fabs(top)) {
      top = rr;
      top_p =
          kml_xcorr_p(rr, kml_xcorr_pairs(pt, pw, N, l), rt, rw, KML_XCORR_ACF);
    }
  }
  double fam = kml_xcorr_family_p(top_p, (double)candidates * shifts);
  print_message("best of %d unrelated: r %.2f, chance %.3f\n", candidates, top,
                fam);
  assert_true(fabs(top) >= 0.5);
  assert_true(fam > 0.1);
  /* the cause: a level that steps up with the backlog's growth */
  for (int i = 0; i < N; i++)
    w[i] = (float)((i >= 20 ? 10 : 2) + 0.5 * kml_sim_gauss(&r));
  kml_xcorr_prepare(&c, w, N, 0, pw);
  kml_xcorr_acf(pw, N, KML_XCORR_ACF, rw);
  int l;
  double rr = kml_xcorr_best(&c, pt, pw, N, &l);
  double p =
      kml_xcorr_p(rr, kml_xcorr_pairs(pt, pw, N, l), rt, rw, KML_XCORR_ACF);
  double cause = kml_xcorr_family_p(p, (double)candidates * shifts);
  print_message("the cause: r %.2f, chance %.2g\n", rr, cause);
  assert_true(rr > 0.8);
  assert_true(cause < 0.1 && cause < fam / 5);
  /* the null's pieces */
  for (int i = 0; i < N; i++)
    w[i] = (float)kml_sim_gauss(&r);
  kml_xcorr_cfg_t mean2 = c;
  kml_xcorr_prepare(&mean2, w, N, 0, pw);
  kml_xcorr_acf(pw, N, KML_XCORR_ACF, rw);
  assert_true(rw[0] == 1 && rw[1] > 0.2 && rw[1] < 0.8);
  double none[KML_XCORR_ACF + 1] = {1, 0, 0, 0};
  assert_true(kml_xcorr_p(0.5, 30, none, none, KML_XCORR_ACF) <
              kml_xcorr_p(0.5, 30, rw, rw, KML_XCORR_ACF));
  assert_true(kml_xcorr_p(0.9, 30, none, none, KML_XCORR_ACF) <
              kml_xcorr_p(0.5, 30, none, none, KML_XCORR_ACF));
  assert_true(kml_xcorr_p(0.9, 4, none, none, KML_XCORR_ACF) == 1);
  assert_true(kml_xcorr_family_p(0.001, 1) == 0.001 ||
              fabs(kml_xcorr_family_p(0.001, 1) - 0.001) < 1e-12);
  assert_true(fabs(kml_xcorr_family_p(0.001, 100) - (1 - pow(0.999, 100))) <
              1e-9);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_step_that_comes_first_matches_at_its_lag),
      cmocka_unit_test(a_backlog_matches_the_level_of_its_cause),
      cmocka_unit_test(trends_do_not_match),
      cmocka_unit_test(random_walks_rarely_match),
      cmocka_unit_test(unknown_and_flat_values),
      cmocka_unit_test(the_best_of_many_unrelated_is_not_significant),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
