/* trend: is a series still moving steadily one way (a ramp), or has it
 * settled at a level?
 *
 * The anomaly model accepts a lasting change as the series' new normal
 * after `relearn` seconds (model.h). A level shift that has settled should
 * be accepted; a slow consumer whose lag keeps rising should not, or the
 * incident resolves while the lag goes on growing. This answers the
 * question from the last hour of values: the means of four 15-minute
 * buckets on an absolute time grid, a least-squares line through them
 * (GSL), and a two-sided t test of its slope against the scatter of the
 * bucket means around the line (2 degrees of freedom, level
 * KML_TREND_ALPHA). Bucket means, not values: the scatter of a mean of a
 * quarter hour includes what makes nearby values alike (a commit
 * saw-tooth, a wander of minutes), which a test on raw values would take
 * for independent evidence.
 *
 * Time constants (seconds, the same at any interval): the window is an
 * hour, a third of the default relearn time, so a step at the start of
 * an incident has left it well before the relearn time and a ramp that
 * stops is seen flat within the window plus one bucket (1 h 15 min).
 * Four buckets are what fits the model's byte budget; a series sampled
 * less often than every 15 minutes leaves buckets empty and is never
 * said to trend (its relearning is as without this test).
 *
 * Fixed size, no pointers: part of the model's state. Not thread-safe. */
#ifndef KML_ML_TREND_H
#define KML_ML_TREND_H

#include <stdint.h>

#define KML_TREND_BUCKETS 4    /* completed buckets the line is fitted to */
#define KML_TREND_BUCKET 900.0 /* seconds per bucket */
#define KML_TREND_ALPHA 0.05   /* two-sided level of the slope's t test */
#define KML_TREND_FLOOR                                                        \
  1e-3 /* a rise over the window below this share of                           \
          the level is flat (the detector's floor) */

typedef struct {
  float ref; /* means are stored relative to this value */
  float cur; /* mean of the current bucket's values, relative to ref */
  float mean[KML_TREND_BUCKETS]; /* completed buckets, oldest first */
  uint16_t n;                    /* values in the current bucket */
  uint8_t full;                  /* completed buckets held */
  uint8_t pad;
} kml_trend_t;

/* Reset tr to hold nothing. */
void kml_trend_init(kml_trend_t *tr);
/* Add value x at time t; prev_t is the time of the series' previous
 * value (0: none). A gap that leaves a whole bucket empty starts the
 * history again. O(1). */
void kml_trend_update(kml_trend_t *tr, double prev_t, double t, double x);
/* 1 when the series still trends: the line through the completed buckets
 * has a slope significantly different from 0 (KML_TREND_ALPHA) and rises
 * or falls over the window by more than KML_TREND_FLOOR of the level;
 * 0 when flat or when fewer than KML_TREND_BUCKETS buckets are held. The
 * slope per second goes to *slope when not NULL (0 when not judged).
 * O(KML_TREND_BUCKETS). Pure. */
int kml_trend_moving(const kml_trend_t *tr, double *slope);
/* NULL when tr's fields are in range, else a short reason (checks restored
 * state). Pure. */
const char *kml_trend_check(const kml_trend_t *tr);

#endif
