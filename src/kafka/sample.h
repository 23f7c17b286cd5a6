/* sample: the newest records of selected topics, read each collection to
 * see what shape they have (schema.h, schema_mix.h).
 *
 * A sampler owns a consumer handle of its own on the cluster, made on
 * first use with an empty group.id: no group handle, so it never joins a
 * group, never fetches or commits offsets and never sends the group
 * requests whose error paths abort librdkafka 2.0.2 (client.c,
 * doc/DESIGN-NOTES.md). Each collection, for every partition of a
 * selected topic whose high-water mark the snapshot measured, it starts
 * the legacy consumer at max(low, high - records, where it stopped last
 * time) on one queue, reads until each partition gave `records` records,
 * `bytes` bytes, reached that high-water mark or its end, or the deadline
 * passed, and stops them all. Records are never read twice; a partition
 * without new records costs nothing. Bounded cost per partition and
 * collection: at most `records` records classified, and fetches of at
 * most `bytes` bytes (max.partition.fetch.bytes; the broker may still
 * return one whole record batch that is larger).
 *
 * One sampler per client, used by one collection at a time. */
#ifndef KML_KAFKA_SAMPLE_H
#define KML_KAFKA_SAMPLE_H

#include "client.h"
#include "filter.h"
#include "report.h"
#include "snapshot.h"

typedef struct {
  const kml_filter_t *topics; /* selected topics (SchemaTopics) */
  int records;                /* per partition and collection (10) */
  int bytes;                  /* per partition and fetch (65536) */
  double learn;               /* seconds a topic's schemas are learnt (300) */
} kml_sample_opts_t;

typedef struct kml_sample kml_sample_t;

/* A sampler on client c (which must outlive it); the options are copied,
 * the filter is borrowed. NULL when out of memory. */
kml_sample_t *kml_sample_new(kml_client_t *c, const kml_sample_opts_t *o);
void kml_sample_destroy(kml_sample_t *p);

typedef struct {
  int partitions; /* partitions read this time */
  int records;    /* records classified */
  long bytes;     /* bytes of their keys and values */
  int requests;   /* fetch rounds started (an upper bound of requests) */
} kml_sample_stats_t;

/* Sample the topics of snapshot s (collected just before) until
 * deadline_ms (a kml_clock_mono_ms() value); dispatch each sampled topic's
 * kafka_schemas, kafka_schema_records, kafka_schema_bytes and
 * kafka_schema_unreadable values and its schema notifications through
 * sink (plugin_instance "topic-<name>"). */
void kml_sample_run(kml_sample_t *p, const kml_snapshot_t *s,
                    double deadline_ms, const kml_report_sink_t *sink,
                    kml_sample_stats_t *st);

#endif
