/* peer_groups: see peer_groups.h. Members live in one string-keyed map per
 * block ("population\x1fseries key"); an evaluation collects the fresh
 * ones, sorts them by population and runs kml_peers_eval() on each run of
 * equal populations, then applies persistence and hysteresis per member.
 * Changes are copied out under the lock so that notifying needs none. */
#include "peer_groups.h"

#include "../kml_map.h"
#include "../kml_str.h"
#include "peer_member.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char id[KML_PEER_FIELDS][KML_PEER_NAME];
  char ds[KML_PEER_NAME];
  char population[KML_PEER_POPULATION];
  kml_rate_t rate;
  kml_peer_member_t v; /* latest value, history */
  int outlier;         /* notified as an outlier */
  double since;        /* first evaluation of the current run, 0 none */
} member_t;

struct kml_peer_groups {
  kml_peer_groups_cfg_t cfg;
  pthread_mutex_t lock;
  kml_map_t *members;
  uint64_t round; /* evaluations so far: members are touched with it */
};

kml_peer_groups_cfg_t kml_peer_groups_defaults(void) {
  return (kml_peer_groups_cfg_t){.rules = kml_peers_defaults(),
                                 .group_by = 1u << 0 | 1u << 1 | 1u << 3,
                                 .persist = 30,
                                 .memory = 3600};
}

kml_peer_groups_t *kml_peer_groups_new(const kml_peer_groups_cfg_t *c) {
  kml_peer_groups_t *g = calloc(1, sizeof(*g));
  if (g == NULL)
    return NULL;
  g->members = kml_map_new(sizeof(member_t));
  if (g->members == NULL) {
    free(g);
    return NULL;
  }
  g->cfg = *c;
  pthread_mutex_init(&g->lock, NULL);
  return g;
}

void kml_peer_groups_destroy(kml_peer_groups_t *g) {
  if (g == NULL)
    return;
  kml_map_destroy(g->members);
  pthread_mutex_destroy(&g->lock);
  free(g);
}

int kml_peer_groups_feed(kml_peer_groups_t *g,
                         const char *const id[KML_PEER_FIELDS], const char *ds,
                         kml_ds_kind_t k, double t, double raw) {
  char pop[KML_PEER_POPULATION], series[KML_PEER_POPULATION + KML_PEER_NAME];
  char key[sizeof(pop) + sizeof(series) + 1];
  kml_peer_member_population(pop, sizeof(pop), g->cfg.group_by, id);
  kml_str_series_key(series, sizeof(series), id[0], id[1], id[2], id[3], id[4],
                     ds);
  size_t pl = strlen(pop);
  memcpy(key, pop, pl);
  key[pl] = '\x1f';
  kml_strlcpy(key + pl + 1, series, sizeof(key) - pl - 1);

  int rc = 0, created;
  pthread_mutex_lock(&g->lock);
  member_t *m = kml_map_get(g->members, key, g->round, &created);
  if (m == NULL)
    rc = -1;
  else {
    if (created) {
      for (int f = 0; f < KML_PEER_FIELDS; f++)
        kml_strlcpy(m->id[f], id[f], sizeof(m->id[f]));
      kml_strlcpy(m->ds, ds, sizeof(m->ds));
      kml_strlcpy(m->population, pop, sizeof(m->population));
    }
    double x;
    /* a reported member's history does not learn the incident: its OKAY
     * comes from being back in line, not from a floor that grew with it */
    if (kml_rate_update(&m->rate, k, t, raw, &x) == KML_RATE_OK)
      kml_peer_member_learn(&m->v, t, x, g->cfg.memory, m->outlier);
  }
  pthread_mutex_unlock(&g->lock);
  return rc;
}

typedef struct {
  member_t **v;
  size_t n, cap;
  double fresh_after;
  int oom;
} collect_t;

static void collect_member(const char *key, void *value, void *ud) {
  (void)key;
  collect_t *c = ud;
  member_t *m = value;
  if (!m->v.have || m->v.time < c->fresh_after)
    return;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 64;
    member_t **v = realloc(c->v, cap * sizeof(*v));
    if (v == NULL) {
      c->oom = 1;
      return;
    }
    c->v = v;
    c->cap = cap;
  }
  c->v[c->n++] = m;
}

static int member_cmp(const void *a, const void *b) {
  return strcmp((*(member_t *const *)a)->population,
                (*(member_t *const *)b)->population);
}

/* Buffers for the largest population: values, z, history, scratch. */
typedef struct {
  double *x, *z, *typ_abs, *typ_step, *scratch;
  int *out;
} bufs_t;

static int bufs_new(bufs_t *b, size_t n) {
  b->x = malloc(sizeof(double) * (6 * n + 1));
  b->out = malloc(sizeof(int) * (n + 1));
  if (b->x == NULL || b->out == NULL) {
    free(b->x);
    free(b->out);
    return -1;
  }
  b->z = b->x + n;
  b->typ_abs = b->x + 2 * n;
  b->typ_step = b->x + 3 * n;
  b->scratch = b->x + 4 * n; /* 2n */
  return 0;
}

