/* explain: `kafka-ml explain`, the chain behind a consumer group's backlog
 * (src/ml/cause.h) printed from recorded series, the same chain the ml
 * plugin's <Cause> block puts into a notification.
 *
 * It reads collectd's csv plugin output (DataDir/HOST/PLUGIN[-PI]/
 * TYPE[-TI]-YYYY-MM-DD, every data source column of each), files each
 * value into a cause context up to the time asked, as the plugin's write
 * path files them (types.db gives counters and derives, which become
 * rates), then explains one trigger: the group's total lag, or one of its
 * partitions. */
#include "cli.h"
#include "sources.h"

#include "kml_str.h"
#include "ml/cause.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TYPES_DB 8
#define MAX_SCOPES KML_CAUSE_SCOPES

typedef struct {
  const char *group, *partition, *host;
  double at;   /* NAN: the group's last value */
  double step; /* NAN: the group's median interval */
  int method_set;
  kml_xcorr_method_t method;
  const char *types_db[MAX_TYPES_DB];
  int n_types_db;
  kml_cause_scope_t scope[MAX_SCOPES];
  int n_scopes;
  int first_input, n_inputs;
} explain_opts_t;

void kml_cli_explain_usage(FILE *f) {
  fprintf(
      f,
      "usage: kafka-ml explain --group ID [options] DATADIR...\n"
      "Why a consumer group backed up, from collectd's csv plugin files "
      "(DataDir/HOST/\n"
      "PLUGIN[-INSTANCE]/TYPE[-INSTANCE]-YYYY-MM-DD, every data source "
      "column): the\n"
      "partitions that backed up, their leaders, whether those brokers are "
      "outliers\n"
      "among their peers, and the best-matching series per scope "
      "(application and\n"
      "resource metrics apart), as the ml plugin's <Cause> block puts it "
      "into a\n"
      "notification: one link per line, then the notification's message "
      "and meta data.\n\n"
      "  -g, --group ID        the group (its id, or plugin instance "
      "group-ID)\n"
      "  -p, --partition TI    explain one partition's backlog (TOPIC-N), as "
      "a peer\n"
      "                        outlier of it is explained (default: the "
      "group's)\n"
      "      --host NAME       the cluster (collectd host); needed when "
      "several have\n"
      "                        the group\n"
      "      --at TIME         explain at this time (epoch seconds or "
      "YYYY-MM-DD HH:MM:SS\n"
      "                        UTC; default: the group's last value)\n"
      "      --step DURATION   slot width (default: the group's median "
      "interval)\n"
      "      --method M        detrend (default), diff or raw\n"
      "      --scope NAME=RE   a scope by plugin regex (repeatable; the "
      "first replaces\n"
      "                        the defaults application=^kafka$ and "
      "resource=cpu,\n"
      "                        memory, disk, interface, load, ...)\n"
      "      --types-db FILE   collectd types.db giving each type's data "
      "source kinds\n"
      "                        (repeatable; default %s and\n"
      "                        %s)\n",
      KML_COLLECTD_TYPES_DB, KML_PKG_TYPES_DB);
}

static int explain_option(void *ctx, int c, const char *arg, char *err,
                          size_t errlen) {
  explain_opts_t *o = ctx;
  switch (c) {
  case 'g':
    o->group = strncmp(arg, "group-", 6) == 0 ? arg + 6 : arg;
    return 0;
  case 'p':
    o->partition = arg;
    return 0;
  case 'H':
    o->host = arg;
    return 0;
  case 'a':
    if (kml_csv_parse_time(arg, &o->at) != 0) {
      snprintf(err, errlen,
               "--at takes epoch seconds or \"YYYY-MM-DD HH:MM:SS\", not "
               "\"%.60s\"",
               arg);
      return -1;
    }
    return 0;
  case 't':
    return kml_cli_duration_arg("--step", arg, 0.001, 86400, 0, &o->step, err,
                                errlen);
  case 'm':
    if (kml_xcorr_method_parse(arg, &o->method) != 0) {
      snprintf(err, errlen,
               "--method takes detrend, diff or raw, not \"%.60s\"", arg);
      return -1;
    }
    o->method_set = 1;
    return 0;
  case 'T':
    if (o->n_types_db == MAX_TYPES_DB) {
      snprintf(err, errlen, "--types-db is given more than %d times",
               MAX_TYPES_DB);
      return -1;
    }
    o->types_db[o->n_types_db++] = arg;
    return 0;
  case 's': {
    const char *eq = strchr(arg, '=');
    kml_cause_scope_t *s = &o->scope[o->n_scopes];
    if (o->n_scopes == MAX_SCOPES || eq == NULL || eq == arg ||
        (size_t)(eq - arg) >= sizeof(s->name) ||
        strlen(eq + 1) >= sizeof(s->plugin_re) || eq[1] == '\0') {
      snprintf(err, errlen,
               "--scope takes NAME=PLUGIN-REGEX (at most %d; name up to %zu "
               "bytes), not \"%.60s\"",
               MAX_SCOPES, sizeof(s->name) - 1, arg);
      return -1;
    }
    memset(s, 0, sizeof(*s));
    memcpy(s->name, arg, (size_t)(eq - arg));
    kml_strlcpy(s->plugin_re, eq + 1, sizeof(s->plugin_re));
    o->n_scopes++;
    return 0;
  }
  default:
    return -1;
  }
}

