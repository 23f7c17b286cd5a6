/* tune: from the history collectd already keeps, propose the <Match>
 * blocks of the ml plugin that stay within a false-alarm budget, each with
 * the FalseAlarmsPerDay that keeps it there, and print them as a snippet
 * that loads as written.
 *
 * Series are grouped the way a <Match> selects them: collectd's layout
 * HOST/PLUGIN[-INSTANCE]/TYPE[-INSTANCE] gives one group per plugin and
 * type (CSV files: one group per directory, reported but without a
 * block, for want of identifiers). Each series is replayed through the
 * plugin's models once per rung of a ladder of FalseAlarmsPerDay settings
 * (the budget, then 1/2, 1/5 and 1/10 of it: the models run side by side
 * in one pass); every WARNING or FAILURE counts as a false alarm
 * (the history is taken as normal operation, which the output says), per
 * series-day past the anomaly model's warm-up. A group gets the largest
 * setting whose notifications per series and day stay within the budget:
 * the budget itself for series whose history is as calm as the model
 * assumes, less for series with more surprises than their noise explains.
 * Groups above the budget even at the lowest rung are listed with their
 * rate and left out. */
#define _GNU_SOURCE
#include "cli.h"
#include "sources.h"

#include "kml_conf.h"
#include "ml/model.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ladder of FalseAlarmsPerDay settings tried, as shares of the
 * budget (a 1-2-5 series over a decade). A group that needs less is not
 * one the model explains: below about 0.005 a day even a value 10,000 sds
 * out may not page (the surprise of one value is bounded by the history
 * it is ranked against), so such a setting would silence the group. */
static const double rungs[] = {1, 0.5, 0.2, 0.1};
#define N_RUNGS (sizeof(rungs) / sizeof(rungs[0]))

typedef struct {
  char plugin[128], type[128];
  int collectd; /* from collectd's files: the identity is known */
  size_t series, fc_notes;
  size_t notes[N_RUNGS]; /* anomaly notifications at each rung */
  double days;           /* series-days past the warm-up */
  double worst[N_RUNGS]; /* highest notifications per day of one series */
} group_t;

/* FalseAlarmsPerDay of rung r for the budget: at most what the plugin
 * accepts (KML_TAIL_TARGET). */
static double rung_budget(double budget, size_t r) {
  return fmin(budget, KML_TAIL_TARGET) * rungs[r];
}

void kml_cli_tune_usage(FILE *f) {
  fprintf(f,
          "usage: kafka-ml tune [options] INPUT...\n"
          "Propose <Match> blocks of the ml plugin from recorded history (the "
          "inputs of\n"
          "replay: collectd csv or rrd trees, CSV files) for a false-alarm "
          "budget, and\n"
          "print them as a snippet for collectd.conf (stdout). Series are "
          "grouped by\n"
          "plugin and type (collectd's HOST/PLUGIN-INST/TYPE-INST layout; "
          "otherwise by\n"
          "directory). Each series is replayed through the models; every "
          "WARNING or\n"
          "FAILURE it would have sent counts as a false alarm, so give history "
          "of\n"
          "normal operation. A group is proposed with the largest "
          "FalseAlarmsPerDay\n"
          "(the budget, or 1/2, 1/5, 1/10 of it) whose notifications per "
          "series and\n"
          "day past the warm-up stay within the budget; the others are "
          "listed, with\n"
          "their rate, as comments.\n"
          "  --budget N        notifications per series and day allowed (0.1: "
          "one in\n"
          "                    ten days)\n"
          "  --threshold X     also propose the forecast model against X (its "
          "alerts\n"
          "                    count too)\n"
          "  --horizon SECS    forecast horizon (1800)\n"
          "  -k, --kind KIND   gauge (default), derive, counter, absolute\n"
          "      --column NAME value column or RRD data source (value)\n");
}

static int tune_option(void *ctx, int c, const char *arg, char *err,
                       size_t errlen) {
  kml_tune_opts_t *o = ctx;
  switch (c) {
  case 'b':
    return kml_cli_number_arg("--budget", arg, 0, 1000, KML_CONF_MIN_OPEN,
                              &o->budget, err, errlen);
  case 'T':
    return kml_cli_number_arg("--threshold", arg, -INFINITY, INFINITY, 0,
                              &o->threshold, err, errlen);
  case 'H':
    return kml_cli_duration_arg("--horizon", arg, 0, 30 * 86400.0,
                                KML_CONF_MIN_OPEN, &o->horizon, err, errlen);
  case 'k':
    return kml_cli_kind_arg(arg, &o->kind, err, errlen);
  case 'C':
    o->column = arg;
    return 0;
  }
  return -1;
}

