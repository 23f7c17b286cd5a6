/* correlate: which other series moved with this one? Pearson correlation
 * of first differences (so shared trends do not count) over the recent
 * window, at small lags in both directions; the best |r| and its lag.
 * Pure; thread-safe. */
#ifndef KML_ML_CORRELATE_H
#define KML_ML_CORRELATE_H

#include <stddef.h>

/* Best correlation of differences of a and b (n values each, oldest first)
 * over lags -max_lag..max_lag (b shifted); *lag gets the lag (positive: b
 * moved later). Returns NAN when either is constant or n is too short. */
double kml_corr_best(const float *a, const float *b, int n, int max_lag,
                     int *lag);

/* Ranking for many anomalous series in one scan of the store: each
 * target keeps the three other series of its host (same key up to the
 * first '/') whose recent windows correlate best (|r| >= 0.5). */
#define KML_CORR_TOP 3
typedef struct {
  const char *key;   /* the anomalous series' key */
  size_t prefix_len; /* "host/" */
  float win[64];     /* its recent window, oldest first */
  int n;             /* values in win (targets with n < 8 are skipped) */
  struct {
    char key[768];
    double r;
    int lag;
  } top[KML_CORR_TOP]; /* best first; key "" when unused */
} kml_corr_target_t;

/* Prepare t for key with its window w of n values (copied). */
void kml_corr_target_init(kml_corr_target_t *t, const char *key, const float *w,
                          int n);
/* Offer one series (key, window w of n values, oldest first) to every
 * target of its host. Call once per series of the store. Pure on its
 * arguments; one thread per target array. */
void kml_corr_rank(kml_corr_target_t *t, size_t nt, const char *key,
                   const float *w, int n);

#endif
