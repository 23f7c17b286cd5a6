/* model: glue between rate conversion and the individual models. */
#include "model.h"

#include <math.h>
#include <string.h>

static double season_cb(const void *ctx, double t) {
  return kml_detector_season(ctx, t);
}

kml_model_cfg_t kml_model_defaults(void) {
  return (kml_model_cfg_t){.detector = kml_detector_defaults(),
                           .alert = kml_alert_defaults(),
                           .forecast = kml_forecast_defaults(),
                           .threshold = NAN,
                           .horizon = 1800,
                           .want_forecast = 1,
                           .band_z = 3};
}

int kml_model_window(const kml_model_t *m, float *out) {
  int start = (m->win_head + KML_MODEL_WINDOW - m->win_n) % KML_MODEL_WINDOW;
  for (int i = 0; i < m->win_n; i++)
    out[i] = m->win[(start + i) % KML_MODEL_WINDOW];
  return m->win_n;
}

long kml_model_warmup_values(const kml_model_cfg_t *cfg, double interval) {
  (void)interval;
  return (long)ceil(cfg->detector.warmup);
}

void kml_model_init(kml_model_t *m) {
  memset(m, 0, sizeof(*m));
  m->version = KML_MODEL_VERSION;
  kml_detector_init(&m->det);
  kml_forecast_init(&m->fc);
}

int kml_model_update(kml_model_t *m, const kml_model_cfg_t *cfg,
                     kml_ds_kind_t kind, double t, double raw,
                     kml_output_t *out) {
  double x;
  kml_rate_result_t rc = kml_rate_update(&m->rate, kind, t, raw, &x);
  if (rc != KML_RATE_OK)
    return rc;
  kml_detector_out_t d;
  kml_detector_update(&m->det, &cfg->detector, t, x, &d);
  m->n++;
  m->win[m->win_head] = (float)x;
  m->win_head = (uint8_t)((m->win_head + 1) % KML_MODEL_WINDOW);
  if (m->win_n < KML_MODEL_WINDOW)
    m->win_n++;
  out->time = t;
  out->value = x;
  out->warm = m->det.n > cfg->detector.warmup;
  out->score = d.score;
  out->p = d.p;
  out->view = kml_detector_view_name(d.view);
  out->expected = d.expected;
  out->lower = d.expected - cfg->band_z * d.scale;
  out->upper = d.expected + cfg->band_z * d.scale;
  kml_alert_state_t st = (kml_alert_state_t)m->alert.state;
  out->alert_changed = kml_alert_update(&m->alert, &cfg->alert, d.p, &st);
  out->alert = st;
  out->evidence = m->alert.evidence;

  double season = kml_detector_season(&m->det, t);
  kml_forecast_update(&m->fc, &cfg->forecast, t, x, season);
  double lo;
  out->forecast = out->forecast_upper = NAN;
  if ((cfg->want_forecast || isfinite(cfg->threshold)) &&
      kml_forecast_at(&m->fc, &cfg->forecast, cfg->horizon,
                      kml_detector_season(&m->det, t + cfg->horizon),
                      &out->forecast, &lo, &out->forecast_upper) != 0)
    out->forecast = out->forecast_upper = NAN;
  out->eta = -1;
  out->fc_changed = 0;
  out->fc_alert = (kml_alert_state_t)m->fc_state;
  if (isfinite(cfg->threshold)) {
    kml_alert_state_t next;
    if (x >= cfg->threshold) {
      out->eta = 0;
      next = KML_ALERT_FAILURE;
    } else {
      out->eta = kml_forecast_breach(&m->fc, &cfg->forecast, cfg->threshold,
                                     cfg->horizon, season_cb, &m->det);
      next = out->eta >= 0 ? KML_ALERT_WARNING : KML_ALERT_OKAY;
    }
    /* Hysteresis: three values without a predicted breach end an alert;
     * a FAILURE (threshold crossed) steps down only to OKAY. */
    if (next == KML_ALERT_OKAY && m->fc_state != KML_ALERT_OKAY) {
      if (++m->fc_calm < 3)
        next = (kml_alert_state_t)m->fc_state;
    } else {
      m->fc_calm = 0;
    }
    if (m->fc_state == KML_ALERT_FAILURE && next == KML_ALERT_WARNING)
      next = KML_ALERT_FAILURE;
    if (next != m->fc_state) {
      m->fc_state = (uint8_t)next;
      m->fc_calm = 0;
      out->fc_changed = 1;
    }
    out->fc_alert = next;
  }
  return KML_RATE_OK;
}