static void bufs_free(bufs_t *b) {
  free(b->x);
  free(b->out);
}

/* Persistence and hysteresis for member m judged `judged` with robust z
 * at time now. Returns 1 when its notified state changed. */
static int member_verdict(member_t *m, const kml_peer_groups_cfg_t *c,
                          int judged, double z, double now) {
  if (m->outlier) {
    /* an outlier stays one until its z falls below half the threshold,
     * so a member near the line does not flap */
    if (judged || fabs(z) >= 0.5 * c->rules.z_threshold)
      return 0;
    m->outlier = 0;
    m->since = 0;
    return 1;
  }
  if (!kml_peer_member_persists(&m->since, judged, now, c->persist))
    return 0;
  m->outlier = 1;
  return 1;
}

static void change_of(kml_peer_change_t *ch, const member_t *m, double z,
                      const kml_peers_summary_t *s) {
  memcpy(ch->id, m->id, sizeof(ch->id));
  memcpy(ch->ds, m->ds, sizeof(ch->ds));
  memcpy(ch->population, m->population, sizeof(ch->population));
  ch->outlier = m->outlier;
  ch->gone = 0;
  ch->since = m->since;
  ch->value = m->v.value;
  ch->z = z;
  ch->members = s->members;
  ch->population_summary = *s;
}

/* Judge one population (members v[0..n-1]); changes appended to ch. */
static void eval_population(kml_peer_groups_t *g, member_t **v, int n,
                            double now, bufs_t *b, kml_peer_change_t *ch,
                            long *n_ch) {
  for (int k = 0; k < n; k++) {
    b->x[k] = v[k]->v.value;
    b->typ_abs[k] = v[k]->v.n_abs ? v[k]->v.typ_abs : NAN;
    b->typ_step[k] = v[k]->v.n_step ? v[k]->v.typ_step : NAN;
  }
  kml_peers_history_t h = {b->typ_abs, b->typ_step};
  kml_peers_summary_t s;
  kml_peers_eval(&g->cfg.rules, b->x, &h, n, b->z, b->out, b->scratch, &s);
  for (int k = 0; k < n; k++)
    if (member_verdict(v[k], &g->cfg, b->out[k], b->z[k], now))
      change_of(&ch[(*n_ch)++], v[k], b->z[k], &s);
}

/* The changes of one evaluation: the judged members' (at most one each of
 * the fresh ones, room made before), then the forgotten outliers'. */
typedef struct {
  kml_peer_change_t *v;
  long n;
  size_t cap;
} changes_t;

/* A member forgotten (kml_peer_member_sweep) while reported as an outlier:
 * its OKAY is due, or its alert would stay up for a member that no longer
 * reports. Lost only when out of memory. */
static void gone_member(const char *key, void *value, void *ud) {
  (void)key;
  changes_t *c = ud;
  member_t *m = value;
  if (!m->outlier)
    return;
  if ((size_t)c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 8;
    kml_peer_change_t *v = realloc(c->v, cap * sizeof(*v));
    if (v == NULL)
      return;
    c->v = v;
    c->cap = cap;
  }
  kml_peers_summary_t none = {.median = NAN, .mad = NAN, .floor = NAN};
  m->outlier = 0;
  kml_peer_change_t *ch = &c->v[c->n++];
  change_of(ch, m, NAN, &none);
  ch->gone = 1;
}

long kml_peer_groups_eval(kml_peer_groups_t *g, double now, double interval,
                          double idle, kml_peer_change_t **changes) {
  *changes = NULL;
  collect_t c = {.fresh_after = now - 3 * interval};
  long n_ch = 0;
  pthread_mutex_lock(&g->lock);
  kml_map_foreach(g->members, collect_member, &c);
  bufs_t b = {0};
  kml_peer_change_t *ch = NULL;
  if (c.oom || (c.n > 0 && (bufs_new(&b, c.n) != 0 ||
                            (ch = malloc(sizeof(*ch) * c.n)) == NULL))) {
    n_ch = -1;
    goto done;
  }
  if (c.n > 1) /* c.v is NULL while no member is fresh */
    qsort(c.v, c.n, sizeof(*c.v), member_cmp);
  for (size_t i = 0; i < c.n;) {
    size_t j = i;
    while (j < c.n && strcmp(c.v[j]->population, c.v[i]->population) == 0)
      j++;
    eval_population(g, c.v + i, (int)(j - i), now, &b, ch, &n_ch);
    i = j;
  }
  /* Forget members not fed for idle seconds (in evaluations). */
  changes_t gone = {ch, n_ch, c.n};
  kml_peer_member_sweep(g->members, &g->round, idle, interval, gone_member,
                        &gone);
  ch = gone.v;
  n_ch = gone.n;
done:
  pthread_mutex_unlock(&g->lock);
  bufs_free(&b);
  free(c.v);
  if (n_ch > 0)
    *changes = ch;
  else
    free(ch);
  return n_ch;
}

size_t kml_peer_groups_size(kml_peer_groups_t *g) {
  pthread_mutex_lock(&g->lock);
  size_t n = kml_map_size(g->members);
  pthread_mutex_unlock(&g->lock);
  return n;
}
