/* peer_member: see peer_member.h. The single-value and several-value peers
 * blocks keep the same per-value state and hold verdicts the same way;
 * their populations and evaluations differ, so only these pieces are
 * shared. */
#include "peer_member.h"

#include "../kml_str.h"

#include <math.h>

void kml_peer_member_ewma(double *mean, uint32_t *n, double v, double dt,
                          double memory) {
  if (*n < UINT32_MAX)
    (*n)++;
  double w = 1.0 / *n;
  if (dt > 0 && memory > 0)
    w = fmax(w, -expm1(-dt / memory));
  *mean += w * (v - *mean);
}

void kml_peer_member_learn(kml_peer_member_t *m, double t, double x,
                           double memory, int frozen) {
  double dt = m->have ? t - m->time : 0;
  /* clamped so that sums of huge values stay finite */
  if (!frozen) {
    if (m->have)
      kml_peer_member_ewma(&m->typ_step, &m->n_step,
                           fmin(fabs(x - m->value), 1e300), dt, memory);
    kml_peer_member_ewma(&m->typ_abs, &m->n_abs, fmin(fabs(x), 1e300), dt,
                         memory);
  }
  m->value = x;
  m->time = t;
  m->have = 1;
}

void kml_peer_member_population(char *pop, size_t len, unsigned group_by,
                                const char *const id[5]) {
  size_t off = 0;
  pop[0] = '\0';
  for (int f = 0; f < 5; f++) {
    if (!(group_by & (1u << f)))
      continue;
    if (off > 0 && off < len - 1)
      pop[off++] = '/';
    off += kml_strlcpy(pop + off, id[f], len - off);
    if (off >= len)
      off = len - 1;
  }
}

int kml_peer_member_persists(double *since, int judged, double now,
                             double persist) {
  if (!judged) {
    *since = 0;
    return 0;
  }
  if (*since == 0)
    *since = now;
  return now - *since >= persist;
}

void kml_peer_member_sweep(
    kml_map_t *members, uint64_t *round, double idle, double interval,
    void (*gone)(const char *key, void *member, void *ud), void *ud) {
  (*round)++;
  double rounds = idle / (interval > 0 ? interval : 1) + 3;
  uint64_t keep = rounds < 1e15 ? (uint64_t)rounds : (uint64_t)1e15;
  if (*round > keep)
    kml_map_sweep_each(members, *round - keep, gone, ud);
}
