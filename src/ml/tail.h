/* tail: turns the detector's surprise into a calibrated rate: how many
 * events at least this surprising the series has per day when nothing is
 * wrong. An operator's false-alarm budget (notifications per series and
 * day) is then a threshold on that rate, the same at any interval.
 *
 * Peaks over threshold with declustering, as in extreme-value practice
 * (SPOT, Siffer et al., KDD 2017; runs declustering): values whose
 * surprise g exceeds a threshold u form clusters (exceedances less than
 * `calm` seconds apart are one cluster, the same rule that ends an alert),
 * so correlated values (a random walk's long excursions, a burst of
 * spikes) count as one event, like the notification they would cause.
 *   rate(g) = clusters per day above u  x  P(cluster maximum > g)
 * The clusters per day are counted over the memory; the excesses of the
 * recent cluster maxima over u are fitted by a generalised Pareto
 * distribution (gpd.h, GSL) every few clusters; when more of them sit
 * within a quarter bit of u than the tail would put there, above u + a
 * quarter bit (u's own step: within it, tied surprises and u's saw-tooth
 * under them, not the tail; the share of maxima reaching it is counted
 * apart).
 * Until enough clusters were seen, the prior is the ideal one: if each
 * view's rank were an exact p-value, g - u would be exponential with
 * scale 1/ln 2 bits.
 *
 * u follows the series: it steps up a little with each exceedance (a
 * whole step per half hour that has one) and creeps down in time, so that
 * about KML_TAIL_TARGET separate exceedances per day reach it whatever the
 * distribution of g (views that agree, ties, a random walk's long
 * excursions). A cluster's maximum enters the ring
 * capped at a level few clusters reach, so an incident does not make the
 * series deaf to the next one.
 *
 * Fixed size, no pointers; part of the model's state. Not thread-safe. */
#ifndef KML_ML_TAIL_H
#define KML_ML_TAIL_H

#include <stdint.h>

#define KML_TAIL_PEAKS 48   /* cluster maxima kept for the fit */
#define KML_TAIL_UNITS 16   /* a stored excess counts 1/16 bit */
#define KML_TAIL_TARGET 4.0 /* clusters per day above u */

typedef struct {
  double last_exceed; /* time of the last value above u */
  double cstart;      /* time the open cluster began */
  float u;            /* threshold of the surprise, bits (0: not set) */
  float cmax;         /* highest excess of the open cluster, -1 none */
  float clusters;     /* clusters counted, decayed over the memory */
  float span;         /* seconds observed, decayed the same way */
  float shape, scale; /* GPD of the ring's excesses (beyond a quarter
                         bit, tail.c's TIE, when reach > 0); scale 0: none */
  uint8_t n_peaks, head, since_fit;
  uint8_t reach; /* share of maxima beyond TIE at the fit, /255 (0: a fit
                    beyond u: no ties, or a state written before) */
  uint8_t peaks[KML_TAIL_PEAKS]; /* excesses of recent cluster maxima over
                                    u, in 1/KML_TAIL_UNITS bits */
} kml_tail_t;

typedef struct {
  double rate;  /* clusters per day at least as surprising as this value */
  double u;     /* threshold of the surprise, bits */
  int active;   /* 1 while a cluster is open (an exceedance within calm) */
  double since; /* time the open cluster began (t when none) */
} kml_tail_out_t;

/* Reset tl. */
void kml_tail_init(kml_tail_t *tl);
/* Rate and cluster state for the value at time t with surprise g (g < 0:
 * not ranked, rate = values per day), for a series sampled every dt
 * seconds with a memory of `memory` seconds; then learn from it when learn
 * is set. O(1); every few clusters a GPD fit (O(KML_TAIL_PEAKS), GSL). */
void kml_tail_update(kml_tail_t *tl, double t, double dt, double g,
                     double memory, double calm, int learn,
                     kml_tail_out_t *out);
/* Rate per day of the open cluster's highest surprise so far (INFINITY
 * when none is open). O(1). */
double kml_tail_open_rate(const kml_tail_t *tl);
/* Close the open cluster without learning its maximum (a re-learned level,
 * a reset or a maintenance window: not the series' normal tail). */
void kml_tail_forget_cluster(kml_tail_t *tl);
/* Why tl cannot be a tail this version wrote: NULL when every field is in
 * range, else a short reason for logs (checks restored state). Pure. */
const char *kml_tail_check(const kml_tail_t *tl);

#endif
