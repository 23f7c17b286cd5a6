/* kml_checksum: XXH64 as its specification gives it (xxhash's
 * doc/xxhash_spec.md), seed 0, little-endian reads on every host. Input is
 * taken in stripes of 32 bytes, one 8-byte word into each of four lanes
 * (multiply, rotate, multiply): the lanes do not wait for each other, so
 * the CPU runs them side by side. The lanes, the length and the last
 * 0-31 bytes are then merged and mixed until every output bit depends on
 * every input bit. */
#include "kml_checksum.h"

#include <string.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* XXH64 reads little-endian words; a big-endian host swaps them, so a
 * file's checksum is the same function everywhere. */
static inline uint64_t read64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline uint32_t read32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

static inline uint64_t round64(uint64_t acc, uint64_t word) {
  acc += word * P2;
  return rotl(acc, 31) * P1;
}

static uint64_t merge(uint64_t h, uint64_t lane) {
  h ^= round64(0, lane);
  return h * P1 + P4;
}

/* Whole stripes of p (n a multiple of 32), the lanes kept in registers. */
static void stripes(uint64_t lane[4], const unsigned char *p, size_t n) {
  uint64_t v0 = lane[0], v1 = lane[1], v2 = lane[2], v3 = lane[3];
  for (const unsigned char *end = p + n; p < end; p += 32) {
    v0 = round64(v0, read64(p));
    v1 = round64(v1, read64(p + 8));
    v2 = round64(v2, read64(p + 16));
    v3 = round64(v3, read64(p + 24));
  }
  lane[0] = v0;
  lane[1] = v1;
  lane[2] = v2;
  lane[3] = v3;
}

void kml_checksum_init(kml_checksum_t *c) {
  memset(c, 0, sizeof(*c));
  c->lane[0] = P1 + P2;
  c->lane[1] = P2;
  c->lane[2] = 0;
  c->lane[3] = -P1;
}

void kml_checksum_update(kml_checksum_t *c, const void *p, size_t len) {
  const unsigned char *b = p;
  c->total += len;
  if (c->n_part + len < 32) {
    if (len)
      memcpy(c->part + c->n_part, b, len);
    c->n_part += (unsigned)len;
    return;
  }
  if (c->n_part) { /* complete the stripe begun by an earlier piece */
    size_t take = 32 - c->n_part;
    memcpy(c->part + c->n_part, b, take);
    stripes(c->lane, c->part, 32);
    b += take;
    len -= take;
    c->n_part = 0;
  }
  size_t whole = len & ~(size_t)31;
  stripes(c->lane, b, whole);
  b += whole;
  len -= whole;
  if (len)
    memcpy(c->part, b, len);
  c->n_part = (unsigned)len;
}

uint64_t kml_checksum_final(const kml_checksum_t *c) {
  uint64_t h;
  if (c->total >= 32) {
    const uint64_t *v = c->lane;
    h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
    for (int i = 0; i < 4; i++)
      h = merge(h, v[i]);
  } else
    h = P5;
  h += c->total;
  const unsigned char *b = c->part;
  unsigned n = c->n_part;
  for (; n >= 8; b += 8, n -= 8)
    h = rotl(h ^ round64(0, read64(b)), 27) * P1 + P4;
  if (n >= 4) {
    h = rotl(h ^ (uint64_t)read32(b) * P1, 23) * P2 + P3;
    b += 4;
    n -= 4;
  }
  for (; n > 0; b++, n--)
    h = rotl(h ^ *b * P5, 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

uint64_t kml_checksum_bytes(const void *p, size_t len) {
  kml_checksum_t c;
  kml_checksum_init(&c);
  kml_checksum_update(&c, p, len);
  return kml_checksum_final(&c);
}
