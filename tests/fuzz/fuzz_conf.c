/* libFuzzer harness: the value checks of src/kml_conf.c, used by the
 * plugins' config functions and kafka-ml. Whatever the value, a check
 * either accepts something inside its bounds (a whole number for
 * kml_conf_int) or refuses with a non-empty, terminated reason. The first
 * byte chooses the check and the value's type; bounds come from the next
 * bytes. */
#include "kml_conf.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void refused(int rc, const char *err, size_t len) {
  if (rc != 0 && (err[0] == '\0' || memchr(err, '\0', len) == NULL))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 + 2 * sizeof(double))
    return 0;
  double a, b;
  memcpy(&a, data + 1, sizeof(a));
  memcpy(&b, data + 1 + sizeof(a), sizeof(b));
  const uint8_t *rest = data + 1 + 2 * sizeof(double);
  size_t n = size - 1 - 2 * sizeof(double);
  char *str = malloc(n + 1);
  memcpy(str, rest, n);
  str[n] = '\0';
  kml_conf_value_t v = kml_conf_string(str);
  if (data[0] & 0x10) {
    v.type = KML_CONF_NUMBER;
    memcpy(&v.number, rest, n >= sizeof(double) ? sizeof(double) : 0);
    if (n < sizeof(double))
      v.number = (double)(int8_t)(n ? rest[0] : 0);
  } else if (data[0] & 0x20) {
    v.type = KML_CONF_BOOLEAN;
    v.boolean = n ? rest[0] : 0;
  } else if ((data[0] & 0xc0) == 0xc0)
    v.type = KML_CONF_NONE;
  double lo = fmin(a, b), hi = fmax(a, b);
  int flags = (data[0] >> 6) & 3;
  char err[160];
  err[0] = '\0';
  int rc;
  switch (data[0] % 6) {
  case 0: {
    double d;
    rc = kml_conf_number(&v, lo, hi, flags, &d, err, sizeof(err));
    if (rc == 0 && !(isfinite(d) && d >= lo && d <= hi))
      abort();
    break;
  }
  case 1: {
    long long ilo = isfinite(lo) ? (long long)fmax(fmin(lo, 1e15), -1e15) : 0;
    long long ihi = isfinite(hi) ? (long long)fmax(fmin(hi, 1e15), -1e15) : 0;
    long long x;
    rc = kml_conf_int(&v, ilo, ihi, &x, err, sizeof(err));
    if (rc == 0 && (x < ilo || x > ihi))
      abort();
    break;
  }
  case 2: {
    double d;
    rc = kml_conf_duration(&v, lo, hi, flags, &d, err, sizeof(err));
    if (rc == 0 && !(isfinite(d) && d >= lo && d <= hi))
      abort();
    break;
  }
  case 3: {
    size_t max = n ? (size_t)(rest[0] & 0x7f) : 0;
    rc = kml_conf_name(&v, max, n > 1 ? "/" : NULL, err, sizeof(err));
    if (rc == 0 && (v.type != KML_CONF_STRING || strlen(v.string) > max ||
                    strlen(v.string) == 0 || (n > 1 && strchr(v.string, '/'))))
      abort();
    break;
  }
  case 4: {
    int x;
    rc = kml_conf_bool(&v, &x, err, sizeof(err));
    if (rc == 0 && x != 0 && x != 1)
      abort();
    break;
  }
  default: {
    double d;
    rc = kml_conf_parse_decimal(str, &d);
    if (rc == 0 && !isfinite(d))
      abort();
    rc = 0;
    break;
  }
  }
  refused(rc, err, sizeof(err));
  free(str);
  return 0;
}
