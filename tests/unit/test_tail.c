/* Unit tests for src/ml/tail.c: the threshold follows the series to about
 * KML_TAIL_TARGET clusters per day, correlated exceedances are one
 * cluster, the rate is monotone and calibrated on exact p-values, one
 * incident does not deafen the series, and restored state is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/tail.h"
#include "signals.h"

#include <math.h>

#define DAY 86400.0
#define MEM (5 * DAY)
#define CALM 1800.0

/* Feed n values dt apart from t; g from gen. Returns clusters opened. */
static int feed(kml_tail_t *tl, double *t, double dt, long n,
                double (*gen)(kml_sim_rng_t *), kml_sim_rng_t *r) {
  int opened = 0, was = 0;
  for (long i = 0; i < n; i++, *t += dt) {
    kml_tail_out_t o;
    kml_tail_update(tl, *t, dt, gen(r), MEM, CALM, 1, &o);
    opened += o.active && !was;
    was = o.active;
  }
  return opened;
}

/* The surprise of one exact p-value: P(g > z) = 2^-z per value. */
static double exact(kml_sim_rng_t *r) { return -log2(kml_sim_uni(r)); }
static double zero(kml_sim_rng_t *r) { return 0; }

static void threshold_settles_near_the_target_rate(void **state) {
  for (int k = 0; k < 2; k++) {
    double dt = k ? 300 : 10, t = 1.7e9;
    kml_tail_t tl;
    kml_tail_init(&tl);
    kml_sim_rng_t r = {21};
    feed(&tl, &t, dt, (long)(10 * DAY / dt), exact, &r);
    int n = feed(&tl, &t, dt, (long)(20 * DAY / dt), exact, &r);
    print_message("%3gs: u %.2f bits, %.2f clusters per day\n", dt, tl.u,
                  n / 20.0);
    assert_true(n / 20.0 > KML_TAIL_TARGET / 1.5);
    assert_true(n / 20.0 < KML_TAIL_TARGET * 1.5);
  }
}

static void rate_is_calibrated_on_exact_p_values(void **state) {
  /* after learning, count clusters whose rate fell to 0.5 per day */
  double dt = 60, t = 1.7e9;
  kml_tail_t tl;
  kml_tail_init(&tl);
  kml_sim_rng_t r = {22};
  feed(&tl, &t, dt, (long)(10 * DAY / dt), exact, &r);
  int hits = 0, in = 0;
  for (long i = 0; i < (long)(60 * DAY / dt); i++, t += dt) {
    kml_tail_out_t o;
    kml_tail_update(&tl, t, dt, exact(&r), MEM, CALM, 1, &o);
    if (!o.active)
      in = 0;
    else if (!in && o.rate <= 0.5) {
      hits++;
      in = 1;
    }
  }
  print_message("%d clusters at 0.5 per day or rarer in 60 days (30 "
                "expected)\n",
                hits);
  assert_true(hits >= 15 && hits <= 60);
}

static void rate_falls_as_surprise_grows(void **state) {
  double dt = 10, t = 1.7e9;
  kml_tail_t tl;
  kml_tail_init(&tl);
  kml_sim_rng_t r = {23};
  feed(&tl, &t, dt, (long)(8 * DAY / dt), exact, &r);
  double prev = INFINITY;
  for (double g = 0; g < 60; g += 0.5) {
    kml_tail_t copy = tl;
    kml_tail_out_t o;
    kml_tail_update(&copy, t, dt, g, MEM, CALM, 0, &o);
    assert_true(o.rate <= prev && o.rate > 0);
    prev = o.rate;
  }
  print_message("rate at 60 bits: %g per day\n", prev);
  assert_true(prev < 1e-3);
}

