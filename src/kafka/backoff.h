/* backoff: when to ask again a question that went unanswered.
 *
 * A broker that does not answer an arrival lookup (arrival.h) would be
 * asked again at every collection, each time costing up to half of the
 * plugin's Timeout. After each unanswered attempt the wait before the next
 * one doubles, from one collection up to a cap; an answer (or anything
 * that makes the old failures irrelevant, such as a new leader) resets it.
 * Time is counted in collections: the caller passes its own count (the
 * report's round), so nothing here reads a clock. A zeroed kml_backoff_t
 * is "never failed" (due at once). Pure; one owner, not thread-safe. */
#ifndef KML_KAFKA_BACKOFF_H
#define KML_KAFKA_BACKOFF_H

#include <stdint.h>

/* The longest wait, in collections (160 s at a 10 s interval). */
#define KML_BACKOFF_CAP 16

typedef struct {
  uint64_t next; /* the first collection at which to ask again */
  uint32_t gap;  /* the last wait, in collections; 0: no failure */
} kml_backoff_t;

/* 1 when the question may be asked at collection `round`. */
int kml_backoff_due(const kml_backoff_t *b, uint64_t round);
/* The question asked at `round` went unanswered: wait 1, 2, 4, ... up to
 * cap collections (cap < 1 counts as 1) before the next attempt. */
void kml_backoff_failed(kml_backoff_t *b, uint64_t round, uint32_t cap);
/* Answered (or its failures no longer count): due at once again. */
void kml_backoff_reset(kml_backoff_t *b);

#endif
