/* peers: who is the odd one out in a population (brokers, partitions of a
 * topic, members of a group), each interval.
 *
 * Two rules must agree, so that a wide but smooth spread is not an outlier
 * and a tight cluster with one small step is not either:
 *  - robust z: 0.6745 * |x - median| / MAD above z_threshold (3.5, the
 *    Iglewicz-Hoaglin cut-off), with the MAD at least min_spread of the
 *    median (10%): peers that are nearly identical (partitions fed by a
 *    random partitioner) must not make a 15% difference an outlier;
 *  - density: the value is separated from the rest of the population by a
 *    gap larger than gap_factor * MAD (1-D density clustering: it is not
 *    in the main cluster).
 * Populations of fewer than min_members (3) have no outliers. Pure
 * functions; thread-safe. */
#ifndef KML_ML_PEERS_H
#define KML_ML_PEERS_H

typedef struct {
  double z_threshold; /* 3.5 */
  double gap_factor;  /* 2.0 */
  int min_members;    /* 3 */
  double min_spread;  /* MAD floor as a fraction of |median| (0.1) */
} kml_peers_cfg_t;

typedef struct {
  double median, mad;
  int outliers;
} kml_peers_summary_t;

kml_peers_cfg_t kml_peers_defaults(void);
/* Evaluate n values x[]; fills z[i] (signed robust z) and outlier[i] (0/1)
 * and the summary. scratch must hold 2n doubles. */
void kml_peers_eval(const kml_peers_cfg_t *c, const double *x, int n, double *z,
                    int *outlier, double *scratch, kml_peers_summary_t *sum);

#endif
