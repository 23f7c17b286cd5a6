/* offsets_topic: committed offsets of every consumer group, followed as
 * events in Kafka's __consumer_offsets topic (as Burrow does) instead of
 * asked group by group.
 *
 * A follower owns a consumer handle of its own that reads every partition
 * of the topic from its beginning with the legacy (simple) consumer API:
 * no group.id, so it never joins a group, never fetches or commits
 * offsets of its own, and never sends the OffsetFetch request whose error
 * path crashes librdkafka 2.0.2 (client.c). Records are decoded
 * (offsets_record.h) into a table (offsets_table.h) during the read
 * callback; between reads librdkafka's fetcher prefetches into a bounded
 * local queue.
 *
 * A partition of the topic is "in sync" once everything up to the end
 * offset of the latest fetch answer was applied. Groups live in exactly
 * one partition (their coordinator's): a group is measured in a
 * collection only when its partition is in sync, so while the follower
 * catches up after a start nothing is reported for the groups of the
 * partitions still being read (never a zero, never a stale offset).
 *
 * One follower per client; used by one collection at a time. */
#ifndef KML_KAFKA_OFFSETS_TOPIC_H
#define KML_KAFKA_OFFSETS_TOPIC_H

#include "client.h"
#include "filter.h"
#include "snapshot.h"

#define KML_OFFSETS_TOPIC_NAME "__consumer_offsets"

typedef struct kml_offsets_topic kml_offsets_topic_t;

typedef enum {
  KML_FOLLOW_OK = 0,         /* groups filled (some may be unmeasured) */
  KML_FOLLOW_NO_TOPIC = 1,   /* the topic does not exist yet: no groups */
  KML_FOLLOW_UNREADABLE = 2, /* not allowed to read it: use the admin API */
  KML_FOLLOW_FAILED = 3,     /* metadata unanswered: nothing known yet */
} kml_follow_t;

/* A follower reading through a new handle of client c (same brokers and
 * properties). NULL with the reason in err. Destroy before c. */
kml_offsets_topic_t *kml_offsets_topic_new(kml_client_t *c, char *err,
                                           size_t errlen);
void kml_offsets_topic_destroy(kml_offsets_topic_t *f);

/* Apply what arrived until every partition is in sync or deadline_ms (a
 * kml_clock_mono_ms() value) passes, then fill s->groups with the groups filter
 * selects. Adds the Kafka requests it sent to *requests (none once
 * following). Why it could not, when it could not, goes to s->error. */
kml_follow_t kml_offsets_topic_collect(kml_offsets_topic_t *f,
                                       kml_snapshot_t *s,
                                       const kml_filter_t *filter,
                                       double deadline_ms, int *requests);

/* Counters for tests and benchmarks: records applied, records refused as
 * malformed, partitions in sync at the last collection, and their number. */
typedef struct {
  long long records, bad;
  int in_sync, partitions;
} kml_offsets_topic_stats_t;
void kml_offsets_topic_stats(const kml_offsets_topic_t *f,
                             kml_offsets_topic_stats_t *st);

#endif
