/* peer_round: see peer_round.h. The single-value and several-value peers
 * blocks evaluated their members the same way but for the rule judging a
 * population; this is that evaluation once, the rules come as callbacks. */
#include "peer_round.h"

#include "peer_member.h"

#include <stdlib.h>
#include <string.h>

/* The fresh members of one evaluation. */
typedef struct {
  const kml_peer_round_t *r;
  void *ud;
  void **v;
  size_t n, cap;
  int oom;
} collect_t;

static void collect_member(const char *key, void *value, void *ud) {
  (void)key;
  collect_t *c = ud;
  if (!c->r->fresh(value, c->ud))
    return;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 64;
    void **v = realloc(c->v, cap * sizeof(*v));
    if (v == NULL) {
      c->oom = 1;
      return;
    }
    c->v = v;
    c->cap = cap;
  }
  c->v[c->n++] = value;
}

/* The changes of one evaluation: the judged members' (room made for every
 * fresh one before), then the forgotten outliers'. */
typedef struct {
  const kml_peer_round_t *r;
  void *ud;
  char *v;
  long n;
  size_t cap;
} changes_t;

/* A member forgotten (kml_peer_member_sweep) while reported as an outlier:
 * its OKAY is due, or its alert would stay up for a member that no longer
 * reports. Lost only when out of memory. */
static void gone_member(const char *key, void *value, void *ud) {
  (void)key;
  changes_t *c = ud;
  if (!c->r->outlier(value))
    return;
  if ((size_t)c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 8;
    char *v = realloc(c->v, cap * c->r->change_size);
    if (v == NULL)
      return;
    c->v = v;
    c->cap = cap;
  }
  c->r->gone(value, c->v + (size_t)c->n++ * c->r->change_size, c->ud);
}

long kml_peer_round_eval(const kml_peer_round_t *r, kml_map_t *members,
                         uint64_t *round, double interval, double idle,
                         void *ud, void **changes) {
  *changes = NULL;
  collect_t c = {.r = r, .ud = ud};
  kml_map_foreach(members, collect_member, &c);
  changes_t ch = {.r = r, .ud = ud, .cap = c.n};
  if (c.oom || (c.n > 0 && ((r->room != NULL && r->room(ud, c.n) != 0) ||
                            (ch.v = malloc(r->change_size * c.n)) == NULL))) {
    free(c.v);
    return -1;
  }
  if (c.n > 1) /* c.v is NULL while no member is fresh */
    qsort(c.v, c.n, sizeof(*c.v), r->order);
  for (size_t i = 0; i < c.n;) {
    const char *pop = r->population(c.v[i]);
    size_t j = i;
    while (j < c.n && strcmp(r->population(c.v[j]), pop) == 0)
      j++;
    r->judge(c.v + i, (int)(j - i), ch.v, &ch.n, ud);
    i = j;
  }
  kml_peer_member_sweep(members, round, idle, interval, gone_member, &ch);
  free(c.v);
  if (ch.n > 0)
    *changes = ch.v;
  else
    free(ch.v);
  return ch.n;
}
