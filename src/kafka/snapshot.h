/* snapshot: what one collection of one Kafka cluster saw, as plain data.
 *
 * A snapshot is built by kml_kafka_collect() (collect.h), read by the plugin
 * (which turns it into value lists) and by the lag/status logic, then freed.
 * It owns every string and array it points to. Not shared between threads:
 * whoever holds the pointer owns it. */
#ifndef KML_KAFKA_SNAPSHOT_H
#define KML_KAFKA_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int32_t id;
  char *host;
  int port;
  double rtt_avg_ms; /* from librdkafka statistics; NaN when unknown */
} kml_broker_t;

typedef struct {
  int32_t id;
  int32_t leader;    /* -1 when there is none (offline partition) */
  int32_t *replicas; /* replicas[0] is the preferred leader */
  int n_replicas;
  int32_t *isr;
  int n_isr;
  int64_t low;  /* log start offset; -1 when unknown */
  int64_t high; /* high-water mark; -1 when unknown */
  int err;      /* rd_kafka_resp_err_t of metadata or ListOffsets */
} kml_partition_t;

typedef struct {
  char *name;
  kml_partition_t *parts;
  int n_parts;
  int err;
  int min_isr;             /* min.insync.replicas; -1 unknown */
  int64_t retention_ms;    /* retention.ms; -1 infinite, -2 unknown */
  int64_t retention_bytes; /* retention.bytes; -1 infinite, -2 unknown */
} kml_topic_t;

typedef struct {
  char *topic; /* points into the group's own string storage */
  int32_t partition;
  int64_t committed; /* -1 when the group has no commit for it */
} kml_group_offset_t;

typedef struct {
  char *id;
  int state; /* kml_group_state_t (groups.h) */
  int members;
  uint64_t members_hash; /* hash of sorted member ids: changes on rebalance */
  int err;               /* describe or offset-fetch error, 0 when fine */
  kml_group_offset_t *offsets;
  int n_offsets;
} kml_group_t;

typedef struct {
  double started;  /* wall clock (seconds since epoch) when collection began */
  double duration; /* seconds the collection took */
  int ok;          /* the cluster answered the metadata request */
  char error[256]; /* why not, when !ok */
  kml_broker_t *brokers;
  int n_brokers;
  kml_topic_t *topics; /* sorted by name */
  int n_topics;
  kml_group_t *groups; /* sorted by id */
  int n_groups;
  double offsets_retention_s; /* broker offsets.retention.minutes; -1 unknown */
  int requests;               /* Kafka requests this collection sent */
  int errors;                 /* partial failures (offsets, groups, configs) */
} kml_snapshot_t;

/* A zeroed snapshot; NULL when out of memory. Free with kml_snapshot_free. */
kml_snapshot_t *kml_snapshot_new(void);
/* Free s and everything it owns. NULL is fine. */
void kml_snapshot_free(kml_snapshot_t *s);

/* Find a topic / group by exact name (binary search); NULL when absent. */
const kml_topic_t *kml_snapshot_topic(const kml_snapshot_t *s,
                                      const char *name);
const kml_group_t *kml_snapshot_group(const kml_snapshot_t *s, const char *id);
/* Find a partition of a topic; NULL when absent. */
const kml_partition_t *kml_topic_partition(const kml_topic_t *t, int32_t id);

/* Sort topics by name and groups by id (after filling them in any order). */
void kml_snapshot_sort(kml_snapshot_t *s);

#endif
