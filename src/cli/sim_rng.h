/* sim_rng: the random numbers of the simulators (simulate.c, chain_sim.c)
 * and of the unit tests' signals (tests/unit/signals.h).
 *
 * A 64-bit linear congruential generator (Knuth's MMIX constants) and
 * Box-Muller normals, written out here rather than taken from GSL so that a
 * seed gives the same series, byte for byte, on every platform and library
 * version: the figures in README.md name seeds and must stay reproducible.
 * Simulated data only; the models' numerical work uses GSL. The state is
 * the caller's (one per run, not shared between threads). */
#ifndef KML_CLI_SIM_RNG_H
#define KML_CLI_SIM_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct {
  uint64_t s;
} kml_sim_rng_t;

/* Uniform in (0, 1): 0 and 1 are never returned (log() of it is safe). */
static inline double kml_sim_uni(kml_sim_rng_t *r) {
  r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
  return ((r->s >> 11) + 0.5) / 9007199254740992.0;
}

/* Standard normal (one Box-Muller draw per call: two uniforms, the first
 * for the radius; drawn in statements of their own, as C leaves the order
 * of two calls within one expression to the compiler). */
static inline double kml_sim_gauss(kml_sim_rng_t *r) {
  double u = kml_sim_uni(r), v = kml_sim_uni(r);
  return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

#endif
