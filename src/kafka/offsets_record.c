/* offsets_record: the decoder of __consumer_offsets records, kept apart
 * from the consumer that reads them so that it can be tested on crafted
 * bytes (truncated, garbage, every schema version).
 *
 * The encoding is Kafka's: big-endian integers; in the classic versions a
 * string is an int16 length (-1 null) and bytes an int32 length; in the
 * flexible versions (value version 4) lengths are unsigned varints holding
 * length + 1 (0 null), arrays likewise, and every struct ends with tagged
 * fields (a varint count of (tag, size, bytes) entries) that are skipped.
 * Every read checks the bytes left, so no input can read out of bounds. */
#include "offsets_record.h"

#include "../kml_hash.h"

#include <string.h>

typedef struct {
  const unsigned char *p, *end;
  const char *why;                 /* first failure, NULL while fine */
  kml_offsets_member_fn member_fn; /* NULL: members only hashed */
  void *ud;
} rd_t;

static int fail(rd_t *r, const char *why) {
  if (r->why == NULL)
    r->why = why;
  return -1;
}

static int need(rd_t *r, size_t n, const char *what) {
  if (r->why != NULL || (size_t)(r->end - r->p) < n)
    return fail(r, what);
  return 0;
}

static int16_t i16(rd_t *r, const char *what) {
  if (need(r, 2, what))
    return 0;
  int16_t v = (int16_t)((r->p[0] << 8) | r->p[1]);
  r->p += 2;
  return v;
}

static int32_t i32(rd_t *r, const char *what) {
  if (need(r, 4, what))
    return 0;
  uint32_t v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
               ((uint32_t)r->p[2] << 8) | r->p[3];
  r->p += 4;
  return (int32_t)v;
}

static int64_t i64(rd_t *r, const char *what) {
  if (need(r, 8, what))
    return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | r->p[i];
  r->p += 8;
  return (int64_t)v;
}

/* Unsigned varint of at most 32 bits (Kafka's lengths and counts). */
static uint32_t uvarint(rd_t *r, const char *what) {
  uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (need(r, 1, what))
      return 0;
    unsigned char b = *r->p++;
    v |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return v;
  }
  fail(r, what);
  return 0;
}

/* A string or bytes field: classic (length int16/int32, -1 null) or compact
 * (varint length + 1, 0 null). Null is refused unless nullable. */
static kml_offsets_str_t field(rd_t *r, int compact, int wide, int nullable,
                               const char *what) {
  kml_offsets_str_t s = {NULL, 0};
  int64_t len;
  if (compact)
    len = (int64_t)uvarint(r, what) - 1;
  else
    len = wide ? i32(r, what) : i16(r, what);
  if (r->why != NULL)
    return s;
  if (len < 0) {
    if (len != -1 || !nullable)
      fail(r, what);
    return s;
  }
  if (need(r, (size_t)len, what))
    return s;
  s.ptr = (const char *)r->p;
  s.len = (size_t)len;
  r->p += len;
  return s;
}

static kml_offsets_str_t str(rd_t *r, int compact, const char *what) {
  return field(r, compact, 0, 0, what);
}

static void tagged_fields(rd_t *r) {
  uint32_t n = uvarint(r, "tagged fields");
  for (uint32_t i = 0; i < n && r->why == NULL; i++) {
    uvarint(r, "tag");
    uint32_t size = uvarint(r, "tag size");
    if (need(r, size, "tagged field") == 0)
      r->p += size;
  }
}

static void commit_value(rd_t *r, kml_offsets_record_t *out) {
  int16_t v = i16(r, "value version");
  if (r->why == NULL && (v < 0 || v > 4)) {
    fail(r, "unknown offset commit value version");
    return;
  }
  int flex = v >= 4;
  out->offset = i64(r, "offset");
  if (v >= 3)
    i32(r, "leader epoch");
  str(r, flex, "metadata");
  out->commit_ms = i64(r, "commit timestamp");
  if (v == 1)
    i64(r, "expire timestamp");
  if (flex)
    tagged_fields(r);
}

static void member(rd_t *r, int16_t v, kml_offsets_record_t *out) {
  int flex = v >= 4;
  kml_offsets_str_t id = str(r, flex, "member id");
  if (v >= 3)
    field(r, flex, 0, 1, "group instance id");
  kml_offsets_str_t client = str(r, flex, "client id");
  str(r, flex, "client host");
  if (v >= 1)
    i32(r, "rebalance timeout");
  i32(r, "session timeout");
  field(r, flex, 1, 0, "subscription");
  field(r, flex, 1, 0, "assignment");
  if (flex)
    tagged_fields(r);
  if (r->why == NULL)
    out->members_hash ^= kml_hash_bytes(id.ptr, id.len);
  if (r->why == NULL && r->member_fn != NULL)
    r->member_fn(id, client, r->ud);
}

