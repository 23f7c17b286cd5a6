/* baseline: see baseline.h. score = |z| / (1 + |z|): monotone in |z| and,
 * unlike a Gaussian tail, never rounds to 1 (NAB needs distinct scores).
 * Mean and variance are recomputed from the ring with two passes for each
 * value: running sums of x and x^2 cancel catastrophically on series with
 * a large mean and small spread, and the window is small. */
#include "baseline.h"

#include <gsl/gsl_sf_erf.h>
#include <math.h>
#include <stdlib.h>

int kml_baseline_init(kml_baseline_t *b, int window) {
  b->window = window > 1 ? window : 2;
  b->ring = calloc(b->window, sizeof(double));
  b->n = b->head = 0;
  return b->ring ? 0 : -1;
}

void kml_baseline_free(kml_baseline_t *b) {
  free(b->ring);
  b->ring = NULL;
}

double kml_baseline_update(kml_baseline_t *b, double x, double *z, double *p) {
  *z = 0;
  *p = 1;
  if (!isfinite(x))
    return 0;
  double score = 0;
  if (b->n >= 10) {
    double mean = 0, var = 0;
    for (int i = 0; i < b->n; i++)
      mean += b->ring[i];
    mean /= b->n;
    for (int i = 0; i < b->n; i++)
      var += (b->ring[i] - mean) * (b->ring[i] - mean);
    var /= b->n;
    double sd = sqrt(var) + 1e-9;
    *z = (x - mean) / sd;
    if (!isfinite(*z))
      *z = x > mean ? 1e300 : -1e300;
    score = fabs(*z) / (1.0 + fabs(*z));
    *p = fabs(*z) < 38 ? gsl_sf_erfc(fabs(*z) / M_SQRT2) : 0;
  }
  if (b->n < b->window)
    b->n++;
  b->ring[b->head] = x;
  b->head = (b->head + 1) % b->window;
  return score;
}
