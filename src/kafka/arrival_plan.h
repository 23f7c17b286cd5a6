/* arrival_plan: the records whose arrival time one collection asks Kafka
 * for, under a budget.
 *
 * Lag in seconds dates messages older than a partition's ring (lag.h) by
 * the timestamp of the record at the committed offset, read once
 * (arrival.h). A collection asks for at most `cap` records (one request
 * per partition and offset, however many groups share it); what does not
 * fit waits for the next collection, when the ring dates it as a lower
 * bound meanwhile. Pure; one owner, not thread-safe. */
#ifndef KML_KAFKA_ARRIVAL_PLAN_H
#define KML_KAFKA_ARRIVAL_PLAN_H

#include <stdint.h>

/* Requests per collection (the budget's ceiling). */
#define KML_ARRIVAL_MAX 100

typedef enum {
  KML_ARRIVAL_PENDING = 0, /* not answered (yet): ask again next time */
  KML_ARRIVAL_FOUND,       /* ts holds the record's timestamp */
  KML_ARRIVAL_NONE,        /* no answer will come for this offset: no record
                              left below the mark, offset deleted, topic gone,
                              no timestamp, not authorized (err says why) */
} kml_arrival_result_t;

typedef struct {
  const char *topic; /* borrowed: valid while the plan is used */
  int32_t partition;
  int64_t offset; /* the committed offset: the oldest unconsumed message */
  int64_t high;   /* the high-water mark measured: records at or past it are
                     newer than the question */
  kml_arrival_result_t result;
  double ts;     /* FOUND: the record's timestamp, seconds since the epoch */
  int log_time;  /* FOUND: 1 LogAppendTime (the broker's), 0 CreateTime */
  int64_t found; /* FOUND: the record's offset (>= offset: compaction) */
  int err;       /* NONE, or PENDING after a failure: rd_kafka_resp_err_t;
                    0 PENDING: not reached within the deadline */
} kml_arrival_req_t;

typedef struct {
  kml_arrival_req_t reqs[KML_ARRIVAL_MAX];
  int n;
  int cap;     /* requests allowed this collection (<= KML_ARRIVAL_MAX) */
  int waiting; /* requests that did not fit: asked at a later collection */
} kml_arrival_plan_t;

/* An empty plan for cap requests (clamped to 1..KML_ARRIVAL_MAX). */
void kml_arrival_plan_init(kml_arrival_plan_t *p, int cap);
/* Ask for the record at offset of topic/partition, below mark high.
 * Returns 1 when added, 0 when the same record is asked already, -1 when
 * the budget is spent (counted in waiting) or the question is void
 * (offset < 0 or offset >= high). */
int kml_arrival_plan_add(kml_arrival_plan_t *p, const char *topic,
                         int32_t partition, int64_t offset, int64_t high);

#endif