static void a_quiet_series_lowers_its_threshold(void **state) {
  /* a flat line never exceeds u: u comes down to its floor, the rate
   * stays finite, and a first surprise is rare */
  double dt = 60, t = 1.7e9;
  kml_tail_t tl;
  kml_tail_init(&tl);
  kml_sim_rng_t r = {24};
  double u0;
  kml_tail_out_t o;
  kml_tail_update(&tl, t, dt, 0, MEM, CALM, 1, &o);
  u0 = o.u;
  feed(&tl, &t, dt, (long)(10 * DAY / dt), zero, &r);
  assert_true(tl.u < u0 && tl.u >= 4.0);
  kml_tail_update(&tl, t, dt, 40, MEM, CALM, 1, &o);
  assert_true(o.active);
  assert_true(o.rate < 0.01);
}

static void one_incident_does_not_deafen(void **state) {
  double dt = 60, t = 1.7e9;
  kml_tail_t tl;
  kml_tail_init(&tl);
  kml_sim_rng_t r = {25};
  feed(&tl, &t, dt, (long)(10 * DAY / dt), exact, &r);
  kml_tail_out_t o;
  kml_tail_t before = tl;
  kml_tail_update(&before, t, dt, tl.u + 3, MEM, CALM, 0, &o);
  double r0 = o.rate;
  /* an hour of huge surprises, then calm */
  for (int i = 0; i < 60; i++, t += dt)
    kml_tail_update(&tl, t, dt, 200, MEM, CALM, 1, &o);
  feed(&tl, &t, dt, (long)(DAY / dt), exact, &r);
  kml_tail_t after = tl;
  kml_tail_update(&after, t, dt, tl.u + 3, MEM, CALM, 0, &o);
  print_message("rate 3 bits above u: %.3g before, %.3g after\n", r0, o.rate);
  assert_true(o.rate < 3 * r0);
}

static void forgotten_cluster_teaches_nothing(void **state) {
  double dt = 60, t = 1.7e9;
  kml_tail_t tl;
  kml_tail_init(&tl);
  kml_tail_out_t o;
  kml_tail_update(&tl, t, dt, 0, MEM, CALM, 1, &o);
  kml_tail_update(&tl, t += dt, dt, tl.u + 5, MEM, CALM, 1, &o);
  assert_true(o.active);
  kml_tail_forget_cluster(&tl);
  assert_int_equal(tl.n_peaks, 0);
  kml_tail_update(&tl, t += dt, dt, 0, MEM, CALM, 1, &o);
  assert_false(o.active);
  /* a cluster that ends by calm time is learned */
  kml_tail_update(&tl, t += dt, dt, tl.u + 5, MEM, CALM, 1, &o);
  kml_tail_update(&tl, t += 2 * CALM, dt, 0, MEM, CALM, 1, &o);
  assert_int_equal(tl.n_peaks, 1);
}

/* Eight maxima spread over 0 to 4.5 bits past u, one within u's own step
 * (the ring of a hot partition in `kafka-ml simulate --seed 5` when its
 * incident came) show no ties: the tail is fitted above u to all eight,
 * and a cluster 10 bits past u is rarer than the default budget (0.02 a
 * day at 3.8 clusters a day). Fitted above u + a quarter bit, to the
 * seven maxima beyond it, the tail was heavier: 0.04 a day, and the
 * partition paged 248 intervals late. */
static void young_ring_without_ties_keeps_its_maxima(void **state) {
  static const double maxima[] = {0.72, 0.16, 2.34, 3.53,
                                  2.34, 0.41, 0.41, 4.53};
  double dt = 10, t = 1.7e9;
  kml_tail_t tl;
  kml_tail_init(&tl);
  kml_tail_out_t o;
  kml_tail_update(&tl, t, dt, 0, MEM, CALM, 1, &o);
  for (int i = 0; i < 8; i++) {
    kml_tail_update(&tl, t += dt, dt, tl.u + maxima[i], MEM, CALM, 1, &o);
    kml_tail_update(&tl, t += 2 * CALM, dt, 0, MEM, CALM, 1, &o);
  }
  assert_int_equal(tl.n_peaks, 8);
  tl.clusters = 19; /* 3.8 clusters a day over 5 days */
  tl.span = (float)MEM;
  kml_tail_update(&tl, t += dt, dt, tl.u + 10, MEM, CALM, 0, &o);
  print_message("rate 10 bits above u: %.3g a day\n", o.rate);
  assert_true(o.active);
  assert_true(o.rate < 0.02);
}

