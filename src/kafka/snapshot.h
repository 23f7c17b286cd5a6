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

/* Unknown is not zero: a snapshot says what it really measured, per step
 * (kml_snapshot_t.complete), per leader (kml_broker_t.watermarks), per
 * partition (high/low -1) and per group (kml_group_t.measured). Whatever is
 * not measured is neither dispatched nor allowed to move a notification
 * state, and state is forgotten only after a complete step. */

/* Collection steps: the bit is set in kml_snapshot_t.complete when the step
 * measured everything it asked for. */
typedef enum {
  KML_STEP_METADATA = 1 << 0,   /* brokers, topics, partitions (= ok) */
  KML_STEP_CONFIGS = 1 << 1,    /* retention and min.insync.replicas */
  KML_STEP_GROUP_LIST = 1 << 2, /* groups[] is the cluster's whole selection */
  KML_STEP_GROUPS = 1 << 3,     /* and every group in it is KML_GROUP_ALL */
  KML_STEP_WATERMARKS = 1 << 4, /* every partition with a leader has both */
} kml_step_t;

/* What a broker's ListOffsets (as the leader of partitions) gave. */
typedef enum {
  KML_ANSWER_NONE = 0,   /* not asked: it leads no selected partition */
  KML_ANSWER_OK = 1,     /* answered for every partition it leads */
  KML_ANSWER_FAILED = 2, /* failed or timed out: its partitions are unknown */
} kml_answer_t;

/* Consumer group states, numbered as Kafka (and librdkafka's
 * rd_kafka_consumer_group_state_t) number them; dispatched as
 * kafka_group_state. */
typedef enum {
  KML_GROUP_UNKNOWN = 0,
  KML_GROUP_PREPARING_REBALANCE = 1,
  KML_GROUP_COMPLETING_REBALANCE = 2,
  KML_GROUP_STABLE = 3,
  KML_GROUP_DEAD = 4,
  KML_GROUP_EMPTY = 5,
} kml_group_state_t;

/* Bits of kml_group_t.measured. */
#define KML_GROUP_DESCRIBED 1u /* state, members, members_hash are read */
#define KML_GROUP_OFFSETS 2u   /* offsets[] is the group's whole list */
#define KML_GROUP_ALL (KML_GROUP_DESCRIBED | KML_GROUP_OFFSETS)
#define KML_GROUP_GENERATION 4u /* generation is read (__consumer_offsets) */

typedef struct {
  int32_t id;
  char *host;
  int port;
  double rtt_avg_ms; /* from librdkafka statistics; NaN when unknown */
  int watermarks;    /* kml_answer_t of the ListOffsets it was sent */
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
  /* From __consumer_offsets only (NaN through the admin API): when the
   * latest commit arrived, and when the latest commit that moved the
   * offset arrived. Commits that arrive without moving it mean the
   * consumer is alive but stuck. Seconds since the epoch. */
  double commit_time, moved_time;
} kml_group_offset_t;

/* A member of a consumer group, as its description lists it. */
typedef struct {
  char *id;        /* member id, given by the coordinator at each join */
  char *client_id; /* the consumer's client.id */
} kml_member_t;

typedef struct {
  char *id;
  unsigned measured; /* KML_GROUP_* bits: what of this group was read */
  kml_group_state_t state;
  int members;
  uint64_t members_hash; /* hash of sorted member ids: changes on rebalance */
  kml_member_t *member_list; /* the members; NULL when not listed */
  int n_member_list;
  int32_t generation; /* rebalance generation, with KML_GROUP_GENERATION */
  double empty_since; /* when an Empty group became empty, seconds since
                         the epoch, from __consumer_offsets; 0 unknown */
  int err;            /* describe or offset-fetch error, 0 when fine */
  kml_group_offset_t *offsets;
  int n_offsets;
} kml_group_t;

typedef struct {
  double started; /* wall clock (seconds since epoch) when collection began */
  double mono;    /* the monotonic clock (kml_clock_mono) then: the rates' time,
                     which a wall clock set back does not stop; 0 unknown
                     (rates then use started) */
  double duration; /* seconds the collection took */
  /* Seconds of it that each step took (the configs step runs beside the
   * groups and the watermarks): where a collection's time goes. */
  double metadata_s, groups_s, watermarks_s;
  int ok;            /* the cluster answered the metadata request */
  unsigned complete; /* kml_step_t bits of the steps that measured all */
  char error[256];   /* why not, when !ok; else the first partial failure */
  /* When !ok: the bootstrap list (cut to fit) and the cause of the last
   * connection failure in a few words, "" when none is known. */
  char bootstrap[96];
  char cause[80];
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

/* Sort brokers by id, topics by name and groups by id (after filling them
 * in any order). */
void kml_snapshot_sort(kml_snapshot_t *s);
/* "Stable", "Empty", ...; "Unknown" for values out of range. Pure. */
const char *kml_group_state_str(kml_group_state_t st);
/* Is the group between members (preparing or completing a rebalance)? */
int kml_group_state_rebalancing(kml_group_state_t st);
/* Broker by id (binary search: sorted snapshots); NULL when it is not in
 * the metadata. */
const kml_broker_t *kml_snapshot_broker(const kml_snapshot_t *s, int32_t id);
/* Was every part of group g read (description and committed offsets)? */
int kml_group_measured(const kml_group_t *g);

#endif
