/* forecast: damped-trend exponential smoothing (Gardner & McKenzie) on
 * the values, plus the daily profile the detector learns when it explains
 * the series, with prediction intervals from the one-step error variance
 * (Hyndman et al.'s formula for Holt's method). Answers "where will this
 * series be in h seconds" and "when will its upper 95% bound first cross a
 * threshold" (time to breach, e.g. lag reaching an SLA).
 * The damping is set per unit of time, not per value, so a forecast means
 * the same whatever the collection interval.
 * Fixed size; not thread-safe for one forecaster. */
#ifndef KML_ML_FORECAST_H
#define KML_ML_FORECAST_H

#include <stdint.h>

typedef struct {
  double alpha;    /* level smoothing (0.3) */
  double beta;     /* trend smoothing (0.05) */
  double halflife; /* seconds for the trend's effect to halve (24 h) */
  double z;        /* band half-width in error sds (1.96: 95%) */
} kml_forecast_cfg_t;

typedef struct {
  uint32_t n;
  double level, trend;
  double err_var; /* one-step squared error, smoothed */
  double dt;      /* typical seconds between values */
  double phi;     /* damping per step for dt (cached) */
  double last_t;
} kml_forecast_t;

/* Default configuration. */
kml_forecast_cfg_t kml_forecast_defaults(void);
/* Reset. */
void kml_forecast_init(kml_forecast_t *f);
/* Learn value x at time t. season is the expected seasonal offset at t
 * (0 for none): the forecaster models x - season. */
void kml_forecast_update(kml_forecast_t *f, const kml_forecast_cfg_t *c,
                         double t, double x, double season);
/* Point forecast and band h seconds ahead (season_at_h: seasonal offset at
 * that time). Returns 0, or -1 while the forecaster is still warming up. */
int kml_forecast_at(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                    double h, double season_at_h, double *mean, double *lower,
                    double *upper);
/* Seconds until the upper band first reaches threshold, searched up to
 * horizon seconds ahead; -1 when it does not (or while warming up); 0 when
 * the last value is already at or above it. season(t) may be NULL. */
double kml_forecast_breach(const kml_forecast_t *f, const kml_forecast_cfg_t *c,
                           double threshold, double horizon,
                           double (*season)(const void *ctx, double t),
                           const void *ctx);

#endif