/* A spike that recurs every 3 hours over noise of exact p-values, its
 * surprise in two groups as a binned view ranks it: seven in eight
 * within a bit of 10 bits, one in eight at a view's top bin, 14 to 15.5
 * bits (about once a day). The top-bin group is part of the series'
 * normal tail and must not page at the default budget (0.02 a day) once
 * the ring holds some of it (bench_kinds' cron every 15 min at 5 min,
 * hourly cron at 10 s: doc/DESIGN-NOTES.md). Counted over 20 seeds x 30
 * days after 10 days of learning, first top-bin spike of each seed
 * excluded; a value 20 bits past u must still page on every seed. The fit
 * to the ring's bulk alone paged 17 of 608 top-bin spikes and was deaf to
 * 20 bits on 2 of 20 seeds (a heavy shape fitted across both groups). */
static void second_group_of_maxima_does_not_page(void **state) {
  int pages = 0, groups = 0, deaf = 0;
  for (int seed = 0; seed < 20; seed++) {
    double dt = 300, t = 1.7e9;
    kml_tail_t tl;
    kml_tail_init(&tl);
    kml_sim_rng_t r = {(uint64_t)(3001 + 7919 * seed)};
    int seen = 0;
    for (long i = 0; i < (long)(40 * DAY / dt); i++, t += dt) {
      double g = exact(&r);
      int top = 0;
      if (i % 36 == 0) { /* every 3 hours */
        top = kml_sim_uni(&r) < 0.125;
        g = top ? 14 + 1.5 * kml_sim_uni(&r) : 9.5 + kml_sim_uni(&r);
      }
      kml_tail_out_t o;
      kml_tail_update(&tl, t, dt, g, MEM, CALM, 1, &o);
      if (top && seen++ > 0 && t - 1.7e9 >= 10 * DAY) {
        groups++;
        pages += o.rate < 0.02;
      }
    }
    kml_tail_t copy = tl;
    kml_tail_out_t o;
    kml_tail_update(&copy, t + CALM, dt, tl.u + 20, MEM, CALM, 0, &o);
    deaf += !(o.rate < 0.02);
  }
  print_message("top-bin spikes rated below 0.02 a day: %d of %d; "
                "deaf to 20 bits past u: %d of 20 seeds\n",
                pages, groups, deaf);
  assert_int_equal(deaf, 0);
  assert_true(pages <= groups / 50);
}

static void check_names_fields_out_of_range(void **state) {
  kml_tail_t tl;
  kml_tail_init(&tl);
  assert_null(kml_tail_check(&tl));
  tl.head = KML_TAIL_PEAKS;
  assert_string_equal(kml_tail_check(&tl), "tail ring index");
  kml_tail_init(&tl);
  tl.shape = NAN;
  assert_string_equal(kml_tail_check(&tl), "tail fit");
  kml_tail_init(&tl);
  tl.u = -1;
  assert_string_equal(kml_tail_check(&tl), "tail threshold");
  kml_tail_init(&tl);
  tl.clusters = INFINITY;
  assert_string_equal(kml_tail_check(&tl), "tail cluster count");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(threshold_settles_near_the_target_rate),
      cmocka_unit_test(rate_is_calibrated_on_exact_p_values),
      cmocka_unit_test(rate_falls_as_surprise_grows),
      cmocka_unit_test(a_quiet_series_lowers_its_threshold),
      cmocka_unit_test(one_incident_does_not_deafen),
      cmocka_unit_test(forgotten_cluster_teaches_nothing),
      cmocka_unit_test(young_ring_without_ties_keeps_its_maxima),
      cmocka_unit_test(second_group_of_maxima_does_not_page),
      cmocka_unit_test(check_names_fields_out_of_range),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
