/* noise: seeded generators of the stationary noises the false-alarm budget
 * is measured on (Gaussian, Laplace, lognormal, Poisson, random walk), for
 * the calibration benchmark and its statistical unit test. Header-only;
 * one generator per thread. */
#ifndef KML_ML_NOISE_H
#define KML_ML_NOISE_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

typedef enum {
  KML_NOISE_GAUSSIAN,
  KML_NOISE_LAPLACE,
  KML_NOISE_LOGNORMAL,
  KML_NOISE_POISSON,
  KML_NOISE_RANDOM_WALK,
  KML_NOISE_KINDS
} kml_noise_kind_t;

static inline const char *kml_noise_name(kml_noise_kind_t k) {
  static const char *const names[] = {"gaussian", "laplace", "lognormal",
                                      "poisson", "random_walk"};
  return k < KML_NOISE_KINDS ? names[k] : "?";
}

/* Next value of noise k; *state carries the random walk's level. */
static inline double kml_noise_next(kml_noise_kind_t k, gsl_rng *r,
                                    double *state) {
  switch (k) {
  case KML_NOISE_GAUSSIAN:
    return 100 + 5 * gsl_ran_gaussian_ziggurat(r, 1);
  case KML_NOISE_LAPLACE:
    return 100 + gsl_ran_laplace(r, 3);
  case KML_NOISE_LOGNORMAL:
    return gsl_ran_lognormal(r, 3, 1);
  case KML_NOISE_POISSON:
    return gsl_ran_poisson(r, 0.5);
  case KML_NOISE_RANDOM_WALK:
    *state += gsl_ran_gaussian_ziggurat(r, 1);
    return 1000 + *state;
  default:
    return 0;
  }
}

#endif