static void group_value(rd_t *r, kml_offsets_record_t *out) {
  int16_t v = i16(r, "value version");
  if (r->why == NULL && (v < 0 || v > 4)) {
    fail(r, "unknown group metadata value version");
    return;
  }
  int flex = v >= 4;
  out->protocol_type = str(r, flex, "protocol type");
  out->generation = i32(r, "generation");
  field(r, flex, 0, 1, "protocol");
  field(r, flex, 0, 1, "leader");
  out->state_ms = v >= 2 ? i64(r, "state timestamp") : -1;
  int64_t n = flex ? (int64_t)uvarint(r, "members") - 1 : i32(r, "members");
  /* A member takes at least 20 bytes: a count beyond that is garbage. */
  if (r->why == NULL && (n < 0 || n > (r->end - r->p) / 20 + 1)) {
    fail(r, "member count");
    return;
  }
  for (int64_t i = 0; i < n && r->why == NULL; i++)
    member(r, v, out);
  out->members = (int32_t)n;
  if (flex)
    tagged_fields(r);
}

kml_offsets_record_kind_t
kml_offsets_record_decode(const void *key, size_t key_len, const void *value,
                          size_t value_len, kml_offsets_record_t *out) {
  memset(out, 0, sizeof(*out));
  out->state_ms = -1;
  rd_t k = {key, (const unsigned char *)key + key_len, NULL, NULL, NULL};
  if (key == NULL)
    fail(&k, "no key");
  int16_t kv = i16(&k, "key version");
  if (k.why == NULL && (kv < 0 || kv > 2)) {
    out->why = "a record type of another group protocol";
    return out->kind = KML_OREC_SKIP;
  }
  out->group = str(&k, 0, "group");
  if (kv <= 1) {
    out->topic = str(&k, 0, "topic");
    out->partition = i32(&k, "partition");
  }
  if (k.why != NULL) {
    out->why = k.why;
    return out->kind = KML_OREC_BAD;
  }
  if (value == NULL)
    return out->kind = kv <= 1 ? KML_OREC_COMMIT_DEL : KML_OREC_GROUP_DEL;
  rd_t v = {value, (const unsigned char *)value + value_len, NULL, NULL, NULL};
  out->value = (kml_offsets_str_t){.ptr = value, .len = value_len};
  if (kv <= 1)
    commit_value(&v, out);
  else
    group_value(&v, out);
  if (v.why != NULL) {
    out->why = v.why;
    return out->kind = KML_OREC_BAD;
  }
  return out->kind = kv <= 1 ? KML_OREC_COMMIT : KML_OREC_GROUP;
}

int kml_offsets_record_members(const kml_offsets_record_t *r,
                               kml_offsets_member_fn fn, void *ud) {
  if (r->kind != KML_OREC_GROUP || r->value.ptr == NULL)
    return -1;
  const unsigned char *p = (const unsigned char *)r->value.ptr;
  rd_t v = {p, p + r->value.len, NULL, fn, ud};
  kml_offsets_record_t tmp;
  memset(&tmp, 0, sizeof(tmp));
  group_value(&v, &tmp);
  return v.why == NULL ? tmp.members : -1;
}

int kml_offsets_record_partition_for(const char *group, int n) {
  const unsigned char *p = (const unsigned char *)group;
  uint32_t h = 0;
  while (*p) {
    uint32_t cp = *p++;
    int more = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
    cp &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0x7f;
    for (; more > 0 && (*p & 0xc0) == 0x80; more--)
      cp = (cp << 6) | (*p++ & 0x3f);
    if (cp >= 0x10000) { /* a surrogate pair in Java's UTF-16 */
      cp -= 0x10000;
      h = 31 * h + (0xd800 + (cp >> 10));
      h = 31 * h + (0xdc00 + (cp & 0x3ff));
    } else {
      h = 31 * h + cp;
    }
  }
  int32_t j = (int32_t)h;
  /* Kafka's Utils.abs: Integer.MIN_VALUE becomes 0 */
  uint32_t a = j == INT32_MIN ? 0 : (uint32_t)(j < 0 ? -j : j);
  return n > 0 ? (int)(a % (uint32_t)n) : 0;
}
