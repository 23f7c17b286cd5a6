/* peer_round: one evaluation of a <Peers> block, the same for the
 * single-value blocks (peer_groups.h) and the several-value ones
 * (multipeers.h); only the rule that judges a population differs:
 *  1. collect the members with a fresh value;
 *  2. sort them so that equal populations are adjacent;
 *  3. judge each population (each run of equal populations) by the
 *     block's own rule, which appends the state changes it makes;
 *  4. one more round of forgetting (kml_peer_member_sweep): a member
 *     forgotten while reported as an outlier gets its OKAY (gone);
 *  5. hand the changes back to the caller, which notifies without a lock.
 *
 * Members are the values of the block's map (kml_map.h), seen here only as
 * void pointers; the block tells what they are through kml_peer_round_t.
 *
 * Thread-safety: none of its own; the caller holds its block's mutex. */
#ifndef KML_ML_PEER_ROUND_H
#define KML_ML_PEER_ROUND_H

#include "../kml_map.h"

#include <stddef.h>
#include <stdint.h>

/* What a block tells a round of its members and changes; ud is the
 * block's own (its configuration, the time, its buffers). */
typedef struct {
  size_t change_size; /* bytes of one change */
  /* 1 when member m takes part in this evaluation (a fresh value) */
  int (*fresh)(const void *m, void *ud);
  /* m's population: runs of equal ones are judged together */
  const char *(*population)(const void *m);
  /* qsort order of the fresh members (an array of void *): by population
   * first */
  int (*order)(const void *a, const void *b);
  /* room for judging up to n members at once; 0, or -1 out of memory
   * (the block frees what it took once the round is over). May be NULL. */
  int (*room)(void *ud, size_t n);
  /* judge the population v[0..n-1]; each change written at
   * (char *)changes + *n_changes * change_size, then ++*n_changes (there
   * is room for one per fresh member) */
  void (*judge)(void *const *v, int n, void *changes, long *n_changes,
                void *ud);
  /* 1 when m, about to be forgotten, is reported as an outlier */
  int (*outlier)(const void *m);
  /* m's OKAY on being forgotten, written to *change; m's alert ends */
  void (*gone)(void *m, void *change, void *ud);
} kml_peer_round_t;

/* One evaluation of the members map (*round counts them) at this interval,
 * forgetting members not fed for idle seconds. *changes gets a malloc'd
 * array of change_size elements the caller frees (NULL when none): the
 * judged members' changes in population order, then the forgotten
 * outliers' (an OKAY lost only when out of memory). Returns how many, or
 * -1 when out of memory (nothing changed, *round as it was). */
long kml_peer_round_eval(const kml_peer_round_t *r, kml_map_t *members,
                         uint64_t *round, double interval, double idle,
                         void *ud, void **changes);

#endif
