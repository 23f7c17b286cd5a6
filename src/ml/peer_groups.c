/* peer_groups: see peer_groups.h. Members live in one string-keyed map per
 * block ("population\x1fseries key"); an evaluation (peer_round.h) collects
 * the fresh ones, sorts them by population and runs kml_peers_eval() on
 * each run of equal populations, then applies persistence and hysteresis
 * per member. Changes are copied out under the lock so that notifying
 * needs none. */
#include "peer_groups.h"

#include "../kml_map.h"
#include "../kml_str.h"
#include "peer_member.h"
#include "peer_round.h"

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

/* Buffers for the largest population: values, z, history, scratch. */
typedef struct {
  double *x, *z, *typ_abs, *typ_step, *scratch;
  int *out;
} bufs_t;

/* One evaluation (peer_round.h): the block, its time, its buffers. */
typedef struct {
  kml_peer_groups_t *g;
  double now, fresh_after;
  bufs_t b;
} eval_t;

static int member_fresh(const void *value, void *ud) {
  const member_t *m = value;
  const eval_t *e = ud;
  return m->v.have && m->v.time >= e->fresh_after;
}

static const char *member_population(const void *value) {
  return ((const member_t *)value)->population;
}

static int member_cmp(const void *a, const void *b) {
  const member_t *x = *(void *const *)a, *y = *(void *const *)b;
  return strcmp(x->population, y->population);
}

static int bufs_new(void *ud, size_t n) {
  bufs_t *b = &((eval_t *)ud)->b;
  b->x = malloc(sizeof(double) * (6 * n + 1));
  b->out = malloc(sizeof(int) * (n + 1));
  if (b->x == NULL || b->out == NULL) {
    free(b->x);
    free(b->out);
    b->x = NULL;
    b->out = NULL;
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
static void eval_population(void *const *v, int n, void *changes, long *n_ch,
                            void *ud) {
  eval_t *e = ud;
  bufs_t *b = &e->b;
  kml_peer_change_t *ch = changes;
  for (int k = 0; k < n; k++) {
    const member_t *m = v[k];
    b->x[k] = m->v.value;
    b->typ_abs[k] = m->v.n_abs ? m->v.typ_abs : NAN;
    b->typ_step[k] = m->v.n_step ? m->v.typ_step : NAN;
  }
  kml_peers_history_t h = {b->typ_abs, b->typ_step};
  kml_peers_summary_t s;
  kml_peers_eval(&e->g->cfg.rules, b->x, &h, n, b->z, b->out, b->scratch, &s);
  for (int k = 0; k < n; k++)
    if (member_verdict(v[k], &e->g->cfg, b->out[k], b->z[k], e->now))
      change_of(&ch[(*n_ch)++], v[k], b->z[k], &s);
}

static int member_outlier(const void *value) {
  return ((const member_t *)value)->outlier;
}

/* A member forgotten while reported as an outlier: its OKAY. */
static void gone_member(void *value, void *change, void *ud) {
  (void)ud;
  member_t *m = value;
  kml_peers_summary_t none = {.median = NAN, .mad = NAN, .floor = NAN};
  m->outlier = 0;
  change_of(change, m, NAN, &none);
  ((kml_peer_change_t *)change)->gone = 1;
}

static const kml_peer_round_t evaluation = {
    .change_size = sizeof(kml_peer_change_t),
    .fresh = member_fresh,
    .population = member_population,
    .order = member_cmp,
    .room = bufs_new,
    .judge = eval_population,
    .outlier = member_outlier,
    .gone = gone_member,
};

long kml_peer_groups_eval(kml_peer_groups_t *g, double now, double interval,
                          double idle, kml_peer_change_t **changes) {
  eval_t e = {.g = g, .now = now, .fresh_after = now - 3 * interval};
  void *ch;
  pthread_mutex_lock(&g->lock);
  long n = kml_peer_round_eval(&evaluation, g->members, &g->round, interval,
                               idle, &e, &ch);
  pthread_mutex_unlock(&g->lock);
  bufs_free(&e.b);
  *changes = ch;
  return n;
}

size_t kml_peer_groups_size(kml_peer_groups_t *g) {
  pthread_mutex_lock(&g->lock);
  size_t n = kml_map_size(g->members);
  pthread_mutex_unlock(&g->lock);
  return n;
}
