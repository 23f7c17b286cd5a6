/* libFuzzer harness: the record classifier of the kafka plugin's schema
 * sampler (src/kafka/schema.c). Any bytes are WIRE, JSON, EMPTY or OTHER;
 * a JSON shape has sorted, distinct, NUL-terminated field paths within
 * bounds; its fingerprint depends only on the shape (classifying twice
 * gives the same); and a diff of any two shapes fits its buffer. */
#include "kafka/schema.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static kml_schema_t prev;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* an exact-size copy: ASan catches any read past the record */
  uint8_t *p = malloc(size ? size : 1);
  if (p == NULL)
    return 0;
  memcpy(p, data, size);
  static kml_schema_t s, again;
  kml_schema_kind_t k = kml_schema_classify(size ? p : NULL, size, &s);
  if (k != s.kind || k < KML_SCHEMA_OTHER || k > KML_SCHEMA_JSON)
    abort();
  if (k != KML_SCHEMA_JSON && (s.n_fields != 0 || s.more))
    abort();
  if (s.n_fields < 0 || s.n_fields > KML_SCHEMA_FIELDS)
    abort();
  for (int i = 0; i < s.n_fields; i++) {
    if (memchr(s.fields[i].path, 0, sizeof(s.fields[i].path)) == NULL)
      abort();
    if (i > 0 && strcmp(s.fields[i - 1].path, s.fields[i].path) > 0)
      abort();
  }
  kml_schema_classify(size ? p : NULL, size, &again);
  if (again.kind != s.kind || again.fingerprint != s.fingerprint ||
      again.id != s.id)
    abort();
  char diff[64];
  kml_schema_diff(&prev, &s, diff, sizeof(diff));
  if (memchr(diff, 0, sizeof(diff)) == NULL)
    abort();
  prev = s;
  free(p);
  return 0;
}
