/* slots: see slots.h. A ring indexed by slot number modulo nothing: head is
 * the newest, older slots sit behind it, and a jump forward writes the held
 * value (or NaN) into the slots it skips. */
#include "slots.h"

#include <math.h>
#include <string.h>

void kml_slots_init(kml_slots_t *s) { memset(s, 0, sizeof(*s)); }

int64_t kml_slots_of(double t, double step) {
  double j = floor(t / step);
  /* times are bounded by kml_rate (1e11 s); a grid finer than 1 ms is not */
  if (!(j > -9e15 && j < 9e15))
    return 0;
  return (int64_t)j;
}

static void append(kml_slots_t *s, float x) {
  s->head = (uint8_t)((s->head + 1) % KML_SLOTS);
  s->v[s->head] = x;
  if (s->n < KML_SLOTS)
    s->n++;
}

void kml_slots_push(kml_slots_t *s, double step, double t, double x) {
  if (!(step > 0) || !isfinite(t))
    return;
  int64_t j = kml_slots_of(t, step);
  float f = isfinite(x) && fabs(x) < 1e30 ? (float)x : NAN;
  if (s->n == 0) {
    s->head = 0;
    s->v[0] = f;
    s->n = 1;
    s->last = j;
    return;
  }
  if (j < s->last)
    return;
  if (j == s->last) {
    s->v[s->head] = f;
    return;
  }
  int64_t gap = j - s->last - 1;
  float held = gap <= KML_SLOTS_HOLD ? s->v[s->head] : NAN;
  if (gap >= KML_SLOTS) {
    s->n = 0; /* everything held is older than the window */
    gap = 0;
  }
  for (int64_t k = 0; k < gap; k++)
    append(s, held);
  append(s, f);
  s->last = j;
}

int kml_slots_window(const kml_slots_t *s, int64_t end, int n, float *out) {
  if (n > KML_SLOTS)
    n = KML_SLOTS;
  int finite = 0;
  for (int i = 0; i < n; i++) {
    int64_t j = end - (n - 1) + i;
    float x = NAN;
    if (s->n > 0) {
      int64_t back = s->last - j;
      if (back >= 0 && back < s->n)
        x = s->v[(s->head + KML_SLOTS - (int)back) % KML_SLOTS];
      else if (back < 0 && -back <= KML_SLOTS_HOLD)
        x = s->v[s->head];
    }
    out[i] = x;
    finite += isfinite(x) != 0;
  }
  return finite;
}
