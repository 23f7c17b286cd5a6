/* simulate: Kafka-like series with labelled incidents, in NAB's layout
 * (OUT/data/<category>/<name>.csv, OUT/labels/combined_windows.json) plus
 * OUT/scenarios.json with the kind, the incident, the time it becomes
 * visible and, for SLA scenarios, the threshold and the time it is
 * breached. Seeded: the same seed gives the same bytes. Values are one per
 * --step seconds (10 s by default, a usual collectd Interval) over --days
 * days.
 *
 * Normal operation is as noisy as a real cluster's, so that a model that
 * pages on it is caught here rather than by an operator:
 *   - lag in seconds saw-tooths with the consumer's commit interval (5 s);
 *   - benign consumer pauses (GC, restarts) of 5 s to a minute, ~4 a day,
 *     during which lag grows with the clock, then catches up;
 *   - rebalance blips, ~2 a day, 5 to 30 s without consumption;
 *   - bursty producers, ~6 a day, 10 s to 2 min at 1.2-1.5x the rate;
 *   - leader moves, ~1 a day, shifting a broker's share by up to 15%;
 *   - daily and weekly cycles (weekends at 70%).
 * An incident becomes visible when the series leaves what normal
 * operation of the same series ever does (see visible_at()). */
#define _GNU_SOURCE
#include "cli.h"
#include "output.h"
#include "sim_rng.h"

#include "kml_conf.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Bounds that keep a run within seconds and a few hundred MB. */
#define MAX_PER_SERIES 2000000L
#define MAX_TOTAL 10000000L

/* Traffic shape: daily cycle peaking mid-afternoon, quieter weekends. */
static double traffic(double t) {
  double day = fmod(t, 86400) / 86400;
  int dow = (int)(fmod(floor(t / 86400) + 4, 7)); /* 0 = Sunday */
  double weekly = (dow == 0 || dow == 6) ? 0.7 : 1.0;
  return weekly * (1 + 0.6 * sin(2 * M_PI * (day - 0.375)));
}

/* Benign events of normal operation: Poisson arrivals, random durations. */
typedef struct {
  double rate;       /* per second */
  double dmin, dmax; /* duration range, seconds */
  double start, end; /* current (or last) event */
  double next;       /* next start */
  double param;      /* per-event draw (burst factor, share change) */
} events_t;

static events_t events(kml_sim_rng_t *r, double t0, double per_day, double dmin,
                       double dmax) {
  events_t e = {.rate = per_day / 86400, .dmin = dmin, .dmax = dmax};
  e.start = e.end = t0 - 1e9;
  e.next = t0 - log(kml_sim_uni(r)) / e.rate;
  return e;
}

/* Advance to time t; returns 1 while an event is running. */
static int events_at(events_t *e, kml_sim_rng_t *r, double t) {
  while (t >= e->next) {
    e->start = e->next;
    e->end = e->start + e->dmin + (e->dmax - e->dmin) * kml_sim_uni(r);
    e->param = kml_sim_uni(r);
    e->next = e->end - log(kml_sim_uni(r)) / e->rate;
  }
  return t >= e->start && t < e->end;
}

/* Normal operation of one series: its benign events. */
typedef struct {
  events_t pause, blip, burst, move;
  double commit_phase; /* seconds into the commit interval at t0 */
  double delay;        /* processing delay, seconds */
  double share;        /* leader share of a broker series */
} normal_t;

#define COMMIT_INTERVAL 5.0 /* auto.commit.interval.ms 5000 */
#define PAUSE_MAX 60.0      /* longest benign consumer pause */
#define BLIP_MAX 30.0       /* longest benign rebalance */

static normal_t normal_new(kml_sim_rng_t *r, double t0) {
  normal_t n;
  n.pause = events(r, t0, 4, 5, PAUSE_MAX);
  n.blip = events(r, t0, 2, 5, BLIP_MAX);
  n.burst = events(r, t0, 6, 10, 120);
  n.move = events(r, t0, 1, 0, 0);
  n.commit_phase = COMMIT_INTERVAL * kml_sim_uni(r);
  n.delay = 1 + 2 * kml_sim_uni(r);
  n.share = 1;
  return n;
}

/* Extra lag (seconds) from a consumer that stopped during [start, end):
 * it grows with the clock, then the backlog is consumed 5x faster. */
static double stopped_lag(const events_t *e, double t) {
  if (t < e->start)
    return 0;
  if (t < e->end)
    return t - e->start;
  double d = e->end - e->start;
  double left = d - 5 * (t - e->end);
  return left > 0 ? left : 0;
}

