/* kml_map: string-keyed hash map of owned values, with sweep of entries not
 * touched since a given round. Used by the kafka report for memory across
 * intervals (offset histories, group states, alert states). Not
 * thread-safe; one owner. */
#ifndef KML_MAP_H
#define KML_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct kml_map kml_map_t;

/* New map whose values are blocks of value_size zeroed bytes. */
kml_map_t *kml_map_new(size_t value_size);
/* Free the map and its values. */
void kml_map_destroy(kml_map_t *m);
/* Value for key, created zeroed when absent (*created = 1). Marks the entry
 * as touched in round. NULL only when out of memory. The pointer stays
 * valid until the entry is swept or the map destroyed. */
void *kml_map_get(kml_map_t *m, const char *key, uint64_t round, int *created);
/* Value for key or NULL; does not touch. */
void *kml_map_find(const kml_map_t *m, const char *key);
/* Remove the entry of key; returns 1 when there was one, else 0. */
int kml_map_remove(kml_map_t *m, const char *key);
/* Remove entries last touched before round; returns how many. */
size_t kml_map_sweep(kml_map_t *m, uint64_t round);
/* The same, but entries for which keep(key, ud) returns nonzero stay (state
 * of things a collection could not measure). keep may be NULL; it may look
 * into m (kml_map_find), not modify it. */
size_t kml_map_sweep_keep(kml_map_t *m, uint64_t round,
                          int (*keep)(const char *key, void *ud), void *ud);
/* The same as kml_map_sweep, showing each entry to fn(key, value, ud) just
 * before it is removed (its last state, e.g. an alert still open); fn must
 * not modify m. fn may be NULL. */
size_t kml_map_sweep_each(kml_map_t *m, uint64_t round,
                          void (*fn)(const char *key, void *value, void *ud),
                          void *ud);
size_t kml_map_size(const kml_map_t *m);
/* Visit every entry (in no particular order); do not modify m meanwhile. */
void kml_map_foreach(kml_map_t *m,
                     void (*fn)(const char *key, void *value, void *ud),
                     void *ud);

#endif
