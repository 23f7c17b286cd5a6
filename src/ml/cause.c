/* cause: see cause.h. Two scans of the context store per batch of
 * triggers: the first collects the structure (each group's partition
 * windows, the leaders of partitions, the brokers' recent values) of the
 * triggers' hosts, from which the backed-up partitions, their leaders and
 * the brokers' verdicts follow; the second offers every series in a scope
 * to each trigger's backlog window and keeps the best match per scope. */
#include "cause.h"

#include "../kml_map.h"
#include "../kml_str.h"
#include "multipeers.h"
#include "peers.h"
#include "series.h"
#include "slots.h"

#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W KML_CAUSE_WINDOW

typedef struct {
  kml_slots_t slots;
  kml_rate_t rate;
  int8_t scope;
} ctx_t;

struct kml_cause {
  kml_cause_cfg_t cfg;
  regex_t plugin_re[KML_CAUSE_SCOPES], type_re[KML_CAUSE_SCOPES];
  int has_type[KML_CAUSE_SCOPES];
  regex_t effects, accum;
  int has_effects, has_accum;
  kml_store_t *store;
};

kml_cause_cfg_t kml_cause_defaults(void) {
  kml_cause_cfg_t c = {.n_scopes = 2,
                       .step = 10,
                       .max_series = 50000,
                       .min_r = 0.5,
                       .alpha = 0.1,
                       .consumer_quiet = 1,
                       .xcorr = kml_xcorr_defaults()};
  snprintf(c.scope[0].name, sizeof(c.scope[0].name), "application");
  snprintf(c.scope[0].plugin_re, sizeof(c.scope[0].plugin_re), "^kafka$");
  snprintf(c.scope[1].name, sizeof(c.scope[1].name), "resource");
  snprintf(c.scope[1].plugin_re, sizeof(c.scope[1].plugin_re),
           "^(cpu|memory|disk|interface|load|swap|vmem|df|processes|"
           "tcpconns|ports)$");
  /* The consumer's side of a backlog is its effect, and the kafka plugin's
   * own collection times follow any slow broker: never named as causes. */
  snprintf(c.effects_re, sizeof(c.effects_re),
           "^kafka_(lag|lag_seconds|committed|consumed|group_status|"
           "group_state|lost_messages|lost_partitions|retention_eta|"
           "expiry_eta|ordering_skew|collect_seconds|read_seconds|requests|"
           "errors|unmeasured)$");
  snprintf(c.accumulates_re, sizeof(c.accumulates_re),
           "^kafka_lag(_seconds)?$");
  return c;
}

static int compile(regex_t *re, const char *pat, const char *what, char *err,
                   size_t errlen) {
  int rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char why[128];
    regerror(rc, re, why, sizeof(why));
    snprintf(err, errlen, "%s \"%s\" is not a valid regex: %s", what, pat, why);
    return -1;
  }
  return 0;
}

