/* peak: the production peak a capacity plan should hold, from a measured
 * rate series, and how often such a plan would have held in the past.
 *
 * The plan is the highest value seen, raised only by a growth that the
 * daily peaks themselves show: a Theil-Sen trend of the per-day maxima
 * (robust to one odd day), extrapolated no further ahead than the history
 * is long. A flat series is never turned into a growing one, however wide
 * a forecast band would be. Pure functions; thread-safe. */
#ifndef KML_CLI_PEAK_H
#define KML_CLI_PEAK_H

#include <stddef.h>

typedef struct {
  size_t days;        /* days with values behind the plan */
  double measured;    /* highest value seen */
  double median_peak; /* median of the daily peaks */
  double slope;       /* trend of the daily peaks, per day (0 if none) */
  double ahead_days;  /* how far the trend was carried (<= days) */
  double planned;     /* the peak to plan for */
} kml_peak_plan_t;

/* Plan from n values x at times t (seconds, increasing; NaN values are
 * skipped) for horizon seconds ahead. 0, or -1 when there is no value. */
int kml_peak_plan(const double *t, const double *x, size_t n, double horizon,
                  kml_peak_plan_t *p);

typedef struct {
  size_t tried; /* plans made */
  size_t held;  /* the next horizon's peak stayed at or under the plan */
  size_t held_headroom; /* ... under the plan plus the headroom */
  double worst;         /* highest actual/planned ratio seen (0 if none) */
} kml_peak_backtest_t;

/* At the end of each day from the third on (while a whole horizon of data
 * follows), plan from the values so far and check the highest value of the
 * next horizon against the plan and against the plan plus headroom (0.2 =
 * 20%). */
void kml_peak_backtest(const double *t, const double *x, size_t n,
                       double horizon, double headroom, kml_peak_backtest_t *b);

#endif
