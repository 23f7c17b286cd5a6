/* multipeers: see multipeers.h. DBSCAN by pairwise distances: populations
 * are brokers (tens, a few hundred at most), so n^2 distances of a few
 * features per evaluation cost microseconds; members live in one map per
 * block under one mutex and are evaluated as in peer_groups.c
 * (peer_round.h), by this file's rule. */
#include "multipeers.h"

#include "../kml_map.h"
#include "../kml_str.h"
#include "peer_member.h"
#include "peer_round.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NF KML_MULTIPEERS_FEATURES

kml_multipeers_rules_t kml_multipeers_rules_defaults(void) {
  return (kml_multipeers_rules_t){.eps = 2.5, .clip = 2.0, .min_pts = 0};
}

static double distance(const kml_multipeers_rules_t *r, const double *a,
                       const double *b, int d) {
  double s = 0;
  int m = 0;
  for (int j = 0; j < d; j++)
    if (isfinite(a[j]) && isfinite(b[j])) {
      s += fmin(fabs(a[j] - b[j]), r->clip);
      m++;
    }
  return m >= 2 ? s / sqrt(m) : INFINITY;
}

static int known(const double *a, int d) {
  int m = 0;
  for (int j = 0; j < d; j++)
    m += isfinite(a[j]) != 0;
  return m;
}

int kml_multipeers_dbscan(const kml_multipeers_rules_t *r, const double *z,
                          int n, int d, int *label, double *reach) {
  if (n <= 0)
    return 0;
  double *dist = malloc(sizeof(double) * (size_t)n * (size_t)n);
  int *core = calloc((size_t)n, sizeof(int)), *queue = malloc(sizeof(int) * n);
  if (dist == NULL || core == NULL || queue == NULL) {
    free(dist);
    free(core);
    free(queue);
    return -1;
  }
  int min_pts = r->min_pts > 0 ? r->min_pts : (n + 3) / 4;
  if (min_pts < 2)
    min_pts = 2;
  for (int i = 0; i < n; i++) {
    dist[(size_t)i * n + i] = 0;
    for (int j = i + 1; j < n; j++)
      dist[(size_t)i * n + j] = dist[(size_t)j * n + i] =
          distance(r, z + (size_t)i * d, z + (size_t)j * d, d);
  }
  for (int i = 0; i < n; i++) {
    label[i] = known(z + (size_t)i * d, d) >= 2 ? -1 : -2;
    if (label[i] == -2)
      continue;
    int near = 0;
    for (int j = 0; j < n; j++)
      near += dist[(size_t)i * n + j] <= r->eps;
    core[i] = near >= min_pts;
  }
  /* clusters grow from core points; border points join the first */
  int clusters = 0;
  for (int i = 0; i < n; i++) {
    if (!core[i] || label[i] >= 0)
      continue;
    int head = 0, tail = 0;
    label[i] = clusters;
    queue[tail++] = i;
    while (head < tail) {
      int p = queue[head++];
      if (!core[p])
        continue;
      for (int q = 0; q < n; q++)
        if (label[q] == -1 && dist[(size_t)p * n + q] <= r->eps) {
          label[q] = clusters;
          queue[tail++] = q;
        }
    }
    clusters++;
  }
  /* core distance: to the (min_pts-1)-th nearest other member */
  for (int i = 0; i < n; i++) {
    double *row = dist + (size_t)i * n, best[64];
    int k = min_pts - 1 < 64 ? min_pts - 1 : 64, m = 0;
    for (int j = 0; j < n; j++) {
      if (j == i)
        continue;
      /* keep the k smallest, sorted */
      int at = m < k ? m++ : k;
      while (at > 0 && best[at - 1] > row[j]) {
        if (at < k)
          best[at] = best[at - 1];
        at--;
      }
      if (at < k)
        best[at] = row[j];
    }
    reach[i] = label[i] == -2 || m < k ? INFINITY : best[k - 1];
  }
  free(dist);
  free(core);
  free(queue);
  return clusters;
}

/* Clip z to +-2 clip: a far value counts as "far", and its smoothed mean
 * comes back within minutes once it is back in line. */
static double clip_z(const kml_multipeers_rules_t *r, double z) {
  double c = 2 * r->clip;
  return z > c ? c : z < -c ? -c : z;
}