kml_cause_t *kml_cause_new(const kml_cause_cfg_t *cfg, char *err,
                           size_t errlen) {
  kml_cause_t *c = calloc(1, sizeof(*c));
  if (c == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  c->cfg = *cfg;
  int n = 0, ok = 1;
  for (; ok && n < cfg->n_scopes && n < KML_CAUSE_SCOPES; n++) {
    char what[80];
    snprintf(what, sizeof(what), "Scope \"%s\" plugin", cfg->scope[n].name);
    ok = compile(&c->plugin_re[n], cfg->scope[n].plugin_re, what, err,
                 errlen) == 0;
    if (ok && cfg->scope[n].type_re[0]) {
      snprintf(what, sizeof(what), "Scope \"%s\" type", cfg->scope[n].name);
      if (compile(&c->type_re[n], cfg->scope[n].type_re, what, err, errlen)) {
        regfree(&c->plugin_re[n]);
        ok = 0;
      } else
        c->has_type[n] = 1;
    }
  }
  c->cfg.n_scopes = ok ? n : n - 1;
  if (ok && cfg->effects_re[0]) {
    ok = compile(&c->effects, cfg->effects_re, "Effects", err, errlen) == 0;
    c->has_effects = ok;
  }
  if (ok && cfg->accumulates_re[0]) {
    ok = compile(&c->accum, cfg->accumulates_re, "Accumulates", err, errlen) ==
         0;
    c->has_accum = ok;
  }
  if (ok && !(cfg->step > 0)) {
    snprintf(err, errlen, "the slot step must be positive");
    ok = 0;
  }
  if (ok) {
    c->store = kml_store_new(cfg->max_series ? cfg->max_series : 1,
                             sizeof(ctx_t), NULL, NULL, NULL);
    if (c->store == NULL) {
      snprintf(err, errlen, "out of memory");
      ok = 0;
    }
  }
  if (!ok) {
    kml_cause_destroy(c);
    return NULL;
  }
  return c;
}

void kml_cause_destroy(kml_cause_t *c) {
  if (c == NULL)
    return;
  for (int i = 0; i < c->cfg.n_scopes; i++) {
    regfree(&c->plugin_re[i]);
    if (c->has_type[i])
      regfree(&c->type_re[i]);
  }
  if (c->has_effects)
    regfree(&c->effects);
  if (c->has_accum)
    regfree(&c->accum);
  kml_store_destroy(c->store);
  free(c);
}

int kml_cause_scope_of(const kml_cause_t *c, const char *plugin,
                       const char *type) {
  for (int i = 0; i < c->cfg.n_scopes; i++)
    if (regexec(&c->plugin_re[i], plugin, 0, NULL, 0) == 0 &&
        (!c->has_type[i] || regexec(&c->type_re[i], type, 0, NULL, 0) == 0))
      return i;
  return -1;
}

int kml_cause_feed(kml_cause_t *c, const char *const id[5], const char *ds,
                   kml_ds_kind_t k, double t, double raw) {
  int s = kml_cause_scope_of(c, id[1], id[3]);
  if (s < 0)
    return 0;
  char key[KML_CAUSE_KEY];
  kml_str_series_key(key, sizeof(key), id[0], id[1], id[2], id[3], id[4], ds);
  int created;
  ctx_t *x = kml_store_acquire(c->store, key, t, &created);
  if (x == NULL)
    return -1;
  if (created)
    x->scope = (int8_t)s;
  double v;
  if (kml_rate_update(&x->rate, k, t, raw, &v) == KML_RATE_OK)
    kml_slots_push(&x->slots, c->cfg.step, t, v);
  kml_store_release(c->store, x);
  return 0;
}

size_t kml_cause_expire(kml_cause_t *c, double cutoff) {
  return kml_store_expire(c->store, cutoff);
}

size_t kml_cause_size(kml_cause_t *c) { return kml_store_size(c->store); }

/* ------------------------------------------------------------ identifiers */

typedef struct {
  char host[KML_CAUSE_NAME], plugin[KML_CAUSE_NAME], pi[KML_CAUSE_NAME];
  char type[KML_CAUSE_NAME], ti[KML_CAUSE_NAME], ds[KML_CAUSE_NAME];
} fields_t;

static void copy_span(char *dst, const char *a, const char *b) {
  size_t n = (size_t)(b - a);
  if (n >= KML_CAUSE_NAME)
    n = KML_CAUSE_NAME - 1;
  memcpy(dst, a, n);
  dst[n] = '\0';
}

/* "host/plugin[-pi]/type[-ti]/ds" (kml_str_series_key), read from the
 * right: plugin and type names hold no '-' or '/', so the instances are
 * what follows their first '-'. 0, or -1 when key is not one. */
static int parse_key(const char *key, fields_t *f) {
  const char *end = key + strlen(key), *cut[3];
  const char *p = end;
  for (int i = 0; i < 3; i++) {
    while (p > key && p[-1] != '/')
      p--;
    if (p == key)
      return -1;
    cut[i] = --p; /* the '/' */
  }
  copy_span(f->host, key, cut[2]);
  copy_span(f->ds, cut[0] + 1, end);
  const char *a = cut[2] + 1, *dash = memchr(a, '-', (size_t)(cut[1] - a));
  copy_span(f->plugin, a, dash ? dash : cut[1]);
  copy_span(f->pi, dash ? dash + 1 : cut[1], cut[1]);
  a = cut[1] + 1;
  dash = memchr(a, '-', (size_t)(cut[0] - a));
  copy_span(f->type, a, dash ? dash : cut[0]);
  copy_span(f->ti, dash ? dash + 1 : cut[0], cut[0]);
  return 0;
}

/* "<topic>-<n>": a partition's type instance. */
static int is_partition(const char *ti) {
  const char *d = strrchr(ti, '-');
  if (d == NULL || d == ti || d[1] == '\0')
    return 0;
  for (const char *p = d + 1; *p; p++)
    if (*p < '0' || *p > '9')
      return 0;
  return 1;
}

int kml_cause_wants(const char *const id[5]) {
  if (strcmp(id[1], "kafka") != 0)
    return 0;
  if (strncmp(id[2], "group-", 6) == 0)
    return 1;
  return strncmp(id[2], "topic-", 6) == 0 && is_partition(id[4]);
}

static int matches(const regex_t *re, int has, const char *s) {
  return has && regexec(re, s, 0, NULL, 0) == 0;
}

/* ------------------------------------------------------------ statistics */

static int fcmp(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Median of the finite values of v[0..n); NAN when none. */
static double median_of(const float *v, int n, float *tmp) {
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(v[i]))
      tmp[m++] = v[i];
  if (m == 0)
    return NAN;
  qsort(tmp, (size_t)m, sizeof(float), fcmp);
  return m % 2 ? tmp[m / 2] : 0.5 * ((double)tmp[m / 2 - 1] + tmp[m / 2]);
}

/* Median of the last k finite values of w[0..n) (k <= W). */
static double recent_median(const float *w, int n, int k) {
  float last[W], tmp[W];
  int m = 0;
  for (int i = n - 1; i >= 0 && m < k; i--)
    if (isfinite(w[i]))
      last[m++] = w[i];
  return median_of(last, m, tmp);
}

/* 1 when w holds two different finite values. */
static int moves(const float *w, int n) {
  int first = -1;
  for (int i = 0; i < n; i++)
    if (isfinite(w[i])) {
      if (first >= 0 && w[i] != w[first])
        return 1;
      first = first < 0 ? i : first;
    }
  return 0;
}

/* Lag added over the window by a partition (the latest value against the
 * median of the window's first half), and whether it backed up: its last
 * two values both above anything the first half held, by a tenth of the
 * first half's range. Lag saw-tooths with the consumer's commits, so one
 * high value is not a backlog; two in a row above the range are, and so
 * is one above it by the range's own width (beyond any saw-tooth). */
static double growth_of(const float *w, int n, int *backed) {
  float tmp[W], last[2];
  int half = n / 2, m = 0;
  double base = median_of(w, half, tmp);
  for (int i = n - 1; i >= half && m < 2; i--)
    if (isfinite(w[i]))
      last[m++] = w[i];
  *backed = 0;
  if (!isfinite(base) || m == 0)
    return NAN;
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < half; i++)
    if (isfinite(w[i])) {
      lo = fmin(lo, w[i]);
      hi = fmax(hi, w[i]);
    }
  double margin = 0.1 * (hi - lo) + 1;
  /* or its latest value alone beyond the first half by that half's whole
   * range again: an anomaly notification goes out at the first value of
   * a backlog, when no second one exists yet */
  *backed = (m == 2 && fmin(last[0], last[1]) > hi + margin) ||
            (m >= 1 && last[0] > hi + (hi - lo) + margin);
  return last[0] - base;
}

