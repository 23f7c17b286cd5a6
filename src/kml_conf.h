/* kml_conf: strict checks of configuration values and command-line
 * arguments, shared by the plugins' config functions and by kafka-ml.
 *
 * A value is refused rather than rounded, truncated or clamped: a whole
 * number must be whole, a duration must be inside its range, a name must fit
 * its field. On refusal err receives a phrase that completes a sentence
 * starting with the option's name ("must be a whole number from 2 to 10, not
 * 2.5"), so the caller prefixes the block and the option.
 *
 * No collectd headers: the plugins turn an oconfig value into a
 * kml_conf_value_t. Every function is pure and thread-safe. */
#ifndef KML_CONF_H
#define KML_CONF_H

#include <stddef.h>

typedef enum {
  KML_CONF_NUMBER,
  KML_CONF_STRING,
  KML_CONF_BOOLEAN,
  KML_CONF_NONE /* the option had no value, or more than one */
} kml_conf_type_t;

/* One configuration value (or one command-line argument as a string). The
 * string is borrowed, never copied or freed. */
typedef struct {
  kml_conf_type_t type;
  double number;
  const char *string;
  int boolean;
} kml_conf_value_t;

/* A string value (for command-line arguments). Pure. */
kml_conf_value_t kml_conf_string(const char *s);

/* Bounds are inclusive unless KML_CONF_MIN_OPEN / KML_CONF_MAX_OPEN. */
#define KML_CONF_MIN_OPEN 1
#define KML_CONF_MAX_OPEN 2

/* A finite number (a number, or a string holding a plain decimal number;
 * no hex, inf or nan) within [min, max]. 0, or -1 with err. */
int kml_conf_number(const kml_conf_value_t *v, double min, double max,
                    int flags, double *out, char *err, size_t errlen);

/* A whole number within [min, max] (|bounds| <= 2^53); "2.5" and 1.5 are
 * refused, "1e3" is 1000. 0, or -1 with err. */
int kml_conf_int(const kml_conf_value_t *v, long long min, long long max,
                 long long *out, char *err, size_t errlen);

/* A duration in seconds: a number, or a string "90", "90s", "30m", "2h",
 * "1d", "1w", "1.5h", within [min, max] (flags as above). 0, or -1 with
 * err. */
int kml_conf_duration(const kml_conf_value_t *v, double min, double max,
                      int flags, double *out, char *err, size_t errlen);

/* A name: a string of 1..maxlen bytes, printable ASCII or UTF-8 (no control
 * bytes), none of the bytes in forbid (may be NULL). 0, or -1 with err. */
int kml_conf_name(const kml_conf_value_t *v, size_t maxlen, const char *forbid,
                  char *err, size_t errlen);

/* A boolean: true/false (or a string "true"/"false"/"yes"/"no"/"on"/
 * "off"). 0, or -1 with err. */
int kml_conf_bool(const kml_conf_value_t *v, int *out, char *err,
                  size_t errlen);

/* Parse a plain decimal number from the whole of s (optional sign, digits,
 * optional fraction, optional exponent; surrounding blanks allowed). 0 and
 * a finite *out, or -1. Pure. */
int kml_conf_parse_decimal(const char *s, double *out);

#endif
