/* status: consumer health per group partition, in the spirit of Burrow's
 * evaluation rules, from a sliding window of (committed offset, lag)
 * observations, one per collection:
 *   OK     nothing wrong; includes idle partitions (lag 0), however long
 *          nobody committed: no new messages is not a stop
 *   WARN   the offset moves but lag grew over the whole window
 *   STALL  the group has members, lag > 0, and the offset has not moved
 *          for the whole window (consumers alive but stuck)
 *   STOP   lag > 0, the offset has not moved for the whole window and the
 *          group has no members (nobody consumes)
 *   REWIND the committed offset went backwards (reset or replay)
 *   ERR    the offsets could not be read
 * The numbers are dispatched as kafka_group_status (larger is worse). */
#ifndef KML_KAFKA_STATUS_H
#define KML_KAFKA_STATUS_H

#include <stdint.h>

typedef enum {
  KML_STATUS_OK = 0,
  KML_STATUS_WARN = 1,
  KML_STATUS_STALL = 2,
  KML_STATUS_STOP = 3,
  KML_STATUS_REWIND = 4,
  KML_STATUS_ERR = 5,
} kml_status_t;

#define KML_STATUS_WINDOW 10

typedef struct {
  int64_t committed[KML_STATUS_WINDOW];
  int64_t lag[KML_STATUS_WINDOW];
  int n;    /* observations in the window (<= KML_STATUS_WINDOW) */
  int head; /* index of the next write */
} kml_status_window_t;

/* Add an observation and evaluate. window: how many observations a STALL,
 * STOP or WARN verdict needs (2..KML_STATUS_WINDOW). */
kml_status_t kml_status_update(kml_status_window_t *w, int64_t committed,
                               int64_t lag, int has_members, int window);
/* "OK", "WARN", ... */
const char *kml_status_name(kml_status_t s);

#endif
