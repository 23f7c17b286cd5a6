/* correlate: see correlate.h. */
#include "correlate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

void kml_corr_target_init(kml_corr_target_t *t, const char *key, const float *w,
                          int n) {
  memset(t, 0, sizeof(*t));
  t->key = key;
  const char *slash = strchr(key, '/');
  t->prefix_len = slash ? (size_t)(slash - key) + 1 : strlen(key);
  if (n > 64)
    n = 64;
  if (n < 0)
    n = 0;
  if (n > 0)
    memcpy(t->win, w, sizeof(float) * (size_t)n);
  t->n = n;
}

static void offer(kml_corr_target_t *t, const char *key, double r, int lag) {
  int slot = -1;
  for (int i = 0; i < KML_CORR_TOP; i++)
    if (t->top[i].key[0] == '\0' || fabs(r) > fabs(t->top[i].r)) {
      slot = i;
      break;
    }
  if (slot < 0)
    return;
  for (int i = KML_CORR_TOP - 1; i > slot; i--)
    t->top[i] = t->top[i - 1];
  snprintf(t->top[slot].key, sizeof(t->top[slot].key), "%s", key);
  t->top[slot].r = r;
  t->top[slot].lag = lag;
}

void kml_corr_rank(kml_corr_target_t *t, size_t nt, const char *key,
                   const float *w, int n) {
  for (size_t i = 0; i < nt; i++) {
    kml_corr_target_t *c = &t[i];
    if (c->n < 8 || n < c->n || strncmp(key, c->key, c->prefix_len) != 0 ||
        strcmp(key, c->key) == 0)
      continue;
    int lag;
    /* align the newest values of both windows */
    double r = kml_corr_best(c->win, w + (n - c->n), c->n, 2, &lag);
    if (isfinite(r) && fabs(r) >= 0.5)
      offer(c, key, r, lag);
  }
}
