/* schema_mix: which record shapes (schema.h) a topic carries, and when that
 * changes.
 *
 * Fed the shapes of the records sampled from a topic at each collection,
 * it keeps the schemas it knows (at most KML_SCHEMA_KNOWN, the least
 * recently seen forgotten first) and two mixes of them, a recent one
 * (forgotten over 5 minutes) and a baseline (over an hour), with records
 * nobody can read (OTHER) as one more entry. Then, in time rather than
 * collections:
 *   - learning: a schema first seen during the first `learn` seconds of
 *     a topic is known, silently, once it is seen in 2 records;
 *   - a new schema: a shape not known, seen in at least 2 records within
 *     an hour, becomes known with a WARNING naming it and the schema it
 *     differs from (the most common one of the same kind): the old and the
 *     new id for the wire format, the fields added and removed for JSON. A
 *     JSON shape that differs from a known one only where one of them has
 *     null is a variant of it (no WARNING). Random bytes that happen to
 *     start with the wire format's magic byte give ids that never repeat:
 *     no WARNING;
 *   - a shift of the mix: the recent mix is more than half (total
 *     variation distance > 0.5) away from the baseline over at least 10
 *     recent records: a WARNING with the shares of the schemas that
 *     moved most;
 *   - steady again: an OKAY once the recent mix is within a quarter of the
 *     baseline and no new schema came for 10 minutes.
 * A topic whose records are unreadable from the start has OTHER as its
 * baseline: no notification, however many records.
 *
 * One mix per topic; one owner, not thread-safe. */
#ifndef KML_KAFKA_SCHEMA_MIX_H
#define KML_KAFKA_SCHEMA_MIX_H

#include "report.h"
#include "schema.h"

#define KML_SCHEMA_KNOWN 8
#define KML_SCHEMA_CANDIDATES 8

typedef struct kml_schema_mix kml_schema_mix_t;

/* A new mix that learns silently for `learn` seconds (> 0) from its first
 * record. NULL when out of memory. Free with kml_schema_mix_destroy. */
kml_schema_mix_t *kml_schema_mix_new(double learn);
void kml_schema_mix_destroy(kml_schema_mix_t *m);

/* One sampled record's shape, at time now (seconds). */
void kml_schema_mix_add(kml_schema_mix_t *m, const kml_schema_t *s, double now);

#define KML_SCHEMA_EVENTS 4

typedef struct {
  kml_severity_t severity;
  char message[256];
  char old_schema[64], new_schema[64]; /* "id 7", "json 3f2a9c01" */
  char fields[256];                    /* JSON: "+paid:bool -x:string" */
} kml_schema_event_t;

typedef struct {
  int schemas;          /* distinct readable schemas seen within an hour */
  int records;          /* records added since the previous round */
  int unreadable;       /* of those, OTHER */
  int sampled;          /* 1 when records were added since the previous round */
  kml_severity_t state; /* of the topic's schema alert after this round */
  int n_events;
  kml_schema_event_t events[KML_SCHEMA_EVENTS];
} kml_schema_round_t;

/* Close a round (one collection) at time now for topic (used in
 * messages): decide as described above into *out. */
void kml_schema_mix_round(kml_schema_mix_t *m, double now, const char *topic,
                          kml_schema_round_t *out);

#endif
