/* saver: a thread that writes the state file when asked, so the copy,
 * the write and the fsync never run on collectd's read or write threads.
 *
 * The plugin calls kml_saver_request() from its read callback (returns at
 * once; a request while a save runs is merged into one more save) and
 * kml_saver_result() on later calls to log what happened. At shutdown
 * kml_saver_destroy() finishes a running save and stops the thread; the
 * caller then saves once more itself. */
#ifndef KML_ML_SAVER_H
#define KML_ML_SAVER_H

#include "series.h"

#include <stddef.h>

typedef struct kml_saver kml_saver_t;

/* New saver of store s (payloads of payload_size bytes) to path (copied).
 * Returns NULL when the thread cannot start or memory is short. The store
 * must outlive the saver. */
kml_saver_t *kml_saver_new(kml_store_t *s, size_t payload_size,
                           const char *path);
/* Stop the thread (waiting for a save under way) and free the saver.
 * NULL is accepted. */
void kml_saver_destroy(kml_saver_t *sv);
/* Ask for a save. Never blocks on disk. Thread-safe. */
void kml_saver_request(kml_saver_t *sv);
/* When a save finished since the last call: returns 1 and sets *count (the
 * series written, or -1 with the reason in err) and *seconds (how long the
 * save took). Returns 0 otherwise. Thread-safe. */
int kml_saver_result(kml_saver_t *sv, long *count, double *seconds, char *err,
                     size_t errlen);

#endif