static int dcmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Each member against the others: z[i] = 0.6745 (x[i] - median of the
 * other members) / scale, scale the population's (peers.h) raised to
 * step_floor * the member's own typical |step| (ts, may be NULL). With
 * three brokers the median of all three sits half-way toward a member
 * that is off; the median of the other two does not. tmp holds n
 * doubles. */
static void loo_z(const double *x, const double *ts, int n, double scale,
                  double step_floor, double *tmp, double *z) {
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(x[i]))
      tmp[m++] = x[i];
  qsort(tmp, (size_t)m, sizeof(double), dcmp);
  for (int i = 0; i < n; i++) {
    z[i] = NAN;
    if (!isfinite(x[i]) || m < 3 || !(scale > 0))
      continue;
    int p = 0; /* x[i]'s place among the sorted values */
    while (p < m - 1 && tmp[p] != x[i])
      p++;
    int k = m - 1; /* the others, tmp without index p */
#define OTHER(q) tmp[(q) < p ? (q) : (q) + 1]
    double med =
        k % 2 ? OTHER(k / 2) : 0.5 * OTHER(k / 2 - 1) + 0.5 * OTHER(k / 2);
#undef OTHER
    double sc = scale;
    if (ts != NULL && isfinite(ts[i]) && ts[i] >= 0)
      sc = fmax(sc, step_floor * ts[i]);
    double v = 0.6745 * (x[i] - med) / sc;
    z[i] = isfinite(v) ? v : copysign(1e300, x[i] - med);
  }
}

int kml_multipeers_distance(const kml_multipeers_rules_t *r, const double *x,
                            int n, int d, double min_scale, double *dist) {
  double *z = malloc(sizeof(double) * (size_t)n * (size_t)d);
  double *col = malloc(sizeof(double) * (size_t)n * 4);
  int *out = malloc(sizeof(int) * (size_t)n * 2), *label = out + n;
  if (z == NULL || col == NULL || out == NULL) {
    free(z);
    free(col);
    free(out);
    return -1;
  }
  kml_peers_cfg_t pc = kml_peers_defaults();
  pc.min_members = 1; /* the population's size is the caller's matter */
  for (int j = 0; j < d; j++) {
    double *zc = col + n, *scratch = col + 2 * n;
    for (int i = 0; i < n; i++)
      col[i] = x[(size_t)i * d + j];
    kml_peers_summary_t s;
    kml_peers_eval(&pc, col, NULL, n, zc, out, scratch, &s);
    loo_z(col, NULL, n, fmax(s.mad, min_scale), pc.step_floor, scratch, zc);
    for (int i = 0; i < n; i++)
      z[(size_t)i * d + j] = isfinite(zc[i]) ? clip_z(r, zc[i]) : NAN;
  }
  int rc = kml_multipeers_dbscan(r, z, n, d, label, dist) < 0 ? -1 : 0;
  for (int i = 0; rc == 0 && i < n; i++)
    if (label[i] == -2)
      dist[i] = NAN;
  free(z);
  free(col);
  free(out);
  return rc;
}

/* ---------------------------------------------------------------- blocks */

typedef struct {
  kml_rate_t rate;
  kml_peer_member_t v; /* latest value, history (peers.h floors) */
  uint32_t n_smooth;
  double smooth; /* smoothed z */
  double smooth_t;
} feature_t;

typedef struct {
  char id[5][KML_MULTIPEERS_NAME];
  char population[5 * KML_MULTIPEERS_NAME];
  feature_t f[NF];
  int outlier;      /* notified as an outlier */
  double since;     /* first evaluation of the current run, 0 none */
  unsigned flagged; /* bit j: feature j judged alone during the run */
  int multi_run;    /* the several-values rule judged it during the run */
} member_t;

struct kml_multipeers {
  kml_multipeers_cfg_t cfg;
  pthread_mutex_t lock;
  kml_map_t *members;
  uint64_t round;
};

kml_multipeers_cfg_t kml_multipeers_defaults(void) {
  return (kml_multipeers_cfg_t){.rules = kml_peers_defaults(),
                                .multi = kml_multipeers_rules_defaults(),
                                .group_by = 1u << 0 | 1u << 1,
                                .persist = 30,
                                .memory = 60,
                                .history = 3600};
}

