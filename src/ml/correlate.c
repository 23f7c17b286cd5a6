/* correlate: see correlate.h. */
#include "correlate.h"

#include <math.h>

static double pearson(const float *a, const float *b, int n) {
  if (n < 4)
    return NAN;
  double ma = 0, mb = 0;
  for (int i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < n; i++) {
    double x = a[i] - ma, y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  if (saa <= 0 || sbb <= 0)
    return NAN;
  return sab / sqrt(saa * sbb);
}

double kml_corr_best(const float *a, const float *b, int n, int max_lag,
                     int *lag) {
  float da[64], db[64];
  if (n > 65)
    n = 65;
  for (int i = 1; i < n; i++) {
    da[i - 1] = a[i] - a[i - 1];
    db[i - 1] = b[i] - b[i - 1];
  }
  int m = n - 1;
  double best = NAN;
  *lag = 0;
  for (int l = -max_lag; l <= max_lag; l++) {
    int len = m - (l < 0 ? -l : l);
    double r = l >= 0 ? pearson(da, db + l, len) : pearson(da - l, db, len);
    if (isfinite(r) && (!isfinite(best) || fabs(r) > fabs(best))) {
      best = r;
      *lag = l;
    }
  }
  return best;
}
