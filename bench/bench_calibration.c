/* bench_calibration: does the false-alarm budget hold? Feeds stationary
 * noise (Gaussian, Laplace, lognormal, Poisson, random walk; noise.h)
 * through the anomaly model at the given intervals for many seeds and
 * counts notifications (WARNING or FAILURE onsets) after the warm-up, per
 * series and day, against the budget.
 *
 *   bench_calibration [BUDGET [DAYS [SEEDS [REFRACTORY [INTERVAL...]]]]]
 *   defaults: 0.1 per day, 21 days per series (the first is the warm-up),
 *   20 seeds, the default refractory time (43200 s), intervals 1 10 300
 * Prints one line per noise and interval: notifications, series-days,
 * rate per day and the ratio to the budget (goal: 0.5 to 2). A budget of
 * one per day or more needs REFRACTORY 0 (the refractory time caps it).
 * Environment SEED_OFFSET=N (default 0) shifts every seed by N: seeds not
 * used while choosing a design (held-out noise), e.g. SEED_OFFSET=100000
 * (the README's). Noise k's seeds start at 1000 k, so an offset below
 * 1000 x the number of noises reuses another noise's seeds. */
#include "ml/model.h"
#include "noise.h"

#include <stdio.h>
#include <stdlib.h>

static void run(kml_noise_kind_t k, double interval, const kml_model_cfg_t *cfg,
                double days, int seeds, unsigned long seed0, double *notes,
                double *sdays) {
  long n = (long)(days * 86400 / interval);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  kml_model_t *m = malloc(sizeof(*m));
  *notes = *sdays = 0;
  for (int s = 0; s < seeds; s++) {
    gsl_rng_set(r, 1000 * (unsigned long)k + seed0 + s + 1);
    kml_model_init(m);
    double level = 0, t0 = 1.7e9, warm_at = -1;
    for (long i = 0; i < n; i++) {
      double t = t0 + i * interval;
      kml_output_t o;
      kml_model_update(m, cfg, KML_DS_GAUGE, t, kml_noise_next(k, r, &level),
                       &o);
      if (o.warm && warm_at < 0)
        warm_at = t;
      if (o.warm && o.alert_changed && o.alert != KML_ALERT_OKAY)
        (*notes)++;
    }
    if (warm_at >= 0)
      *sdays += (t0 + n * interval - warm_at) / 86400;
  }
  free(m);
  gsl_rng_free(r);
}

int main(int argc, char **argv) {
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.alert.budget = argc > 1 ? atof(argv[1]) : 0.1;
  double days = argc > 2 ? atof(argv[2]) : 21;
  int seeds = argc > 3 ? atoi(argv[3]) : 20;
  if (argc > 4)
    cfg.alert.refractory = atof(argv[4]);
  double intervals[16] = {1, 10, 300};
  int ni = 3;
  if (argc > 5) {
    ni = 0;
    for (int i = 5; i < argc && ni < 16; i++)
      intervals[ni++] = atof(argv[i]);
  }
  const char *off = getenv("SEED_OFFSET");
  unsigned long seed0 = off != NULL ? strtoul(off, NULL, 10) : 0;
  if (!(cfg.alert.budget > 0) || !(days > 1) || seeds < 1) {
    fprintf(stderr, "usage: bench_calibration [BUDGET [DAYS [SEEDS "
                    "[REFRACTORY [INTERVAL...]]]]]\n");
    return 2;
  }
  printf("budget %g per series and day, %g days per series (first one "
         "warm-up), %d seeds (offset %lu), refractory %g s\n",
         cfg.alert.budget, days, seeds, seed0, cfg.alert.refractory);
  printf("%-12s %8s %13s %11s %9s %7s\n", "noise", "interval", "notifications",
         "series-days", "per day", "ratio");
  for (int k = 0; k < KML_NOISE_KINDS; k++)
    for (int i = 0; i < ni; i++) {
      double notes, sdays;
      run((kml_noise_kind_t)k, intervals[i], &cfg, days, seeds, seed0, &notes,
          &sdays);
      double rate = sdays > 0 ? notes / sdays : 0;
      printf("%-12s %7gs %13.0f %11.1f %9.4f %7.2f\n",
             kml_noise_name((kml_noise_kind_t)k), intervals[i], notes, sdays,
             rate, rate / cfg.alert.budget);
      fflush(stdout);
    }
  return 0;
}
