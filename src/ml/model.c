/* model: glue between rate conversion and the individual models; keeps
 * Welford running moments of the model input. */
#include "model.h"

#include <string.h>

void kml_model_init(kml_model_t *m) {
  memset(m, 0, sizeof(*m));
  m->version = KML_MODEL_VERSION;
}

int kml_model_update(kml_model_t *m, const kml_model_cfg_t *cfg,
                     kml_ds_kind_t kind, double t, double raw,
                     kml_output_t *out) {
  (void)cfg;
  double x;
  kml_rate_result_t rc = kml_rate_update(&m->rate, kind, t, raw, &x);
  if (rc != KML_RATE_OK)
    return rc;
  m->n++;
  double d = x - m->mean;
  m->mean += d / (double)m->n;
  m->m2 += d * (x - m->mean);
  out->value = x;
  out->n = (double)m->n;
  return KML_RATE_OK;
}
