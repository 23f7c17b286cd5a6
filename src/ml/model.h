/* model: the per-series bundle the ml plugin and the kafka-ml command feed.
 *
 * A kml_model_t is a fixed-size value (no pointers) so it can live inside
 * the series store, be copied into a state file and be restored as is.
 * kml_model_update() converts the raw sample (rate.h), then runs the models
 * and fills a kml_output_t. The plugin and `kafka-ml replay` call exactly
 * this function, so a replay shows what the plugin would have done.
 * One series is updated by one thread at a time (the store's shard lock). */
#ifndef KML_ML_MODEL_H
#define KML_ML_MODEL_H

#include "../kml_rate.h"
#include "alert.h"
#include "detector.h"
#include "forecast.h"
#include "tail.h"
#include "trend.h"

#include <stdint.h>

typedef struct {
  kml_detector_cfg_t detector;
  kml_alert_cfg_t alert;
  kml_forecast_cfg_t forecast;
  double threshold;  /* forecast breach level; NAN = no forecast alerts */
  double horizon;    /* seconds ahead the forecast looks (1800) */
  int want_forecast; /* fill out->forecast even without a threshold */
  double band_z;     /* half-width of the expected band in residual sds (3) */
  double relearn;    /* seconds an anomaly alert may last before its level
                        becomes the new normal (10800); an open incident
                        waits while the series still trends (trend.h), at
                        most until the later of this and the detector's
                        memory */
} kml_model_cfg_t;

#define KML_MODEL_WINDOW 24 /* values kept for correlation hints */

typedef struct {
  uint32_t version; /* KML_MODEL_VERSION; state files check it */
  uint32_t flags;   /* KML_MODEL_SIGNS, KML_MODEL_NEGATIVE */
  kml_rate_t rate;
  uint64_t n; /* values modeled */
  kml_detector_t det;
  kml_tail_t tail;
  kml_alert_t alert;
  double best_t;      /* time of the rarest value of the refractory time */
  double maint_until; /* end of a maintenance window (0: none) */
  float best_p;       /* its p (what a value must beat to score fully) */
  kml_forecast_t fc;
  uint8_t fc_state; /* kml_alert_state_t of the threshold forecast */
  uint8_t fc_calm;  /* values without a predicted breach while alerting */
  uint8_t win_n, win_head; /* recent-values window for correlation */
  float win[KML_MODEL_WINDOW];
  kml_trend_t trend; /* the last hour's bucket means: still moving? and
                        the trend view (steepest slope in memory) */
} kml_model_t;

#define KML_MODEL_VERSION 16u

/* flags: the sign of every value since the model was made is known (a
 * model restored from a state file written before signs were recorded
 * lacks it); and a gauge value below 0 was seen. While a gauge's values
 * were all >= 0 the band's lower bound is not below 0 (kml_output_t). */
#define KML_MODEL_SIGNS 1u
#define KML_MODEL_NEGATIVE 2u

typedef struct {
  double time;      /* sample time */
  double value;     /* model input after rate conversion */
  int warm;         /* 1 once the anomaly model is past its warm-up */
  double score;     /* anomaly score 0..1: a monotone map of p (1/2 at
                       p = 1e-3), 0 until the views rank anything (about
                       72 values, before the warm-up ends), halved unless
                       the rarest of the refractory time (what NAB ranks) */
  double rate;      /* events per day at least this surprising on normal
                       data (tail.h); the alert compares it with the
                       budget */
  double p;         /* rate as a probability per value (rate * interval /
                       1 day) */
  double surprise;  /* bits of surprise of the rarest view (-1 none) */
  const char *view; /* which view was most surprised ("level", ...) */
  double expected, lower, upper; /* the band: lower is at least 0 for a
                                    gauge whose values were all >= 0 */
  int alert_changed;             /* 1 when the alert state changed: notify */
  int relearned; /* 1 when this OKAY ends an alert by accepting a new level;
                    2 when it ends one whose series still moves, at the
                    bound (the detector's memory) */
  kml_alert_state_t alert; /* alert state after this value */
  double evidence;         /* -log10(rate / budget) at the incident's worst */
  double forecast;         /* value expected `horizon` seconds ahead (NAN before
                              the forecaster's warm-up: kml_forecast_ready) */
  double forecast_upper;
  double forecast_lower; /* the forecast's 95% band at the horizon */
  double eta;            /* seconds until the threshold breach, -1 none */
  int fc_changed;        /* 1 when the forecast alert state changed: notify */
  kml_alert_state_t fc_alert; /* OKAY, WARNING (breach ahead), FAILURE */
} kml_output_t;

