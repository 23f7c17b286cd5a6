/* pending: the queue of notifications between the write path and the read
 * callback. A write thread pushes a series' state change while it still
 * holds that series' shard lock, so the queue holds one series' changes in
 * the order they happened whatever thread ran them; the read callback takes
 * the whole queue at once, ranks correlations for all of it in one scan of
 * the store (correlate.h) and dispatches in order.
 * Bounded: pushes beyond the capacity are counted and dropped; except the
 * OKAYs of incidents ended off the write path (an operator's reset, series
 * gone idle), which must all go out: kml_pending_push_grow queues them
 * beyond the capacity, and take() hands the queue out cap entries at a
 * time. */
#ifndef KML_ML_PENDING_H
#define KML_ML_PENDING_H

#include "model.h"

#include <stddef.h>
#include <stdint.h>

#define KML_PENDING_NAME 128 /* collectd's DATA_MAX_NAME_LEN */

typedef enum {
  KML_PENDING_ANOMALY = 0,  /* out.alert changed */
  KML_PENDING_FORECAST = 1, /* out.fc_alert changed */
  KML_PENDING_RESET = 2,    /* an operator's reset ended the alerts
                               out.alert_changed (anomaly) and
                               out.fc_changed (forecast) */
  KML_PENDING_EVICTED = 3,  /* the series was evicted (MaxSeries) with the
                               alerts out.alert_changed (anomaly) and
                               out.fc_changed (forecast) open */
  KML_PENDING_IDLE = 4,     /* the same, dropped after IdleTimeout */
  KML_PENDING_CLOCK = 5,    /* the same, the model reset because its last
                               value was stamped ahead of the clock */
} kml_pending_kind_t;

typedef struct {
  kml_pending_kind_t kind;
  char id[5][KML_PENDING_NAME]; /* host, plugin, plugin instance, type, ti */
  char ds[KML_PENDING_NAME];
  char key[6 * KML_PENDING_NAME]; /* the series' store key */
  uint64_t time;                  /* the value's time, as the caller keeps it */
  double threshold, horizon;      /* forecast: the match's configuration */
  const char *label; /* forecast: the match's ForecastMessage or NULL
                        (points into configuration kept for the plugin's
                        life) */
  char destination[KML_PENDING_NAME]; /* the value list's "destination"
                                        meta data (the remote end a series
                                        such as ports' busiest_destination
                                        is about), or "" */
  kml_output_t out;
} kml_pending_t;

typedef struct kml_pending_queue kml_pending_queue_t;

/* New queue of at most cap entries; NULL when out of memory. */
kml_pending_queue_t *kml_pending_new(size_t cap);
/* Free the queue and what it holds. NULL is accepted. */
void kml_pending_destroy(kml_pending_queue_t *q);
/* Append a copy of *e. Returns 0, or -1 when full (counted as dropped).
 * Thread-safe; never blocks on anything but the queue's own lock. */
int kml_pending_push(kml_pending_queue_t *q, const kml_pending_t *e);
/* Append a copy of *e whatever the queue holds, growing it (allocates):
 * entries pushed so do not count against the capacity, so they never make
 * kml_pending_push refuse. Returns 0, or -1 when out of memory (not queued,
 * not counted as dropped: the caller says so). Thread-safe. */
int kml_pending_push_grow(kml_pending_queue_t *q, const kml_pending_t *e);
/* Move the oldest entries, at most cap, into out (which holds cap entries);
 * *dropped gets the pushes refused since the last take. Returns how many;
 * the rest wait for the next take. Thread-safe. */
size_t kml_pending_take(kml_pending_queue_t *q, kml_pending_t *out,
                        uint64_t *dropped);
/* Entries waiting. Thread-safe. */
size_t kml_pending_count(kml_pending_queue_t *q);
/* Capacity given to kml_pending_new. */
size_t kml_pending_cap(const kml_pending_queue_t *q);

#endif
