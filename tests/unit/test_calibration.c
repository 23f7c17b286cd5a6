/* Statistical test of the false-alarm budget (src/ml/detector.c, tail.c,
 * gpd.c, alert.c): stationary Gaussian, Laplace, lognormal, Poisson and
 * random-walk noise at 1 s, 10 s and 5 min intervals, many seeds each,
 * notify within a factor of two of the budget per series and day after
 * the warm-up (lower and upper side). Counts, not times: the result does
 * not depend on the machine's speed; seeds are fixed, so it is the same
 * on every run. bench/bench_calibration prints the fuller table (more
 * seeds and days, other budgets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/model.h"
#include "noise.h"

#include <stdlib.h>

typedef struct {
  double interval, budget, refractory, days;
  int seeds;
} plan_t;

/* The three plans: enough series-days for 20 to 60 expected false
 * notifications each. At a budget of one per day the refractory time
 * (12 h) would cap the count, so those plans set it to 0. */
static const plan_t plans[] = {
    {300, 0.1, 12 * 3600, 21, 30},
    {10, 1, 0, 6, 10},
    {1, 1, 0, 4, 10},
};

/* Notifications per series and day after the warm-up, over the seeds. */
static double rate(kml_noise_kind_t k, const plan_t *p) {
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.alert.budget = p->budget;
  cfg.alert.refractory = p->refractory;
  long n = (long)(p->days * 86400 / p->interval);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  kml_model_t *m = malloc(sizeof(*m));
  assert_non_null(m);
  double notes = 0, days = 0;
  for (int s = 0; s < p->seeds; s++) {
    gsl_rng_set(r, 7919 * (unsigned long)k + s + 1);
    kml_model_init(m);
    double level = 0, warm_at = -1, t0 = 1.7e9;
    for (long i = 0; i < n; i++) {
      kml_output_t o;
      double t = t0 + i * p->interval;
      kml_model_update(m, &cfg, KML_DS_GAUGE, t, kml_noise_next(k, r, &level),
                       &o);
      if (o.warm && warm_at < 0)
        warm_at = t;
      notes += o.warm && o.alert_changed && o.alert != KML_ALERT_OKAY;
    }
    assert_true(warm_at > 0);
    days += (t0 + n * p->interval - warm_at) / 86400;
  }
  free(m);
  gsl_rng_free(r);
  return notes / days;
}

static void check(kml_noise_kind_t k) {
  for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
    double x = rate(k, &plans[i]);
    print_message("%-12s %4gs: %.3f notifications per day, budget %g "
                  "(ratio %.2f)\n",
                  kml_noise_name(k), plans[i].interval, x, plans[i].budget,
                  x / plans[i].budget);
    assert_true(x <= 2 * plans[i].budget);
    assert_true(x >= 0.5 * plans[i].budget);
  }
}

static void gaussian(void **state) { check(KML_NOISE_GAUSSIAN); }
static void laplace(void **state) { check(KML_NOISE_LAPLACE); }
static void lognormal(void **state) { check(KML_NOISE_LOGNORMAL); }
static void poisson(void **state) { check(KML_NOISE_POISSON); }
static void random_walk(void **state) { check(KML_NOISE_RANDOM_WALK); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gaussian),    cmocka_unit_test(laplace),
      cmocka_unit_test(lognormal),   cmocka_unit_test(poisson),
      cmocka_unit_test(random_walk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
