/* correlate: which other series moved with this one? Pearson correlation
 * of first differences (so shared trends do not count) over the recent
 * window, at small lags in both directions; the best |r| and its lag.
 * Pure; thread-safe. */
#ifndef KML_ML_CORRELATE_H
#define KML_ML_CORRELATE_H

/* Best correlation of differences of a and b (n values each, oldest first)
 * over lags -max_lag..max_lag (b shifted); *lag gets the lag (positive: b
 * moved later). Returns NAN when either is constant or n is too short. */
double kml_corr_best(const float *a, const float *b, int n, int max_lag,
                     int *lag);

#endif