/* --------------------------------------------------------------- scan one */

typedef struct {
  char ti[KML_CAUSE_NAME];
  float w[W];
  double growth;
  int backed;
} part_t;

typedef struct {
  char host[KML_CAUSE_NAME];
  int id;
  char type[KML_CAUSE_NAME];
  double value;  /* change of the median of its last 3 values */
  double latest; /* change of its latest value alone */
  int moved;     /* its window changed */
} broker_val_t;

typedef struct {
  const kml_cause_trigger_t *t;
  int64_t end; /* slot of the trigger's time */
  int scope;   /* of the trigger's series */
  char key[KML_CAUSE_KEY];
  char group[KML_CAUSE_NAME];   /* "group-..." or "" */
  char part_ti[KML_CAUSE_NAME]; /* a topic partition trigger, or "" */
  part_t *parts;
  int n_parts, cap_parts;
  float own[W]; /* the trigger series' window */
  int have_own;
  float target[W]; /* prepared backlog window; valid when have_target */
  int have_target;
  double target_rho[KML_XCORR_ACF + 1]; /* its autocorrelations */
} job_t;

typedef struct {
  kml_cause_t *c;
  job_t *jobs;
  size_t n;
  kml_map_t *leaders; /* "host\x1fti" -> double leader */
  broker_val_t *brokers;
  size_t n_brokers, cap_brokers;
  int oom;
} scan_t;

static void add_part(scan_t *s, job_t *j, const char *ti, const float *w) {
  if (j->n_parts == j->cap_parts) {
    int cap = j->cap_parts ? 2 * j->cap_parts : 16;
    part_t *p = realloc(j->parts, sizeof(*p) * (size_t)cap);
    if (p == NULL) {
      s->oom = 1;
      return;
    }
    j->parts = p;
    j->cap_parts = cap;
  }
  part_t *p = &j->parts[j->n_parts++];
  kml_strlcpy(p->ti, ti, sizeof(p->ti));
  memcpy(p->w, w, sizeof(p->w));
}

static void add_broker(scan_t *s, const fields_t *f, double v, double latest,
                       int moved) {
  if (s->n_brokers == s->cap_brokers) {
    size_t cap = s->cap_brokers ? 2 * s->cap_brokers : 32;
    broker_val_t *b = realloc(s->brokers, sizeof(*b) * cap);
    if (b == NULL) {
      s->oom = 1;
      return;
    }
    s->brokers = b;
    s->cap_brokers = cap;
  }
  broker_val_t *b = &s->brokers[s->n_brokers++];
  kml_strlcpy(b->host, f->host, sizeof(b->host));
  b->id = atoi(f->pi + 7);
  kml_strlcpy(b->type, f->type, sizeof(b->type));
  b->value = v;
  b->latest = latest;
  b->moved = moved;
}