static int explain_parse(int argc, char **argv, explain_opts_t *o, char *err,
                         size_t errlen) {
  *o = (explain_opts_t){.at = NAN, .step = NAN};
  static const struct option opts[] = {{"group", required_argument, 0, 'g'},
                                       {"partition", required_argument, 0, 'p'},
                                       {"host", required_argument, 0, 'H'},
                                       {"at", required_argument, 0, 'a'},
                                       {"step", required_argument, 0, 't'},
                                       {"method", required_argument, 0, 'm'},
                                       {"types-db", required_argument, 0, 'T'},
                                       {"scope", required_argument, 0, 's'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int verdict =
      kml_cli_getopt(argc, argv, "g:p:h", opts, explain_option, o, err, errlen);
  if (verdict != KML_CLI_OK)
    return verdict;
  if (o->group == NULL || o->group[0] == '\0') {
    snprintf(err, errlen, "--group ID is required");
    return KML_CLI_USAGE;
  }
  if (optind >= argc) {
    snprintf(err, errlen, "no DATADIR given (collectd's csv DataDir)");
    return KML_CLI_USAGE;
  }
  o->first_input = optind;
  o->n_inputs = argc - optind;
  return KML_CLI_OK;
}

/* ------------------------------------------------------------ types.db */

typedef struct {
  char name[KML_CAUSE_NAME];
  int n;
  char ds[8][64];
  kml_ds_kind_t kind[8];
} type_t;

typedef struct {
  type_t *v;
  size_t n, cap;
} types_t;

static int kind_parse(const char *s, kml_ds_kind_t *k) {
  if (strncasecmp(s, "GAUGE", 5) == 0)
    *k = KML_DS_GAUGE;
  else if (strncasecmp(s, "DERIVE", 6) == 0)
    *k = KML_DS_DERIVE;
  else if (strncasecmp(s, "COUNTER", 7) == 0)
    *k = KML_DS_COUNTER;
  else if (strncasecmp(s, "ABSOLUTE", 8) == 0)
    *k = KML_DS_ABSOLUTE;
  else
    return -1;
  return 0;
}

/* Lines "name ds:KIND:min:max[, ds:KIND:min:max...]"; others skipped.
 * 0, or -1 when the file cannot be read (missing is 1). */
static int types_load(types_t *ts, const char *path, int must) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return must ? -1 : 1;
  char line[4096];
  while (fgets(line, sizeof(line), f) != NULL) {
    char *p = line;
    while (isspace((unsigned char)*p))
      p++;
    if (*p == '#' || *p == '\0')
      continue;
    type_t t = {0};
    size_t n = strcspn(p, " \t");
    if (n == 0 || n >= sizeof(t.name))
      continue;
    memcpy(t.name, p, n);
    p += n;
    for (char *save = NULL, *tok = strtok_r(p, ", \t\r\n", &save);
         tok != NULL && t.n < 8; tok = strtok_r(NULL, ", \t\r\n", &save)) {
      char *c1 = strchr(tok, ':');
      if (c1 == NULL || c1 == tok || (size_t)(c1 - tok) >= sizeof(t.ds[0]) ||
          kind_parse(c1 + 1, &t.kind[t.n]) != 0)
        break;
      memcpy(t.ds[t.n], tok, (size_t)(c1 - tok));
      t.n++;
    }
    if (t.n == 0)
      continue;
    if (ts->n == ts->cap) {
      size_t cap = ts->cap ? 2 * ts->cap : 256;
      type_t *v = realloc(ts->v, cap * sizeof(*v));
      if (v == NULL)
        break;
      ts->v = v;
      ts->cap = cap;
    }
    ts->v[ts->n++] = t; /* later files win: searched from the end */
  }
  fclose(f);
  return 0;
}

static kml_ds_kind_t kind_of(const types_t *ts, const char *type,
                             const char *ds) {
  for (size_t i = ts->n; i-- > 0;)
    if (strcmp(ts->v[i].name, type) == 0) {
      for (int k = 0; k < ts->v[i].n; k++)
        if (strcmp(ts->v[i].ds[k], ds) == 0)
          return ts->v[i].kind[k];
      return KML_DS_GAUGE;
    }
  return KML_DS_GAUGE;
}

/* ------------------------------------------------------------- series */

/* The identifier of a collectd csv day file from its path:
 * .../HOST/PLUGIN[-PI]/TYPE[-TI]-YYYY-MM-DD. 0, or -1 not one. */
static int ident_of(const char *path, char id[5][KML_CAUSE_NAME]) {
  const char *c[3];
  size_t len[3];
  const char *end = path + strlen(path);
  for (int k = 2; k >= 0; k--) {
    const char *s = end;
    while (s > path && s[-1] != '/')
      s--;
    c[k] = s;
    len[k] = (size_t)(end - s);
    if (len[k] == 0 || len[k] >= KML_CAUSE_NAME)
      return -1;
    if (k > 0) {
      if (s == path)
        return -1;
      end = s - 1;
    }
  }
  size_t day = kml_source_day_prefix(c[2]);
  if (day == 0)
    return -1;
  memset(id, 0, 5 * KML_CAUSE_NAME);
  memcpy(id[0], c[0], len[0]);
  const char *dash = memchr(c[1], '-', len[1]);
  size_t pl = dash ? (size_t)(dash - c[1]) : len[1];
  memcpy(id[1], c[1], pl);
  if (dash)
    memcpy(id[2], dash + 1, len[1] - pl - 1);
  dash = memchr(c[2], '-', day);
  size_t tl = dash ? (size_t)(dash - c[2]) : day;
  memcpy(id[3], c[2], tl);
  if (dash)
    memcpy(id[4], dash + 1, day - tl - 1);
  return 0;
}

/* Data source names from a csv day file's header ("epoch,rx,tx"). */
static int columns_of(const char *path, char names[8][64]) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return -1;
  char line[1024];
  int n = 0;
  if (fgets(line, sizeof(line), f) != NULL) {
    char *save = NULL;
    char *tok = strtok_r(line, ",\r\n", &save);
    if (tok != NULL && strcmp(tok, "epoch") == 0)
      while ((tok = strtok_r(NULL, ",\r\n", &save)) != NULL && n < 8)
        kml_strlcpy(names[n++], tok, sizeof(names[0]));
  }
  fclose(f);
  return n;
}

