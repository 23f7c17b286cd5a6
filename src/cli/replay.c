/* replay: run recorded series through the exact models of the ml plugin
 * (kml_model_update) and write one result CSV per input, laid out like the
 * input tree so NAB's scorer can read a replayed NAB corpus directly.
 * All inputs are listed and every output path is checked before the first
 * file is written, so a refused run leaves nothing half done. */
#define _GNU_SOURCE
#include "cli.h"
#include "output.h"
#include "series_csv.h"
#include "sources.h"

#include "kml_clock.h"
#include "kml_conf.h"
#include "kml_str.h"
#include "ml/baseline.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  const kml_replay_opts_t *o;
  size_t files, rows, skipped;
  size_t detections; /* anomaly WARNING/FAILURE notifications */
  size_t forecasts;  /* forecast WARNING/FAILURE notifications */
  size_t cold;       /* series that ended before the anomaly warm-up */
  int progress;
} replay_t;

void kml_cli_replay_usage(FILE *f) {
  kml_detector_cfg_t d = kml_detector_defaults();
  fprintf(
      f,
      "usage: kafka-ml replay [options] INPUT...\n"
      "Run recorded series through the ml plugin's models. INPUT is a file "
      "or a\n"
      "directory searched for series:\n"
      "  *.csv                 timestamp,value (NAB's layout)\n"
      "  TYPE[-INST]-YYYY-MM-DD  collectd's csv plugin files (epoch,value); "
      "the days\n"
      "                        of one series are joined in date order\n"
      "  *.rrd                 collectd's rrdtool plugin files, read with "
      "`rrdtool\n"
      "                        dump` (Debian package rrdtool); the AVERAGE "
      "archives\n"
      "                        are joined, finest where it reaches\n"
      "Each result goes to OUTDIR/<path below the directory>[.csv] (a file: "
      "OUTDIR/\n"
      "<its name>), with the columns timestamp,value,anomaly_score,expected,"
      "lower,\n"
      "upper,alert[,forecast,eta,forecast_alert],notification[,rate,surprise,"
      "view]\n"
      "(notification: the severity of the notification the plugin would "
      "send then).\n"
      "Results are written to a temporary file and renamed into place: never "
      "through\n"
      "a symlink, never over one of the inputs (refused). In a directory, "
      "series\n"
      "without the value column (collectd's rx,tx types) are skipped with a "
      "warning;\n"
      "--column picks another column.\n\n"
      "  -o, --output DIR      results directory (default: results)\n"
      "  -k, --kind KIND       gauge (default), derive, counter, absolute\n"
      "      --column NAME     value column or RRD data source (default: "
      "value)\n"
      "      --strict          refuse rows out of time order or repeating "
      "a\n"
      "                        timestamp; by default such rows are sorted "
      "(stable:\n"
      "                        equal timestamps keep their file order) "
      "with a\n"
      "                        warning naming the first line\n"
      "Durations are seconds or take a unit: 90s, 30m, 6h, 3d.\n"
      "      --memory DUR      history the detector learns from (%gs)\n"
      "      --warmup DUR      time before the first notification (%gs)\n"
      "      --refractory DUR  time after a notification before the next\n"
      "                        one (%gs)\n"
      "      --relearn DUR     time an alert may last before its level is\n"
      "                        accepted as the new normal (%gs)\n"
      "      --budget N        false notifications per series and day on\n"
      "                        normal data (FalseAlarmsPerDay, %g)\n"
      "      --threshold X     forecast alerts against X (adds the columns\n"
      "                        forecast,eta,forecast_alert)\n"
      "      --horizon SECS    forecast horizon (1800, or \"30m\", up to "
      "30 days);\n"
      "                        given alone, adds the forecast columns too\n"
      "      --detector NAME   model (default) or zscore (the rolling\n"
      "                        z-score baseline over 200 values, alerting\n"
      "                        through the same state machine)\n"
      "      --why             adds the columns rate (events per day at "
      "least this\n"
      "                        surprising on normal data: the figure "
      "compared with\n"
      "                        --budget), surprise (bits, of the rarest "
      "view) and\n"
      "                        view (the most surprised: level, jump, "
      "season,\n"
      "                        shift, vol, drift, run, trend); zscore "
      "fills only\n"
      "                        rate\n"
      "  -q, --quiet           no progress or summary (else on stderr)\n"
      "      --version         print the version\n"
      "Input: a header naming timestamp (or time, epoch) and value; times "
      "as\n"
      "YYYY-MM-DD HH:MM:SS (UTC) or seconds since 1970; a UTF-8 BOM and "
      "CRLF\n"
      "or CR line ends are fine; every refusal names FILE:LINE (exit 2).\n",
      d.memory, d.warmup, kml_alert_defaults().refractory,
      kml_model_defaults().relearn, kml_alert_defaults().budget);
}

