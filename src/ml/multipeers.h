/* multipeers: the odd one out of a population judged on several values at
 * once (a broker's messages in, replicated messages, round-trip time and
 * leader count), so that a member slightly off on all of them is found
 * although none of its values alone is an outlier.
 *
 * Each evaluation, per population (the GroupBy fields, Type excluded):
 *  1. every value (feature) is judged alone by the peers rule (peers.h,
 *     with each member's own typical |x| and |step| as floors, as a
 *     single-value <Peers> block judges it): its robust z per member, and
 *     the single-value verdict;
 *  2. each member's z against the other members (the median of the
 *     others, so that with three brokers the odd one does not drag the
 *     centre half-way to itself), clipped to +-2*clip, is smoothed over
 *     `memory` seconds (an exponentially weighted mean): noise that moves
 *     members around from one interval to the next cancels, a member that
 *     stays off keeps its offsets;
 *  3. DBSCAN over the smoothed z vectors with the distance
 *        d(a, b) = sum_j min(|a_j - b_j|, clip) / sqrt(m)
 *     (m: features both know, at least 2). The clip bounds what one
 *     feature adds, so one value far off never makes a multi-value outlier
 *     (step 1 judges it, as the single-value peers do); 1.5 robust sd on
 *     four values is a distance of 3. A member is a multi-value outlier
 *     when it is not a core point of DBSCAN: fewer than min_pts members
 *     (itself included) lie within eps of it, i.e. its core distance (to
 *     its (min_pts-1)-th nearest other member) exceeds eps. A second group
 *     of at least min_pts members close together is a normal group, not
 *     outliers; a member at the edge of the main cluster is not spared
 *     because one neighbour is near (the border points of DBSCAN), so
 *     a population of thirty does not hide its odd one behind the one
 *     member that happens to drift its way.
 * A member judged an outlier (step 1 on any value, or step 3) at every
 * evaluation for `persist` seconds becomes a WARNING; it stays one while
 * any |z| is at least half the single-value threshold or its distance at
 * least half of eps, then an OKAY is due.
 *
 * Thread-safety: the pure functions are; a block's _feed and _eval may be
 * called from any thread (one mutex per block); _new/_destroy not. */
#ifndef KML_ML_MULTIPEERS_H
#define KML_ML_MULTIPEERS_H

#include "../kml_rate.h"
#include "peers.h"

#include <stddef.h>

#define KML_MULTIPEERS_FEATURES 8
#define KML_MULTIPEERS_NAME 128 /* collectd's DATA_MAX_NAME_LEN */

typedef struct {
  double eps;  /* DBSCAN radius, in the clipped distance (2.5) */
  double clip; /* most one feature adds to a distance, in robust sd (2) */
  int min_pts; /* members within eps (itself included) that make a core
                  point; 0: max(2, ceil(n/4)) */
} kml_multipeers_rules_t;

/* Defaults above. Pure. */
kml_multipeers_rules_t kml_multipeers_rules_defaults(void);

/* DBSCAN of n points z (n x d, row-major, NaN unknown) with the clipped
 * distance. label[i]: cluster number (0..) or -1 noise, -2 when the point
 * knows fewer than 2 features; reach[i]: its core distance, the distance
 * to its (min_pts-1)-th nearest other point (it is a core point when that
 * is at most eps; INFINITY for label -2). Returns the number of clusters,
 * or -1 out of memory. Pure. */
int kml_multipeers_dbscan(const kml_multipeers_rules_t *r, const double *z,
                          int n, int d, int *label, double *reach);

/* One snapshot without history: each feature of x (n x d, NaN unknown)
 * standardized against the other members by the peers rule's scale
 * (floor 10% of the median, and at least min_scale), clipped, then
 * DBSCAN; dist[i] is the core distance (NAN for points that know fewer
 * than 2 features): above eps, an outlier. 0, or -1 out of memory. Pure. */
int kml_multipeers_distance(const kml_multipeers_rules_t *r, const double *x,
                            int n, int d, double min_scale, double *dist);

/* ---------------------------------------------------------------- blocks */

typedef struct {
  kml_peers_cfg_t rules;        /* single-value rule (peers.h) */
  kml_multipeers_rules_t multi; /* several values at once */
  unsigned group_by; /* bit f of host, plugin, pi, type, ti; the type bit
                        is ignored (it tells features apart) */
  double persist;    /* seconds an outlier verdict must hold (30) */
  double memory;     /* seconds over which z is smoothed (60) */
  double history;    /* seconds of members' typical |x| and |step| (3600) */
  int n_features;
  char feature[KML_MULTIPEERS_FEATURES][KML_MULTIPEERS_NAME]; /* "type" or
                                                                 "type.ds" */
} kml_multipeers_cfg_t;

/* One state change of one member. */
typedef struct {
  char id[5][KML_MULTIPEERS_NAME]; /* host, plugin, pi, "" (type), ti */
  char population[5 * KML_MULTIPEERS_NAME];
  int outlier;     /* 1: WARNING, an outlier since `since`; 0: OKAY */
  int gone;        /* OKAY because the member is forgotten (no value for
                      idle seconds) while an outlier: value its last
                      values, z, median and distance NAN, members 0 */
  double since;    /* first evaluation of the run that made it one */
  int multi;       /* 1: the several-values rule judged it in this run */
  unsigned single; /* bit j: value j alone judged it in this run */
  int members;     /* population size */
  double distance; /* its core distance (NAN when not computed) */
  int top;         /* feature with the largest |z| (-1 none) */
  double z[KML_MULTIPEERS_FEATURES];      /* robust z now, NAN unknown */
  double smooth[KML_MULTIPEERS_FEATURES]; /* smoothed z */
  double value[KML_MULTIPEERS_FEATURES];  /* latest value */
  double median[KML_MULTIPEERS_FEATURES]; /* population's median */
} kml_multipeers_change_t;

typedef struct kml_multipeers kml_multipeers_t;

/* Defaults: peers rules, DBSCAN rules above, GroupBy Host and Plugin,
 * persist 30 s, memory 60 s, history 1 h, no features. Pure. */
kml_multipeers_cfg_t kml_multipeers_defaults(void);
/* New block with a copy of *c (1..KML_MULTIPEERS_FEATURES features);
 * NULL when out of memory or c has no feature. */
kml_multipeers_t *kml_multipeers_new(const kml_multipeers_cfg_t *c);
void kml_multipeers_destroy(kml_multipeers_t *m);

/* Feature index of type and data source ds, -1 when the block does not
 * compare it. Pure on the block's configuration. */
int kml_multipeers_feature(const kml_multipeers_t *m, const char *type,
                           const char *ds);
/* One sample (raw value of kind k at time t) of feature f of the series
 * id[0..4]. 0, or -1 out of memory. */
int kml_multipeers_feed(kml_multipeers_t *m, const char *const id[5], int f,
                        kml_ds_kind_t k, double t, double raw);
/* Evaluate every population at time now (features older than 3 intervals
 * are unknown; a member with none fresh takes no part, an outlier stays
 * one; members not fed for idle seconds are forgotten, an outlier among
 * them with an OKAY: gone). *changes
 * gets a malloc'd array the caller frees. Returns how many changes, or -1
 * when out of memory (nothing changed). */
long kml_multipeers_eval(kml_multipeers_t *m, double now, double interval,
                         double idle, kml_multipeers_change_t **changes);
/* Members held. */
size_t kml_multipeers_size(kml_multipeers_t *m);

#endif
