/* whatif: capacity planning from measured rates. Given what one consumer
 * sustains, the partitions and consumers of a topic today and the
 * production rate (a number, or a CSV series whose peak and forecast are
 * taken with the same models as the plugin), say whether lag stays under
 * the SLA at peak, and how many partitions and consumers would. */
#define _GNU_SOURCE
#include "cli.h"
#include "peak.h"
#include "rebalance_cost.h"
#include "series_csv.h"
#include "sources.h"

#include "kml_conf.h"

#include "ml/model.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kml_cli_whatif_usage(FILE *f) {
  fprintf(f, "usage: kafka-ml whatif --rate N|FILE.csv --per-consumer N "
             "--partitions P\n"
             "                       [--consumers C] [--sla SECONDS] "
             "[--peak-seconds S]\n"
             "                       [--headroom H] [--horizon SECONDS] "
             "[--topic NAME]\n"
             "  --rate           production in msg/s (> 0), or a CSV "
             "(timestamp,value) of it\n"
             "  --per-consumer   msg/s one consumer sustains (measured; > 0)\n"
             "  --partitions     partitions of the topic today (whole, "
             "1..1000000)\n"
             "  --consumers      consumers in the group today (whole, >= 1; "
             "default: partitions)\n"
             "  --sla            lag SLA in seconds or \"5m\" (300)\n"
             "  --peak-seconds   how long a peak lasts (3600)\n"
             "  --headroom       spare capacity to plan for, 0..10 (0.2 = "
             "20%%)\n"
             "  --horizon        how far ahead to plan from a measured rate "
             "(7d)\n"
             "  --topic          topic name used in the printed advice (\"the "
             "topic\")\n"
             "  --rebalance-pause  seconds a rebalance stops the group: also "
             "print the lag\n"
             "                   a rebalance adds at the planned rate and the "
             "time to drain it\n"
             "  --rebalances-per-hour  with --rebalance-pause: whether the "
             "group keeps up\n"
             "                   at this many rebalances an hour (a storm)\n"
             "Output (stdout): for a measured rate, its highest value, the "
             "daily peaks and\n"
             "their trend (growth is only assumed when the daily peaks show "
             "it, and never\n"
             "carried further ahead than the history is long), a backtest of "
             "that rule\n"
             "on the series itself; then the peak planned for, today's "
             "capacity, the lag\n"
             "at peak against the SLA, a recommendation for --topic, and the "
             "assumptions.\n"
             "FILE may be a CSV (timestamp,value), collectd csv day files or "
             "an RRD file.\n");
}

static int whatif_option(void *ctx, int c, const char *arg, char *err,
                         size_t errlen) {
  kml_whatif_opts_t *o = ctx;
  kml_conf_value_t v = kml_conf_string(arg);
  char why[200];
  const char *name = "";
  int rc = 0;
  switch (c) {
  case 'r':
    o->rate_arg = arg;
    if (kml_conf_parse_decimal(arg, &o->rate) != 0) {
      o->rate = NAN; /* a file */
      return 0;
    }
    name = "--rate";
    rc = kml_conf_number(&v, 0, 1e12, KML_CONF_MIN_OPEN, &o->rate, why,
                         sizeof(why));
    break;
  case 'c':
    name = "--per-consumer";
    rc = kml_conf_number(&v, 0, 1e12, KML_CONF_MIN_OPEN, &o->per, why,
                         sizeof(why));
    break;
  case 'p':
    name = "--partitions";
    rc = kml_conf_int(&v, 1, 1000000, &o->partitions, why, sizeof(why));
    break;
  case 'n':
    name = "--consumers";
    rc = kml_conf_int(&v, 1, 1000000, &o->consumers, why, sizeof(why));
    break;
  case 's':
    name = "--sla";
    rc = kml_conf_duration(&v, 0, 30 * 86400.0, KML_CONF_MIN_OPEN, &o->sla, why,
                           sizeof(why));
    break;
  case 'k':
    name = "--peak-seconds";
    rc = kml_conf_duration(&v, 0, 30 * 86400.0, KML_CONF_MIN_OPEN, &o->peak_s,
                           why, sizeof(why));
    break;
  case 'H':
    name = "--headroom";
    rc = kml_conf_number(&v, 0, 10, 0, &o->headroom, why, sizeof(why));
    break;
  case 'z':
    name = "--horizon";
    rc = kml_conf_duration(&v, 0, 366 * 86400.0, KML_CONF_MIN_OPEN, &o->horizon,
                           why, sizeof(why));
    break;
  case 'P':
    name = "--rebalance-pause";
    rc = kml_conf_duration(&v, 0, 86400.0, KML_CONF_MIN_OPEN,
                           &o->rebalance_pause, why, sizeof(why));
    break;
  case 'R':
    name = "--rebalances-per-hour";
    rc = kml_conf_number(&v, 0, 360000, KML_CONF_MIN_OPEN,
                         &o->rebalances_per_hour, why, sizeof(why));
    break;
  case 't':
    name = "--topic";
    rc = kml_conf_name(&v, 249, NULL, why, sizeof(why));
    if (rc == 0)
      o->topic = arg;
    break;
  default:
    return -1;
  }
  if (rc != 0)
    snprintf(err, errlen, "%s %s", name, why);
  return rc;
}

