/* offsets_record: decode one record of Kafka's __consumer_offsets topic.
 *
 * The group coordinator writes two kinds of records there (schemas in
 * Kafka's group-coordinator resources, OffsetCommitKey/Value.json and
 * GroupMetadataKey/Value.json):
 *   key version 0 or 1: OffsetCommitKey {group, topic, partition}, value
 *     OffsetCommitValue v0..v4 {offset, [leaderEpoch v3+], metadata,
 *     commitTimestamp, [expireTimestamp v1]}, v4 in the flexible encoding;
 *   key version 2: GroupMetadataKey {group}, value GroupMetadataValue
 *     v0..v4 {protocolType, generation, protocol, leader,
 *     [currentStateTimestamp v2+], members[]}.
 * A record without a value (a tombstone) deletes what its key names.
 * Other key versions (newer group protocols) are reported as skipped.
 *
 * Pure functions over caller-owned bytes: nothing is allocated, decoded
 * strings point into the input. Thread-safe. */
#ifndef KML_KAFKA_OFFSETS_RECORD_H
#define KML_KAFKA_OFFSETS_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* KML_OREC_: kinds of offsets records. */
typedef enum {
  KML_OREC_BAD = -1,       /* malformed: truncated, negative lengths, ... */
  KML_OREC_SKIP = 0,       /* a record kind this plugin does not use */
  KML_OREC_COMMIT = 1,     /* committed offset of (group, topic, partition) */
  KML_OREC_COMMIT_DEL = 2, /* that offset was deleted (expiry, group gone) */
  KML_OREC_GROUP = 3,      /* group metadata after a rebalance */
  KML_OREC_GROUP_DEL = 4,  /* the group was removed */
} kml_offsets_record_kind_t;

/* A string inside the record: not NUL-terminated; ptr NULL for null. */
typedef struct {
  const char *ptr;
  size_t len;
} kml_offsets_str_t;

typedef struct {
  kml_offsets_record_kind_t kind;
  kml_offsets_str_t group;
  /* COMMIT, COMMIT_DEL */
  kml_offsets_str_t topic;
  int32_t partition;
  /* COMMIT */
  int64_t offset;
  int64_t commit_ms; /* commitTimestamp, ms since the epoch */
  /* GROUP */
  kml_offsets_str_t protocol_type; /* "consumer" for consumer groups */
  int32_t generation;
  int32_t members;
  uint64_t members_hash;   /* order-independent hash of the member ids */
  int64_t state_ms;        /* currentStateTimestamp; -1 when absent */
  kml_offsets_str_t value; /* the value's bytes, for
                              kml_offsets_record_members() */
  /* BAD: what could not be read, a static string */
  const char *why;
} kml_offsets_record_t;

/* Decode a record's key and value (value NULL for a tombstone). Returns
 * out->kind; on KML_OREC_BAD out->why names the field that failed. */
kml_offsets_record_kind_t
kml_offsets_record_decode(const void *key, size_t key_len, const void *value,
                          size_t value_len, kml_offsets_record_t *out);

/* Call fn(member id, client id, ud) for each member of a GROUP record r
 * (in record order); the strings point into the record's value. Returns
 * the number of members, or -1 when r is not a well-formed GROUP record.
 * Pure apart from what fn does. */
typedef void (*kml_offsets_member_fn)(kml_offsets_str_t id,
                                      kml_offsets_str_t client, void *ud);
int kml_offsets_record_members(const kml_offsets_record_t *r,
                               kml_offsets_member_fn fn, void *ud);

/* The partition of __consumer_offsets (of n) that holds group's records,
 * whose leader is the group's coordinator: Kafka's
 * abs(String.hashCode(group)) % n, the hash over the UTF-16 units of the
 * UTF-8 id. Pure. */
int kml_offsets_record_partition_for(const char *group, int n);

#endif