kml_multipeers_t *kml_multipeers_new(const kml_multipeers_cfg_t *c) {
  if (c->n_features < 1 || c->n_features > NF)
    return NULL;
  kml_multipeers_t *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return NULL;
  if ((m->members = kml_map_new(sizeof(member_t))) == NULL) {
    free(m);
    return NULL;
  }
  m->cfg = *c;
  m->cfg.group_by &= ~(1u << 3);
  pthread_mutex_init(&m->lock, NULL);
  return m;
}

void kml_multipeers_destroy(kml_multipeers_t *m) {
  if (m == NULL)
    return;
  kml_map_destroy(m->members);
  pthread_mutex_destroy(&m->lock);
  free(m);
}

int kml_multipeers_feature(const kml_multipeers_t *m, const char *type,
                           const char *ds) {
  size_t tl = strlen(type);
  for (int f = 0; f < m->cfg.n_features; f++) {
    const char *s = m->cfg.feature[f];
    if (strcmp(s, type) == 0 && strcmp(ds, "value") == 0)
      return f;
    if (strncmp(s, type, tl) == 0 && s[tl] == '.' &&
        strcmp(s + tl + 1, ds) == 0)
      return f;
  }
  return -1;
}

int kml_multipeers_feed(kml_multipeers_t *m, const char *const id[5], int f,
                        kml_ds_kind_t k, double t, double raw) {
  if (f < 0 || f >= m->cfg.n_features)
    return 0;
  char pop[5 * KML_MULTIPEERS_NAME], key[sizeof(pop) + 5 * 130];
  kml_peer_member_population(pop, sizeof(pop), m->cfg.group_by, id);
  /* the member: every field but the type */
  snprintf(key, sizeof(key), "%s\x1f%s/%s/%s/%s", pop, id[0], id[1], id[2],
           id[4]);
  int rc = 0, created;
  pthread_mutex_lock(&m->lock);
  member_t *mb = kml_map_get(m->members, key, m->round, &created);
  if (mb == NULL)
    rc = -1;
  else {
    if (created) {
      for (int i = 0; i < 5; i++)
        kml_strlcpy(mb->id[i], i == 3 ? "" : id[i], sizeof(mb->id[i]));
      kml_strlcpy(mb->population, pop, sizeof(mb->population));
    }
    feature_t *ft = &mb->f[f];
    double x;
    /* a reported member's history does not learn the incident */
    if (kml_rate_update(&ft->rate, k, t, raw, &x) == KML_RATE_OK)
      kml_peer_member_learn(&ft->v, t, x, m->cfg.history, mb->outlier);
  }
  pthread_mutex_unlock(&m->lock);
  return rc;
}

static int fresh(const feature_t *f, double after) {
  return f->v.have && f->v.time >= after;
}

/* Buffers for the largest population. */
typedef struct {
  double *x, *z, *lz, *sm, *med, *col, *zc, *ta, *ts, *scratch, *reach;
  int *out, *label;
  unsigned *single;
} bufs_t;

/* One evaluation (peer_round.h): the block, its time, its buffers. */
typedef struct {
  kml_multipeers_t *mp;
  double now, fresh_after;
  bufs_t b;
} eval_t;

/* A member takes part when one of its values is fresh. */
static int member_fresh(const void *value, void *ud) {
  const member_t *m = value;
  const eval_t *e = ud;
  int any = 0;
  for (int f = 0; f < e->mp->cfg.n_features; f++)
    any |= fresh(&m->f[f], e->fresh_after);
  return any;
}

static const char *member_population(const void *value) {
  return ((const member_t *)value)->population;
}

static int member_cmp(const void *a, const void *b) {
  const member_t *x = *(void *const *)a, *y = *(void *const *)b;
  int c = strcmp(x->population, y->population);
  return c ? c : strcmp(x->id[2], y->id[2]);
}