typedef struct {
  char id[5][KML_CAUSE_NAME];
  const kml_source_t *src;
} ident_t;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The time and median interval of the trigger's series. */
static int trigger_times(const ident_t *ids, size_t n, const char *host,
                         const char *pi, const char *ti, double *last,
                         double *step, char *found_host, size_t hlen,
                         int *hosts) {
  *hosts = 0;
  int rc = -1;
  for (size_t i = 0; i < n; i++) {
    const ident_t *d = &ids[i];
    if (strcmp(d->id[1], "kafka") != 0 || strcmp(d->id[2], pi) != 0 ||
        strcmp(d->id[3], "kafka_lag") != 0 || strcmp(d->id[4], ti) != 0 ||
        (host != NULL && strcmp(d->id[0], host) != 0))
      continue;
    (*hosts)++;
    kml_csv_series_t s = {0};
    char err[512];
    if (kml_source_read(d->src, NULL, &s, err, sizeof(err)) == 0 && s.n > 1) {
      *last = s.t[s.n - 1];
      double *dt = malloc((s.n - 1) * sizeof(double));
      if (dt != NULL) {
        for (size_t k = 1; k < s.n; k++)
          dt[k - 1] = s.t[k] - s.t[k - 1];
        qsort(dt, s.n - 1, sizeof(double), cmp_double);
        *step = dt[(s.n - 1) / 2];
        free(dt);
      }
      kml_strlcpy(found_host, d->id[0], hlen);
      rc = 0;
    }
    kml_csv_free(&s);
  }
  return rc;
}

/* ------------------------------------------------------------- output */