/* Lag in seconds of a healthy consumer at t: processing delay, the
 * commit saw-tooth, pauses and rebalances, a little more at busy times. */
static double normal_lag(normal_t *n, kml_sim_rng_t *r, double t) {
  events_at(&n->pause, r, t);
  events_at(&n->blip, r, t);
  double saw = fmod(t + n->commit_phase, COMMIT_INTERVAL);
  double lag = n->delay * traffic(t) + saw + fabs(0.5 * kml_sim_gauss(r));
  lag += stopped_lag(&n->pause, t) + stopped_lag(&n->blip, t);
  if (events_at(&n->burst, r, t))
    lag += 2 + 3 * n->burst.param;
  return lag;
}

/* Messages per second at t for a series of the given scale: cycles,
 * noise and producer bursts; broker series also follow leader moves. */
static double normal_rate(normal_t *n, kml_sim_rng_t *r, double t, double scale,
                          int broker) {
  double v = scale * traffic(t) * (1 + 0.04 * kml_sim_gauss(r));
  if (events_at(&n->burst, r, t))
    v *= 1.2 + 0.3 * n->burst.param;
  if (broker) {
    double before = n->move.start;
    events_at(&n->move, r, t);
    if (n->move.start != before) /* a leader moved: the share changes */
      n->share = 0.85 + 0.3 * n->move.param;
    v *= n->share;
  }
  return v;
}

typedef enum {
  TRAFFIC,
  STALL,
  SLOW_CONSUMER,
  HOT_PARTITION,
  REBALANCE_STORM,
  BROKER_DRIFT,
  RETENTION,
  N_KINDS
} kind_t;

static const struct {
  const char *name, *category, *series;
  int sla; /* has a threshold */
} kinds[N_KINDS] = {
    {"traffic_normal", "kafkaTraffic", "topic messages in (msg/s)", 0},
    {"consumer_stall", "kafkaLag", "group lag (s)", 0},
    {"slow_consumer", "kafkaLag", "group lag (s)", 1},
    {"hot_partition", "kafkaPartitions", "partition messages in (msg/s)", 0},
    {"rebalance_storm", "kafkaLag", "group consumption (msg/s)", 0},
    {"broker_drift", "kafkaPartitions", "broker messages in (msg/s)", 0},
    {"retention_overtake", "kafkaRetention", "lag as % of retained", 1},
};

typedef struct {
  double threshold; /* SLA threshold, NAN none */
  double breach;    /* first time at or above threshold, 0 none */
} truth_t;

static void stamp(char *buf, size_t len, double t) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Value of scenario kind k at time t, without (*v0, normal operation) and
 * with the incident that starts at inc (returned). Both come from the same
 * random draws, so they differ by the incident alone. */
static double value(kind_t k, normal_t *n, kml_sim_rng_t *r, double t,
                    double inc, double scale, double *v0) {
  double since = t - inc;
  double v;
  switch (k) {
  case TRAFFIC:
    v = *v0 = normal_rate(n, r, t, scale, 0);
    return v;
  case STALL:
    v = *v0 = normal_lag(n, r, t);
    if (since >= 0 && since < 7200)
      v += since; /* nothing consumed: age grows with the clock */
    return v;
  case SLOW_CONSUMER:
    /* Capacity fixed; production grows from the incident on: the
     * backlog (and so the lag in seconds) grows ever faster. */
    v = *v0 = normal_lag(n, r, t);
    if (since > 0)
      v += 0.5 * pow(since / 3600.0, 2) * 10;
    return v;
  case HOT_PARTITION:
    v = *v0 = normal_rate(n, r, t, scale, 0);
    return since >= 0 && since < 6 * 3600 ? 4 * v : v;
  case REBALANCE_STORM: {
    /* consumption stops during benign rebalances too */
    double blip = events_at(&n->blip, r, t);
    v = *v0 =
        blip ? scale * 0.02 * kml_sim_uni(r) : normal_rate(n, r, t, scale, 0);
    if (since >= 0 && since < 3600 && fmod(since, 600) < 150)
      v = scale * 0.02 * kml_sim_uni(r); /* group stops during each rebalance */
    return v;
  }
  case BROKER_DRIFT:
    v = *v0 = normal_rate(n, r, t, scale, 1);
    if (since > 0)
      v *= 1 - 0.5 * fmin(since / (12 * 3600.0), 1.0);
    return v;
  case RETENTION: {
    /* The slow group's lag as a share of what the log retains: around
     * 30%, a saw-tooth as segments are deleted (hourly), then climbing to
     * 100% (data loss) over ~10 hours. */
    v = *v0 = 30 + 2 * fmod(t / 3600.0, 1.0) + 0.5 * kml_sim_gauss(r) +
              0.01 * normal_lag(n, r, t);
    if (since > 0)
      v += 7.5 * since / 3600.0;
    return fmin(v, 105);
  }
  default:
    return *v0 = 0;
  }
}