static void scan_structure(const char *key, void *payload, void *ud) {
  scan_t *s = ud;
  ctx_t *x = payload;
  fields_t f;
  if (parse_key(key, &f) != 0)
    return;
  int first = 1; /* leaders and brokers: once per series */
  for (size_t i = 0; i < s->n; i++) {
    job_t *j = &s->jobs[i];
    float w[W];
    if (strcmp(key, j->key) == 0) {
      kml_slots_window(&x->slots, j->end, W, j->own);
      j->have_own = 1;
    }
    if (strcmp(f.plugin, "kafka") != 0 || strcmp(f.host, j->t->id[0]) != 0)
      continue;
    if (j->group[0] && strcmp(f.pi, j->group) == 0 &&
        strcmp(f.type, "kafka_lag") == 0 && is_partition(f.ti)) {
      kml_slots_window(&x->slots, j->end, W, w);
      add_part(s, j, f.ti, w);
    }
    if (!first)
      continue;
    if (strcmp(f.type, "kafka_leader") == 0 && is_partition(f.ti)) {
      kml_slots_window(&x->slots, j->end, W, w);
      char lk[2 * KML_CAUSE_NAME + 2];
      snprintf(lk, sizeof(lk), "%s\x1f%s", f.host, f.ti);
      int created;
      double *l = kml_map_get(s->leaders, lk, 0, &created);
      if (l == NULL)
        s->oom = 1;
      else
        *l = recent_median(w, W, 1);
      first = 0;
    } else if (strncmp(f.pi, "broker-", 7) == 0 &&
               strcmp(f.type, "kafka_broker_up") != 0 &&
               strcmp(f.ds, "value") == 0) {
      kml_slots_window(&x->slots, j->end, W, w);
      /* How much the broker changed over the window: the median of its
       * last 3 values (one stray slow request is not a slow broker)
       * against the median of the first half, as (recent - before) /
       * (|recent| + |before|), so brokers that always differ (one leads
       * more, one is on a faster disk) are compared by what changed; a
       * value no broker changed (replicas held) says nothing. */
      float tmp[W];
      double before = median_of(w, W / 2, tmp), now = recent_median(w, W, 3);
      /* a value still within what the first half held (round-trip times
       * of a loaded host jump from 2 to 8 ms and back for a statistics
       * window) did not change; one stray value in it is not its range */
      double last = recent_median(w, W, 1);
      int m = 0;
      for (int q = 0; q < W / 2; q++)
        if (isfinite(w[q]))
          tmp[m++] = w[q];
      if (m >= 4) {
        qsort(tmp, (size_t)m, sizeof(float), fcmp);
        if (now >= tmp[1] && now <= tmp[m - 2])
          now = before;
        if (last >= tmp[1] && last <= tmp[m - 2])
          last = before;
      }
      double v = (now - before) / (fabs(now) + fabs(before) + 1e-12);
      double v1 = (last - before) / (fabs(last) + fabs(before) + 1e-12);
      if (isfinite(v))
        add_broker(s, &f, v, isfinite(v1) ? v1 : v, moves(w, W));
      first = 0;
    }
  }
}

/* ---------------------------------------------------------- the verdicts */

static int part_cmp(const void *a, const void *b) {
  const part_t *x = a, *y = b;
  double gx = isfinite(x->growth) ? x->growth : -INFINITY;
  double gy = isfinite(y->growth) ? y->growth : -INFINITY;
  if (x->backed != y->backed)
    return y->backed - x->backed;
  if (gx != gy)
    return gx < gy ? 1 : -1;
  return strcmp(x->ti, y->ti);
}

static int leader_of(scan_t *s, const char *host, const char *ti) {
  char lk[2 * KML_CAUSE_NAME + 2];
  snprintf(lk, sizeof(lk), "%s\x1f%s", host, ti);
  const double *l = kml_map_find(s->leaders, lk);
  return l && isfinite(*l) && *l >= 0 && *l < 1e9 ? (int)*l : -1;
}

/* A partition backs up with the others only when its growth is at least
 * this share of the largest: a consumer that slows on one partition
 * moves the others' lag by a few messages (its pauses, its commits), and
 * those must not be named beside the one that backed up by hundreds. */
#define BACKED_SHARE 0.1

