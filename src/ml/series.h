/* series: the store of modeled series, keyed by identifier string.
 *
 * Sharded hash table with per-shard mutex and LRU list: write threads that
 * touch different series rarely contend, a lookup is one hash and a short
 * chain walk, and the number of series is bounded (least recently used are
 * evicted). Each series carries a fixed-size payload (the models) chosen at
 * creation, so the hot path never allocates after a series exists. */
#ifndef KML_ML_SERIES_H
#define KML_ML_SERIES_H

#include <stddef.h>
#include <stdint.h>

typedef struct kml_store kml_store_t;

/* Called with the shard locked when a payload is created or dropped. */
typedef void (*kml_payload_fn)(void *payload, void *ud);
/* Visitor for kml_store_foreach; shard locked during the call. */
typedef void (*kml_visit_fn)(const char *key, void *payload, void *ud);

/* New store for at most max_series series with payloads of payload_size
 * bytes (zeroed, then init(payload, ud) when init is not NULL). Returns NULL
 * when out of memory. Free with kml_store_destroy. */
kml_store_t *kml_store_new(size_t max_series, size_t payload_size,
                           kml_payload_fn init, kml_payload_fn fini, void *ud);
/* Destroy the store and every series in it (fini is called for each). */
void kml_store_destroy(kml_store_t *s);

/* Find or create the series named key and lock its shard. *created tells
 * whether it is new. Returns the payload, or NULL when out of memory (no
 * lock held then). Every non-NULL return must be paired with
 * kml_store_release. Thread-safe. */
void *kml_store_acquire(kml_store_t *s, const char *key, double now,
                        int *created);
/* Find without creating; NULL (no lock held) when absent. Thread-safe. */
void *kml_store_find(kml_store_t *s, const char *key);
/* Unlock the shard of payload p. */
void kml_store_release(kml_store_t *s, void *p);
/* Key of the series owning payload p (valid while the shard is locked). */
const char *kml_store_key(const void *p);

/* Show each series evicted to make room for a new one (max_series
 * reached) to fn, with its shard locked, just before it is dropped: its
 * last state, e.g. an alert still open. fn runs on the thread that calls
 * kml_store_acquire (a write path): no allocation, do not re-enter s.
 * Set before the store is shared; NULL stops it. */
void kml_store_on_evict(kml_store_t *s, kml_visit_fn fn, void *ud);

/* Drop series not used since before cutoff. Returns how many. Thread-safe. */
size_t kml_store_expire(kml_store_t *s, double cutoff);
/* The same, showing each series to fn (shard locked; do not re-enter s)
 * just before it is dropped: its last state, e.g. an alert still open. */
size_t kml_store_expire_each(kml_store_t *s, double cutoff, kml_visit_fn fn,
                             void *ud);
/* Visit every series, shard by shard. Thread-safe; do not re-enter s. */
void kml_store_foreach(kml_store_t *s, kml_visit_fn fn, void *ud);
/* Visit the series of shard i (0 <= i < KML_STORE_SHARDS) only, with that
 * shard locked: a caller can copy one shard's share of the store and do
 * slow work (disk) with no lock held. Thread-safe; do not re-enter s. */
#define KML_STORE_SHARDS 64
void kml_store_foreach_shard(kml_store_t *s, int i, kml_visit_fn fn, void *ud);
/* Series held now, and evicted since creation. Thread-safe. */
size_t kml_store_size(kml_store_t *s);
uint64_t kml_store_evicted(kml_store_t *s);

#endif
