/* persist: save and restore the series store to a state file, so models
 * continue after a restart without a new learning period.
 *
 * Format 4 (native endianness; the file belongs to one host):
 *   "KMLSTATE" u32 format  u32 payload_size
 *   records { u16 key_len (1..65535), key bytes (no NUL), payload bytes }
 *   u64 count  u64 kml_checksum_bytes() (XXH64) of everything before it
 * The header is what refuses a file of other models whole. Format 4 has
 * format 3's records (model version 16, 1,416 bytes) and a checksum 15x
 * faster to compute than format 3's byte-wise FNV-1a (kml_hash_bytes),
 * about half of a save's CPU. Format 3 files are still read, their
 * checksum checked as FNV-1a; format 2 (model version 11, 1,416 bytes too)
 * and older are refused whole, as is format 3 once the model changes.
 * Saving streams one shard's share of the store at a time (the store is
 * never copied whole), to PATH.tmp created 0600 without following links,
 * fsync'd and renamed over PATH: a crash leaves either the old or the new
 * file, never half of one. Loading reads the file twice, streamed: once to
 * check framing, count and checksum, then to check every payload and load
 * it; nothing enters the store from a file that fails the first pass. */
#ifndef KML_ML_PERSIST_H
#define KML_ML_PERSIST_H

#include "series.h"

#include <stddef.h>

#define KML_STATE_FORMAT 4u
/* The format before, still loaded: the same records, an FNV-1a checksum.
 * A model change (a new payload) ends it with the records it holds. */
#define KML_STATE_FORMAT_FNV 3u

/* Write every series of s to path. Returns the number written, or -1 with a
 * reason in err. Refuses to replace anything but a regular file at path.
 * Thread-safe with concurrent writers of s (each shard is locked only while
 * it is copied). May take seconds: call it off collectd's threads
 * (kml_saver_t in saver.h). */
long kml_persist_save(kml_store_t *s, size_t payload_size, const char *path,
                      char *err, size_t errlen);

/* Why a payload cannot be loaded (NULL: it can); e.g. kml_model_check. */
typedef const char *(*kml_payload_check_fn)(const void *payload);

#define KML_PERSIST_REASONS 8
/* What a load did: series loaded, and series dropped per reason. */
typedef struct {
  long loaded;
  long dropped;
  int missing; /* 1: no file at the path (yet): a fresh start */
  int n_reasons;
  struct {
    const char *why; /* from the check function, or "key" */
    long count;
  } reasons[KML_PERSIST_REASONS]; /* further reasons count under the last */
} kml_persist_stats_t;

/* Load series from path into s (created with the same payload size).
 * check(payload) may refuse individual payloads; they are counted per
 * reason in *stats. Returns the number loaded; 0 when the file does not
 * exist; -1 with a reason in err when the file is not a regular file (a
 * FIFO or device is refused without blocking; a symbolic link is not
 * followed), is corrupt, truncated or of another format version (nothing is
 * loaded then). Thread-safe with concurrent users of s. */
long kml_persist_load(kml_store_t *s, size_t payload_size, const char *path,
                      kml_payload_check_fn check, double now,
                      kml_persist_stats_t *stats, char *err, size_t errlen);

/* Can a state file be saved at path? Checks that its directory exists, is
 * a directory and is writable by this process (access(2) with W_OK|X_OK);
 * does not create anything. Returns 0, or -1 with a reason naming the
 * directory in err ("/nonexistent/dir: No such file or directory").
 * Thread-safe. */
int kml_persist_check_dir(const char *path, char *err, size_t errlen);

#endif