static int replay_option(void *ctx, int c, const char *arg, char *err,
                         size_t errlen) {
  kml_replay_opts_t *o = ctx;
  switch (c) {
  case 'q':
    o->quiet = 1;
    return 0;
  case 'S':
    o->strict = 1;
    return 0;
  case 'o':
    o->outdir = arg;
    return 0;
  case 'k':
    return kml_cli_kind_arg(arg, &o->kind, err, errlen);
  case 'C':
    o->column = arg;
    return 0;
  case 'M':
    return kml_cli_duration_arg("--memory", arg, 0, 365 * 86400.0,
                                KML_CONF_MIN_OPEN, &o->cfg.detector.memory, err,
                                errlen);
  case 'R':
    return kml_cli_duration_arg("--refractory", arg, 0, 365 * 86400.0, 0,
                                &o->cfg.alert.refractory, err, errlen);
  case 'W':
    return kml_cli_duration_arg("--warmup", arg, 0, 365 * 86400.0, 0,
                                &o->cfg.detector.warmup, err, errlen);
  case 'L':
    return kml_cli_duration_arg("--relearn", arg, 0, 365 * 86400.0,
                                KML_CONF_MIN_OPEN, &o->cfg.relearn, err,
                                errlen);
  case 'B':
    return kml_cli_number_arg("--budget", arg, 0, KML_TAIL_TARGET,
                              KML_CONF_MIN_OPEN, &o->cfg.alert.budget, err,
                              errlen);
  case 'T':
    return kml_cli_number_arg("--threshold", arg, -INFINITY, INFINITY, 0,
                              &o->cfg.threshold, err, errlen);
  case 'H':
    o->horizon_set = 1;
    return kml_cli_duration_arg("--horizon", arg, 0, 30 * 86400.0,
                                KML_CONF_MIN_OPEN, &o->cfg.horizon, err,
                                errlen);
  case 'Y':
    o->why = 1;
    return 0;
  case 'D':
    if (strcmp(arg, "zscore") == 0 || strcmp(arg, "model") == 0) {
      o->zscore = strcmp(arg, "zscore") == 0;
      return 0;
    }
    snprintf(err, errlen, "--detector \"%.40s\" is not model or zscore", arg);
    return -1;
  }
  return -1;
}

