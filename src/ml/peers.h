/* peers: who is the odd one out in a population (brokers, partitions of a
 * topic, members of a group), each interval.
 *
 * Two rules must agree, so that a wide but smooth spread is not an outlier
 * and a tight cluster with one small step is not either:
 *  - robust z: 0.6745 * |x - median| / scale above z_threshold (3.5, the
 *    Iglewicz-Hoaglin cut-off), where scale is the MAD raised to a floor;
 *  - density: the value is separated from the rest of the population by a
 *    gap larger than gap_factor * scale (1-D density clustering: it is not
 *    in the main cluster).
 *
 * The floor keeps peers from crying wolf when the population is tight or
 * its median is 0 (partitions of a healthy group all at lag 0 but one at
 * 5). It is the largest of:
 *  - min_spread * |median|: near-identical peers (partitions fed by a
 *    random partitioner) must not make a 15% difference an outlier;
 *  - min_spread * the median of the members' typical |x|: the same, from
 *    what the members usually hold when the median of this moment is 0;
 *  - step_floor * the median of the members' typical |step| (|x - previous
 *    x|): values that move by about s from one interval to the next are
 *    not outliers for being about s apart. 0.6 turns a mean |step| into a
 *    MAD (for Gaussian noise E|step| = 1.128 sd and MAD = 0.6745 sd);
 *  - for member i alone, step_floor * its own typical |step|: a member
 *    that always moves by s is not an outlier for being s away.
 * The typical |x| and |step| come from the members' own history (an EWMA
 * kept by peer_groups.c); without history only the first rule applies.
 * Populations of fewer than min_members (3) have no outliers. Pure
 * functions; thread-safe. */
#ifndef KML_ML_PEERS_H
#define KML_ML_PEERS_H

typedef struct {
  double z_threshold; /* 3.5 */
  double gap_factor;  /* 2.0 */
  int min_members;    /* 3 */
  double min_spread; /* floor as a fraction of |median| and typical |x| (0.1) */
  double step_floor; /* floor as a multiple of the typical |step| (0.6) */
} kml_peers_cfg_t;

/* Each member's own history, n entries each; either pointer may be NULL
 * (no history of that kind). Non-finite or negative entries are ignored. */
typedef struct {
  const double *typ_abs;  /* typical |x| */
  const double *typ_step; /* typical |x - previous x| */
} kml_peers_history_t;

typedef struct {
  double median;
  double mad;   /* the population's scale: its MAD raised to the floor */
  double floor; /* the population's floor (before members' own steps) */
  int members;  /* finite values evaluated */
  int outliers;
} kml_peers_summary_t;

kml_peers_cfg_t kml_peers_defaults(void);
/* Evaluate n values x[] with their members' history h (may be NULL); fills
 * z[i] (signed robust z against the member's own scale) and outlier[i]
 * (0/1) and the summary. scratch must hold 2n doubles. */
void kml_peers_eval(const kml_peers_cfg_t *c, const double *x,
                    const kml_peers_history_t *h, int n, double *z,
                    int *outlier, double *scratch, kml_peers_summary_t *sum);

#endif
