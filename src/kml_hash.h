/* kml_hash: 64-bit FNV-1a hashing of bytes and strings, with a final mix.
 * Used for series keys and shard selection; not for anything adversarial. */
#ifndef KML_HASH_H
#define KML_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hash of len bytes at p. Pure; thread-safe. */
uint64_t kml_hash_bytes(const void *p, size_t len);
/* The same hash over data that arrives in pieces:
 * kml_hash_final(kml_hash_update(KML_HASH_INIT, p, len)) ==
 * kml_hash_bytes(p, len). Pure; thread-safe. */
#define KML_HASH_INIT 14695981039346656037ULL
uint64_t kml_hash_update(uint64_t h, const void *p, size_t len);
uint64_t kml_hash_final(uint64_t h);
/* Hash of a NUL-terminated string. Pure; thread-safe. */
uint64_t kml_hash_str(const char *s);

#endif