/* Index of the first value at or after the incident (index i0) that
 * normal operation of the same series could not produce: above the
 * highest normal value for lag-like kinds, at least twice (hot partition)
 * or below 85% (drift: 3 noise sds) of what that moment would have been,
 * consumption stopped for longer than the longest benign rebalance.
 * -1 when it never shows. */
static long visible_at(kind_t k, const double *v, const double *v0, long n,
                       long i0, double step) {
  double hi = -INFINITY;
  for (long i = 0; i < n; i++)
    hi = v0[i] > hi ? v0[i] : hi;
  long stopped = 0;
  for (long i = i0; i < n; i++) {
    switch (k) {
    case STALL:
    case SLOW_CONSUMER:
    case RETENTION:
      if (v[i] > hi)
        return i;
      break;
    case HOT_PARTITION:
      if (v[i] >= 2 * v0[i])
        return i;
      break;
    case BROKER_DRIFT:
      if (v[i] < 0.85 * v0[i])
        return i;
      break;
    case REBALANCE_STORM:
      stopped = v[i] < 0.1 * v0[i] ? stopped + 1 : 0;
      if (stopped * step > BLIP_MAX)
        return i;
      break;
    default:
      return -1;
    }
  }
  return -1;
}

void kml_cli_simulate_usage(FILE *f) {
  fprintf(f,
          "usage: kafka-ml simulate -o DIR [--seed N] [--days D] [--step S] "
          "[--copies K]\n"
          "Generate Kafka-like series with labelled incidents in NAB's "
          "layout:\n"
          "DIR/data/<category>/<name>.csv (timestamp,value), "
          "DIR/labels/combined_windows.json,\n"
          "DIR/scenarios.json (kind, incident, when it becomes visible, SLA "
          "threshold and breach).\n"
          "Scenarios: traffic_normal (no incident), consumer_stall, "
          "slow_consumer (SLA),\n"
          "hot_partition, rebalance_storm, broker_drift, retention_overtake "
          "(SLA).\n"
          "The same seed gives the same bytes. Files are written to a "
          "temporary name\n"
          "and renamed into place (never through a symlink).\n"
          "  -o, --output DIR  where to write (required; created if "
          "missing)\n"
          "  --seed N    random seed, a whole number (1)\n"
          "  --days D    length of each series in days, 2..3660 (7)\n"
          "  --step S    seconds between values, 1..86400 or \"5m\" (10)\n"
          "  --copies K  series per scenario, 1..1000 (3)\n"
          "At most %ld values per series and %ld in all: beyond, the "
          "command\n"
          "refuses and says what to change.\n",
          (long)MAX_PER_SERIES, (long)MAX_TOTAL);
}

static int simulate_option(void *ctx, int c, const char *arg, char *err,
                           size_t errlen) {
  kml_simulate_opts_t *o = ctx;
  kml_conf_value_t v = kml_conf_string(arg);
  char why[200];
  long long n;
  int rc = 0;
  const char *name = "";
  switch (c) {
  case 'o':
    o->out = arg;
    return 0;
  case 's':
    name = "--seed";
    rc = kml_conf_int(&v, 0, 9007199254740992LL, &n, why, sizeof(why));
    if (rc == 0)
      o->seed = (unsigned long long)n;
    break;
  case 'd':
    name = "--days";
    rc = kml_conf_number(&v, 2, 3660, 0, &o->days, why, sizeof(why));
    break;
  case 't':
    name = "--step";
    rc = kml_conf_duration(&v, 1, 86400, 0, &o->step, why, sizeof(why));
    break;
  case 'k':
    name = "--copies";
    rc = kml_conf_int(&v, 1, 1000, &o->copies, why, sizeof(why));
    break;
  default:
    return -1;
  }
  if (rc != 0)
    snprintf(err, errlen, "%s %s", name, why);
  return rc;
}

