/* arrival: when did the record at a given offset reach Kafka? Read from
 * the record itself.
 *
 * Answers the requests of an arrival plan (arrival_plan.h) by fetching
 * each record: the partition is started at the offset with the legacy
 * consumer API on a consumer handle of its own, made on first use with an
 * empty group.id like the schema sampler's (sample.h): no group handle, no
 * group request, no commit, whose error paths abort librdkafka 2.0.2
 * (doc/DESIGN-NOTES.md). The first record at or after the offset gives
 * its timestamp (CreateTime or LogAppendTime, as the topic says); one
 * fetch per leader and round, where a ListOffsets-by-time search would
 * need a round trip per bisection step and trust CreateTimes to be
 * ordered. Partitions asked at two offsets (two groups) are read in
 * successive rounds. auto.offset.reset is "error": an offset deleted
 * meanwhile is an answer (NONE), never a read from elsewhere.
 *
 * One object per client, used by one collection at a time. */
#ifndef KML_KAFKA_ARRIVAL_H
#define KML_KAFKA_ARRIVAL_H

#include "arrival_plan.h"
#include "client.h"

typedef struct kml_arrival kml_arrival_t;

/* An arrival reader on client c (which must outlive it); no connection
 * until the first kml_arrival_fetch. NULL when out of memory. */
kml_arrival_t *kml_arrival_new(kml_client_t *c);
void kml_arrival_destroy(kml_arrival_t *a);

/* Answer the n requests (result, ts, log_time, found, err) until
 * deadline_ms (a kml_clock_mono_ms() value); those not answered by then
 * stay PENDING. Returns the number of fetch rounds started, or -1 when the
 * consumer could not be made (reason in err; every request stays
 * PENDING). */
int kml_arrival_fetch(kml_arrival_t *a, kml_arrival_req_t *reqs, int n,
                      double deadline_ms, char *err, size_t errlen);

#endif