int kml_cli_tune_parse(int argc, char **argv, kml_tune_opts_t *o, char *err,
                       size_t errlen) {
  *o = (kml_tune_opts_t){
      .budget = 0.1, .threshold = NAN, .horizon = 1800, .kind = KML_DS_GAUGE};
  static const struct option opts[] = {{"budget", required_argument, 0, 'b'},
                                       {"threshold", required_argument, 0, 'T'},
                                       {"horizon", required_argument, 0, 'H'},
                                       {"kind", required_argument, 0, 'k'},
                                       {"column", required_argument, 0, 'C'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int verdict =
      kml_cli_getopt(argc, argv, "k:h", opts, tune_option, o, err, errlen);
  if (verdict != KML_CLI_OK)
    return verdict;
  if (optind >= argc) {
    snprintf(err, errlen, "no INPUT given (history: files or directories)");
    return KML_CLI_USAGE;
  }
  o->first_input = optind;
  o->n_inputs = argc - optind;
  return KML_CLI_OK;
}

/* Plugin and type of a series from its relative path: collectd's
 * HOST/PLUGIN[-INST]/TYPE[-INST].csv (for CSV files: the directory and the
 * file name, only to name the group). */
static void identity(const char *rel, char *plugin, size_t pl, char *type,
                     size_t tl) {
  char buf[4096];
  snprintf(buf, sizeof(buf), "%s", rel);
  char *parts[8];
  int n = 0;
  for (char *p = strtok(buf, "/"); p != NULL && n < 8; p = strtok(NULL, "/"))
    parts[n++] = p;
  plugin[0] = type[0] = '\0';
  if (n >= 2) {
    snprintf(plugin, pl, "%.*s", (int)strcspn(parts[n - 2], "-"), parts[n - 2]);
    size_t k = strcspn(parts[n - 1], "-.");
    snprintf(type, tl, "%.*s", (int)k, parts[n - 1]);
  }
}

/* Notifications the models would have sent for one series, with the
 * anomaly model at every rung of the ladder (notes[r]) and the forecast
 * model once (its alerts do not depend on the budget); *days gets the
 * days of history past the anomaly model's warm-up. */
static void replay_series(const kml_tune_opts_t *o, const kml_csv_series_t *s,
                          size_t *notes, size_t *fc_notes, double *days) {
  kml_model_cfg_t cfg[N_RUNGS];
  static kml_model_t m[N_RUNGS];
  for (size_t r = 0; r < N_RUNGS; r++) {
    cfg[r] = kml_model_defaults();
    cfg[r].threshold = o->threshold;
    cfg[r].horizon = o->horizon;
    cfg[r].alert.budget = rung_budget(o->budget, r);
    kml_model_init(&m[r]);
    notes[r] = 0;
  }
  *fc_notes = 0;
  double warm_from = NAN;
  for (size_t i = 0; i < s->n; i++) {
    kml_output_t out;
    for (size_t r = 0; r < N_RUNGS; r++) {
      if (kml_model_update(&m[r], &cfg[r], o->kind, s->t[i], s->x[i], &out) !=
          KML_RATE_OK)
        break; /* refused by one, refused by all */
      notes[r] += out.alert_changed && out.alert != KML_ALERT_OKAY;
      if (r == 0 && out.warm && isnan(warm_from))
        warm_from = s->t[i];
      if (r == 0)
        *fc_notes += isfinite(o->threshold) && out.fc_changed &&
                     out.fc_alert != KML_ALERT_OKAY;
    }
  }
  *days = isnan(warm_from) ? 0 : (s->t[s->n - 1] - warm_from) / 86400;
}

static group_t *group_of(group_t **gs, size_t *n, const char *plugin,
                         const char *type) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*gs)[i].plugin, plugin) == 0 &&
        strcmp((*gs)[i].type, type) == 0)
      return &(*gs)[i];
  group_t *g = realloc(*gs, (*n + 1) * sizeof(group_t));
  if (g == NULL)
    return NULL;
  *gs = g;
  memset(&g[*n], 0, sizeof(group_t));
  snprintf(g[*n].plugin, sizeof(g[*n].plugin), "%s", plugin);
  snprintf(g[*n].type, sizeof(g[*n].type), "%s", type);
  return &g[(*n)++];
}

/* An anchored POSIX extended regex matching exactly s. */
static void exact_regex(const char *s, char *out, size_t len) {
  size_t k = 0;
  out[k++] = '^';
  for (; *s && k + 4 < len; s++) {
    if (strchr(".[]()*+?{}|^$\\", *s))
      out[k++] = '\\';
    out[k++] = *s;
  }
  out[k++] = '$';
  out[k] = '\0';
}

/* Notifications per series and day of group g at rung r (forecast
 * included); 0 without a day past the warm-up. */
static double group_rate(const group_t *g, size_t r) {
  return g->days > 0 ? (g->notes[r] + g->fc_notes) / g->days : 0;
}

/* The largest rung within the budget, or N_RUNGS when none is. */
static size_t pick_rung(const kml_tune_opts_t *o, const group_t *g) {
  for (size_t r = 0; r < N_RUNGS; r++)
    if (group_rate(g, r) <= o->budget)
      return r;
  return N_RUNGS;
}

