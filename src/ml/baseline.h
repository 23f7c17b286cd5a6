/* baseline: the rolling z-score detector that benchmarks compare against
 * (mean and standard deviation of the previous `window` values; score from
 * |z|). Kept deliberately simple: it is the peer, not a model to ship. Its
 * two-sided Gaussian tail probability goes through the same alert state
 * machine (alert.h) as the models, so notifications compare like for like.
 * Owns a malloc'd ring; not thread-safe. */
#ifndef KML_ML_BASELINE_H
#define KML_ML_BASELINE_H

typedef struct {
  double *ring;
  int window, n, head;
} kml_baseline_t;

/* 0, or -1 when out of memory. Free with kml_baseline_free. */
int kml_baseline_init(kml_baseline_t *b, int window);
void kml_baseline_free(kml_baseline_t *b);
/* Score x in [0,1] against the previous values, then add it; *z gets the
 * z-score and *p its two-sided Gaussian tail probability (0 and 1 while
 * fewer than 10 values were seen). Non-finite x scores 0 and is not
 * added. */
double kml_baseline_update(kml_baseline_t *b, double x, double *z, double *p);

#endif
