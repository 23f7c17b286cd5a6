/* persist: save and restore the series store to a state file, so models
 * continue after a restart without a new learning period.
 *
 * Format (native endianness; the file belongs to one host):
 *   "KMLSTATE" u32 format  u32 payload_size  u64 count
 *   count x { u16 key_len, key bytes, payload bytes }
 *   u64 FNV-1a of everything before it
 * Written to PATH.tmp, fsync'd, renamed over PATH: a crash leaves either
 * the old or the new file, never half of one. */
#ifndef KML_ML_PERSIST_H
#define KML_ML_PERSIST_H

#include "series.h"

#include <stddef.h>

#define KML_STATE_FORMAT 1u

/* Write every series of s to path. Returns the number written, or -1 with a
 * reason in err. Thread-safe with concurrent writers of s. */
long kml_persist_save(kml_store_t *s, size_t payload_size, const char *path,
                      char *err, size_t errlen);

/* Load series from path into s (created with the same payload size).
 * valid(payload) may refuse individual payloads (wrong model version).
 * Returns the number loaded; 0 when the file does not exist; -1 with a
 * reason in err when the file is corrupt, truncated or foreign (nothing is
 * loaded then). */
typedef int (*kml_payload_valid_fn)(const void *payload);
long kml_persist_load(kml_store_t *s, size_t payload_size, const char *path,
                      kml_payload_valid_fn valid, double now, char *err,
                      size_t errlen);

#endif