static void name_partitions(scan_t *s, job_t *j, kml_cause_chain_t *ch) {
  double most = 0;
  for (int k = 0; k < j->n_parts; k++) {
    part_t *p = &j->parts[k];
    p->growth = growth_of(p->w, W, &p->backed);
    if (p->backed && p->growth > most)
      most = p->growth;
  }
  for (int k = 0; k < j->n_parts; k++) {
    part_t *p = &j->parts[k];
    if (p->backed && !(p->growth >= BACKED_SHARE * most))
      p->backed = 0;
    ch->parts_seen++;
    ch->parts_backed += p->backed;
  }
  qsort(j->parts, (size_t)j->n_parts, sizeof(part_t), part_cmp);
  for (int k = 0; k < j->n_parts && k < ch->parts_backed; k++) {
    int l = leader_of(s, ch->host, j->parts[k].ti);
    if (ch->n_part < KML_CAUSE_PARTS) {
      kml_strlcpy(ch->part[ch->n_part].ti, j->parts[k].ti,
                  sizeof(ch->part[0].ti));
      ch->part[ch->n_part].growth = j->parts[k].growth;
      ch->part[ch->n_part].leader = l;
      ch->n_part++;
    }
    if (l < 0)
      continue;
    int at = -1;
    for (int q = 0; q < ch->n_leaders; q++)
      if (ch->leader[q].id == l)
        at = q;
    if (at < 0 && ch->n_leaders < KML_CAUSE_LEADERS) {
      at = ch->n_leaders++;
      ch->leader[at].id = l;
      ch->leader[at].multi = NAN;
    }
    if (at >= 0)
      ch->leader[at].parts++;
  }
  /* most backed-up partitions first (stable for equal counts) */
  for (int a = 1; a < ch->n_leaders; a++)
    for (int b = a; b > 0 && ch->leader[b].parts > ch->leader[b - 1].parts;
         b--) {
      __typeof__(ch->leader[0]) tmp = ch->leader[b];
      ch->leader[b] = ch->leader[b - 1];
      ch->leader[b - 1] = tmp;
    }
}