static void print_chain(const kml_cause_chain_t *ch, double at, double step) {
  char when[32];
  time_t tt = (time_t)at;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
  printf("explained: %s on %s at %s UTC (%.0f), slots of %g s\n",
         ch->group[0] ? ch->group : ch->target, ch->host, when, at, step);
  if (ch->parts_seen == 0)
    printf("partitions: none of the group's partitions recorded\n");
  else if (ch->parts_backed == 0)
    printf("partitions: none of %d backed up\n", ch->parts_seen);
  else
    printf("partitions: %d of %d backed up%s\n", ch->parts_backed,
           ch->parts_seen,
           ch->parts_backed == ch->parts_seen && ch->parts_seen >= 2
               ? (ch->consumer_side ? " (all: the consumer side)" : " (all)")
               : "");
  for (int i = 0; i < ch->n_part; i++) {
    printf("  %s: lag +%.0f over the window, leader ", ch->part[i].ti,
           ch->part[i].growth);
    if (ch->part[i].leader >= 0)
      printf("%d\n", ch->part[i].leader);
    else
      printf("unknown\n");
  }
  for (int i = 0; i < ch->n_leaders; i++) {
    const __typeof__(ch->leader[0]) *l = &ch->leader[i];
    printf("leader: broker %d leads %d of them; ", l->id, l->parts);
    if (l->brokers < 3)
      printf("not compared (%d broker%s recorded)\n", l->brokers,
             l->brokers == 1 ? "" : "s");
    else
      printf("%s among %d brokers (largest |z| %.1f on %s; several values: "
             "distance %.2f)\n",
             l->outlier ? "an OUTLIER" : "in line", l->brokers, l->z,
             l->type[0] ? l->type : "-", l->multi);
  }
  for (int i = 0; i < ch->n_best; i++) {
    const kml_cause_match_t *m = &ch->best[i].m;
    if (m->key[0])
      printf("%s: %s (r %.2f, moved %d slot%s first; chance among %d "
             "series %.2g)\n",
             ch->best[i].scope, m->key, m->r, m->lag, m->lag == 1 ? "" : "s",
             m->candidates, m->p);
    else if (ch->consumer_side && !ch->target[0])
      printf("%s: not matched (the backlog is the consumer's)\n",
             ch->best[i].scope);
    else
      printf("%s: no series matches beyond chance (%d compared)\n",
             ch->best[i].scope, m->candidates);
  }
  if (ch->target[0])
    printf("matched against: %s\n", ch->target);
  char msg[256];
  kml_cause_format(ch, msg, sizeof(msg));
  printf("message: %s\n", msg);
  kml_cause_meta_t meta[KML_CAUSE_META];
  int m = kml_cause_meta(ch, meta);
  for (int i = 0; i < m; i++)
    if (meta[i].is_number)
      printf("meta %s: %.6g\n", meta[i].key, meta[i].number);
    else
      printf("meta %s: %s\n", meta[i].key, meta[i].text);
}

/* --------------------------------------------------------------- run */

/* The types.db files (--types-db, else collectd's and the package's) and
 * the inputs named on the command line. Returns 0, or 2 with the error
 * printed. */
static int load_inputs(const explain_opts_t *o, char **argv, types_t *types,
                       kml_sources_t *ss) {
  char err[1024];
  if (o->n_types_db == 0) {
    types_load(types, KML_COLLECTD_TYPES_DB, 0);
    types_load(types, KML_PKG_TYPES_DB, 0);
  }
  for (int i = 0; i < o->n_types_db; i++)
    if (types_load(types, o->types_db[i], 1) != 0) {
      fprintf(stderr, "kafka-ml explain: --types-db %s: cannot be read\n",
              o->types_db[i]);
      return 2;
    }
  for (int i = 0; i < o->n_inputs; i++)
    if (kml_sources_add(ss, argv[o->first_input + i], NULL, err, sizeof(err)) !=
        0) {
      fprintf(stderr, "kafka-ml explain: %s\n", err);
      return 2;
    }
  return 0;
}

/* The cause model's configuration for the options and the series' step. */
static kml_cause_cfg_t cause_config(const explain_opts_t *o, double step) {
  kml_cause_cfg_t cfg = kml_cause_defaults();
  cfg.step = step;
  if (o->method_set)
    cfg.xcorr.method = o->method;
  if (o->n_scopes > 0) {
    memcpy(cfg.scope, o->scope, sizeof(o->scope));
    cfg.n_scopes = o->n_scopes;
  }
  return cfg;
}

/* Feed every data source of every series in the cause model's scope, up
 * to time at; *filed counts those fed. A series that cannot be read is
 * skipped with a warning. Returns 0, or 1 when out of memory. */
