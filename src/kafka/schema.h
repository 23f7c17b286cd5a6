/* schema: what shape a Kafka record's value has, from its bytes alone.
 *
 * Producers change the shape of their events even with a schema registry
 * in place. A record is classified as:
 *   - WIRE: Confluent's wire format (Avro, Protobuf, JSON Schema through a
 *     schema registry): magic byte 0, then the schema id as a 4-byte
 *     big-endian integer, then the payload;
 *   - JSON: a JSON document; its fingerprint is a hash of its field set,
 *     the names and value kinds (string, number, bool, null, object,
 *     array) of the top-level keys and of nested objects' keys down to
 *     KML_SCHEMA_DEPTH levels ("customer.id:number"), sorted, so key order
 *     and values do not matter; a document that is not an object has a
 *     field "$" of its kind, and when it is an array, the keys of its
 *     first element are described as "[].key" (records batched in an
 *     array, as collectd's JSON format writes them);
 *   - EMPTY: no value (a tombstone) or zero bytes;
 *   - OTHER: anything else (binary without the magic byte, broken JSON).
 * Bounded: at most KML_SCHEMA_FIELDS fields are kept (more set `more`),
 * names are cut at KML_SCHEMA_NAME bytes, nesting beyond KML_SCHEMA_NEST
 * makes a document OTHER, and the text is read once.
 *
 * Pure functions over caller-owned bytes; thread-safe. */
#ifndef KML_KAFKA_SCHEMA_H
#define KML_KAFKA_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#define KML_SCHEMA_DEPTH 3   /* levels of keys in the fingerprint */
#define KML_SCHEMA_FIELDS 64 /* fields kept per record */
#define KML_SCHEMA_NAME 48   /* bytes of a field path kept */
#define KML_SCHEMA_NEST 64   /* deeper JSON is refused (OTHER) */

typedef enum {
  KML_SCHEMA_OTHER = 0,
  KML_SCHEMA_EMPTY = 1,
  KML_SCHEMA_WIRE = 2,
  KML_SCHEMA_JSON = 3,
} kml_schema_kind_t;

typedef enum {
  KML_JSON_STRING = 0,
  KML_JSON_NUMBER,
  KML_JSON_BOOL,
  KML_JSON_NULL,
  KML_JSON_OBJECT,
  KML_JSON_ARRAY,
} kml_json_kind_t;

typedef struct {
  char path[KML_SCHEMA_NAME + 1];
  kml_json_kind_t kind;
} kml_schema_field_t;

typedef struct {
  kml_schema_kind_t kind;
  uint32_t id;          /* WIRE: the schema id */
  uint64_t fingerprint; /* JSON: hash of the sorted field set */
  kml_schema_field_t fields[KML_SCHEMA_FIELDS]; /* JSON, sorted by path */
  int n_fields;
  int more; /* JSON: fields beyond KML_SCHEMA_FIELDS were left out */
} kml_schema_t;

/* Classify value (len bytes; NULL is a tombstone) into *out. Returns
 * out->kind. */
kml_schema_kind_t kml_schema_classify(const void *value, size_t len,
                                      kml_schema_t *out);

/* "string", "number", "bool", "null", "object", "array". */
const char *kml_json_kind_name(kml_json_kind_t k);

/* The fields of b that a lacks ("+name:kind ...") and those of a that b
 * lacks ("-name:kind ...") into out (len bytes, always NUL-terminated,
 * cut with "..." when long). Returns the number of differences. Pure. */
int kml_schema_diff(const kml_schema_t *a, const kml_schema_t *b, char *out,
                    size_t len);

#endif
