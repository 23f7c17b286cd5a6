/* known_groups: the consumer groups the admin path reads, kept between
 * collections.
 *
 * ListConsumerGroups answers from each broker's group coordinator with the
 * groups it has loaded, and says nothing of a group whose
 * __consumer_offsets partition is changing hands: the old coordinator has
 * unloaded it, the new one has not begun to load it (a broker learns of
 * its new leadership from the metadata log a moment before its coordinator
 * does; once loading, it answers COORDINATOR_LOAD_IN_PROGRESS and the list
 * is incomplete). So a list in which every broker answered can still miss
 * a live group for a moment during a rolling restart. Taken as the truth,
 * that list would close the group's alerts ("no committed offsets any
 * more") and leave it unread until the next complete list, which may be a
 * minute away (list_gate.h).
 *
 * So a group missing from a complete list is kept, and read, until complete
 * lists have lacked it for KML_GROUP_GONE_S seconds (at least two lists). A
 * group that is really gone costs an OffsetFetch or two more, which answer
 * that it has no committed offsets: it is reported as gone from the first
 * of them, as before.
 *
 * Pure state, no librdkafka; not thread-safe (one per client, used by the
 * collection of that client). */
#ifndef KML_KAFKA_KNOWN_GROUPS_H
#define KML_KAFKA_KNOWN_GROUPS_H

#define KML_GROUP_GONE_S 10.0 /* missing from complete lists this long */

typedef struct kml_known_groups {
  char **ids;            /* sorted, unique */
  double *missing_since; /* per id: monotonic seconds; < 0: listed last time */
  int n;
  int have; /* a complete list was taken */
} kml_known_groups_t;

/* Take a complete list (listed[0..n), sorted, unique, not kept) at
 * monotonic time now: the known groups become the listed ones plus those
 * missing for less than KML_GROUP_GONE_S. Returns -1 when out of memory
 * (the old list stays). */
int kml_known_groups_take(kml_known_groups_t *k, char *const *listed, int n,
                          double now);

/* The groups to read (sorted; owned by k, valid until the next take); NULL
 * and *n = 0 before the first complete list. */
char *const *kml_known_groups_ids(const kml_known_groups_t *k, int *n);

void kml_known_groups_clear(kml_known_groups_t *k);

#endif
