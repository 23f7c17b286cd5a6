/* lag: lag in messages and in seconds.
 *
 * Lag in messages is high-water mark minus committed offset, clamped at 0
 * (committed offsets are fetched before high-water marks, so a negative
 * difference only comes from a race with truncation).
 *
 * Lag in seconds is the age of the oldest unconsumed message. Each
 * partition keeps a ring of (time, high-water mark) observations; the time
 * at which the high-water mark passed the committed offset is found by
 * linear interpolation, and the lag is now minus that time. An idle
 * partition with everything consumed has lag 0; a stopped consumer on an
 * idle partition keeps ageing, as it should. Older than the ring: the
 * oldest observation gives a lower bound. */
#ifndef KML_KAFKA_LAG_H
#define KML_KAFKA_LAG_H

#include <stdint.h>

#define KML_LAG_RING 48

typedef struct {
  double t[KML_LAG_RING];
  int64_t high[KML_LAG_RING];
  int n;           /* entries in use, oldest at index 0 */
  double low_t;    /* last time the low-water mark was seen */
  int64_t low;     /* last low-water mark (-1 unknown) */
  double low_rate; /* smoothed low-water mark advance, messages/s */
} kml_lag_ring_t;

/* Record high-water mark `high` observed at time t. Rings keep only
 * changes (plus the newest observation), thinning older entries when full
 * so that the ring spans ever longer periods. */
void kml_lag_observe(kml_lag_ring_t *r, double t, int64_t high);
/* Record the low-water mark (for the retention advance rate). */
void kml_lag_observe_low(kml_lag_ring_t *r, double t, int64_t low);
/* Lag in messages (>= 0); -1 when committed < 0 (no commit). */
int64_t kml_lag_messages(int64_t high, int64_t committed);
/* Seconds since the message at offset `committed` was produced, as seen by
 * now; 0 when nothing is unconsumed. NAN when the ring is empty. */
double kml_lag_seconds(const kml_lag_ring_t *r, int64_t committed, double now);

#endif
