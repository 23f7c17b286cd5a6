/* offsets_table: what __consumer_offsets says about every consumer group,
 * kept up to date record by record.
 *
 * Per group: the __consumer_offsets partition its records live in (the
 * partition of its coordinator), the latest group metadata (generation,
 * members) and, per (topic, partition), the latest committed offset, the
 * time of the latest commit and the time of the latest commit that moved
 * the offset: commits that keep arriving without moving the offset are
 * Burrow's sign of a stuck consumer. Tombstones remove what they name.
 *
 * One owner (the offsets-topic follower), not thread-safe. */
#ifndef KML_KAFKA_OFFSETS_TABLE_H
#define KML_KAFKA_OFFSETS_TABLE_H

#include "filter.h"
#include "offsets_record.h"
#include "snapshot.h"

#include <stdint.h>

typedef struct kml_offsets_table kml_offsets_table_t;

/* A new empty table; NULL when out of memory. */
kml_offsets_table_t *kml_offsets_table_new(void);
/* Free t and everything it holds. NULL is fine. */
void kml_offsets_table_destroy(kml_offsets_table_t *t);
/* Apply one decoded record read from partition part of the offsets topic.
 * Records of kind BAD or SKIP change nothing. Returns 0, or -1 when the
 * record could not be stored (out of memory; a group id holding a NUL). */
int kml_offsets_table_apply(kml_offsets_table_t *t,
                            const kml_offsets_record_t *r, int32_t part);
/* Groups and committed offsets known (for tests and sizing). */
int kml_offsets_table_groups(const kml_offsets_table_t *t);
int kml_offsets_table_offsets(const kml_offsets_table_t *t);

/* Fill s->groups (which must be empty) with the groups that filter selects
 * (NULL: all). A group is marked measured only when in_sync[part] is set
 * for its offsets-topic partition (n_parts entries); others are listed
 * with measured = 0 and no offsets. Only offsets of topics in s are
 * copied. Groups without group metadata (commits only, "simple" groups)
 * are Empty, as Kafka describes them. Returns the number of groups whose
 * partition was not in sync, or -1 when out of memory. */
int kml_offsets_table_export(kml_offsets_table_t *t, kml_snapshot_t *s,
                             const kml_filter_t *filter,
                             const unsigned char *in_sync, int n_parts);

#endif
