/* detector: causal streaming surprise of each value of one series.
 *
 * Seven views of each value give a non-negative statistic:
 *   level   |x - long mean| / long sd           (value unusual overall)
 *   jump    |x - previous| / mean |step|         (sudden step or spike)
 *   season  |x - daily profile| / residual sd    (unusual for the time of day)
 *   shift   |short mean - long mean| / long sd   (level change, ~4 values)
 *   vol     short mean |step| / long mean |step| (noise or spike density)
 *   drift   |medium mean - long mean| / long sd  (level change, ~20 values)
 *   run     steps of more than KML_DET_RUN_K long mean |step| in one
 *           direction, one after another (a stall: lag rising with the
 *           clock interval after interval)
 * A step across a gap (an interval or more missed) counts, in jump, vol
 * and run, as the step over the time elapsed where the series diffuses
 * like a random walk: divided by up to sqrt(span), at most its spread in
 * steps (detector.c, gap_allowance).
 * When one value doubles the long sd (a first spike learned in a flat
 * series), the views measured in long sds (level, shift, drift) move what
 * their histograms hold to the new scale (detector.c, rescale_views).
 * Each statistic is ranked against its own decayed history (a log-bin
 * histogram): its tail probability says how rare the value is for this
 * series. The surprise g = -log2(min over the views) is what tail.h turns
 * into a calibrated rate of events per day; this file only ranks, except
 * for a run longer than any in memory, whose rate it counts in runs
 * (kml_detector_run_rate).
 *
 * Every constant with a unit is in seconds (memory, warm-up): the typical
 * interval between values is learned, so the detector behaves the same at
 * 1 s and at 5 min. The shapes of the views (smoothing over ~4 and ~20
 * values) are dimensionless.
 *
 * Fixed size, no pointers: lives in the series store and in state files.
 * Not thread-safe for one detector. */
#ifndef KML_ML_DETECTOR_H
#define KML_ML_DETECTOR_H

#include <stdint.h>

#define KML_DET_VIEWS 7 /* the seven above; run is the last */
#define KML_DET_RUN_VIEW 6
#define KML_DET_BINS 40
#define KML_DET_SEASON_BINS 96
#define KML_DET_RUN_BINS 16 /* run lengths 0..15 (longer ones count as 15) */
/* A step counts toward a run when it is this many long mean |steps| in
 * the run's direction: rare in noise (a Gaussian difference exceeds 3x
 * its mean absolute value 1.7% of the time, either way; two in a row, with the
 * differences' negative correlation, far less). Not tuned. */
#define KML_DET_RUN_K 3.0
/* The daily profile's codes and grid exponents (state files check them). */
#define KML_DET_PROF_MAX 32767
#define KML_DET_PROF_EXP_MAX 120

typedef struct {
  double warmup; /* seconds before the first notification (86400) */
  double memory; /* seconds of history; counts halve at 2x (432000) */
} kml_detector_cfg_t;

typedef struct {
  uint32_t n;         /* values seen */
  uint32_t bins_seen; /* season bins seen at all */
  double t0;          /* time of the first value */
  double last_t;      /* time of the last value */
  double prev;
  double mean_l, var_l;       /* long mean / variance of x */
  double step_l;              /* long mean |x - prev| */
  double step_s;              /* short mean |x - prev| */
  double mean_s;              /* short mean of x */
  double mean_m;              /* medium mean of x */
  double season_var;          /* mean squared residual against the profile */
  double prof_base;           /* the daily profile's offset (see prof) */
  float dt;                   /* typical seconds between values */
  uint8_t top[KML_DET_VIEWS]; /* highest non-empty bin + 1 (0: none) */
  int8_t run;   /* current run: its length, signed by its direction */
  uint8_t wild; /* absurd values of one size (bits 0-6), their side (7) */
  uint8_t wild_decade; /* their size: log10 of how far beyond the limit */
  uint32_t hist_total[KML_DET_VIEWS];
  uint16_t hist[KML_DET_VIEWS - 1][KML_DET_BINS]; /* counts, halved when full */
  uint16_t run_hist[KML_DET_RUN_BINS]; /* the run view's: one bin per step */
  /* The daily profile: bin b expects prof_base + prof[b] * 2^prof_exp. One
   * grid for the whole profile, fitted to its range (not to the values'
   * magnitude), so rounding is at most 2^-16 of the range plus the
   * offset's own; codes stay within +-KML_DET_PROF_MAX (grid16.h). */
  int16_t prof[KML_DET_SEASON_BINS];
  uint8_t prof_seen[KML_DET_SEASON_BINS / 8];
  int32_t prof_codes; /* sum of prof[] over seen bins */
  int8_t prof_exp;    /* within +-KML_DET_PROF_EXP_MAX */
} kml_detector_t;

typedef struct {
  double surprise; /* g = -log2 of the rarest view's tail probability
                      (-1 while too little history to rank) */
  int view;        /* index of the rarest view, -1 none */
  int warm;        /* 1 once past the warm-up */
  double dt;       /* typical seconds between values */
  double expected; /* what the models expected */
  double scale;    /* residual standard deviation around expected */
  int learned;     /* 0 when the value was scored but not learned */
} kml_detector_out_t;

