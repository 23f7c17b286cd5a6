/* model: glue between rate conversion and the individual models. */
#include "model.h"

#include <string.h>

kml_model_cfg_t kml_model_defaults(void) {
  return (kml_model_cfg_t){.detector = kml_detector_defaults(),
                           .alert = kml_alert_defaults(),
                           .band_z = 3};
}

void kml_model_init(kml_model_t *m) {
  memset(m, 0, sizeof(*m));
  m->version = KML_MODEL_VERSION;
  kml_detector_init(&m->det);
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
  out->time = t;
  out->value = x;
  out->score = d.score;
  out->p = d.p;
  out->view = kml_detector_view_name(d.view);
  out->expected = d.expected;
  out->lower = d.expected - cfg->band_z * d.scale;
  out->upper = d.expected + cfg->band_z * d.scale;
  out->detection = d.detection;
  kml_alert_state_t st = (kml_alert_state_t)m->alert.state;
  out->alert_changed = kml_alert_update(&m->alert, &cfg->alert, d.p, &st);
  out->alert = st;
  out->evidence = m->alert.evidence;
  return KML_RATE_OK;
}