/* Default configuration. */
kml_model_cfg_t kml_model_defaults(void);
/* Copy the recent window (oldest first) into out[KML_MODEL_WINDOW];
 * returns how many values it holds. */
int kml_model_window(const kml_model_t *m, float *out);
/* Values a series sampled every interval seconds needs before its anomaly
 * model scores (the warm-up, converted from seconds). */
long kml_model_warmup_values(const kml_model_cfg_t *cfg, double interval);
/* Reset m to an empty model. */
void kml_model_init(kml_model_t *m);
/* Why m cannot be a model this version wrote: NULL when every field is in
 * range (finite statistics, window and histogram indices, counts that
 * agree, a tail fit in range), else a short reason ("wrong version",
 * "window index", "tail fit", ...) for logs. Checks a restored state file
 * before it enters the store, and the invariants the models keep after any
 * input. Any new field of the model must be checked here. Pure;
 * thread-safe. */
const char *kml_model_check(const kml_model_t *m);
/* 1 when kml_model_check(m) finds nothing. */
int kml_model_valid(const kml_model_t *m);
/* Declare a maintenance window until `until` (seconds since the epoch;
 * replaces an earlier one, so a past time ends it): no new incident starts
 * before it ends, nothing seen during it is learned as normal, and the
 * level the series has when it ends is accepted as its new normal. */
void kml_model_maintain(kml_model_t *m, double until);
/* Forget everything learned about the series (a planned reset): it warms
 * up again. Returns 1 when an incident was open (an OKAY is due). */
int kml_model_reset(kml_model_t *m);
/* Times ahead of the clock. A value stamped more than KML_MODEL_AHEAD_MAX
 * seconds after the clock (now) is refused (KML_MODEL_CLOCK_AHEAD): learnt,
 * it would make every later value of the series "not newer than the last"
 * until the clock reaches it, and a state file keeps that across restarts.
 * A model whose last value is stamped more than KML_MODEL_AHEAD_MAX after
 * the clock (the clock was set back, or a state file was written under a
 * clock that was ahead) is reset to learn again from t
 * (KML_MODEL_CLOCK_RESTARTED, *open: the alerts that were open, see
 * kml_model_open_alerts; their OKAYs are due). Else KML_MODEL_CLOCK_OK and
 * m is untouched. Call before kml_model_update with the value's time. */
#define KML_MODEL_AHEAD_MAX 600.0
typedef enum {
  KML_MODEL_CLOCK_OK = 0,
  KML_MODEL_CLOCK_AHEAD = 1,
  KML_MODEL_CLOCK_RESTARTED = 2,
} kml_model_clock_t;
kml_model_clock_t kml_model_clock(kml_model_t *m, double t, double now,
                                  unsigned *open);
/* Which of m's alerts are open (not OKAY): KML_MODEL_OPEN_ANOMALY and/or
 * KML_MODEL_OPEN_FORECAST; 0 when none. Pure. */
#define KML_MODEL_OPEN_ANOMALY 1u
#define KML_MODEL_OPEN_FORECAST 2u
unsigned kml_model_open_alerts(const kml_model_t *m);
/* The daily swing the forecaster expects at time t: the detector's
 * profile (kml_detector_season) under the forecaster's own gate, wider
 * than the trend's (model.c); NAN when the profile is not used (0 is an
 * offset of a profile in use). O(1). */
double kml_model_forecast_season(const kml_model_t *m, double t);
/* Feed one raw sample; returns KML_RATE_OK when out was filled, another
 * kml_rate_result_t when the sample was refused or only stored. */
int kml_model_update(kml_model_t *m, const kml_model_cfg_t *cfg,
                     kml_ds_kind_t kind, double t, double raw,
                     kml_output_t *out);

#endif