/* Numerical hygiene (kml_detector_update): values are clamped to
 * +-KML_DET_VALUE_MAX, so squares and float copies stay finite. Once 8
 * values were learned, a value more than KML_DET_WILD_SDS long sds from the
 * long mean is absurd: scored, not learned, until KML_DET_WILD_RUN came on
 * the same side and of one size (within a factor of 1000), and 2 more per
 * factor of 10 beyond 1e9 times the limit (at most 120): in a row (a new
 * level) or apart (the events of a count that sat at 0, or of a gauge that
 * leaves its one value for one sample at a time: against a constant's sd
 * floor a count of 1 after zeros is 1e9 sds out, an ISR of 3 down to 2 is
 * 333), counted since the last absurd value of another side or size and
 * halved with the memory; they are the series' own behaviour, learned from
 * then on. The calibrated tail does not learn from an absurd value either.
 * 100 sds keeps tests/unit/test_extremes' storms of garbage from widening
 * the band (10,000 lets a derive series' sd grow 6,000-fold). On the NAB
 * subset (in sample, shipped defaults) it costs the score column (36.6
 * standard, 49.2 at 10,000 sds, 48.7 with no limit: what it refuses to
 * learn there are real level changes) and gains notifications (34.4 vs
 * 31.2). */
#define KML_DET_VALUE_MAX 1e30
#define KML_DET_WILD_SDS 100.0
#define KML_DET_WILD_RUN 4

/* Default configuration. */
kml_detector_cfg_t kml_detector_defaults(void);
/* Reset d to an empty detector. */
void kml_detector_init(kml_detector_t *d);
/* Score value x at time t (seconds since the epoch, finite), then learn
 * from it unless it is absurd (out->learned): its level always (the
 * means), its rank in the views' histograms and its place in the daily
 * profile only when its surprise is at most learn_below bits (INFINITY: always;
 * -1: never, as during an incident or a maintenance window: what happens then
 * is not the series' normal behaviour, and a change must not teach the views it
 * is normal while it is being noticed). The run view learns a run of steps
 * when it ends, and only when learn_runs is set (0 during an incident or a
 * maintenance window): a benign run that was surprising while it lasted is
 * still learned once it ended. */
void kml_detector_update(kml_detector_t *d, const kml_detector_cfg_t *cfg,
                         double t, double x, double learn_below, int learn_runs,
                         kml_detector_out_t *out);
/* Accept the recent level as the new normal (after a lasting level shift):
 * the long mean and the daily profile move by the shift, the recent level
 * less what the profile expected of it where the profile explains the
 * series (else less the long mean); what was learned about the noise is
 * kept. O(1): the profile's offset moves. */
void kml_detector_rebase(kml_detector_t *d);
/* Values of history the memory holds at the detector's interval (at least
 * the minimum a rank needs). O(1). */
double kml_detector_memory_values(const kml_detector_t *d,
                                  const kml_detector_cfg_t *cfg);
/* Seasonal offset the daily profile expects at time t (profile minus its
 * daily mean; exactly 0 where a bin equals the mean), or NAN when no
 * profile is used: until the series was seen over two days (and at least
 * 24 of the bins), or when the profile does not explain the series
 * (residual variance not below `resid` times the variance: a trend is not
 * a season). A time of day between the series' own samples takes the
 * nearest earlier bin. O(1). */
double kml_detector_season(const kml_detector_t *d, double t, double resid);
/* The profile explains the series where its residual variance is below
 * half the variance: the trend takes it out (model.c) and a rebase
 * measures the level against it (kml_detector_rebase) from there on. */
#define KML_DET_SEASON_EXPLAINS 0.5
/* The run view's own rate, for a run longer than every run in memory:
 * events per day, on normal data, of runs at least as long as the current
 * one (the run the last value continued or started); INFINITY for no run,
 * a run within the longest in memory, no run of 2 steps or more in memory,
 * a history shorter than twice the minimum of values, a longest run that
 * fills the last bin (beyond what the bins tell apart), or no interval
 * learned yet. Benign runs (a consumer paused by a GC or a restart, lag rising
 * with the clock) end within some bound the series does not state. The n
 * runs of 2 steps or more in memory, the longest of which lasted less than
 * M + 1 steps, are taken as drawn uniformly up to that unknown bound
 * (scale-invariant prior on it): the next run lasts at least L > M steps
 * with probability ((M + 1) / L)^n / (n + 1), the predictive of a uniform
 * sample's maximum (one chance in n + 1 that the next run is the longest,
 * and less the more runs ended below it); such runs come n per span of
 * history. Counting from 0 rather than from 2 steps makes it the more
 * cautious of the two. Counted in runs, the events a stall is paged for,
 * this rate needs no calibration of cluster maxima (tail.h), which a
 * series' first days do not have. No constant. O(1). */
double kml_detector_run_rate(const kml_detector_t *d);
/* Name of view i ("level", "jump", ...). */
const char *kml_detector_view_name(int i);

#endif
