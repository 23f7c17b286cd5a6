/* Unit tests for src/kafka/offsets_record.c: every schema version of the
 * __consumer_offsets records, tombstones, other record types, and
 * truncated or garbage input (which must be refused, never read past). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/offsets_record.h"
#include "kafka/offsets_table.h"
#include "kml_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A tiny encoder for Kafka's record schemas. */
typedef struct {
  unsigned char b[1024];
  size_t n;
} buf_t;

static void put_i16(buf_t *b, int v) {
  b->b[b->n++] = (unsigned char)((v >> 8) & 0xff);
  b->b[b->n++] = (unsigned char)(v & 0xff);
}
static void put_i32(buf_t *b, int32_t v) {
  for (int s = 24; s >= 0; s -= 8)
    b->b[b->n++] = (unsigned char)(((uint32_t)v >> s) & 0xff);
}
static void put_i64(buf_t *b, int64_t v) {
  for (int s = 56; s >= 0; s -= 8)
    b->b[b->n++] = (unsigned char)(((uint64_t)v >> s) & 0xff);
}
static void put_uvarint(buf_t *b, uint32_t v) {
  while (v >= 0x80) {
    b->b[b->n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  b->b[b->n++] = (unsigned char)v;
}
static void put_str(buf_t *b, const char *s) { /* classic, NULL -> -1 */
  if (s == NULL) {
    put_i16(b, -1);
    return;
  }
  put_i16(b, (int)strlen(s));
  memcpy(b->b + b->n, s, strlen(s));
  b->n += strlen(s);
}
static void put_cstr(buf_t *b, const char *s) { /* compact, NULL -> 0 */
  if (s == NULL) {
    put_uvarint(b, 0);
    return;
  }
  put_uvarint(b, (uint32_t)strlen(s) + 1);
  memcpy(b->b + b->n, s, strlen(s));
  b->n += strlen(s);
}
static void put_bytes(buf_t *b, int flex, const char *s) {
  size_t n = strlen(s);
  if (flex)
    put_uvarint(b, (uint32_t)n + 1);
  else
    put_i32(b, (int32_t)n);
  memcpy(b->b + b->n, s, n);
  b->n += n;
}

static buf_t commit_key(int version, const char *g, const char *t, int p) {
  buf_t k = {.n = 0};
  put_i16(&k, version);
  put_str(&k, g);
  put_str(&k, t);
  put_i32(&k, p);
  return k;
}

static buf_t commit_value(int v, int64_t offset, int64_t ts) {
  buf_t b = {.n = 0};
  put_i16(&b, v);
  put_i64(&b, offset);
  if (v >= 3)
    put_i32(&b, 7); /* leader epoch */
  if (v >= 4)
    put_cstr(&b, "meta");
  else
    put_str(&b, "meta");
  put_i64(&b, ts);
  if (v == 1)
    put_i64(&b, ts + 86400000);
  if (v >= 4) {
    put_uvarint(&b, 1); /* one unknown tagged field, skipped */
    put_uvarint(&b, 5);
    put_uvarint(&b, 3);
    memcpy(b.b + b.n, "xyz", 3);
    b.n += 3;
  }
  return b;
}

static buf_t group_key(const char *g) {
  buf_t k = {.n = 0};
  put_i16(&k, 2);
  put_str(&k, g);
  return k;
}

static buf_t group_value(int v, int generation, const char *const *ids, int n) {
  buf_t b = {.n = 0};
  int flex = v >= 4;
  void (*s)(buf_t *, const char *) = flex ? put_cstr : put_str;
  put_i16(&b, v);
  s(&b, "consumer");
  put_i32(&b, generation);
  s(&b, n ? "range" : NULL);
  s(&b, n ? ids[0] : NULL);
  if (v >= 2)
    put_i64(&b, 1700000000000LL);
  if (flex)
    put_uvarint(&b, (uint32_t)n + 1);
  else
    put_i32(&b, n);
  for (int i = 0; i < n; i++) {
    s(&b, ids[i]);
    if (v >= 3)
      s(&b, NULL); /* no static membership */
    s(&b, "client");
    s(&b, "/127.0.0.1");
    if (v >= 1)
      put_i32(&b, 300000);
    put_i32(&b, 45000);
    put_bytes(&b, flex, "subscription");
    put_bytes(&b, flex, "assignment");
    if (flex)
      put_uvarint(&b, 0);
  }
  if (flex)
    put_uvarint(&b, 0);
  return b;
}

static int str_is(kml_offsets_str_t s, const char *want) {
  return s.ptr != NULL && s.len == strlen(want) &&
         memcmp(s.ptr, want, s.len) == 0;
}

static void commit_every_value_version(void **state) {
  for (int kv = 0; kv <= 1; kv++)
    for (int v = 0; v <= 4; v++) {
      buf_t k = commit_key(kv, "svc-a", "orders", 3);
      buf_t val = commit_value(v, 1234567890123LL, 1700000000123LL);
      kml_offsets_record_t r;
      assert_int_equal(kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r),
                       KML_OREC_COMMIT);
      assert_true(str_is(r.group, "svc-a"));
      assert_true(str_is(r.topic, "orders"));
      assert_int_equal(r.partition, 3);
      assert_int_equal(r.offset, 1234567890123LL);
      assert_int_equal(r.commit_ms, 1700000000123LL);
    }
}

static void tombstones_delete(void **state) {
  buf_t k = commit_key(1, "svc-a", "orders", 0);
  kml_offsets_record_t r;
  assert_int_equal(kml_offsets_record_decode(k.b, k.n, NULL, 0, &r),
                   KML_OREC_COMMIT_DEL);
  assert_true(str_is(r.topic, "orders"));
  buf_t g = group_key("svc-a");
  assert_int_equal(kml_offsets_record_decode(g.b, g.n, NULL, 0, &r),
                   KML_OREC_GROUP_DEL);
  assert_true(str_is(r.group, "svc-a"));
}

static void group_metadata_every_version(void **state) {
  const char *ids[] = {"consumer-1-aa", "consumer-2-bb", "consumer-3-cc"};
  const char *rev[] = {"consumer-3-cc", "consumer-1-aa", "consumer-2-bb"};
  uint64_t want =
      kml_hash_str(ids[0]) ^ kml_hash_str(ids[1]) ^ kml_hash_str(ids[2]);
  for (int v = 0; v <= 4; v++) {
    buf_t k = group_key("svc-b");
    buf_t val = group_value(v, 42, ids, 3);
    kml_offsets_record_t r;
    assert_int_equal(kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r),
                     KML_OREC_GROUP);
    assert_true(str_is(r.group, "svc-b"));
    assert_true(str_is(r.protocol_type, "consumer"));
    assert_int_equal(r.generation, 42);
    assert_int_equal(r.members, 3);
    assert_true(r.members_hash == want);
    assert_int_equal(r.state_ms, v >= 2 ? 1700000000000LL : -1);
    /* membership, not order, decides the hash */
    val = group_value(v, 42, rev, 3);
    kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r);
    assert_true(r.members_hash == want);
    /* an empty group */
    val = group_value(v, 43, ids, 0);
    assert_int_equal(kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r),
                     KML_OREC_GROUP);
    assert_int_equal(r.members, 0);
    assert_true(r.members_hash == 0);
  }
}

