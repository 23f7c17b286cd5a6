/* gpd: the generalised Pareto distribution of peaks over a threshold, the
 * extreme-value model behind calibrated tail probabilities (Pickands-
 * Balkema-de Haan: excesses over a high threshold of almost any
 * distribution are GPD; SPOT, Siffer et al., KDD 2017).
 *
 * kml_gpd_fit finds the maximum-likelihood shape and scale of a few dozen
 * excesses by Grimshaw's reduction to one equation, solved with GSL's
 * Brent root finder; the exponential (shape 0) is one of the candidates
 * whose likelihood is compared. (A likelihood-ratio test that kept the
 * exponential unless the shape earned its keep at 5% was measured worse:
 * on 48 maxima it missed both the light tails of Gaussian noise and the
 * heavy ones of lognormal noise; bench/bench_calibration.)
 * Pure functions; thread-safe. */
#ifndef KML_ML_GPD_H
#define KML_ML_GPD_H

typedef struct {
  double shape; /* gamma (xi): 0 exponential, > 0 heavy, < 0 bounded tail */
  double scale; /* sigma > 0 */
} kml_gpd_t;

/* Fit excesses y[0..n-1] (all > 0; n >= 3). Returns 0, or -1 when the
 * sample cannot be fitted (too small, non-positive or non-finite). */
int kml_gpd_fit(const double *y, int n, kml_gpd_t *out);
/* P(Y > y) for an excess y >= 0 (1 for y <= 0; 0 past a bounded tail's
 * end). */
double kml_gpd_sf(const kml_gpd_t *g, double y);
/* The excess y with P(Y > y) = p (0 < p <= 1). */
double kml_gpd_quantile(const kml_gpd_t *g, double p);

#endif
