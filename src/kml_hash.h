/* kml_hash: 64-bit FNV-1a hashing of bytes and strings, with a final mix.
 * Used for series keys and shard selection; not for anything adversarial. */
#ifndef KML_HASH_H
#define KML_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hash of len bytes at p. Pure; thread-safe. */
uint64_t kml_hash_bytes(const void *p, size_t len);
/* Hash of a NUL-terminated string. Pure; thread-safe. */
uint64_t kml_hash_str(const char *s);

#endif