int kml_cli_simulate_parse(int argc, char **argv, kml_simulate_opts_t *o,
                           char *err, size_t errlen) {
  *o = (kml_simulate_opts_t){.seed = 1, .days = 7, .step = 10, .copies = 3};
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"seed", required_argument, 0, 's'},
                                       {"days", required_argument, 0, 'd'},
                                       {"step", required_argument, 0, 't'},
                                       {"copies", required_argument, 0, 'k'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int verdict =
      kml_cli_getopt(argc, argv, "o:h", opts, simulate_option, o, err, errlen);
  if (verdict != KML_CLI_OK)
    return verdict;
  if (optind < argc) {
    snprintf(err, errlen, "unexpected argument \"%.60s\"", argv[optind]);
    return KML_CLI_USAGE;
  }
  if (o->out == NULL || o->out[0] == '\0') {
    snprintf(err, errlen,
             "-o DIR is required: the directory that receives data/, "
             "labels/ and scenarios.json");
    return KML_CLI_USAGE;
  }
  /* bounded before any cast: --days 1e6 or --step 1e-9 must not overflow */
  double per = floor(o->days * 86400 / o->step);
  if (!(per <= MAX_PER_SERIES)) {
    snprintf(err, errlen,
             "--days %g with --step %g makes %.0f values per series; at most "
             "%ld (fewer days or a longer step)",
             o->days, o->step, per, (long)MAX_PER_SERIES);
    return KML_CLI_USAGE;
  }
  if (!(per * N_KINDS * (double)o->copies <= MAX_TOTAL)) {
    snprintf(err, errlen,
             "%d scenarios x %lld copies x %.0f values is %.0f values; at "
             "most %ld in all (fewer --copies, fewer --days or a longer "
             "--step)",
             N_KINDS, o->copies, per, per * N_KINDS * (double)o->copies,
             (long)MAX_TOTAL);
    return KML_CLI_USAGE;
  }
  o->values_per_series = (long long)per;
  return KML_CLI_OK;
}