static void print_match(const kml_tune_opts_t *o, const group_t *g,
                        const char *name, size_t r) {
  char re[300];
  printf("  <Match \"%s\">\n", name);
  if (g->plugin[0]) {
    exact_regex(g->plugin, re, sizeof(re));
    printf("    Plugin \"%s\"\n", re);
  }
  if (g->type[0]) {
    exact_regex(g->type, re, sizeof(re));
    printf("    Type \"%s\"\n", re);
  }
  if (isfinite(o->threshold))
    printf("    Models \"anomaly\" \"forecast\"\n    Forecast %.0f\n"
           "    Threshold %.10g\n",
           o->horizon, o->threshold);
  else
    printf("    Models \"anomaly\"\n");
  printf("    FalseAlarmsPerDay %.4g\n", rung_budget(o->budget, r));
  printf("  </Match>\n");
}

static void print_snippet(const kml_tune_opts_t *o, const group_t *gs,
                          size_t n) {
  printf("# kafka-ml tune: budget %g notification(s) per series and day; "
         "every notification\n# in the history counts as a false alarm "
         "(history of normal operation assumed)\n<Plugin ml>\n",
         o->budget);
  for (size_t i = 0; i < n; i++) {
    const group_t *g = &gs[i];
    size_t r = pick_rung(o, g);
    size_t shown = r < N_RUNGS ? r : N_RUNGS - 1;
    char name[300];
    snprintf(name, sizeof(name), "%s%s%s", g->plugin[0] ? g->plugin : "series",
             g->type[0] ? "-" : "", g->type);
    printf("  # %s: %zu series, %.1f series-days past the warm-up; at "
           "FalseAlarmsPerDay %.4g: %zu anomaly and %zu forecast "
           "notification(s), %.3f per series and day (worst series %.3f)\n",
           name, g->series, g->days, rung_budget(o->budget, shown),
           g->notes[shown], g->fc_notes, group_rate(g, shown), g->worst[shown]);
    if (r > 0 && r < N_RUNGS)
      printf("  # at FalseAlarmsPerDay %.4g it would have been %.3f per series "
             "and day\n",
             rung_budget(o->budget, 0), group_rate(g, 0));
    if (g->days <= 0) {
      printf("  # not proposed: no history past the warm-up (a day) to "
             "judge it by\n");
      continue;
    }
    if (r == N_RUNGS) {
      printf("  # not proposed: above the budget of %g\n", o->budget);
      continue;
    }
    if (!g->collectd) {
      printf("  # within the budget; CSV files carry no collectd "
             "identifiers: write a <Match> with the Plugin and Type of "
             "these series and FalseAlarmsPerDay %.4g\n",
             rung_budget(o->budget, r));
      continue;
    }
    print_match(o, g, name, r);
  }
  printf("</Plugin>\n");
}

int kml_cli_tune(int argc, char **argv) {
  kml_tune_opts_t o;
  char err[1024];
  int st = kml_cli_parsed("tune",
                          kml_cli_tune_parse(argc, argv, &o, err, sizeof(err)),
                          err, kml_cli_tune_usage);
  if (st >= 0)
    return st;
  kml_sources_t ss = {0};
  for (int i = o.first_input; i < o.first_input + o.n_inputs; i++)
    if (kml_sources_add(&ss, argv[i], NULL, err, sizeof(err)) != 0) {
      fprintf(stderr, "kafka-ml tune: %s\n", err);
      kml_sources_free(&ss);
      return 2;
    }
  kml_sources_note_derived(&ss, "tune", stderr);
  group_t *gs = NULL;
  size_t n = 0;
  int status = 0;
  kml_csv_opts_t co = {.column = o.column};
  for (size_t i = 0; i < ss.n && status == 0; i++) {
    kml_csv_series_t s;
    int rc = kml_source_read(&ss.v[i], &co, &s, err, sizeof(err));
    if (rc == -2 && ss.v[i].found) {
      fprintf(stderr, "kafka-ml tune: warning: skipped %s\n", err);
    } else if (rc != 0) {
      fprintf(stderr, "kafka-ml tune: %s\n", err);
      status = 2;
    } else {
      char plugin[128], type[128];
      identity(ss.v[i].rel, plugin, sizeof(plugin), type, sizeof(type));
      int collectd = ss.v[i].kind != KML_SOURCE_CSV;
      if (!collectd)
        type[0] = '\0'; /* CSV files: one group per directory */
      group_t *g = group_of(&gs, &n, plugin, type);
      if (g != NULL)
        g->collectd = collectd;
      size_t notes[N_RUNGS], fc;
      double days;
      replay_series(&o, &s, notes, &fc, &days);
      if (g != NULL) {
        g->series++;
        g->fc_notes += fc;
        g->days += days;
        for (size_t r = 0; r < N_RUNGS; r++) {
          g->notes[r] += notes[r];
          if (days > 0 && (notes[r] + fc) / days > g->worst[r])
            g->worst[r] = (notes[r] + fc) / days;
        }
      }
    }
    kml_csv_free(&s);
  }
  kml_sources_free(&ss);
  if (status == 0)
    print_snippet(&o, gs, n);
  free(gs);
  return status;
}
