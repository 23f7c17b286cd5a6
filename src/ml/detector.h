/* detector: causal streaming anomaly score in [0, 1] for one series.
 *
 * Several views of each value give a non-negative surprise statistic:
 *   level   |x - long mean| / long sd           (value unusual overall)
 *   jump    |x - previous| / mean |step|          (sudden step or spike)
 *   season  |x - daily profile| / residual sd      (unusual for the time of
 * day) shift   |short mean - long mean| / long sd     (level change, ~4 values)
 *   drift   |slow mean - long mean| / long sd      (level change, ~20 values)
 *   vol     short mean |step| / long mean |step|   (noise or spike density
 * change) Each statistic is calibrated against its own decayed history (a
 * log-bin histogram): its tail probability says how rare the value is *for this
 * series*, which makes scores comparable across series of any scale or
 * noise. score = 1 - min_i(p_i) * n_views, and after a detection a
 * refractory period keeps one incident from raising many alerts.
 *
 * Fixed size, no pointers: lives in the series store and in state files.
 * Not thread-safe for one detector. */
#ifndef KML_ML_DETECTOR_H
#define KML_ML_DETECTOR_H

#include <stdint.h>

#define KML_DET_VIEWS 6
#define KML_DET_BINS 40
#define KML_DET_SEASON_BINS 96

typedef struct {
  double warmup;     /* values before any score is given (default 64) */
  double memory;     /* history length in values: counts halve at 2x (1500) */
  double refractory; /* values a detection suppresses further ones (200) */
  double alert_p;    /* tail probability that counts as a detection (1e-2) */
} kml_detector_cfg_t;

typedef struct {
  uint32_t n;
  uint32_t since_alert; /* values since the last detection */
  double prev;
  double mean_l, var_l; /* long mean / variance of x */
  double step_l;        /* long mean |x - prev| */
  double step_s;        /* short mean |x - prev| */
  double mean_s;        /* short mean of x */
  double mean_m;        /* medium mean of x */
  double season_var;    /* mean squared residual against the profile */
  uint32_t hist_total[KML_DET_VIEWS];
  uint16_t hist[KML_DET_VIEWS][KML_DET_BINS]; /* counts, halved when full */
  float prof[KML_DET_SEASON_BINS];
  uint8_t prof_seen[KML_DET_SEASON_BINS / 8];
  uint8_t prof_day[KML_DET_SEASON_BINS];  /* day of the last visit, mod 256 */
  uint8_t prof_days[KML_DET_SEASON_BINS]; /* distinct days seen (max 255) */
  uint32_t bins_ready;                    /* bins seen on at least two days */
  uint32_t bins_seen; /* bins seen at all (coarse data visits only some) */
  uint8_t
      top[KML_DET_VIEWS]; /* highest non-empty histogram bin + 1 (0: none) */
  uint8_t wild; /* absurd values in a row (bits 0-6), their side (bit 7) */
  uint8_t wild_decade; /* their size: log10 of how far beyond the limit */
  double prof_sum;     /* sum of prof[] over seen bins */
} kml_detector_t;

typedef struct {
  double score;     /* 0..1 anomaly score, after the refractory rule */
  double raw_score; /* 0..1 before it */
  double p;         /* combined tail probability */
  int view;         /* index of the most surprised view */
  double expected;  /* what the models expected */
  double scale;     /* residual standard deviation around expected */
  int detection;    /* 1 when this value is a new detection */
  int learned;      /* 0 when the value was scored but not learned */
} kml_detector_out_t;

/* Numerical hygiene (kml_detector_update): values are clamped to
 * +-KML_DET_VALUE_MAX, so squares and float copies stay finite. Once 8
 * values were learned, a value more than KML_DET_WILD_SDS long sds from the
 * long mean is absurd: scored, not learned, unless KML_DET_WILD_RUN come in
 * a row on the same side and of one size (within a factor of 1000: a new level,
 * learned from then on), and 2 more per factor of 10 beyond 1e9 times the limit
 * (at most 120). Chosen on the NAB subset among 12 settings (in-sample): these
 * score as learning everything does (62.6 vs 62.7 standard); 50 sds and 8
 * values lose 2.4. */
#define KML_DET_VALUE_MAX 1e30
#define KML_DET_WILD_SDS 100.0
#define KML_DET_WILD_RUN 4

/* Default configuration. */
kml_detector_cfg_t kml_detector_defaults(void);
/* Reset d to an empty detector. */
void kml_detector_init(kml_detector_t *d);
/* Score value x at time t (seconds since the epoch, finite), then learn
 * from it unless it is absurd (out->learned). */
void kml_detector_update(kml_detector_t *d, const kml_detector_cfg_t *cfg,
                         double t, double x, kml_detector_out_t *out);
/* Seasonal offset the daily profile expects at time t (profile minus its
 * daily mean), or 0 until every time of day the series visits was seen on
 * two days (at least 24 of the bins), or when the profile does not explain
 * the series (residual variance not below half the variance: a trend is
 * not a season). A time of day between the series' own samples takes the
 * nearest earlier bin. O(1). */
double kml_detector_season(const kml_detector_t *d, double t);
/* Name of view i ("level", "jump", ...). */
const char *kml_detector_view_name(int i);

#endif
