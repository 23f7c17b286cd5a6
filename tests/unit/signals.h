/* Deterministic test signals: a seeded generator so every run sees the
 * same "noise", and helpers for the shapes the models must handle. */
#ifndef KML_TEST_SIGNALS_H
#define KML_TEST_SIGNALS_H

#include <math.h>
#include <stdint.h>

typedef struct {
  uint64_t s;
} rng_t;

static inline double rng_uniform(rng_t *r) {
  r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((r->s >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static inline double rng_normal(rng_t *r) {
  double u = rng_uniform(r), v = rng_uniform(r);
  return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* A daily shape: low at night, peak in the afternoon. */
static inline double daily(double t) {
  return sin(2 * M_PI * fmod(t, 86400) / 86400 - M_PI / 2);
}

#endif
