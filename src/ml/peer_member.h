/* peer_member: what a <Peers> block keeps of one member's value, shared by
 * the single-value blocks (peer_groups.h) and the several-value ones
 * (multipeers.h, once per value):
 *  - its latest value and time, and as its own history an exponentially
 *    weighted mean of |x| and of |x - previous x| (peers.h takes them as
 *    floors of the spread), which does not learn while the member is
 *    reported as an outlier (a long incident must not become its habit);
 *  - the population a sample belongs to (the identifier fields chosen by
 *    a GroupBy bit mask, joined with '/');
 *  - persistence: an outlier verdict held for `persist` seconds;
 *  - forgetting members not fed for `idle` seconds of evaluations.
 *
 * Thread-safety: none of its own; the callers hold their block's mutex. */
#ifndef KML_ML_PEER_MEMBER_H
#define KML_ML_PEER_MEMBER_H

#include "../kml_map.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
  double value, time;       /* latest value and its sample time */
  double typ_abs, typ_step; /* the member's history (peers.h) */
  uint32_t n_abs, n_step;   /* values in those means (saturating) */
  int have;                 /* value holds a sample */
} kml_peer_member_t;

/* Exponentially weighted mean over memory seconds (dt: seconds since the
 * previous value); the first values get equal weights (a plain mean), so a
 * young mean is the average so far, not its first value. Pure. */
void kml_peer_member_ewma(double *mean, uint32_t *n, double v, double dt,
                          double memory);
/* The member's new latest value x at time t; its history learns from x
 * (over memory seconds) unless frozen. */
void kml_peer_member_learn(kml_peer_member_t *m, double t, double x,
                           double memory, int frozen);
/* The population of identifier id[0..4]: the fields whose bit is set in
 * group_by, joined with '/', into pop[len] (truncated). Pure. */
void kml_peer_member_population(char *pop, size_t len, unsigned group_by,
                                const char *const id[5]);
/* Persistence of an outlier verdict judged now: *since is the first
 * evaluation of the current run (0: none; reset when not judged). 1 when
 * the run has lasted persist seconds. */
int kml_peer_member_persists(double *since, int judged, double now,
                             double persist);
/* One more evaluation (*round) of a block's members map: members not
 * touched for idle seconds of evaluations at this interval are forgotten,
 * each shown to gone (may be NULL) just before (kml_map_sweep_each): one
 * still reported as an outlier is due its OKAY. */
void kml_peer_member_sweep(
    kml_map_t *members, uint64_t *round, double idle, double interval,
    void (*gone)(const char *key, void *member, void *ud), void *ud);

#endif
