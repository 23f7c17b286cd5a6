/* replay: run recorded series through the exact models of the ml plugin
 * (kml_model_update) and write one result CSV per input, laid out like the
 * input tree so NAB's scorer can read a replayed NAB corpus directly. */
#define _GNU_SOURCE
#include "cli.h"
#include "series_csv.h"

#include "kml_clock.h"
#include "ml/baseline.h"
#include "ml/model.h"

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
  kml_model_cfg_t cfg;
  kml_ds_kind_t kind;
  int zscore;      /* baseline detector instead of the models */
  int horizon_set; /* --horizon given: write the forecast columns */
  const char *outdir;
  size_t files, rows, detections;
  int progress;
} replay_t;

static int replay_file(replay_t *r, const char *in, const char *rel) {
  kml_csv_series_t s;
  char err[512];
  if (kml_csv_read(in, &s, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml replay: %s\n", err);
    kml_csv_free(&s);
    return 2;
  }
  char out[4096], dir[4096];
  snprintf(out, sizeof(out), "%s/%s", r->outdir, rel);
  snprintf(dir, sizeof(dir), "%s", out);
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  FILE *f = NULL;
  if (kml_cli_mkdirs(dir) != 0 || (f = fopen(out, "w")) == NULL) {
    fprintf(stderr, "kafka-ml replay: cannot write %s: %s\n", out,
            strerror(errno));
    kml_csv_free(&s);
    return 1;
  }
  int fc = isfinite(r->cfg.threshold) || r->horizon_set;
  fprintf(f, "timestamp,value,anomaly_score,expected,lower,upper,alert%s\n",
          fc ? ",forecast,eta,forecast_alert" : "");
  if (r->zscore) {
    /* The peer: rolling z-score over 200 values, its Gaussian tail
     * probability through the models' own alert state machine. */
    kml_baseline_t b;
    kml_alert_t a = {0};
    if (kml_baseline_init(&b, 200) != 0) {
      fclose(f);
      kml_csv_free(&s);
      return 1;
    }
    for (size_t i = 0; i < s.n; i++) {
      double z, p, sc = kml_baseline_update(&b, s.x[i], &z, &p);
      kml_alert_state_t st;
      int alert =
          kml_alert_update(&a, &r->cfg.alert, p, &st) && st != KML_ALERT_OKAY;
      r->detections += alert;
      fprintf(f, "%s,%.10g,%.6f,,,,%d%s\n", s.stamp[i], s.x[i], sc, alert,
              fc ? ",,-1,0" : "");
    }
    kml_baseline_free(&b);
    r->rows += s.n;
    r->files++;
    kml_csv_free(&s);
    return fclose(f) == 0 ? 0 : 1;
  }
  kml_model_t m;
  kml_model_init(&m);
  for (size_t i = 0; i < s.n; i++) {
    kml_output_t o;
    int rc = kml_model_update(&m, &r->cfg, r->kind, s.t[i], s.x[i], &o);
    if (rc == KML_RATE_OK) {
      /* alert: a WARNING/FAILURE the plugin would have sent now */
      int alert = o.alert_changed && o.alert != KML_ALERT_OKAY;
      fprintf(f, "%s,%.10g,%.6f,%.10g,%.10g,%.10g,%d", s.stamp[i], o.value,
              o.score, o.expected, o.lower, o.upper, alert);
      if (fc)
        fprintf(f, ",%.10g,%.0f,%d", o.forecast, o.eta, (int)o.fc_alert);
      fputc('\n', f);
    } else { /* refused or first counter sample: keep the row, score 0 */
      fprintf(f, "%s,,0,,,,0%s\n", s.stamp[i], fc ? ",,-1,0" : "");
    }
    r->detections +=
        rc == KML_RATE_OK && o.alert_changed && o.alert != KML_ALERT_OKAY;
  }
  r->rows += s.n;
  r->files++;
  kml_csv_free(&s);
  if (fclose(f) != 0) {
    fprintf(stderr, "kafka-ml replay: writing %s failed\n", out);
    return 1;
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect *.csv below root (sorted, so output order is deterministic). */
static int walk(const char *root, const char *sub, char ***list, size_t *n) {
  char path[4096];
  snprintf(path, sizeof(path), "%s%s%s", root, *sub ? "/" : "", sub);
  DIR *d = opendir(path);
  if (d == NULL)
    return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char rel[4096], full[8192];
    snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", e->d_name);
    snprintf(full, sizeof(full), "%s/%s", root, rel);
    struct stat st;
    if (stat(full, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode))
      walk(root, rel, list, n);
    else if (strlen(e->d_name) > 4 &&
             strcmp(e->d_name + strlen(e->d_name) - 4, ".csv") == 0) {
      *list = realloc(*list, sizeof(char *) * (*n + 1));
      (*list)[(*n)++] = strdup(rel);
    }
  }
  closedir(d);
  return 0;
}

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: kafka-ml replay [options] INPUT...\n"
      "Run CSV series (timestamp,value) through the ml plugin's models.\n"
      "INPUT is a file or a directory searched for *.csv; results go to\n"
      "OUTDIR/<path relative to the directory>, with the columns\n"
      "timestamp,value,anomaly_score,expected,lower,upper,alert.\n\n"
      "  -o, --output DIR      results directory (default: results)\n"
      "  -k, --kind KIND       gauge (default), derive, counter, absolute\n"
      "      --memory N        history length of the detector in values "
      "(%g)\n"
      "      --refractory N    values one detection suppresses (%g)\n"
      "      --warmup N        values before the first score (%g)\n"
      "      --alert-p P       tail probability of a detection (%g)\n"
      "      --threshold X     forecast alerts against X (adds the columns\n"
      "                        forecast,eta,forecast_alert)\n"
      "      --horizon SECS    forecast horizon (1800); given alone, adds\n"
      "                        the forecast columns too\n"
      "      --detector NAME   model (default) or zscore (the rolling\n"
      "                        z-score baseline over 200 values, alerting\n"
      "                        through the same state machine)\n"
      "  -q, --quiet           no progress or summary\n",
      kml_detector_defaults().memory, kml_detector_defaults().refractory,
      kml_detector_defaults().warmup, kml_detector_defaults().alert_p);
}