/* One output file; NULL after a message on stderr. */
static FILE *open_out(kml_cli_out_t *w, const char *path) {
  char err[1024];
  if (kml_cli_out_open(w, path, NULL, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml simulate: %s\n", err);
    return NULL;
  }
  return w->f;
}

static int close_out(kml_cli_out_t *w) {
  char err[1024];
  if (kml_cli_out_commit(w, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml simulate: %s\n", err);
    return -1;
  }
  return 0;
}

/* What the labels of one simulated series need. */
typedef struct {
  double inc; /* the incident's start (none for TRAFFIC) */
  truth_t tr; /* the SLA threshold and its breach, if any */
  long vis;   /* the value at which the incident became visible; -1 */
} sim_series_t;

/* Write the series of kind k to path (timestamp,value), drawing its
 * incident, scale and normal behaviour from r; vals holds 2 n values of
 * room (the series and the series without its incident). */
static int write_series(const char *path, kind_t k, kml_sim_rng_t *r,
                        const kml_simulate_opts_t *o, double t0, double *vals,
                        sim_series_t *ss) {
  long n = (long)o->values_per_series;
  double step = o->step, *vals0 = vals + n;
  kml_cli_out_t fw;
  FILE *f = open_out(&fw, path);
  if (f == NULL)
    return -1;
  /* Incident somewhere in days 3..(days-1), at a random time of day. */
  double inc = t0 + 86400 * (2 + kml_sim_uni(r) * (o->days - 3.5));
  inc = t0 + floor((inc - t0) / step) * step;
  double scale = 200 + 800 * kml_sim_uni(r);
  truth_t tr = {.threshold = NAN};
  if (k == SLOW_CONSUMER)
    tr.threshold = 300;
  else if (k == RETENTION)
    tr.threshold = 100;
  normal_t nm = normal_new(r, t0);
  fprintf(f, "timestamp,value\n");
  for (long i = 0; i < n; i++) {
    double t = t0 + i * step;
    double v = value(k, &nm, r, t, inc, scale, &vals0[i]);
    vals[i] = v;
    if (isfinite(tr.threshold) && tr.breach == 0 && v >= tr.threshold)
      tr.breach = t;
    char ts[32];
    stamp(ts, sizeof(ts), t);
    fprintf(f, "%s,%.4f\n", ts, v);
  }
  *ss = (sim_series_t){
      .inc = inc,
      .tr = tr,
      .vis = k == TRAFFIC ? -1
                          : visible_at(k, vals, vals0, n,
                                       (long)ceil((inc - t0) / step), step)};
  return close_out(&fw);
}

/* The series' entries in labels/combined_windows.json (win) and
 * scenarios.json (sc). */
static void write_labels(FILE *win, FILE *sc, kind_t k, const char *name,
                         const sim_series_t *ss, const kml_simulate_opts_t *o,
                         double t0, int first) {
  /* Window: NAB style, starting at the incident, ~10% of the series
   * long (or up to the breach for SLA scenarios). */
  char a[32], b[32], span[96];
  double wend = ss->inc + floor(0.1 * (long)o->values_per_series) * o->step;
  if (ss->tr.breach > 0 && ss->tr.breach > ss->inc)
    wend = ss->tr.breach;
  stamp(a, sizeof(a), ss->inc);
  stamp(b, sizeof(b), wend);
  snprintf(span, sizeof(span), "[\"%s.000000\", \"%s.000000\"]", a, b);
  fprintf(win, "%s    \"%s/%s.csv\": [%s]", first ? "" : ",\n",
          kinds[k].category, name, k == TRAFFIC ? "" : span);
  char br[32] = "";
  if (ss->tr.breach > 0)
    stamp(br, sizeof(br), ss->tr.breach);
  fprintf(sc,
          "%s  {\"file\": \"%s/%s.csv\", \"kind\": \"%s\", \"series\": "
          "\"%s\", \"incident\": %s%s%s",
          first ? "" : ",\n", kinds[k].category, name, kinds[k].name,
          kinds[k].series, k == TRAFFIC ? "null" : "\"", k == TRAFFIC ? "" : a,
          k == TRAFFIC ? "" : "\"");
  if (ss->vis >= 0) {
    char vs[32];
    stamp(vs, sizeof(vs), t0 + ss->vis * o->step);
    fprintf(sc, ", \"visible\": \"%s\"", vs);
  }
  if (isfinite(ss->tr.threshold))
    fprintf(sc, ", \"threshold\": %g, \"breach\": \"%s\"", ss->tr.threshold,
            br);
  fprintf(sc, "}");
}

int kml_cli_simulate(int argc, char **argv) {
  kml_simulate_opts_t o;
  char perr[512];
  int st = kml_cli_parsed(
      "simulate", kml_cli_simulate_parse(argc, argv, &o, perr, sizeof(perr)),
      perr, kml_cli_simulate_usage);
  if (st >= 0)
    return st;
  const char *out = o.out;
  long long copies = o.copies;
  char path[4096];
  kml_cli_out_t ww, sw;
  snprintf(path, sizeof(path), "%s/labels/combined_windows.json", out);
  FILE *win = open_out(&ww, path);
  if (win == NULL)
    return 1;
  snprintf(path, sizeof(path), "%s/scenarios.json", out);
  FILE *sc = open_out(&sw, path);
  if (sc == NULL) {
    kml_cli_out_abort(&ww);
    return 1;
  }
  fprintf(win, "{\n");
  fprintf(sc, "[\n");
  kml_sim_rng_t r = {(uint64_t)o.seed * 2654435761ULL + 12345};
  const double t0 = 1767225600; /* 2026-01-01 00:00:00 UTC, a Thursday */
  long n = (long)o.values_per_series;
  int first = 1;
  double *vals = malloc(2 * (size_t)n * sizeof(double));
  if (vals == NULL) {
    fprintf(stderr, "kafka-ml simulate: out of memory for %ld values\n", n);
    kml_cli_out_abort(&ww);
    kml_cli_out_abort(&sw);
    return 1;
  }
  for (int k = 0; k < N_KINDS; k++)
    for (long long copy = 0; copy < copies; copy++) {
      char name[128];
      snprintf(name, sizeof(name), "%s_%lld", kinds[k].name, copy + 1);
      snprintf(path, sizeof(path), "%s/data/%s/%s.csv", out, kinds[k].category,
               name);
      sim_series_t ss;
      if (write_series(path, (kind_t)k, &r, &o, t0, vals, &ss) != 0) {
        kml_cli_out_abort(&ww);
        kml_cli_out_abort(&sw);
        free(vals);
        return 1;
      }
      write_labels(win, sc, (kind_t)k, name, &ss, &o, t0, first);
      first = 0;
    }
  free(vals);
  fprintf(win, "\n}\n");
  fprintf(sc, "\n]\n");
  int bad = close_out(&ww) != 0;
  if (close_out(&sw) != 0 || bad)
    return 1;
  fprintf(stderr, "simulated %lld series of %ld values into %s\n",
          N_KINDS * copies, n, out);
  return 0;
}