static int bufs_new(void *ud, size_t n) {
  bufs_t *b = &((eval_t *)ud)->b;
  b->x = malloc(sizeof(double) * (n * (5 * NF + 7) + NF));
  b->out = malloc(sizeof(int) * (n * (NF + 3) + 1));
  if (b->x == NULL || b->out == NULL) {
    free(b->x);
    free(b->out);
    b->x = NULL;
    b->out = NULL;
    return -1;
  }
  b->z = b->x + n * NF;
  b->lz = b->z + n * NF;
  b->sm = b->lz + n * NF;
  b->med = b->sm + n * NF; /* NF */
  b->col = b->med + NF;
  b->zc = b->col + n;
  b->ta = b->zc + n;
  b->ts = b->ta + n;
  b->scratch = b->ts + n; /* 2n */
  b->reach = b->scratch + 2 * n;
  b->label = b->out + n;
  b->single = (unsigned *)(b->label + n);
  return 0;
}

static void bufs_free(bufs_t *b) {
  free(b->x);
  free(b->out);
}

/* Persistence and hysteresis; 1 when the notified state changed. single:
 * bit j when feature j is judged alone now; z: the member's z per feature.
 * A run judged by one value holds while that value's |z| is at least half
 * the threshold (as peer_groups.c holds it), a run judged by several while
 * the distance is at least half of eps. */
static int verdict(member_t *m, const kml_multipeers_cfg_t *c, unsigned single,
                   int multi, const double *z, double reach, double now) {
  if (m->outlier) {
    int hold =
        single != 0 || multi || (m->multi_run && reach >= 0.5 * c->multi.eps);
    for (int j = 0; j < c->n_features; j++)
      if ((m->flagged & (1u << j)) &&
          fabs(z[(size_t)j]) >= 0.5 * c->rules.z_threshold)
        hold = 1;
    m->flagged |= single;
    m->multi_run |= multi;
    if (hold)
      return 0;
    m->outlier = 0;
    m->since = 0;
    m->flagged = 0;
    m->multi_run = 0;
    return 1;
  }
  int judged = single != 0 || multi;
  m->flagged = judged ? m->flagged | single : 0;
  m->multi_run = judged ? m->multi_run | multi : 0;
  if (!kml_peer_member_persists(&m->since, judged, now, c->persist))
    return 0;
  m->outlier = 1;
  return 1;
}

/* Judge one population (members v[0..n-1]); changes appended to ch. */
static void eval_population(void *const *v, int n, void *changes, long *n_ch,
                            void *ud) {
  eval_t *e = ud;
  bufs_t *b = &e->b;
  kml_multipeers_change_t *ch = changes;
  const kml_multipeers_cfg_t *c = &e->mp->cfg;
  double now = e->now, after = e->fresh_after;
  int d = c->n_features;
  for (int i = 0; i < n; i++)
    b->single[i] = 0;
  /* 1. each feature alone, as the single-value peers judge it */
  for (int j = 0; j < d; j++) {
    for (int i = 0; i < n; i++) {
      feature_t *f = &((member_t *)v[i])->f[j];
      int ok = fresh(f, after);
      b->col[i] = ok ? f->v.value : NAN;
      b->ta[i] = ok && f->v.n_abs ? f->v.typ_abs : NAN;
      b->ts[i] = ok && f->v.n_step ? f->v.typ_step : NAN;
    }
    kml_peers_history_t h = {b->ta, b->ts};
    kml_peers_summary_t s;
    kml_peers_eval(&c->rules, b->col, &h, n, b->zc, b->out, b->scratch, &s);
    b->med[j] = s.members >= c->rules.min_members ? s.median : NAN;
    for (int i = 0; i < n; i++) {
      int ok = isfinite(b->col[i]) && s.members >= c->rules.min_members;
      b->x[(size_t)i * NF + j] = b->col[i];
      b->z[(size_t)i * NF + j] = ok ? b->zc[i] : NAN;
      b->single[i] |= (unsigned)(b->out[i] != 0) << j;
    }
    loo_z(b->col, b->ts, n, s.mad, c->rules.step_floor, b->scratch, b->zc);
    for (int i = 0; i < n; i++)
      b->lz[(size_t)i * NF + j] =
          s.members >= c->rules.min_members ? b->zc[i] : NAN;
  }
  /* 2. smoothed z; 3. DBSCAN of the smoothed vectors */
  for (int i = 0; i < n; i++)
    for (int j = 0; j < d; j++) {
      feature_t *f = &((member_t *)v[i])->f[j];
      double z = b->lz[(size_t)i * NF + j];
      if (isfinite(z)) {
        kml_peer_member_ewma(&f->smooth, &f->n_smooth, clip_z(&c->multi, z),
                             f->n_smooth ? now - f->smooth_t : 0, c->memory);
        f->smooth_t = now;
      }
      b->sm[(size_t)i * d + j] = isfinite(z) ? f->smooth : NAN;
    }
  int multi_ok =
      n >= c->rules.min_members && d >= 2 &&
      kml_multipeers_dbscan(&c->multi, b->sm, n, d, b->label, b->reach) >= 0;
  for (int i = 0; i < n; i++) {
    member_t *m = v[i];
    int multi = multi_ok && b->label[i] != -2 && b->reach[i] > c->multi.eps;
    double reach = multi_ok && b->label[i] != -2 ? b->reach[i] : NAN;
    double max_z = 0, zi[NF];
    int top = -1;
    for (int j = 0; j < d; j++) {
      zi[j] = isfinite(b->z[(size_t)i * NF + j]) ? b->z[(size_t)i * NF + j] : 0;
      if (fabs(zi[j]) > max_z) {
        max_z = fabs(zi[j]);
        top = j;
      }
    }
    /* the rules of the run, for the WARNING and for the OKAY that ends it */
    int run_multi = m->multi_run | multi;
    unsigned run_single = m->flagged | b->single[i];
    if (!verdict(m, c, b->single[i], multi, zi, isfinite(reach) ? reach : 0,
                 now))
      continue;
    kml_multipeers_change_t *o = &ch[(*n_ch)++];
    memset(o, 0, sizeof(*o));
    memcpy(o->id, m->id, sizeof(o->id));
    memcpy(o->population, m->population, sizeof(o->population));
    o->outlier = m->outlier;
    o->since = m->since;
    o->multi = run_multi;
    o->single = run_single;
    o->members = n;
    o->distance = reach;
    o->top = top;
    for (int j = 0; j < NF; j++) {
      int in = j < d;
      o->z[j] = in ? b->z[(size_t)i * NF + j] : NAN;
      o->smooth[j] = in ? b->sm[(size_t)i * d + j] : NAN;
      o->value[j] = in ? b->x[(size_t)i * NF + j] : NAN;
      o->median[j] = in ? b->med[j] : NAN;
    }
  }
}

