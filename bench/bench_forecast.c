/* bench_forecast: the forecast and its 95% band for every value of one
 * series, through kml_model_update() exactly as the ml plugin and
 * `kafka-ml replay` run it, so bench/forecast.py can score the forecast
 * (MASE) and the band (coverage: the share of values inside the band
 * forecast one horizon earlier) without parsing replay's output.
 *
 *   bench_forecast HORIZON [NAME=VALUE ...] < series > forecasts
 * Input: one value per line, "EPOCH_SECONDS VALUE". Output: one line per
 * input line, "EPOCH_SECONDS VALUE FORECAST LOWER UPPER" (nan while the
 * forecaster has nothing to say). NAME=VALUE sets a forecaster setting
 * (kml_forecast_cfg_t field, e.g. level_lead=0.5) to compare variants in
 * one run; without them the shipped defaults are measured. */
#include "ml/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set(kml_forecast_cfg_t *c, const char *arg) {
  const char *eq = strchr(arg, '=');
  if (eq == NULL)
    return -1;
  size_t n = (size_t)(eq - arg);
  char *end;
  double v = strtod(eq + 1, &end);
  if (*end != '\0' || !isfinite(v))
    return -1;
#define FIELD(name)                                                            \
  if (n == strlen(#name) && strncmp(arg, #name, n) == 0) {                     \
    c->name = v;                                                               \
    return 0;                                                                  \
  }
  FIELD(level_lead)
  FIELD(trend_lead)
  FIELD(trend_shrink)
  FIELD(damp_tau)
  FIELD(noise_tau)
  FIELD(week_visits)
  FIELD(base_tau)
  FIELD(warmup)
  FIELD(z)
#undef FIELD
  if (n == strlen("weekly") && strncmp(arg, "weekly", n) == 0) {
    c->weekly = (int)v;
    return 0;
  }
  return -1;
}

int main(int argc, char **argv) {
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.horizon = argc > 1 ? atof(argv[1]) : 0;
  if (!(cfg.horizon > 0)) {
    fprintf(stderr, "usage: bench_forecast HORIZON_SECONDS [NAME=VALUE ...] "
                    "< series\n");
    return 2;
  }
  for (int i = 2; i < argc; i++)
    if (set(&cfg.forecast, argv[i]) != 0) {
      fprintf(stderr, "bench_forecast: unknown setting or bad value: %s\n",
              argv[i]);
      return 2;
    }
  kml_model_t *m = malloc(sizeof(*m));
  if (m == NULL)
    return 1;
  kml_model_init(m);
  double t, x;
  long line = 0;
  while (scanf("%lf %lf", &t, &x) == 2) {
    line++;
    kml_output_t o;
    double fc = NAN, lo = NAN, hi = NAN;
    if (kml_model_update(m, &cfg, KML_DS_GAUGE, t, x, &o) == KML_RATE_OK &&
        isfinite(o.forecast)) {
      fc = o.forecast;
      hi = o.forecast_upper;
      lo = isfinite(o.forecast_lower) ? o.forecast_lower : NAN;
    }
    printf("%.0f %.10g %.10g %.10g %.10g\n", t, x, fc, lo, hi);
  }
  free(m);
  if (!feof(stdin)) {
    fprintf(stderr, "bench_forecast: line %ld: expected \"EPOCH VALUE\"\n",
            line + 1);
    return 2;
  }
  return 0;
}
