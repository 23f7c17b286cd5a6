/* baseline: see baseline.h. score = |z| / (1 + |z|): monotone in |z| and,
 * unlike a Gaussian tail, never rounds to 1 (NAB needs distinct scores). */
#include "baseline.h"

#include <math.h>
#include <stdlib.h>

int kml_baseline_init(kml_baseline_t *b, int window) {
  b->window = window > 1 ? window : 2;
  b->ring = calloc(b->window, sizeof(double));
  b->n = b->head = 0;
  b->sum = b->sum2 = 0;
  return b->ring ? 0 : -1;
}

void kml_baseline_free(kml_baseline_t *b) {
  free(b->ring);
  b->ring = NULL;
}

double kml_baseline_update(kml_baseline_t *b, double x, double *z) {
  *z = 0;
  if (!isfinite(x))
    return 0;
  double score = 0;
  if (b->n >= 10) {
    double mean = b->sum / b->n;
    double var = b->sum2 / b->n - mean * mean;
    double sd = sqrt(var > 0 ? var : 0) + 1e-9;
    *z = (x - mean) / sd;
    score = fabs(*z) / (1.0 + fabs(*z));
  }
  if (b->n == b->window) {
    double old = b->ring[b->head];
    b->sum -= old;
    b->sum2 -= old * old;
  } else {
    b->n++;
  }
  b->ring[b->head] = x;
  b->sum += x;
  b->sum2 += x * x;
  b->head = (b->head + 1) % b->window;
  return score;
}
