/* grid16: see grid16.h. A refit recentres by whole steps (exact) and picks
 * the exponent from the range's half-width: the smallest that holds it
 * (growing), or the one that holds it in KML_GRID16_TIGHT of the codes
 * (tightening, when the owner allows). Rounding happens only when exp
 * grows. */
#include "grid16.h"

int kml_grid16_fits(double c) { return fabs(c) <= KML_GRID16_MAX; }

int16_t kml_grid16_clamp(double c) {
  return (int16_t)fmax(-KML_GRID16_MAX, fmin(KML_GRID16_MAX, c));
}

int16_t kml_grid16_nearest(double offset, int exp, double v) {
  return kml_grid16_clamp(nearbyint(kml_grid16_steps(offset, exp, v)));
}

double kml_grid16_dithered(double offset, int exp, double v, double dither) {
  return floor(kml_grid16_steps(offset, exp, v) + dither);
}

kml_grid16_range_t kml_grid16_range_none(void) {
  return (kml_grid16_range_t){INFINITY, -INFINITY};
}

void kml_grid16_range_add(kml_grid16_range_t *r, double c) {
  r->lo = fmin(r->lo, c);
  r->hi = fmax(r->hi, c);
}

int kml_grid16_range_empty(const kml_grid16_range_t *r) {
  return !(r->lo <= r->hi);
}

int kml_grid16_exp_for(const kml_grid16_rules_t *rules, double half,
                       double share) {
  if (!rules->strict && !(half > 0))
    return -rules->exp_max;
  int e;
  double m = frexp(half / (share * KML_GRID16_MAX), &e); /* m in [0.5, 1) */
  if (!rules->strict && m == 0.5)
    e--; /* an exact power of two fits at the lower exponent */
  return e < -rules->exp_max  ? -rules->exp_max
         : e > rules->exp_max ? rules->exp_max
                              : e;
}

kml_grid16_fit_t kml_grid16_fit(const kml_grid16_rules_t *rules, int exp,
                                kml_grid16_range_t r, int tighten) {
  double q = kml_grid16_step(exp);
  double mid = floor((r.lo + r.hi) / 2); /* whole steps: codes stay exact */
  double half = fmax(r.hi - mid, mid - r.lo) * q;
  int e = exp, grow = kml_grid16_exp_for(rules, half, 1.0);
  int tight = kml_grid16_exp_for(rules, half, KML_GRID16_TIGHT);
  if (grow > e)
    e = grow;
  else if (tighten && tight < e)
    e = tight;
  return (kml_grid16_fit_t){
      .mid = mid, .q = q, .scale = ldexp(1.0, exp - e), .exp = e};
}

double kml_grid16_offset(const kml_grid16_fit_t *fit, double offset) {
  return offset + fit->mid * fit->q;
}

int16_t kml_grid16_recode(const kml_grid16_fit_t *fit, int16_t code,
                          double moved) {
  return kml_grid16_clamp(nearbyint((code - fit->mid + moved) * fit->scale));
}
