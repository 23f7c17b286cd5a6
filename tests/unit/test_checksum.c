/* Unit tests for src/kml_checksum.c: XXH64's published values, the same
 * result however the input is cut, and every single-bit flip, word swap
 * and zeroed block of a state record changes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kml_checksum.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LEN 5000
static unsigned char buf[LEN];

static int setup(void **state) {
  (void)state;
  unsigned x = 1;
  for (int i = 0; i < LEN; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (unsigned char)(x >> 16);
  }
  return 0;
}

/* "", "a" and "abc" as xxhash publishes them; the rest computed with
 * libxxhash 0.8.1's XXH64(buf, len, 0): every path through the tail (8-,
 * 4- and 1-byte steps) with and without whole stripes. */
static void matches_xxh64(void **state) {
  (void)state;
  assert_true(kml_checksum_bytes("", 0) == 0xef46db3751d8e999ULL);
  assert_true(kml_checksum_bytes("a", 1) == 0xd24ec4f1a98c6e5bULL);
  assert_true(kml_checksum_bytes("abc", 3) == 0x44bc2cf5ad770999ULL);
  static const struct {
    size_t len;
    uint64_t sum;
  } want[] = {{1, 0xd2da77930f69647cULL},   {3, 0xf7c331cf2042b940ULL},
              {4, 0x1b042f821fc4a793ULL},   {7, 0x41d39023940006c8ULL},
              {8, 0xef7823fce4ad9afbULL},   {9, 0x81cf88e9d8340150ULL},
              {15, 0x6f0095b1c00e82fbULL},  {16, 0x29965039df6047bbULL},
              {31, 0x68c3dbb752f3fa97ULL},  {32, 0xad7dc5a569bb047cULL},
              {33, 0x475b642ac692e380ULL},  {63, 0xc18c4743de1b99a8ULL},
              {64, 0x06872c5d6370de25ULL},  {65, 0x8b5f4e34a32c5a09ULL},
              {100, 0xc6bd897b47ffa277ULL}, {1450, 0x1cd3e2ca5ebd5ea9ULL},
              {4999, 0x020c74642c5fcb9bULL}};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    assert_true(kml_checksum_bytes(buf, want[i].len) == want[i].sum);
}

/* The state writer gives whole shards, the loader a 2-byte key length, a
 * key and a payload at a time: both must get the same checksum. */
static void pieces_of_any_size_give_the_same_checksum(void **state) {
  (void)state;
  srand(7);
  for (int t = 0; t < 3000; t++) {
    size_t len = (size_t)rand() % LEN, off = 0;
    kml_checksum_t c;
    kml_checksum_init(&c);
    while (off < len) {
      size_t k = (size_t)rand() % (t % 2 ? 70 : 1500);
      if (k > len - off)
        k = len - off;
      kml_checksum_update(&c, buf + off, k);
      off += k;
    }
    assert_true(kml_checksum_final(&c) == kml_checksum_bytes(buf, len));
    /* final does not end the stream */
    kml_checksum_update(&c, buf + len, 1);
    assert_true(kml_checksum_final(&c) == kml_checksum_bytes(buf, len + 1));
  }
}

/* What a torn or damaged state file looks like: a flipped bit anywhere,
 * two words swapped (in the same stripe or not), a block zeroed, a byte
 * more or less. */
static void damage_changes_the_checksum(void **state) {
  (void)state;
  const size_t len = 1450; /* one saved series */
  unsigned char b[1451];   /* and a byte more */
  memcpy(b, buf, len + 1);
  uint64_t good = kml_checksum_bytes(b, len);
  for (size_t i = 0; i < len * 8; i++) {
    b[i / 8] ^= (unsigned char)(1u << (i % 8));
    assert_true(kml_checksum_bytes(b, len) != good);
    b[i / 8] ^= (unsigned char)(1u << (i % 8));
  }
  for (size_t i = 0; i + 8 <= len; i += 8)
    for (size_t j = i + 8; j + 8 <= len && j < i + 80; j += 8) {
      unsigned char w[8];
      if (memcmp(b + i, b + j, 8) == 0)
        continue;
      memcpy(w, b + i, 8);
      memcpy(b + i, b + j, 8);
      memcpy(b + j, w, 8);
      assert_true(kml_checksum_bytes(b, len) != good);
      memcpy(b + j, b + i, 8);
      memcpy(b + i, w, 8);
    }
  for (size_t at = 0; at + 512 <= len; at += 100) {
    memset(b + at, 0, 512);
    assert_true(kml_checksum_bytes(b, len) != good);
    memcpy(b + at, buf + at, 512);
  }
  assert_true(kml_checksum_bytes(b, len - 1) != good);
  assert_true(kml_checksum_bytes(b, len + 1) != good);
  assert_true(kml_checksum_bytes(b, len) == good);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matches_xxh64),
      cmocka_unit_test(pieces_of_any_size_give_the_same_checksum),
      cmocka_unit_test(damage_changes_the_checksum),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
