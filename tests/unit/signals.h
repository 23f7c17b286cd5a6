/* Deterministic test signals: the simulators' seeded generator
 * (cli/sim_rng.h: kml_sim_uni, kml_sim_gauss) so every run sees the same
 * "noise", and helpers for the shapes the models must handle. */
#ifndef KML_TEST_SIGNALS_H
#define KML_TEST_SIGNALS_H

#include "cli/sim_rng.h"

#include <math.h>

/* A daily shape: low at night, peak in the afternoon. */
static inline double daily(double t) {
  return sin(2 * M_PI * fmod(t, 86400) / 86400 - M_PI / 2);
}

#endif
