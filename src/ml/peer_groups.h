/* peer_groups: the populations of one <Peers> block and their verdicts
 * over time.
 *
 * Write threads feed samples; each sample's member is found (or created)
 * by its series key inside its population, which is the sample's
 * identifier fields chosen by group_by joined with '/'. A member keeps its
 * latest value (a rate for counters, kml_rate.h) and, as its own history,
 * an exponentially weighted mean of |x| and of |x - previous x| over
 * `memory` seconds (peers.h uses them as floors of the spread).
 *
 * The read callback evaluates: fresh members are grouped by population
 * and judged by kml_peers_eval(). A member judged an outlier at every
 * evaluation for `persist` seconds becomes a WARNING; it stays one
 * (hysteresis) while its |z| is at least half the threshold, then an OKAY
 * is due. The caller turns the changes into notifications.
 *
 * A false-alarm budget (FalseAlarmsPerDay, as the anomaly model has) would
 * enter here: as the z threshold each population's own history of
 * persisted |z| gives for that budget, in kml_peer_groups_eval where
 * cfg.rules.z_threshold is read. Until then the verdict is the robust z
 * held for `persist` seconds.
 *
 * Thread-safety: every function but _new/_destroy may be called from any
 * thread; one mutex per block (held for a map lookup and a few flops per
 * sample, for the evaluation of every member per read). */
#ifndef KML_ML_PEER_GROUPS_H
#define KML_ML_PEER_GROUPS_H

#include "../kml_rate.h"
#include "peers.h"

#include <stddef.h>

#define KML_PEER_FIELDS                                                        \
  5                       /* host, plugin, plugin instance, type, type inst.   \
                           */
#define KML_PEER_NAME 128 /* collectd's DATA_MAX_NAME_LEN */
#define KML_PEER_POPULATION (KML_PEER_FIELDS * KML_PEER_NAME)

typedef struct {
  kml_peers_cfg_t rules; /* one evaluation (peers.h) */
  unsigned group_by;     /* bit f: field f separates populations */
  double persist;        /* seconds an outlier verdict must hold before WARNING
                            (30); 0: at the first evaluation */
  double memory; /* seconds of the members' typical |x| and |step| (3600) */
} kml_peer_groups_cfg_t;

/* One state change of one member, for a notification. */
typedef struct {
  char id[KML_PEER_FIELDS][KML_PEER_NAME]; /* the member's identifier */
  char ds[KML_PEER_NAME];                  /* its data source */
  char population[KML_PEER_POPULATION];
  int outlier;  /* 1: WARNING, an outlier since `since`; 0: OKAY */
  int gone;     /* OKAY because the member is forgotten (no value for idle
                   seconds) while an outlier: value is its last, z NAN,
                   members 0 */
  double since; /* time of the first evaluation that judged it an outlier */
  double value; /* its latest value (rate for counters) */
  double z;     /* its robust z */
  int members;  /* population size */
  kml_peers_summary_t population_summary;
} kml_peer_change_t;

typedef struct kml_peer_groups kml_peer_groups_t;

/* Defaults: GroupBy Host, Plugin, Type; Persist 30 s; memory 1 h. Pure. */
kml_peer_groups_cfg_t kml_peer_groups_defaults(void);
/* New, empty block with a copy of *c; NULL when out of memory. */
kml_peer_groups_t *kml_peer_groups_new(const kml_peer_groups_cfg_t *c);
/* Free g and its members. NULL is accepted. */
void kml_peer_groups_destroy(kml_peer_groups_t *g);

/* One sample (time t in seconds, raw value of kind k) of the data source
 * ds of the series whose identifier fields are id[0..4]. Returns 0, -1 out
 * of memory. A refused sample (kml_rate.h) only leaves the member as it
 * was. */
int kml_peer_groups_feed(kml_peer_groups_t *g,
                         const char *const id[KML_PEER_FIELDS], const char *ds,
                         kml_ds_kind_t k, double t, double raw);

/* Evaluate every population at time now. Members whose latest sample is
 * older than 3 intervals take no part (an outlier stays one); members not
 * fed for idle seconds are forgotten, an outlier among them with an OKAY
 * (gone). *changes gets a malloc'd array (the caller frees it) of
 * the state changes, in population order. Returns how many (0: *changes
 * NULL), or -1 when out of memory (nothing changed). */
long kml_peer_groups_eval(kml_peer_groups_t *g, double now, double interval,
                          double idle, kml_peer_change_t **changes);

/* Members held (fresh or not). */
size_t kml_peer_groups_size(kml_peer_groups_t *g);

#endif