static int member_outlier(const void *value) {
  return ((const member_t *)value)->outlier;
}

/* A member forgotten while reported as an outlier: its OKAY, with its last
 * values and the rules of its run. */
static void gone_member(void *value, void *change, void *ud) {
  const eval_t *e = ud;
  member_t *m = value;
  kml_multipeers_change_t *o = change;
  memset(o, 0, sizeof(*o));
  memcpy(o->id, m->id, sizeof(o->id));
  memcpy(o->population, m->population, sizeof(o->population));
  o->gone = 1;
  o->since = m->since;
  o->multi = m->multi_run;
  o->single = m->flagged;
  o->distance = NAN;
  o->top = -1;
  for (int j = 0; j < NF; j++) {
    int in = j < e->mp->cfg.n_features && m->f[j].v.have;
    o->z[j] = o->smooth[j] = o->median[j] = NAN;
    o->value[j] = in ? m->f[j].v.value : NAN;
  }
  m->outlier = 0;
}

static const kml_peer_round_t evaluation = {
    .change_size = sizeof(kml_multipeers_change_t),
    .fresh = member_fresh,
    .population = member_population,
    .order = member_cmp,
    .room = bufs_new,
    .judge = eval_population,
    .outlier = member_outlier,
    .gone = gone_member,
};

long kml_multipeers_eval(kml_multipeers_t *m, double now, double interval,
                         double idle, kml_multipeers_change_t **changes) {
  eval_t e = {.mp = m, .now = now, .fresh_after = now - 3 * interval};
  void *ch;
  pthread_mutex_lock(&m->lock);
  long n = kml_peer_round_eval(&evaluation, m->members, &m->round, interval,
                               idle, &e, &ch);
  pthread_mutex_unlock(&m->lock);
  bufs_free(&e.b);
  *changes = ch;
  return n;
}

size_t kml_multipeers_size(kml_multipeers_t *m) {
  pthread_mutex_lock(&m->lock);
  size_t n = kml_map_size(m->members);
  pthread_mutex_unlock(&m->lock);
  return n;
}