static void other_record_types_are_skipped(void **state) {
  buf_t k = {.n = 0};
  put_i16(&k, 3); /* a newer group protocol's record */
  put_str(&k, "g");
  kml_offsets_record_t r;
  unsigned char v[4] = {0, 0, 1, 2};
  assert_int_equal(kml_offsets_record_decode(k.b, k.n, v, sizeof(v), &r),
                   KML_OREC_SKIP);
  /* an unknown value version is refused with a reason */
  k = commit_key(1, "g", "t", 0);
  buf_t val = commit_value(3, 1, 2);
  val.b[1] = 9;
  assert_int_equal(kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r),
                   KML_OREC_BAD);
  assert_non_null(strstr(r.why, "version"));
}

/* Every proper prefix of a valid record is refused (never read past). */
static void truncated_records_are_refused(void **state) {
  const char *ids[] = {"m1", "m2"};
  buf_t keys[2] = {commit_key(1, "grp", "topic", 1), group_key("grp")};
  for (int v = 0; v <= 4; v++) {
    buf_t vals[2] = {commit_value(v, 5, 6), group_value(v, 1, ids, 2)};
    for (int kind = 0; kind < 2; kind++) {
      kml_offsets_record_t r;
      for (size_t n = 0; n < keys[kind].n; n++) {
        /* a copy of exactly n bytes so that ASan sees any overread */
        unsigned char *cut = malloc(n ? n : 1);
        memcpy(cut, keys[kind].b, n);
        assert_int_equal(
            kml_offsets_record_decode(cut, n, vals[kind].b, vals[kind].n, &r),
            KML_OREC_BAD);
        assert_non_null(r.why);
        free(cut);
      }
      for (size_t n = 0; n < vals[kind].n; n++) {
        unsigned char *cut = malloc(n ? n : 1);
        memcpy(cut, vals[kind].b, n);
        assert_int_equal(
            kml_offsets_record_decode(keys[kind].b, keys[kind].n, cut, n, &r),
            KML_OREC_BAD);
        free(cut);
      }
    }
  }
}

