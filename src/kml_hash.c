/* FNV-1a: tiny and fast enough for identifiers of < 600 bytes. Its high
 * bits spread poorly for keys that differ only at the end ("series-1",
 * "series-2"), so the result goes through the murmur3 64-bit finalizer:
 * the store takes shards from the high bits and buckets from the low. */
#include "kml_hash.h"

#include <string.h>

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t kml_hash_update(uint64_t h, const void *p, size_t len) {
  const unsigned char *b = p;
  for (size_t i = 0; i < len; i++) {
    h ^= b[i];
    h *= FNV_PRIME;
  }
  return h;
}

uint64_t kml_hash_final(uint64_t h) { return fmix64(h); }

uint64_t kml_hash_bytes(const void *p, size_t len) {
  return fmix64(kml_hash_update(FNV_OFFSET, p, len));
}

uint64_t kml_hash_str(const char *s) { return kml_hash_bytes(s, strlen(s)); }
