/* kml_rate: turn a raw sample of any collectd data-source kind into the value
 * the models see. GAUGE passes through; COUNTER, DERIVE and ABSOLUTE become
 * per-second rates. NaN, repeated and out-of-order samples are refused so
 * they never reach (and never corrupt) model state. The kafka plugin takes
 * its per-partition rates (messages in, retention, consumption) from the
 * same function with KML_DS_DERIVE. */
#ifndef KML_RATE_H
#define KML_RATE_H

#include <stdint.h>

typedef enum {
  KML_DS_GAUGE = 0,
  KML_DS_COUNTER = 1,
  KML_DS_DERIVE = 2,
  KML_DS_ABSOLUTE = 3,
} kml_ds_kind_t;

typedef struct {
  double last_time; /* seconds; 0 before the first sample */
  double last_raw;  /* last raw counter/derive value */
  int have_raw;     /* 0 none, 1 yes, 2 a reset kept the old base */
} kml_rate_t;

typedef enum {
  KML_RATE_OK = 0,     /* *out holds the model input */
  KML_RATE_FIRST = 1,  /* first counter sample: stored, nothing out */
  KML_RATE_NAN = -1,   /* NaN or infinite value */
  KML_RATE_OLD = -2,   /* time not after the previous sample */
  KML_RATE_RESET = -3, /* counter went backwards (restart or glitch) */
  KML_RATE_TIME = -4,  /* time outside 0..KML_RATE_TIME_MAX seconds */
} kml_rate_result_t;

/* Latest sample time accepted (seconds since the epoch, year 5138):
 * collectd's own times end in 2514, and every calendar computation on a
 * time below this stays exact in a double and in a 64-bit integer. */
#define KML_RATE_TIME_MAX 1e11

/* Feed sample (t, raw) of kind k; on KML_RATE_OK *out is the model input,
 * always finite (a rate that overflows, e.g. over a nanosecond, is refused
 * as KML_RATE_NAN and only re-bases a counter).
 * raw for COUNTER is the unsigned counter converted to double by the caller.
 * Pure apart from r; not thread-safe for one r. */
kml_rate_result_t kml_rate_update(kml_rate_t *r, kml_ds_kind_t k, double t,
                                  double raw, double *out);

#endif
