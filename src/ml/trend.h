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
 * A steep trend is also a view of its own (kml_trend_surprise): the
 * slope of the last hour's line while it is significant, against the
 * steepest slope the series had in its memory (the record). A run of
 * significant windows one way is learned only when it ends, and never
 * during an incident or a maintenance window, like the detector's run
 * view: a ramp cannot teach the model that it is normal while it goes on
 * (the detector's long mean and variance, and its views' histograms,
 * follow a slow ramp, so its surprise there fades). A window that does
 * not trend is learned at once. Slopes of bucket means: a commit
 * saw-tooth or a one-minute pause is averaged away; a daily cycle is
 * judged less the detector's daily profile once the profile explains the
 * series, and before that its slopes are the record a ramp must beat.
 * Slopes are kept as codes, floors of half bits of the rise per hour
 * (128: 1 per hour), so a byte spans 2^-64 to 2^64 per hour. The view's
 * surprise is also a rate of its own (kml_trend_rate), counted in
 * windows, which a series' first days can trust while the tail's few
 * clusters make it slow to believe a large surprise.
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
  uint8_t has : 1;               /* the current bucket holds a value */
  uint8_t full : 3;              /* completed buckets held */
  uint8_t early : 1;             /* the current run began in the warm-up */
  uint8_t dir : 2;               /* the current run: 0 none, 1 up, 2 down */
  uint8_t run_max;   /* steepest slope of the current run (slope code) */
  uint8_t record[2]; /* steepest slope learned in the previous and in the
                        current half of the memory (slope code, 0 none) */
} kml_trend_t;

/* Reset tr to hold nothing. */
void kml_trend_init(kml_trend_t *tr);
/* Add value x at time t; prev_t is the time of the series' previous
 * value (0: none). A bucket's mean weighs each value by the interval
 * before it. A gap that leaves a whole bucket empty starts the bucket
 * means and the current run again (the record is kept). When a bucket
 * completes, the run of significant windows goes on, starts or ends; one
 * that ends is learned when `learn` is set (not during an incident or a
 * maintenance window). A run that began before the series was `warm`
 * (past the detector's warm-up) is the series' own behaviour: it is
 * learned as it goes, and never surprising. `memory` (seconds): the record
 * is the steepest slope of the current and of the previous half of it (an
 * absolute time grid). O(1) per value, O(KML_TREND_BUCKETS) when a bucket
 * completes. */
void kml_trend_update(kml_trend_t *tr, double prev_t, double t, double x,
                      double memory, int learn, int warm);
/* Surprise in bits of the current run's steepest slope, 0 unless it is
 * more than one code beyond the record. The record is taken to be the
 * steepest of n windows an hour apart in the `seen` seconds it covers (at
 * most half the memory): a rank of 2 / (n + 1), as the detector's
 * histograms give their top bin with one count; slopes with an
 * exponential tail whose largest of n is the record are that rare again
 * per record's worth of slope beyond it, so the surprise is
 * log2((n + 1) / 2) times the ratio of the slope to the record, the ratio
 * counted at the least the codes allow. No constant chosen on data. Pure. */
double kml_trend_surprise(const kml_trend_t *tr, double seen);
/* Events per day as surprising as a trend surprise g (what
 * kml_trend_surprise returned for the current run), by the trend view's
 * own measure, without the tail (tail.h): g is -log2 of the chance that
 * one window is as steep, and the windows that chance is counted in are
 * an hour apart (they share no bucket), so 24 a day times 2^-g. The
 * window is the only time constant (KML_TREND_BUCKETS buckets of
 * KML_TREND_BUCKET seconds); nothing is chosen on data. INFINITY when g
 * is 0. Pure. */
double kml_trend_rate(double g);
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
