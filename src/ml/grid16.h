/* grid16: a set of values kept as 16-bit codes on one power-of-two grid,
 * value = offset + code * 2^exp, refitted to the codes' range. Two owners
 * keep one: the detector's daily profile (detector.c) and the weekly
 * test's visits (forecast.c).
 *
 * Why a grid: 2 bytes a value, and a step that follows the values' range,
 * not their magnitude, so a swing of 10 on a level of 1e9 is kept (a
 * float's step there is 64) and a series on any scale (1e-20 or 1e30,
 * negative) gets the same relative precision. Why a power of two: moving
 * the offset by whole steps and halving the step are exact (codes are
 * only shifted and doubled), so a refit that recentres or tightens loses
 * nothing; only growing rounds, once, by at most half a new step. After a
 * refit that may tighten, a step is at most 1/24,576 of the range
 * (half-range over KML_GRID16_TIGHT * KML_GRID16_MAX).
 *
 * The owner keeps the codes, the offset and exp in its own state (a double
 * or a float offset, an int8_t exp), says which codes are in use and when
 * to refit; this module does the arithmetic. Codes stay within
 * +-KML_GRID16_MAX, so -32768 is free to mean "none". No state of its
 * own: thread-safe. */
#ifndef KML_ML_GRID16_H
#define KML_ML_GRID16_H

#include <math.h>
#include <stdint.h>

#define KML_GRID16_MAX 32767 /* codes are within +-MAX */
#define KML_GRID16_TIGHT                                                       \
  0.75 /* a tightening refit leaves the codes within                           \
          3/4 of +-MAX: room to grow before the next */

/* How an owner's grid picks its exponent. */
typedef struct {
  int exp_max; /* exp stays within +-exp_max (state files check it) */
  /* 0: a half-range of exactly share * MAX * 2^exp fits in exp, and an
   * empty one (0) takes the finest step, -exp_max (the daily profile);
   * 1: the half-range must stay below it, and 0 takes exp 0, as frexp
   * gives them (the weekly visits: their codes were written so). */
  int strict;
} kml_grid16_rules_t;

/* The codes' range in steps of the current grid (fractional for a value
 * not stored yet); lo > hi while empty. */
typedef struct {
  double lo, hi;
} kml_grid16_range_t;

/* A refit, from kml_grid16_fit: the offset moves by mid old steps of q
 * (whole steps, so the codes stay exact), exp becomes exp, and an old
 * code c becomes (c - mid) * scale, rounded (kml_grid16_recode). */
typedef struct {
  double mid;   /* whole old steps the offset moves */
  double q;     /* the old step */
  double scale; /* 2^(old exp - exp) */
  int exp;      /* the new exponent */
} kml_grid16_fit_t;

/* The grid's step, 2^exp. */
static inline double kml_grid16_step(int exp) { return ldexp(1.0, exp); }

/* The value code stands for. */
static inline double kml_grid16_value(double offset, int code, int exp) {
  return offset + code * kml_grid16_step(exp);
}

/* v in steps from the offset, not rounded. */
static inline double kml_grid16_steps(double offset, int exp, double v) {
  return (v - offset) / kml_grid16_step(exp);
}

/* 1 when c (a whole number of steps) is a code: within +-MAX, not NaN. */
int kml_grid16_fits(double c);
/* c clamped to +-MAX (NaN to MAX: never -32768, never undefined). */
int16_t kml_grid16_clamp(double c);
/* v's code, rounded to nearest (ties to even), clamped. */
int16_t kml_grid16_nearest(double offset, int exp, double v);
/* v in steps rounded by dither in [0, 1): floor(steps + dither), 0.5
 * rounds to nearest (ties up); not clamped, so the owner can see whether
 * it fits (kml_grid16_fits). */
double kml_grid16_dithered(double offset, int exp, double v, double dither);

/* An empty range; add codes (or kml_grid16_steps of a value) to it. */
kml_grid16_range_t kml_grid16_range_none(void);
void kml_grid16_range_add(kml_grid16_range_t *r, double c);
int kml_grid16_range_empty(const kml_grid16_range_t *r);

/* The exponent whose grid holds a half-range half (in value units)
 * within share * KML_GRID16_MAX codes, by rules, within +-exp_max. */
int kml_grid16_exp_for(const kml_grid16_rules_t *rules, double half,
                       double share);
/* The refit of a grid at exp to the non-empty range r: recentred to its
 * middle by whole steps; exp grows when r does not fit, and when tighten
 * shrinks while r fits in KML_GRID16_TIGHT of the codes. */
kml_grid16_fit_t kml_grid16_fit(const kml_grid16_rules_t *rules, int exp,
                                kml_grid16_range_t r, int tighten);
/* The moved offset: offset + mid * q. */
double kml_grid16_offset(const kml_grid16_fit_t *fit, double offset);
/* Old code under fit, clamped. moved: old steps to add, for an offset
 * that could not move exactly (a float's rounding); 0 otherwise. */
int16_t kml_grid16_recode(const kml_grid16_fit_t *fit, int16_t code,
                          double moved);

#endif
