/* model: the per-series bundle the ml plugin and the kafka-ml command feed.
 *
 * A kml_model_t is a fixed-size value (no pointers) so it can live inside
 * the series store, be copied into a state file and be restored as is.
 * kml_model_update() converts the raw sample (rate.h), then runs the models
 * enabled in the shared kml_model_cfg_t and fills a kml_output_t.
 * One series is updated by one thread at a time (the store's shard lock). */
#ifndef KML_ML_MODEL_H
#define KML_ML_MODEL_H

#include "rate.h"

#include <stdint.h>

typedef struct {
  double holdoff_points; /* reserved for the detector */
} kml_model_cfg_t;

typedef struct {
  uint32_t version; /* KML_MODEL_VERSION; state files check it */
  uint32_t flags;
  kml_rate_t rate;
  uint64_t n;     /* values modeled */
  double mean, m2; /* running mean and sum of squared deviations */
} kml_model_t;

#define KML_MODEL_VERSION 1u

typedef struct {
  double value;    /* model input after rate conversion */
  double n;        /* values seen so far */
} kml_output_t;

/* Reset m to an empty model. */
void kml_model_init(kml_model_t *m);
/* Feed one raw sample; returns KML_RATE_OK when out was filled, another
 * kml_rate_result_t when the sample was refused or only stored. */
int kml_model_update(kml_model_t *m, const kml_model_cfg_t *cfg,
                     kml_ds_kind_t kind, double t, double raw,
                     kml_output_t *out);

#endif
