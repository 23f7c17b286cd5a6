/* xcorr: see xcorr.h. Windows are a few dozen values, compared against
 * thousands of candidates once per notification, so the work is plain
 * loops over floats with doubles for the sums; unknown slots (NaN) drop
 * out pair by pair. */
#include "xcorr.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

kml_xcorr_cfg_t kml_xcorr_defaults(void) {
  return (kml_xcorr_cfg_t){
      .method = KML_XCORR_DETREND, .max_lag = 3, .max_follow = 1, .span = 2};
}

static const char *const names[] = {"detrend", "diff", "raw"};

const char *kml_xcorr_method_name(kml_xcorr_method_t m) {
  return (unsigned)m < 3 ? names[m] : "?";
}

int kml_xcorr_method_parse(const char *s, kml_xcorr_method_t *m) {
  for (int i = 0; i < 3; i++)
    if (strcmp(s, names[i]) == 0) {
      *m = (kml_xcorr_method_t)i;
      return 0;
    }
  return -1;
}

/* out[i] = w[i] - w[i-1]; out[0] unknown. */
static void diff(const float *w, int n, float *out) {
  for (int i = n - 1; i > 0; i--)
    out[i] = w[i] - w[i - 1];
  if (n > 0)
    out[0] = NAN;
}

/* out = mean of the last k values, minus the least-squares line through
 * them (unknown values left out). */
static void detrend(const float *w, int n, int k, float *out) {
  for (int i = 0; i < n; i++) {
    double s = 0;
    int m = 0;
    for (int j = 0; j < k && i - j >= 0; j++)
      if (isfinite(w[i - j])) {
        s += w[i - j];
        m++;
      }
    out[i] = m == k ? (float)(s / m) : NAN;
  }
  double st = 0, sx = 0, stt = 0, stx = 0;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(out[i])) {
      st += i;
      sx += out[i];
      stt += (double)i * i;
      stx += i * (double)out[i];
      m++;
    }
  if (m < 3)
    return;
  double den = m * stt - st * st;
  double b = den > 0 ? (m * stx - st * sx) / den : 0, a = (sx - b * st) / m;
  for (int i = 0; i < n; i++)
    if (isfinite(out[i]))
      out[i] = (float)(out[i] - (a + b * i));
}

int kml_xcorr_prepare(const kml_xcorr_cfg_t *c, const float *w, int n,
                      int accumulates, float *out) {
  if (n > KML_XCORR_MAX)
    n = KML_XCORR_MAX;
  if (n <= 0)
    return 0;
  float tmp[KML_XCORR_MAX];
  memcpy(tmp, w, sizeof(float) * (size_t)n);
  for (int i = 0; i < n; i++) /* huge values would overflow the sums */
    if (isfinite(tmp[i]) && fabsf(tmp[i]) > 1e30f)
      tmp[i] = NAN;
  if (c->method != KML_XCORR_RAW && accumulates) {
    float d[KML_XCORR_MAX];
    diff(tmp, n, d);
    memcpy(tmp, d, sizeof(float) * (size_t)n);
  }
  switch (c->method) {
  case KML_XCORR_RAW:
    memcpy(out, tmp, sizeof(float) * (size_t)n);
    break;
  case KML_XCORR_DIFF:
    diff(tmp, n, out);
    break;
  default:
    detrend(tmp, n, c->span > 0 ? c->span : 1, out);
    break;
  }
  int finite = 0;
  for (int i = 0; i < n; i++)
    finite += isfinite(out[i]) != 0;
  return finite;
}

/* Pearson's r of a[i] and b[i - lag] over the pairs both know. */
static double pearson_shifted(const float *a, const float *b, int n, int lag) {
  double sa = 0, sb = 0;
  int m = 0;
  for (int i = 0; i < n; i++) {
    int j = i - lag;
    if (j < 0 || j >= n || !isfinite(a[i]) || !isfinite(b[j]))
      continue;
    sa += a[i];
    sb += b[j];
    m++;
  }
  if (m < 8)
    return NAN;
  double ma = sa / m, mb = sb / m, sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < n; i++) {
    int j = i - lag;
    if (j < 0 || j >= n || !isfinite(a[i]) || !isfinite(b[j]))
      continue;
    double x = a[i] - ma, y = b[j] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  /* a series flat but for float rounding has no variance worth a match */
  if (!(saa > 1e-12 * (ma * ma + 1) * m) || !(sbb > 1e-12 * (mb * mb + 1) * m))
    return NAN;
  double r = sab / sqrt(saa * sbb);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

double kml_xcorr_best(const kml_xcorr_cfg_t *c, const float *a, const float *b,
                      int n, int *lag) {
  int max_lag = c->method == KML_XCORR_RAW ? 0 : c->max_lag;
  int max_follow = c->method == KML_XCORR_RAW ? 0 : c->max_follow;
  if (max_lag < 0)
    max_lag = 0;
  if (max_follow < 0)
    max_follow = 0;
  if (n > KML_XCORR_MAX)
    n = KML_XCORR_MAX;
  double best = NAN;
  *lag = 0;
  /* shift 0 first, then outwards: on ties the smaller shift wins */
  int most = max_lag > max_follow ? max_lag : max_follow;
  for (int k = 0; k <= 2 * most; k++) {
    int l = (k + 1) / 2 * (k % 2 ? 1 : -1);
    if (l > max_lag || -l > max_follow)
      continue;
    double r = pearson_shifted(a, b, n, l);
    if (isfinite(r) && (!isfinite(best) || fabs(r) > fabs(best))) {
      best = r;
      *lag = l;
    }
  }
  return best;
}

int kml_xcorr_acf(const float *w, int n, int k, double *rho) {
  if (k > 8)
    k = 8;
  for (int l = 0; l <= k; l++)
    rho[l] = l == 0;
  double s = 0, ss = 0;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite(w[i])) {
      s += w[i];
      m++;
    }
  if (m < 8)
    return 0;
  double mean = s / m;
  for (int i = 0; i < n; i++)
    if (isfinite(w[i]))
      ss += (w[i] - mean) * (w[i] - mean);
  if (!(ss > 0))
    return 0;
  for (int l = 1; l <= k; l++) {
    double c = 0;
    for (int i = l; i < n; i++)
      if (isfinite(w[i]) && isfinite(w[i - l]))
        c += (w[i] - mean) * (w[i - l] - mean);
    rho[l] = c / ss;
  }
  return k;
}

int kml_xcorr_pairs(const float *a, const float *b, int n, int lag) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    int j = i - lag;
    m += j >= 0 && j < n && isfinite(a[i]) && isfinite(b[j]);
  }
  return m;
}

double kml_xcorr_p(double r, int pairs, const double *ra, const double *rb,
                   int k) {
  double widen = 1;
  for (int l = 1; l <= k; l++)
    widen += 2 * ra[l] * rb[l];
  if (widen < 1)
    widen = 1;
  double n = pairs / widen;
  if (!isfinite(r) || !(n > 4))
    return 1;
  double a = fabs(r) > 0.999999 ? 0.999999 : fabs(r);
  return 2 * gsl_cdf_ugaussian_Q(atanh(a) * sqrt(n - 3));
}

double kml_xcorr_family_p(double p, double tests) {
  if (!(p < 1))
    return 1;
  if (tests < 1)
    tests = 1;
  return -expm1(tests * log1p(-p));
}
