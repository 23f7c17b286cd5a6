/* whatif: capacity planning from measured rates. Given what one consumer
 * sustains, the partitions and consumers of a topic today and the
 * production rate (a number, or a CSV series whose peak and forecast are
 * taken with the same models as the plugin), say whether lag stays under
 * the SLA at peak, and how many partitions and consumers would. */
#define _GNU_SOURCE
#include "cli.h"
#include "series_csv.h"

#include "ml/model.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(
      f, "usage: kafka-ml whatif --rate N|FILE.csv --per-consumer N "
         "--partitions P\n"
         "                       [--consumers C] [--sla SECONDS] "
         "[--peak-seconds S]\n"
         "                       [--headroom H] [--horizon SECONDS] "
         "[--topic NAME]\n"
         "  --rate           production in msg/s, or a CSV (timestamp,value) "
         "of it\n"
         "  --per-consumer   msg/s one consumer sustains (measured)\n"
         "  --partitions     partitions of the topic today\n"
         "  --consumers      consumers in the group today (default: "
         "partitions)\n"
         "  --sla            lag SLA in seconds (300)\n"
         "  --peak-seconds   how long a peak lasts (3600)\n"
         "  --headroom       spare capacity to plan for (0.2 = 20%%)\n"
         "  --horizon        how far ahead to forecast a CSV rate (7d in s)\n");
}

/* Peak of a measured rate: the larger of the highest value seen and the
 * upper 95% forecast at the horizon. */
static int rate_from_csv(const char *path, double horizon, double *peak,
                         double *forecast_upper) {
  kml_csv_series_t s;
  char err[512];
  if (kml_csv_read(path, &s, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml whatif: %s\n", err);
    kml_csv_free(&s);
    return 2;
  }
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.horizon = horizon;
  kml_model_t m;
  kml_model_init(&m);
  kml_output_t o = {0};
  *peak = 0;
  *forecast_upper = NAN;
  for (size_t i = 0; i < s.n; i++) {
    if (kml_model_update(&m, &cfg, KML_DS_GAUGE, s.t[i], s.x[i], &o) !=
        KML_RATE_OK)
      continue;
    if (o.value > *peak)
      *peak = o.value;
    *forecast_upper = o.forecast_upper;
  }
  kml_csv_free(&s);
  return 0;
}

int kml_cli_whatif(int argc, char **argv) {
  const char *rate_arg = NULL, *topic = "the topic";
  double per = NAN, partitions = NAN, consumers = NAN, sla = 300, peak_s = 3600,
         headroom = 0.2, horizon = 7 * 86400;
  static const struct option opts[] = {
      {"rate", required_argument, 0, 'r'},
      {"per-consumer", required_argument, 0, 'c'},
      {"partitions", required_argument, 0, 'p'},
      {"consumers", required_argument, 0, 'n'},
      {"sla", required_argument, 0, 's'},
      {"peak-seconds", required_argument, 0, 'k'},
      {"headroom", required_argument, 0, 'H'},
      {"horizon", required_argument, 0, 'z'},
      {"topic", required_argument, 0, 't'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    double v = NAN;
    if (c != 'r' && c != 't' && c != 'h' && c != '?' &&
        (kml_cli_parse_number(optarg, &v) != 0 || v < 0)) {
      fprintf(stderr, "kafka-ml whatif: bad number \"%s\"\n", optarg);
      return 2;
    }
    switch (c) {
    case 'r':
      rate_arg = optarg;
      break;
    case 'c':
      per = v;
      break;
    case 'p':
      partitions = v;
      break;
    case 'n':
      consumers = v;
      break;
    case 's':
      sla = v;
      break;
    case 'k':
      peak_s = v;
      break;
    case 'H':
      headroom = v;
      break;
    case 'z':
      horizon = v;
      break;
    case 't':
      topic = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (rate_arg == NULL || !(per > 0) || !(partitions >= 1)) {
    fprintf(stderr, "kafka-ml whatif: --rate, --per-consumer (> 0) and "
                    "--partitions (>= 1) are required\n");
    usage(stderr);
    return 2;
  }
  if (isnan(consumers))
    consumers = partitions;
  double peak, fc = NAN;
  if (kml_cli_parse_number(rate_arg, &peak) != 0) {
    int rc = rate_from_csv(rate_arg, horizon, &peak, &fc);
    if (rc != 0)
      return rc;
    printf("measured peak production: %.1f msg/s\n", peak);
    if (isfinite(fc)) {
      printf("forecast (95%% upper bound, %.1f days ahead): %.1f msg/s\n",
             horizon / 86400, fc);
      if (fc > peak)
        peak = fc;
    }
  }
  printf("planning for a peak of %.1f msg/s lasting %.0f s\n", peak, peak_s);
  /* A partition is consumed by at most one consumer of the group. */
  double active = fmin(consumers, partitions);
  double capacity = active * per;
  printf("today: %.0f partitions, %.0f consumers (%.0f active) x %.1f msg/s "
         "= %.1f msg/s\n",
         partitions, consumers, active, per, capacity);
  int ok = 1;
  if (capacity >= peak) {
    printf("at peak: capacity exceeds production by %.1f msg/s; lag stays "
           "near 0 s (SLA %.0f s): OK\n",
           capacity - peak, sla);
  } else {
    double backlog = (peak - capacity) * peak_s;
    double lag_s = backlog / capacity;
    ok = lag_s <= sla;
    printf("at peak: backlog grows %.1f msg/s, %.0f messages after %.0f s; "
           "lag about %.0f s (SLA %.0f s): %s\n",
           peak - capacity, backlog, peak_s, lag_s, sla,
           ok ? "OK" : "EXCEEDS SLA");
  }
  double need = ceil(peak * (1 + headroom) / per);
  if (need < 1)
    need = 1;
  if (need > partitions)
    printf("recommendation: increase partitions of %s from %.0f to %.0f and "
           "run %.0f consumers (capacity %.1f msg/s, %.0f%% headroom)\n",
           topic, partitions, need, need, need * per, headroom * 100);
  else if (need > active)
    printf("recommendation: keep %.0f partitions of %s and run %.0f "
           "consumers instead of %.0f (capacity %.1f msg/s)\n",
           partitions, topic, need, active, need * per);
  else
    printf("recommendation: no change needed; %.0f consumers would be "
           "enough with %.0f%% headroom\n",
           need, headroom * 100);
  return 0;
}