static int bval_cmp(const void *a, const void *b) {
  const broker_val_t *x = a, *y = b;
  int c = strcmp(x->host, y->host);
  if (c == 0)
    c = strcmp(x->type, y->type);
  return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* The chain host's brokers: their ids, the types of their values that
 * moved, and the range [lo, hi) of s->brokers that holds them. */
typedef struct {
  int ids[256], n_ids;
  char types[KML_MULTIPEERS_FEATURES][KML_CAUSE_NAME];
  int n_types;
  size_t lo, hi;
} host_brokers_t;

static void host_brokers(const scan_t *s, const char *host, host_brokers_t *h) {
  h->n_ids = h->n_types = 0;
  h->lo = s->n_brokers;
  h->hi = 0;
  for (size_t i = 0; i < s->n_brokers; i++) {
    const broker_val_t *b = &s->brokers[i];
    if (strcmp(b->host, host) != 0)
      continue;
    h->lo = i < h->lo ? i : h->lo;
    h->hi = i + 1;
    int seen = 0;
    for (int k = 0; k < h->n_ids; k++)
      seen |= h->ids[k] == b->id;
    if (!seen && h->n_ids < 256)
      h->ids[h->n_ids++] = b->id;
  }
  for (size_t i = h->lo; i < h->hi; i++) {
    const broker_val_t *b = &s->brokers[i];
    if (strcmp(b->host, host) != 0 || !b->moved)
      continue;
    int seen = 0;
    for (int k = 0; k < h->n_types; k++)
      seen |= strcmp(h->types[k], b->type) == 0;
    if (!seen && h->n_types < KML_MULTIPEERS_FEATURES)
      kml_strlcpy(h->types[h->n_types++], b->type, sizeof(h->types[0]));
  }
}

/* The latest values of one type alone: a leader whose newest value
 * changed materially (0.2, a factor 1.5), more than any other broker's,
 * is not "in line" yet, though one value does not make it an outlier
 * (with 3 brokers the robust z of one value rarely can). */
static void mark_recent(const scan_t *s, const host_brokers_t *h,
                        const char *type, kml_cause_chain_t *ch) {
  for (int q = 0; q < ch->n_leaders; q++) {
    double mine = NAN, others = 0;
    for (size_t i = h->lo; i < h->hi; i++) {
      const broker_val_t *b = &s->brokers[i];
      if (strcmp(b->host, ch->host) != 0 || strcmp(b->type, type) != 0)
        continue;
      if (b->id == ch->leader[q].id)
        mine = fabs(b->latest);
      else
        others = fmax(others, fabs(b->latest));
    }
    if (mine >= 0.2 && mine > others)
      ch->leader[q].recent = 1;
  }
}

/* Room for judging n brokers: one allocation, n * (features + 6). */
typedef struct {
  double *x, *z, *scratch, *feat; /* x[n] z[n] scratch[2n] feat[n * types] */
  int *out;
} judge_bufs_t;

/* The peers rule on type t's values: each leader keeps its strongest
 * verdict (outlier first, then |z|) over the types. Fills column t of
 * the feature matrix for judge_all_values(). */
static void judge_type(const scan_t *s, const host_brokers_t *h, int t,
                       const kml_peers_cfg_t *pc,
                       const kml_peers_history_t *hist, judge_bufs_t *w,
                       kml_cause_chain_t *ch) {
  int n = h->n_ids;
  for (int k = 0; k < n; k++)
    w->x[k] = NAN;
  for (size_t i = h->lo; i < h->hi; i++) {
    const broker_val_t *b = &s->brokers[i];
    if (strcmp(b->host, ch->host) != 0 || strcmp(b->type, h->types[t]) != 0)
      continue;
    for (int k = 0; k < n; k++)
      if (h->ids[k] == b->id)
        w->x[k] = b->value;
  }
  for (int k = 0; k < n; k++)
    w->feat[(size_t)k * h->n_types + t] = w->x[k];
  mark_recent(s, h, h->types[t], ch);
  kml_peers_summary_t sum;
  kml_peers_eval(pc, w->x, hist, n, w->z, w->out, w->scratch, &sum);
  for (int q = 0; q < ch->n_leaders; q++)
    for (int k = 0; k < n; k++) {
      if (h->ids[k] != ch->leader[q].id)
        continue;
      ch->leader[q].brokers = n;
      if (w->out[k] > ch->leader[q].outlier ||
          (w->out[k] == ch->leader[q].outlier &&
           fabs(w->z[k]) > fabs(ch->leader[q].z))) {
        ch->leader[q].outlier = w->out[k];
        ch->leader[q].z = w->z[k];
        kml_strlcpy(ch->leader[q].type, h->types[t],
                    sizeof(ch->leader[q].type));
      }
    }
}

/* All types at once (multipeers' distance): a leader far from every
 * other broker is an outlier too. */
static void judge_all_values(const host_brokers_t *h, const double *feat,
                             double floor_scale, kml_cause_chain_t *ch) {
  if (h->n_types < 2)
    return;
  double *dist = malloc(sizeof(double) * (size_t)h->n_ids);
  kml_multipeers_rules_t mc = kml_multipeers_rules_defaults();
  if (dist != NULL && kml_multipeers_distance(&mc, feat, h->n_ids, h->n_types,
                                              floor_scale, dist) == 0)
    for (int q = 0; q < ch->n_leaders; q++)
      for (int k = 0; k < h->n_ids; k++)
        if (h->ids[k] == ch->leader[q].id) {
          ch->leader[q].multi = dist[k];
          if (dist[k] > mc.eps)
            ch->leader[q].outlier = 1;
        }
  free(dist);
}

/* The leaders' verdicts among the brokers of their cluster, on how much
 * each broker's values changed over the window: is each leader of the
 * chain's backed-up partitions unlike its peers? Per moved type the peers
 * rule (robust z with its floor, density gap: judge_type), then all types
 * at once by multipeers.h's distance (judge_all_values). */
static void judge_leaders(scan_t *s, kml_cause_chain_t *ch) {
  if (ch->n_leaders == 0)
    return;
  host_brokers_t h;
  host_brokers(s, ch->host, &h);
  for (int q = 0; q < ch->n_leaders; q++)
    ch->leader[q].brokers = h.n_ids; /* also when too few to compare */
  if (h.n_ids < 3)
    return;
  int n = h.n_ids;
  double *x =
      malloc(sizeof(double) * (size_t)n * (KML_MULTIPEERS_FEATURES + 6));
  int *out = malloc(sizeof(int) * (size_t)n);
  if (x == NULL || out == NULL) {
    free(x);
    free(out);
    s->oom = 1;
    return;
  }
  judge_bufs_t w = {
      .x = x, .z = x + n, .scratch = x + 2 * n, .feat = x + 4 * n, .out = out};
  kml_peers_cfg_t pc = kml_peers_defaults();
  /* Changes around 0 have no level to take a floor from: a change is only
   * material from 0.2 on (a factor 1.5 either way), which the peers rule
   * reaches at z 3.5 with this scale, given as each member's typical step
   * (peers.h floors the scale at step_floor times it). */
  double floor_scale = 0.6745 * 0.2 / pc.z_threshold;
  double *steps = malloc(sizeof(double) * (size_t)n);
  for (int k = 0; steps && k < n; k++)
    steps[k] = floor_scale / pc.step_floor;
  kml_peers_history_t hist = {NULL, steps};
  for (int t = 0; t < h.n_types; t++)
    judge_type(s, &h, t, &pc, steps ? &hist : NULL, &w, ch);
  judge_all_values(&h, w.feat, floor_scale, ch);
  free(steps);
  free(x);
  free(out);
}

/* The backlog whose growth is matched: the sum of the backed-up
 * partitions' lag, else the trigger's own series. */
static void pick_target(kml_cause_t *c, job_t *j, kml_cause_chain_t *ch) {
  float w[W];
  int acc = 1, have = 0;
  if (ch->parts_backed > 0) {
    for (int i = 0; i < W; i++) {
      double sum = 0;
      int m = 0;
      for (int k = 0; k < ch->parts_backed && k < j->n_parts; k++)
        if (isfinite(j->parts[k].w[i])) {
          sum += j->parts[k].w[i];
          m++;
        }
      w[i] = m ? (float)sum : NAN;
    }
    snprintf(ch->target, sizeof(ch->target),
             "%s/kafka-%s/kafka_lag of %d partition%s", ch->host, j->group,
             ch->parts_backed, ch->parts_backed == 1 ? "" : "s");
    have = 1;
  } else if (j->have_own) {
    memcpy(w, j->own, sizeof(w));
    acc = matches(&c->accum, c->has_accum, j->t->id[3]);
    kml_strlcpy(ch->target, j->key, sizeof(ch->target));
    have = 1;
  }
  if (have && kml_xcorr_prepare(&c->cfg.xcorr, w, W, acc, j->target) >= W / 2) {
    j->have_target = 1;
    kml_xcorr_acf(j->target, W, KML_XCORR_ACF, j->target_rho);
  }
}

/* A group's backlog is the consumer's when no leader of a backed-up
 * partition is an outlier among its peers and either every partition
 * backed up (one slow broker leading them all is an outlier, so not the
 * consumer's) or those leaders were judged among 3 or more brokers and
 * none stands out on its latest value either (at a backlog's first value
 * a slow leader has one slow value, not the three of its verdict; with
 * every partition backed up, one value alone is not enough: three brokers'
 * noise gives such a value in stalls). */
static int consumer_side(const kml_cause_chain_t *ch) {
  if (!ch->group[0]) /* a topic's partition: producers, not a consumer */
    return 0;
  for (int q = 0; q < ch->n_leaders; q++)
    if (ch->leader[q].outlier)
      return 0;
  if (ch->parts_seen >= 2 && ch->parts_backed == ch->parts_seen)
    return 1;
  if (ch->n_leaders == 0)
    return 0;
  for (int q = 0; q < ch->n_leaders; q++)
    if (ch->leader[q].brokers < 3 || ch->leader[q].recent)
      return 0;
  return 1;
}

/* --------------------------------------------------------------- scan two */

typedef struct {
  kml_cause_t *c;
  job_t *jobs;
  kml_cause_chain_t *out;
  size_t n;
} match_scan_t;

/* One candidate of a scope compared: counted, and kept when its |r| is
 * the best so far (p: its own p-value, made family-wise at the end). */
static void offer(kml_cause_chain_t *ch, const char *scope, const char *key,
                  double r, int lag, double p, double min_r) {
  int at = -1;
  for (int i = 0; i < ch->n_best; i++)
    if (strcmp(ch->best[i].scope, scope) == 0)
      at = i;
  if (at < 0)
    return;
  kml_cause_match_t *m = &ch->best[at].m;
  m->candidates++;
  if (!(fabs(r) >= min_r))
    return;
  if (m->key[0] && !(fabs(r) > fabs(m->r) ||
                     (fabs(r) == fabs(m->r) && strcmp(key, m->key) < 0)))
    return;
  kml_strlcpy(m->key, key, sizeof(m->key));
  m->r = r;
  m->lag = lag;
  m->p = p;
}

/* Shifts kml_xcorr_best tries. */
static int shifts(const kml_xcorr_cfg_t *x) {
  if (x->method == KML_XCORR_RAW)
    return 1;
  return 1 + (x->max_lag > 0 ? x->max_lag : 0) +
         (x->max_follow > 0 ? x->max_follow : 0);
}

/* Each scope's best match stays named only when as good a best match is
 * unlikely among as many unrelated series at as many shifts, unless the
 * chain already points at a broker (a backed-up partition's leader is an
 * outlier among its peers): then the best match is what that broker and
 * its host show, and |r| >= min_r suffices. */
static void keep_significant(const kml_cause_t *c, kml_cause_chain_t *ch) {
  int pointed = 0;
  for (int q = 0; q < ch->n_leaders; q++)
    pointed |= ch->leader[q].outlier;
  for (int i = 0; i < ch->n_best; i++) {
    kml_cause_match_t *m = &ch->best[i].m;
    if (!m->key[0])
      continue;
    m->p =
        kml_xcorr_family_p(m->p, (double)m->candidates * shifts(&c->cfg.xcorr));
    if (!pointed && !(m->p < c->cfg.alpha) && c->cfg.alpha < 1)
      m->key[0] = '\0';
  }
}

static void scan_matches(const char *key, void *payload, void *ud) {
  match_scan_t *s = ud;
  ctx_t *x = payload;
  kml_cause_t *c = s->c;
  fields_t f;
  if (x->scope < 0 || x->scope >= c->cfg.n_scopes || parse_key(key, &f) != 0)
    return;
  if (matches(&c->effects, c->has_effects, f.type))
    return;
  int acc = matches(&c->accum, c->has_accum, f.type);
  int64_t prepared_end = INT64_MIN;
  float w[W], p[W];
  double rho[KML_XCORR_ACF + 1];
  int usable = 0;
  for (size_t i = 0; i < s->n; i++) {
    job_t *j = &s->jobs[i];
    if (!j->have_target || strcmp(key, j->key) == 0)
      continue;
    if (x->scope == j->scope && (strcmp(f.host, j->t->id[0]) != 0 ||
                                 (j->group[0] && strcmp(f.pi, j->group) == 0)))
      continue;
    if (j->end != prepared_end) {
      prepared_end = j->end;
      usable = kml_slots_window(&x->slots, j->end, W, w) >= W / 2 &&
               kml_xcorr_prepare(&c->cfg.xcorr, w, W, acc, p) >= W / 2;
      if (usable)
        kml_xcorr_acf(p, W, KML_XCORR_ACF, rho);
    }
    if (!usable)
      continue;
    int lag;
    double r = kml_xcorr_best(&c->cfg.xcorr, j->target, p, W, &lag);
    if (!isfinite(r))
      continue;
    double pv = fabs(r) >= c->cfg.min_r
                    ? kml_xcorr_p(r, kml_xcorr_pairs(j->target, p, W, lag),
                                  j->target_rho, rho, KML_XCORR_ACF)
                    : 1;
    offer(&s->out[i], c->cfg.scope[x->scope].name, key, r, lag, pv,
          c->cfg.min_r);
  }
}

/* ----------------------------------------------------------------- driver */

static void job_init(kml_cause_t *c, job_t *j, const kml_cause_trigger_t *t,
                     kml_cause_chain_t *ch) {
  memset(j, 0, sizeof(*j));
  memset(ch, 0, sizeof(*ch));
  j->t = t;
  j->end = kml_slots_of(t->time, c->cfg.step);
  j->scope = kml_cause_scope_of(c, t->id[1], t->id[3]);
  kml_str_series_key(j->key, sizeof(j->key), t->id[0], t->id[1], t->id[2],
                     t->id[3], t->id[4], t->ds);
  const char *const id[5] = {t->id[0], t->id[1], t->id[2], t->id[3], t->id[4]};
  if (!kml_cause_wants(id))
    return;
  ch->explained = 1;
  kml_strlcpy(ch->host, t->id[0], sizeof(ch->host));
  if (strncmp(t->id[2], "group-", 6) == 0) {
    kml_strlcpy(j->group, t->id[2], sizeof(j->group));
    kml_strlcpy(ch->group, t->id[2], sizeof(ch->group));
  } else
    kml_strlcpy(j->part_ti, t->id[4], sizeof(j->part_ti));
  for (int s = 0; s < c->cfg.n_scopes; s++)
    kml_strlcpy(ch->best[ch->n_best++].scope, c->cfg.scope[s].name,
                sizeof(ch->best[0].scope));
}

size_t kml_cause_explain(kml_cause_t *c, const kml_cause_trigger_t *t, size_t n,
                         kml_cause_chain_t *out) {
  if (n == 0)
    return 0;
  job_t *jobs = calloc(n, sizeof(*jobs));
  scan_t s = {.c = c, .jobs = jobs, .n = n, .leaders = kml_map_new(8)};
  size_t done = 0;
  if (jobs == NULL || s.leaders == NULL) {
    for (size_t i = 0; i < n; i++)
      memset(&out[i], 0, sizeof(out[i]));
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    job_init(c, &jobs[i], &t[i], &out[i]);
  kml_store_foreach(c->store, scan_structure, &s);
  if (s.n_brokers > 1)
    qsort(s.brokers, s.n_brokers, sizeof(*s.brokers), bval_cmp);
  for (size_t i = 0; i < n; i++) {
    if (!out[i].explained)
      continue;
    if (jobs[i].part_ti[0]) { /* a topic's partition: itself */
      kml_cause_chain_t *ch = &out[i];
      int l = leader_of(&s, ch->host, jobs[i].part_ti);
      kml_strlcpy(ch->part[0].ti, jobs[i].part_ti, sizeof(ch->part[0].ti));
      ch->part[0].growth = NAN;
      ch->part[0].leader = l;
      ch->n_part = 1;
      if (l >= 0) {
        ch->leader[0].id = l;
        ch->leader[0].parts = 1;
        ch->leader[0].multi = NAN;
        ch->n_leaders = 1;
      }
    } else
      name_partitions(&s, &jobs[i], &out[i]);
    judge_leaders(&s, &out[i]);
    out[i].consumer_side = consumer_side(&out[i]);
    if (!(c->cfg.consumer_quiet && out[i].consumer_side))
      pick_target(c, &jobs[i], &out[i]);
    done++;
  }
  match_scan_t ms = {.c = c, .jobs = jobs, .out = out, .n = n};
  kml_store_foreach(c->store, scan_matches, &ms);
  for (size_t i = 0; i < n; i++)
    if (out[i].explained)
      keep_significant(c, &out[i]);
out:
  for (size_t i = 0; jobs && i < n; i++)
    free(jobs[i].parts);
  free(jobs);
  free(s.brokers);
  kml_map_destroy(s.leaders);
  return done;
}