static void garbage_is_refused_or_harmless(void **state) {
  kml_offsets_record_t r;
  /* negative lengths, a huge member count */
  buf_t k = {.n = 0};
  put_i16(&k, 1);
  put_i16(&k, -5);
  assert_int_equal(kml_offsets_record_decode(k.b, k.n, NULL, 0, &r),
                   KML_OREC_BAD);
  k = commit_key(1, NULL, "t", 0); /* a null group is not allowed */
  assert_int_equal(kml_offsets_record_decode(k.b, k.n, NULL, 0, &r),
                   KML_OREC_BAD);
  buf_t g = group_key("g");
  buf_t val = {.n = 0};
  put_i16(&val, 3);
  put_str(&val, "consumer");
  put_i32(&val, 1);
  put_str(&val, NULL);
  put_str(&val, NULL);
  put_i64(&val, 0);
  put_i32(&val, 0x7fffffff);
  assert_int_equal(kml_offsets_record_decode(g.b, g.n, val.b, val.n, &r),
                   KML_OREC_BAD);
  /* a varint that never ends */
  val.n = 0;
  put_i16(&val, 4);
  for (int i = 0; i < 10; i++)
    val.b[val.n++] = 0xff;
  assert_int_equal(kml_offsets_record_decode(g.b, g.n, val.b, val.n, &r),
                   KML_OREC_BAD);
  assert_int_equal(kml_offsets_record_decode(NULL, 0, NULL, 0, &r),
                   KML_OREC_BAD);
  /* random bytes: any verdict, no crash, strings inside the input */
  srand(7);
  unsigned char *junk = malloc(64);
  for (int i = 0; i < 20000; i++) {
    size_t kn = (size_t)(rand() % 40), vn = (size_t)(rand() % 64);
    for (size_t j = 0; j < 64; j++)
      junk[j] = (unsigned char)rand();
    junk[0] = 0;
    junk[1] = (unsigned char)(rand() % 4);
    kml_offsets_record_kind_t kind =
        kml_offsets_record_decode(junk, kn, junk, vn, &r);
    if (kind == KML_OREC_COMMIT || kind == KML_OREC_COMMIT_DEL) {
      assert_true(r.group.ptr >= (const char *)junk &&
                  r.group.ptr + r.group.len <= (const char *)junk + kn);
      assert_true(r.topic.ptr + r.topic.len <= (const char *)junk + kn);
    }
  }
  free(junk);
}

/* Expected values from Java: "hello".hashCode() == 99162322,
 * "\u00e9".hashCode() == 233, "\ud83d\ude00".hashCode() == 1772899,
 * "polygenelubricants".hashCode() == Integer.MIN_VALUE (abs gives 0). */
static void coordinator_partition_as_kafka_computes_it(void **state) {
  assert_int_equal(kml_offsets_record_partition_for("hello", 50),
                   99162322 % 50);
  assert_int_equal(kml_offsets_record_partition_for("\xc3\xa9", 50), 233 % 50);
  assert_int_equal(kml_offsets_record_partition_for("\xf0\x9f\x98\x80", 50),
                   1772899 % 50);
  assert_int_equal(kml_offsets_record_partition_for("polygenelubricants", 50),
                   0);
  /* a negative hash: "svc-payments".hashCode() == -250609670 */
  assert_int_equal(kml_offsets_record_partition_for("svc-payments", 50), 20);
}

