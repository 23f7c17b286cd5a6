/* slots: the recent values of one series on an absolute time grid, so the
 * windows of series sampled at different moments (and intervals) line up
 * slot by slot when they are compared (xcorr.h).
 *
 * Slot number j covers [j*step, (j+1)*step). A value goes into its time's
 * slot (a later value in the same slot replaces it); slots skipped between
 * two values hold the older value when the gap is at most KML_SLOTS_HOLD
 * slots (a series collected every 30 s on a 10 s grid), else they are
 * unknown. KML_SLOTS values (32 floats: 144 bytes with the bookkeeping) is
 * the whole memory of a series: nothing grows.
 * Plain value, no pointers; one writer at a time (the caller's lock). */
#ifndef KML_ML_SLOTS_H
#define KML_ML_SLOTS_H

#include <stdint.h>

#define KML_SLOTS 32
#define KML_SLOTS_HOLD 6

typedef struct {
  int64_t last;    /* slot of the newest value (valid when n > 0) */
  uint8_t n, head; /* values held; index of the newest in v */
  float v[KML_SLOTS];
} kml_slots_t;

/* Empty ring. */
void kml_slots_init(kml_slots_t *s);
/* Slot number of time t (seconds) on a grid of step seconds. Pure. */
int64_t kml_slots_of(double t, double step);
/* Put value x of time t (non-finite: unknown). Values older than the
 * newest slot are ignored. */
void kml_slots_push(kml_slots_t *s, double step, double t, double x);
/* Values of slots end-n+1 .. end into out[n] (n <= KML_SLOTS), oldest
 * first, NaN where unknown (the newest value is held for KML_SLOTS_HOLD
 * slots after it). Returns how many are finite. Pure. */
int kml_slots_window(const kml_slots_t *s, int64_t end, int n, float *out);

#endif