int kml_cli_replay_parse(int argc, char **argv, kml_replay_opts_t *o, char *err,
                         size_t errlen) {
  *o = (kml_replay_opts_t){
      .cfg = kml_model_defaults(), .kind = KML_DS_GAUGE, .outdir = "results"};
  static const struct option opts[] = {
      {"output", required_argument, 0, 'o'},
      {"kind", required_argument, 0, 'k'},
      {"column", required_argument, 0, 'C'},
      {"strict", no_argument, 0, 'S'},
      {"memory", required_argument, 0, 'M'},
      {"refractory", required_argument, 0, 'R'},
      {"warmup", required_argument, 0, 'W'},
      {"relearn", required_argument, 0, 'L'},
      {"budget", required_argument, 0, 'B'},
      {"quiet", no_argument, 0, 'q'},
      {"threshold", required_argument, 0, 'T'},
      {"horizon", required_argument, 0, 'H'},
      {"detector", required_argument, 0, 'D'},
      {"why", no_argument, 0, 'Y'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int verdict =
      kml_cli_getopt(argc, argv, "o:k:qh", opts, replay_option, o, err, errlen);
  if (verdict != KML_CLI_OK)
    return verdict;
  if (o->outdir[0] == '\0') {
    snprintf(err, errlen, "--output must not be empty");
    return KML_CLI_USAGE;
  }
  if (optind >= argc) {
    snprintf(err, errlen, "no INPUT given (a CSV file or a directory)");
    return KML_CLI_USAGE;
  }
  o->first_input = optind;
  o->n_inputs = argc - optind;
  return KML_CLI_OK;
}

/* The peer: rolling z-score over 200 values, its Gaussian tail probability
 * through the models' own alert state machine. */
static const char *const severity[] = {"OKAY", "WARNING", "FAILURE"};

/* --why: the rate compared with the budget, the bits of the rarest view
 * (empty when none) and that view (empty when none). */
static void why_columns(FILE *f, double rate, double surprise,
                        const char *view) {
  if (isfinite(rate))
    fprintf(f, ",%.6g", rate);
  else
    fputs(",", f);
  if (surprise >= 0)
    fprintf(f, ",%.3f", surprise);
  else
    fputs(",", f);
  fprintf(f, ",%s", view != NULL && strcmp(view, "none") != 0 ? view : "");
}

static int replay_zscore(replay_t *r, const kml_csv_series_t *s, FILE *f,
                         int fc) {
  kml_baseline_t b;
  kml_alert_t a = {0};
  if (kml_baseline_init(&b, 200) != 0)
    return -1;
  double dt = 0;
  for (size_t i = 0; i < s->n; i++) {
    double z, p, sc = kml_baseline_update(&b, s->x[i], &z, &p);
    if (i > 0 && s->t[i] > s->t[i - 1])
      dt = dt > 0 ? 0.9 * dt + 0.1 * (s->t[i] - s->t[i - 1])
                  : s->t[i] - s->t[i - 1];
    /* the same budget: its tail probability as events per day, a value
     * above its 99th percentile keeps the alert open */
    double rate = dt > 0 ? p * 86400 / dt : INFINITY;
    kml_alert_state_t st;
    int changed =
        kml_alert_update(&a, &r->o->cfg.alert, s->t[i], rate, p < 0.01, &st);
    int alert = changed && st != KML_ALERT_OKAY;
    r->detections += alert;
    fprintf(f, "%s,%.10g,%.6f,,,,%d%s,%s", s->stamp[i], s->x[i], sc, alert,
            fc ? ",,-1,0" : "", changed ? severity[st] : "");
    /* its rate is what it compares with the budget; it has no views */
    if (r->o->why)
      why_columns(f, rate, -1, NULL);
    fputc('\n', f);
  }
  kml_baseline_free(&b);
  return 0;
}

static void replay_model(replay_t *r, const kml_csv_series_t *s, FILE *f,
                         int fc) {
  kml_model_t m;
  kml_model_init(&m);
  int warm = 0;
  for (size_t i = 0; i < s->n; i++) {
    kml_output_t o;
    int rc = kml_model_update(&m, &r->o->cfg, r->o->kind, s->t[i], s->x[i], &o);
    if (rc == KML_RATE_OK) {
      warm |= o.warm;
      /* alert: a WARNING/FAILURE the plugin would have sent now */
      int alert = o.alert_changed && o.alert != KML_ALERT_OKAY;
      fprintf(f, "%s,%.10g,%.6f,%.10g,%.10g,%.10g,%d", s->stamp[i], o.value,
              o.score, o.expected, o.lower, o.upper, alert);
      if (fc)
        fprintf(f, ",%.10g,%.0f,%d", o.forecast, o.eta, (int)o.fc_alert);
      /* notification: what the plugin would send now, by severity */
      fprintf(f, ",%s%s%s%s", o.alert_changed ? severity[o.alert] : "",
              o.alert_changed && fc && o.fc_changed ? ";" : "",
              fc && o.fc_changed ? "forecast " : "",
              fc && o.fc_changed ? severity[o.fc_alert] : "");
      if (r->o->why)
        why_columns(f, o.rate, o.surprise, o.view);
      fputc('\n', f);
      r->detections += alert;
      r->forecasts += fc && o.fc_changed && o.fc_alert != KML_ALERT_OKAY;
    } else { /* refused or first counter sample: keep the row, score 0 */
      fprintf(f, "%s,,0,,,,0%s,%s\n", s->stamp[i], fc ? ",,-1,0" : "",
              r->o->why ? ",,," : "");
    }
  }
  r->cold += !warm;
}

static int replay_file(replay_t *r, const kml_source_t *j,
                       const kml_cli_inputs_t *inputs) {
  kml_csv_series_t s;
  char err[1024];
  kml_csv_opts_t co = {.strict = r->o->strict, .column = r->o->column};
  int rc = kml_source_read(j, &co, &s, err, sizeof(err));
  if (rc == -2 && j->found) { /* e.g. collectd's rx,tx files in a tree */
    fprintf(stderr, "kafka-ml replay: warning: skipped %s\n", err);
    kml_csv_free(&s);
    r->skipped++;
    return 0;
  }
  if (rc != 0) {
    fprintf(stderr, "kafka-ml replay: %s\n", err);
    kml_csv_free(&s);
    return 2;
  }
  if (s.reordered)
    fprintf(stderr,
            "kafka-ml replay: warning: %s:%ld: row before the one above it; "
            "%zu row(s) out of time order sorted\n",
            j->files[0], s.first_unsorted, s.reordered);
  if (s.duplicates && s.first_duplicate)
    fprintf(stderr,
            "kafka-ml replay: warning: %s:%ld: same timestamp as the row "
            "above; %zu such row(s) kept in file order\n",
            j->files[0], s.first_duplicate, s.duplicates);
  else if (s.duplicates)
    fprintf(stderr,
            "kafka-ml replay: warning: %s: %zu row(s) repeat a timestamp "
            "(after sorting); kept in file order\n",
            j->files[0], s.duplicates);
  char out[8192];
  snprintf(out, sizeof(out), "%s/%s", r->o->outdir, j->rel);
  kml_cli_out_t w;
  if (kml_cli_out_open(&w, out, inputs, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml replay: %s\n", err);
    kml_csv_free(&s);
    return 1;
  }
  int fc = isfinite(r->o->cfg.threshold) || r->o->horizon_set;
  fprintf(w.f,
          "timestamp,value,anomaly_score,expected,lower,upper,alert%s,"
          "notification%s\n",
          fc ? ",forecast,eta,forecast_alert" : "",
          r->o->why ? ",rate,surprise,view" : "");
  if (r->o->zscore) {
    if (replay_zscore(r, &s, w.f, fc) != 0) {
      kml_cli_out_abort(&w);
      kml_csv_free(&s);
      return 1;
    }
  } else
    replay_model(r, &s, w.f, fc);
  r->rows += s.n;
  r->files++;
  kml_csv_free(&s);
  if (kml_cli_out_commit(&w, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml replay: %s\n", err);
    return 1;
  }
  return 0;
}

/* Every series of the inputs. 0, or 2 after a message. */
static int list_sources(const kml_replay_opts_t *o, char **argv,
                        kml_sources_t *ss) {
  char err[1024];
  for (int i = o->first_input; i < o->first_input + o->n_inputs; i++)
    if (kml_sources_add(ss, argv[i], o->outdir, err, sizeof(err)) != 0) {
      fprintf(stderr, "kafka-ml replay: %s\n", err);
      return 2;
    }
  if (!o->quiet)
    kml_sources_note_derived(ss, "replay", stderr);
  return 0;
}

/* Refuse the whole run before writing anything when an output would
 * replace an input or two inputs would write the same output. */
static int check_outputs(const kml_replay_opts_t *o, const kml_sources_t *js,
                         const kml_cli_inputs_t *in) {
  for (size_t i = 0; i < js->n; i++) {
    char out[8192];
    snprintf(out, sizeof(out), "%s/%s", o->outdir, js->v[i].rel);
    if (kml_cli_inputs_has(in, out)) {
      fprintf(stderr,
              "kafka-ml replay: %s: the result would replace its own input "
              "%s; choose another --output directory\n",
              out, js->v[i].files[0]);
      return 2;
    }
    for (size_t k = 0; k < i; k++)
      if (strcmp(js->v[k].rel, js->v[i].rel) == 0) {
        fprintf(stderr,
                "kafka-ml replay: %s and %s would both be written to %s; "
                "replay them separately\n",
                js->v[k].files[0], js->v[i].files[0], out);
        return 2;
      }
  }
  return 0;
}

int kml_cli_replay(int argc, char **argv) {
  kml_replay_opts_t o;
  char err[512];
  int st = kml_cli_parsed(
      "replay", kml_cli_replay_parse(argc, argv, &o, err, sizeof(err)), err,
      kml_cli_replay_usage);
  if (st >= 0)
    return st;
  replay_t r = {.o = &o, .progress = !o.quiet && isatty(2)};
  kml_sources_t js = {0};
  kml_cli_inputs_t in = {0};
  int status = list_sources(&o, argv, &js);
  for (size_t i = 0; status == 0 && i < js.n; i++)
    for (size_t f = 0; status == 0 && f < js.v[i].n_files; f++)
      if (kml_cli_inputs_add(&in, js.v[i].files[f]) != 0) {
        fprintf(stderr, "kafka-ml replay: %s: %s\n", js.v[i].files[f],
                strerror(errno));
        status = 2;
      }
  if (status == 0)
    status = check_outputs(&o, &js, &in);
  double t0 = kml_clock_mono();
  for (size_t k = 0; status == 0 && k < js.n; k++) {
    if (r.progress)
      fprintf(stderr, "\r[%zu/%zu] %-60.60s", k + 1, js.n, js.v[k].rel);
    status = replay_file(&r, &js.v[k], &in);
  }
  if (r.progress)
    fprintf(stderr, "\r%80s\r", "");
  kml_sources_free(&js);
  kml_cli_inputs_free(&in);
  if (status != 0)
    return status;
  double secs = kml_clock_mono() - t0;
  if (!o.quiet)
    fprintf(stderr,
            "replayed %zu series, %zu values, %zu anomaly and %zu forecast "
            "notification(s) in %.2f s (%.0f values/s) into %s%s\n",
            r.files, r.rows, r.detections, r.forecasts, secs,
            secs > 0 ? r.rows / secs : 0.0, o.outdir,
            r.skipped ? " (some skipped: see the warnings)" : "");
  if (!o.quiet && r.cold > 0) {
    char w[32];
    kml_str_duration(w, sizeof(w), o.cfg.detector.warmup);
    fprintf(stderr,
            "%zu of %zu series ended within the %s warm-up: no anomaly "
            "notification was possible for %s (a shorter --warmup tries "
            "the model on less history)\n",
            r.cold, r.files, w, r.cold == 1 ? "it" : "them");
  }
  return 0;
}