int kml_cli_whatif_parse(int argc, char **argv, kml_whatif_opts_t *o, char *err,
                         size_t errlen) {
  *o = (kml_whatif_opts_t){.topic = "the topic",
                           .rate = NAN,
                           .per = NAN,
                           .sla = 300,
                           .peak_s = 3600,
                           .headroom = 0.2,
                           .horizon = 7 * 86400,
                           .rebalance_pause = NAN};
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
      {"rebalance-pause", required_argument, 0, 'P'},
      {"rebalances-per-hour", required_argument, 0, 'R'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int verdict =
      kml_cli_getopt(argc, argv, "h", opts, whatif_option, o, err, errlen);
  if (verdict != KML_CLI_OK)
    return verdict;
  if (optind < argc) {
    snprintf(err, errlen, "unexpected argument \"%.60s\"", argv[optind]);
    return KML_CLI_USAGE;
  }
  if (o->rate_arg == NULL || isnan(o->per) || o->partitions == 0) {
    snprintf(err, errlen,
             "--rate, --per-consumer and --partitions are "
             "required");
    return KML_CLI_USAGE;
  }
  if (o->rebalances_per_hour > 0 && isnan(o->rebalance_pause)) {
    snprintf(err, errlen, "--rebalances-per-hour needs --rebalance-pause");
    return KML_CLI_USAGE;
  }
  if (o->consumers == 0)
    o->consumers = o->partitions;
  return KML_CLI_OK;
}

/* The peak to plan for from a measured rate series (a CSV, collectd's
 * csv or rrd files), with what it rests on and a backtest, printed. */
static int rate_from_file(const char *path, double horizon, double headroom,
                          double *peak) {
  kml_sources_t ss = {0};
  kml_csv_series_t s;
  char err[1024];
  memset(&s, 0, sizeof(s));
  int rc = kml_sources_add(&ss, path, NULL, err, sizeof(err));
  if (rc == 0 && ss.n != 1) {
    snprintf(err, sizeof(err), "%s: holds %zu series; --rate takes one", path,
             ss.n);
    rc = -1;
  }
  if (rc == 0)
    rc = kml_source_read(&ss.v[0], NULL, &s, err, sizeof(err));
  kml_sources_free(&ss);
  kml_peak_plan_t p;
  if (rc == 0 && kml_peak_plan(s.t, s.x, s.n, horizon, &p) != 0) {
    snprintf(err, sizeof(err), "%s: no value to plan from", path);
    rc = -1;
  }
  if (rc != 0) {
    fprintf(stderr, "kafka-ml whatif: %s\n", err);
    kml_csv_free(&s);
    return 2;
  }
  printf("measured: highest %.1f msg/s; daily peaks over %zu day(s), median "
         "%.1f msg/s\n",
         p.measured, p.days, p.median_peak);
  if (p.slope > 0)
    printf("growth: daily peaks rise %.1f msg/s per day (Theil-Sen, beyond "
           "their scatter); carried %.1f day(s) ahead: %.1f msg/s\n",
           p.slope, p.ahead_days, p.planned);
  else
    printf("growth: none the daily peaks show beyond their day-to-day "
           "scatter%s: planning for the highest value seen\n",
           p.days < 3 ? " (fewer than 3 days: no trend is estimated)" : "");
  kml_peak_backtest_t b;
  kml_peak_backtest(s.t, s.x, s.n, horizon, headroom, &b);
  if (b.tried > 0)
    printf("backtest on this series: planning like this at the end of each "
           "day (from day 3), the next %.1f day(s) peaked under the plan in "
           "%zu of %zu cases, under the plan plus %.0f%% headroom in %zu "
           "(worst: %.2f x the plan)\n",
           horizon / 86400, b.held, b.tried, headroom * 100, b.held_headroom,
           b.worst);
  else
    printf("backtest on this series: too short (needs 3 days plus %.1f "
           "day(s) after them)\n",
           horizon / 86400);
  *peak = p.planned;
  kml_csv_free(&s);
  return 0;
}

/* What a rebalance costs (c, computed once by the caller) at the planned
 * rate with today's capacity. */
static void print_rebalance_cost(const kml_rebalance_cost_t *pc, double rate,
                                 double capacity, double pause,
                                 double per_hour) {
  const kml_rebalance_cost_t c = *pc;
  printf("a rebalance: consumption stops for %.0f s at %.1f msg/s: %.0f "
         "messages of lag, the oldest %.0f s old; ",
         pause, rate, c.messages, c.lag_seconds);
  if (isfinite(c.drain_seconds))
    printf("drained in %.0f s at %.1f msg/s spare capacity (back to "
           "normal %.0f s after it begins)\n",
           c.drain_seconds, capacity - rate, c.recovered);
  else
    printf("never drained: no spare capacity (%.1f msg/s for %.1f msg/s)\n",
           capacity, rate);
  if (!(per_hour > 0))
    return;
  printf("at %.3g rebalances an hour (one every %.0f s): consumption paused "
         "%.0f%% of the time, %.1f msg/s consumed on average; ",
         per_hour, 3600 / per_hour, c.paused_share * 100, c.capacity_left);
  if (c.keeps_up)
    printf("the group recovers from each before the next: lag peaks at "
           "%.0f s\n",
           c.lag_seconds);
  else
    printf("a storm: the next rebalance comes before the group has "
           "recovered; the backlog grows %.1f msg/s without end\n",
           c.growth);
}

int kml_cli_whatif(int argc, char **argv) {
  kml_whatif_opts_t o;
  char perr[512];
  int st = kml_cli_parsed(
      "whatif", kml_cli_whatif_parse(argc, argv, &o, perr, sizeof(perr)), perr,
      kml_cli_whatif_usage);
  if (st >= 0)
    return st;
  const char *topic = o.topic;
  double per = o.per, partitions = (double)o.partitions,
         consumers = (double)o.consumers, sla = o.sla, peak_s = o.peak_s,
         headroom = o.headroom, horizon = o.horizon;
  double peak = o.rate;
  if (isnan(peak)) {
    int rc = rate_from_file(o.rate_arg, horizon, headroom, &peak);
    if (rc != 0)
      return rc;
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
  /* Rebalances at the rate given pause every consumer for that share of
   * the time: the capacity planned must cover the peak without it. */
  kml_rebalance_cost_t rc;
  int priced = !isnan(o.rebalance_pause) &&
               kml_rebalance_cost(peak, capacity, o.rebalance_pause,
                                  o.rebalances_per_hour, &rc) == 0;
  double paused = priced && o.rebalances_per_hour > 0 ? rc.paused_share : 0;
  double need = paused < 1 ? ceil(peak * (1 + headroom) / (per * (1 - paused)))
                           : INFINITY;
  if (need < 1)
    need = 1;
  char with[96] = "";
  if (paused > 0)
    snprintf(with, sizeof(with),
             " while rebalances pause consumption %.0f%% of the time",
             paused * 100);
  if (!isfinite(need))
    printf("recommendation: fix the rebalances first: at %.3g an hour with "
           "%.0f s pauses, consumption never runs; no number of consumers "
           "keeps up\n",
           o.rebalances_per_hour, o.rebalance_pause);
  else if (need > partitions)
    printf("recommendation: increase partitions of %s from %.0f to %.0f and "
           "run %.0f consumers (capacity %.1f msg/s, %.0f%% headroom%s)\n",
           topic, partitions, need, need, need * per, headroom * 100, with);
  else if (need > active)
    printf("recommendation: keep %.0f partitions of %s and run %.0f "
           "consumers instead of %.0f (capacity %.1f msg/s%s)\n",
           partitions, topic, need, active, need * per, with);
  else
    printf("recommendation: no change needed; %.0f consumers would be "
           "enough with %.0f%% headroom%s\n",
           need, headroom * 100, with);
  if (priced)
    print_rebalance_cost(&rc, peak, capacity, o.rebalance_pause,
                         o.rebalances_per_hour);
  printf("assumptions: the peak above recurs at full height for %.0f s; "
         "every consumer sustains %.1f msg/s; a partition feeds at most one "
         "consumer of the group (extra consumers idle); lag in seconds = "
         "backlog / capacity; %.0f%% headroom on top\n",
         peak_s, per, headroom * 100);
  return 0;
}
