/* lag: lag in messages and in seconds.
 *
 * Lag in messages is high-water mark minus committed offset, clamped at 0
 * (committed offsets are fetched before high-water marks, so a negative
 * difference only comes from a race with truncation).
 *
 * Lag in seconds is the age of the oldest unconsumed message. Each
 * partition keeps a ring of high-water marks, each with the first and the
 * last time it was seen unchanged. The message at offset `committed`
 * arrived after the last sighting of the mark below it and no later than
 * the first sighting of the mark above it; within that window arrival is
 * interpolated linearly. So a burst after hours of idleness is dated by
 * the collection before it, not spread over the idle hours. An idle
 * partition with everything consumed has lag 0; a stopped consumer keeps
 * ageing, as it should. Older than the ring: the first sighting of its
 * oldest entry gives a lower bound, until the record's own timestamp,
 * asked from Kafka once (report_arrivals.c, arrival.h), seeds the ring with
 * when that offset arrived. All functions are pure apart from the ring they are
 * given; a ring has one owner (not thread-safe). */
#ifndef KML_KAFKA_LAG_H
#define KML_KAFKA_LAG_H

#include <stdint.h>

#define KML_LAG_RING 48

typedef struct {
  double first[KML_LAG_RING]; /* when high[i] was first seen */
  double last[KML_LAG_RING];  /* when high[i] was last seen, unchanged */
  int64_t high[KML_LAG_RING];
  int n;             /* entries in use, oldest at index 0 */
  int64_t watched;   /* the first mark observed since the ring was empty:
                        offsets below it arrived before the plugin looked */
  int watched_dated; /* the entry of that mark was seeded: its first time is
                        when the message just below it arrived */
} kml_lag_ring_t;

/* Record high-water mark `high` observed at time t (seconds). A new mark is
 * appended; the same mark only moves its `last` time; a smaller mark
 * (topic re-created or truncated) voids the history. When full, every
 * other entry of the older half goes, so the ring spans ever longer
 * periods. Unknown marks (high < 0) are ignored: not seeing a mark is not
 * seeing it unchanged. */
void kml_lag_observe(kml_lag_ring_t *r, double t, int64_t high);
/* Lag in messages (>= 0); -1 when committed or high is unknown (< 0). */
int64_t kml_lag_messages(int64_t high, int64_t committed);
/* Seconds since the message at offset `committed` arrived, as seen at now;
 * 0 when nothing is unconsumed. NAN when the ring is empty or committed < 0.
 * The caller passes max(committed, log start) for topics whose head was
 * deleted (retention, DeleteRecords): the oldest unconsumed message that
 * still exists is the one that ages. */
double kml_lag_seconds(const kml_lag_ring_t *r, int64_t committed, double now);

/* 1 when the arrival of the message at offset `from` is worth asking
 * Kafka: it precedes the first mark the ring observed (so the ring only
 * knows a lower bound of its age) and no entry dates it exactly yet; 0
 * otherwise (empty ring, from < 0, caught up past the ring's start). */
int kml_lag_wants_arrival(const kml_lag_ring_t *r, int64_t from);
/* Seed the ring with a fact learnt from Kafka: the message at `offset`
 * arrived at t (seconds), i.e. the mark passed offset at t. Only for
 * offsets below the first observed mark (else nothing happens: the ring
 * already dates them within an interval). The entry goes where its mark
 * belongs, and t is clamped between its neighbours' times so that the
 * ring stays ordered (an arrival after the first sighting of a later mark
 * is impossible: that sighting wins). A full ring is thinned first. */
void kml_lag_seed(kml_lag_ring_t *r, int64_t offset, double t);
/* A record timestamp (seconds since the epoch) made sane: NAN when absent
 * (<= 0 or not finite); never after now (producers' clocks run ahead);
 * never before now - retention_s when retention_s > 0 (a record older
 * than the topic's retention.ms would have been deleted, give or take
 * the segment it sits in). LogAppendTime needs no clamping but gets it. */
double kml_lag_clamp_arrival(double ts, double now, double retention_s);

#endif