/* Member and client ids, in record order, through the callback. */
typedef struct {
  char ids[8][64], clients[8][64];
  int n;
} seen_t;

static void note_member(kml_offsets_str_t id, kml_offsets_str_t client,
                        void *ud) {
  seen_t *s = ud;
  if (s->n < 8) {
    snprintf(s->ids[s->n], 64, "%.*s", (int)id.len, id.ptr);
    snprintf(s->clients[s->n], 64, "%.*s", (int)client.len,
             client.ptr ? client.ptr : "");
  }
  s->n++;
}

static void members_are_listed_with_client_ids(void **state) {
  const char *ids[] = {"c-1-aa", "c-2-bb", "c-3-cc"};
  for (int v = 0; v <= 4; v++) {
    buf_t k = group_key("svc-b"), val = group_value(v, 9, ids, 3);
    kml_offsets_record_t r;
    kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r);
    seen_t seen = {.n = 0};
    assert_int_equal(kml_offsets_record_members(&r, note_member, &seen), 3);
    assert_int_equal(seen.n, 3);
    for (int i = 0; i < 3; i++) {
      assert_string_equal(seen.ids[i], ids[i]);
      assert_string_equal(seen.clients[i], "client");
    }
    /* a truncated value lists nothing */
    val.n -= 3;
    kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r);
    seen.n = 0;
    r.kind = KML_OREC_GROUP;
    assert_int_equal(kml_offsets_record_members(&r, note_member, &seen), -1);
  }
  buf_t ck = commit_key(1, "g", "t", 0), cv = commit_value(3, 1, 2);
  kml_offsets_record_t r;
  kml_offsets_record_decode(ck.b, ck.n, cv.b, cv.n, &r);
  assert_int_equal(kml_offsets_record_members(&r, note_member, NULL), -1);
}

/* A decoded group metadata record gives the snapshot its members with
 * their client ids, and its generation. */
static void roster_and_generation_reach_the_snapshot(void **state) {
  const char *ids[] = {"c-1-aa", "c-2-bb"};
  kml_offsets_table_t *t = kml_offsets_table_new();
  buf_t k = group_key("svc-r"), val = group_value(4, 17, ids, 2);
  kml_offsets_record_t r;
  kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r);
  assert_int_equal(kml_offsets_table_apply(t, &r, 0), 0);
  unsigned char sync[1] = {1};
  kml_snapshot_t *s = kml_snapshot_new();
  kml_offsets_table_export(t, s, NULL, sync, 1);
  const kml_group_t *g = kml_snapshot_group(s, "svc-r");
  assert_non_null(g);
  assert_true(g->measured & KML_GROUP_GENERATION);
  assert_int_equal(g->generation, 17);
  assert_int_equal(g->n_member_list, 2);
  assert_string_equal(g->member_list[1].id, "c-2-bb");
  assert_string_equal(g->member_list[1].client_id, "client");
  kml_snapshot_free(s);
  /* a newer record replaces the list; the tombstone removes it */
  val = group_value(4, 18, ids, 1);
  kml_offsets_record_decode(k.b, k.n, val.b, val.n, &r);
  kml_offsets_table_apply(t, &r, 0);
  s = kml_snapshot_new();
  kml_offsets_table_export(t, s, NULL, sync, 1);
  g = kml_snapshot_group(s, "svc-r");
  assert_int_equal(g->n_member_list, 1);
  assert_int_equal(g->generation, 18);
  kml_snapshot_free(s);
  kml_offsets_record_decode(k.b, k.n, NULL, 0, &r);
  kml_offsets_table_apply(t, &r, 0);
  assert_int_equal(kml_offsets_table_groups(t), 0);
  kml_offsets_table_destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(commit_every_value_version),
      cmocka_unit_test(tombstones_delete),
      cmocka_unit_test(group_metadata_every_version),
      cmocka_unit_test(other_record_types_are_skipped),
      cmocka_unit_test(truncated_records_are_refused),
      cmocka_unit_test(garbage_is_refused_or_harmless),
      cmocka_unit_test(coordinator_partition_as_kafka_computes_it),
      cmocka_unit_test(members_are_listed_with_client_ids),
      cmocka_unit_test(roster_and_generation_reach_the_snapshot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