static int feed_all(kml_cause_t *c, const ident_t *ids, size_t n_ids,
                    const types_t *types, double at, size_t *filed) {
  char err[1024];
  for (size_t i = 0; i < n_ids; i++) {
    const char *id[5] = {ids[i].id[0], ids[i].id[1], ids[i].id[2], ids[i].id[3],
                         ids[i].id[4]};
    if (kml_cause_scope_of(c, id[1], id[3]) < 0)
      continue;
    char cols[8][64];
    int nc = columns_of(ids[i].src->files[0], cols);
    for (int k = 0; k < nc; k++) {
      kml_csv_opts_t co = {.column = cols[k]};
      kml_csv_series_t s = {0};
      if (kml_source_read(ids[i].src, &co, &s, err, sizeof(err)) != 0) {
        fprintf(stderr, "kafka-ml explain: warning: %s (skipped)\n", err);
        kml_csv_free(&s);
        continue;
      }
      kml_ds_kind_t kind = kind_of(types, id[3], cols[k]);
      int rc = 0;
      for (size_t r = 0; r < s.n && s.t[r] <= at && rc == 0; r++)
        rc = kml_cause_feed(c, id, cols[k], kind, s.t[r], s.x[r]);
      kml_csv_free(&s);
      if (rc != 0) {
        fprintf(stderr, "kafka-ml explain: out of memory\n");
        return 1;
      }
      (*filed)++;
    }
  }
  return 0;
}

int kml_cli_explain(int argc, char **argv) {
  explain_opts_t o;
  char err[1024];
  int st =
      kml_cli_parsed("explain", explain_parse(argc, argv, &o, err, sizeof(err)),
                     err, kml_cli_explain_usage);
  if (st >= 0)
    return st;
  int status = 0;
  types_t types = {0};
  kml_sources_t ss = {0};
  ident_t *ids = NULL;
  kml_cause_t *c = NULL;
  if ((status = load_inputs(&o, argv, &types, &ss)) != 0)
    goto out;
  ids = calloc(ss.n ? ss.n : 1, sizeof(*ids));
  if (ids == NULL) {
    fprintf(stderr, "kafka-ml explain: out of memory\n");
    status = 1;
    goto out;
  }
  size_t n_ids = 0;
  for (size_t i = 0; i < ss.n; i++)
    if (ss.v[i].kind == KML_SOURCE_DAYS &&
        ident_of(ss.v[i].files[0], ids[n_ids].id) == 0)
      ids[n_ids++].src = &ss.v[i];
  char pi[KML_CAUSE_NAME], host[KML_CAUSE_NAME] = "";
  snprintf(pi, sizeof(pi), "group-%s", o.group);
  const char *ti = o.partition ? o.partition : "total";
  double last = NAN, step = NAN;
  int hosts = 0;
  if (trigger_times(ids, n_ids, o.host, pi, ti, &last, &step, host,
                    sizeof(host), &hosts) != 0) {
    fprintf(stderr,
            "kafka-ml explain: no kafka_lag-%s of %s%s%s in %d series read "
            "(collectd csv files HOST/kafka-%s/kafka_lag-%s-DATE)\n",
            ti, pi, o.host ? " on host " : "", o.host ? o.host : "", (int)n_ids,
            pi, ti);
    status = 2;
    goto out;
  }
  if (hosts > 1 && o.host == NULL) {
    fprintf(stderr,
            "kafka-ml explain: %d hosts (clusters) have %s: name one with "
            "--host\n",
            hosts, pi);
    status = 2;
    goto out;
  }
  double at = isnan(o.at) ? last : o.at;
  if (!isnan(o.step))
    step = o.step;
  if (!(step > 0))
    step = 10;
  kml_cause_cfg_t cfg = cause_config(&o, step);
  c = kml_cause_new(&cfg, err, sizeof(err));
  if (c == NULL) {
    fprintf(stderr, "kafka-ml explain: %s\n", err);
    status = 2;
    goto out;
  }
  size_t filed = 0;
  if ((status = feed_all(c, ids, n_ids, &types, at, &filed)) != 0)
    goto out;
  kml_cause_trigger_t t = {.time = at};
  const char *tid[5] = {host, "kafka", pi, "kafka_lag", ti};
  for (int f = 0; f < 5; f++)
    kml_strlcpy(t.id[f], tid[f], sizeof(t.id[f]));
  kml_strlcpy(t.ds, "value", sizeof(t.ds));
  kml_cause_chain_t ch;
  kml_cause_explain(c, &t, 1, &ch);
  printf("series: %zu read, %zu data sources filed\n", n_ids, filed);
  print_chain(&ch, at, step);
out:
  kml_cause_destroy(c);
  free(ids);
  kml_sources_free(&ss);
  free(types.v);
  return status;
}