int kml_cli_replay(int argc, char **argv) {
  replay_t r = {.cfg = kml_model_defaults(),
                .kind = KML_DS_GAUGE,
                .outdir = "results",
                .progress = isatty(2)};
  int quiet = 0;
  static const struct option opts[] = {
      {"output", required_argument, 0, 'o'},
      {"kind", required_argument, 0, 'k'},
      {"memory", required_argument, 0, 'M'},
      {"refractory", required_argument, 0, 'R'},
      {"warmup", required_argument, 0, 'W'},
      {"alert-p", required_argument, 0, 'P'},
      {"quiet", no_argument, 0, 'q'},
      {"threshold", required_argument, 0, 'T'},
      {"horizon", required_argument, 0, 'H'},
      {"detector", required_argument, 0, 'D'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:k:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      r.outdir = optarg;
      break;
    case 'k':
      if (kml_cli_parse_kind(optarg, &r.kind) != 0) {
        fprintf(stderr, "kafka-ml replay: unknown kind \"%s\"\n", optarg);
        return 2;
      }
      break;
    case 'M':
    case 'R':
    case 'W':
    case 'P': {
      double v;
      if (kml_cli_parse_number(optarg, &v) != 0 || v < 0) {
        fprintf(stderr, "kafka-ml replay: bad number \"%s\"\n", optarg);
        return 2;
      }
      if (c == 'M')
        r.cfg.detector.memory = v < 10 ? 10 : v;
      else if (c == 'R')
        r.cfg.detector.refractory = v;
      else if (c == 'W')
        r.cfg.detector.warmup = v;
      else
        r.cfg.detector.alert_p = v;
      break;
    }
    case 'T':
    case 'H': {
      double v;
      if (kml_cli_parse_number(optarg, &v) != 0 || (c == 'H' && v <= 0)) {
        fprintf(stderr, "kafka-ml replay: bad number \"%s\"\n", optarg);
        return 2;
      }
      if (c == 'T')
        r.cfg.threshold = v;
      else {
        r.cfg.horizon = v;
        r.horizon_set = 1;
      }
      break;
    }
    case 'D':
      if (strcmp(optarg, "zscore") == 0)
        r.zscore = 1;
      else if (strcmp(optarg, "model") != 0) {
        fprintf(stderr, "kafka-ml replay: unknown detector \"%s\"\n", optarg);
        return 2;
      }
      break;
    case 'q':
      quiet = 1;
      r.progress = 0;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return 2;
  }
  double t0 = kml_clock_mono();
  int status = 0;
  for (int i = optind; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "kafka-ml replay: %s: %s\n", argv[i], strerror(errno));
      return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
      const char *base = strrchr(argv[i], '/');
      int rc = replay_file(&r, argv[i], base ? base + 1 : argv[i]);
      if (rc != 0)
        return rc;
      continue;
    }
    char **list = NULL;
    size_t n = 0;
    walk(argv[i], "", &list, &n);
    qsort(list, n, sizeof(char *), cmp_str);
    for (size_t k = 0; k < n && status == 0; k++) {
      char full[8192];
      snprintf(full, sizeof(full), "%s/%s", argv[i], list[k]);
      if (r.progress)
        fprintf(stderr, "\r[%zu/%zu] %-60.60s", k + 1, n, list[k]);
      status = replay_file(&r, full, list[k]);
    }
    if (r.progress)
      fprintf(stderr, "\r%80s\r", "");
    for (size_t k = 0; k < n; k++)
      free(list[k]);
    free(list);
    if (status != 0)
      return status;
  }
  double secs = kml_clock_mono() - t0;
  if (!quiet)
    fprintf(stderr,
            "replayed %zu file(s), %zu values, %zu alert(s) in %.2f s "
            "(%.0f values/s) into %s\n",
            r.files, r.rows, r.detections, secs, secs > 0 ? r.rows / secs : 0.0,
            r.outdir);
  return 0;
}
