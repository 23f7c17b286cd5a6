/* kml_conf: one place that decides what a configuration value or a
 * command-line number may be, so the plugins and kafka-ml refuse the same
 * things with the same words. Numbers are scanned by hand before strtod
 * so that hex, "inf", "nan" and trailing garbage never pass; every range
 * check is written so NaN fails it. */
#include "kml_conf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_EXACT 9007199254740992.0 /* 2^53: integers beyond lose digits */

kml_conf_value_t kml_conf_string(const char *s) {
  kml_conf_value_t v = {.type = s ? KML_CONF_STRING : KML_CONF_NONE,
                        .string = s};
  return v;
}

int kml_conf_parse_decimal(const char *s, double *out) {
  if (s == NULL)
    return -1;
  const char *p = s;
  while (*p == ' ' || *p == '\t')
    p++;
  const char *start = p;
  if (*p == '+' || *p == '-')
    p++;
  int digits = 0;
  while (isdigit((unsigned char)*p)) {
    p++;
    digits++;
  }
  if (*p == '.') {
    p++;
    while (isdigit((unsigned char)*p)) {
      p++;
      digits++;
    }
  }
  if (digits == 0)
    return -1;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-')
      p++;
    if (!isdigit((unsigned char)*p))
      return -1;
    while (isdigit((unsigned char)*p))
      p++;
  }
  const char *end = p;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p != '\0')
    return -1;
  /* strtod on a copy of exactly the scanned text */
  char buf[128];
  size_t n = (size_t)(end - start);
  if (n >= sizeof(buf))
    return -1;
  memcpy(buf, start, n);
  buf[n] = '\0';
  double d = strtod(buf, NULL);
  if (!isfinite(d))
    return -1;
  *out = d;
  return 0;
}

/* Render a value for an error message: the text as given, or the number. */
static const char *shown(const kml_conf_value_t *v, char *buf, size_t len) {
  if (v->type == KML_CONF_STRING) {
    size_t n = strlen(v->string);
    size_t k = 0;
    buf[k++] = '"';
    size_t i = 0;
    /* each step adds at most 4 bytes; keep room for "...", '"' and NUL */
    for (; i < n && i < 40 && k + 10 < len; i++) {
      unsigned char c = (unsigned char)v->string[i];
      if (c < 0x20 || c == 0x7f)
        k += (size_t)snprintf(buf + k, len - k, "\\x%02x", c);
      else
        buf[k++] = (char)c;
    }
    if (i < n) {
      memcpy(buf + k, "...", 3);
      k += 3;
    }
    buf[k++] = '"';
    buf[k] = '\0';
  } else if (v->type == KML_CONF_NUMBER)
    snprintf(buf, len, "%.17g", v->number);
  else if (v->type == KML_CONF_BOOLEAN)
    snprintf(buf, len, "%s", v->boolean ? "true" : "false");
  else
    snprintf(buf, len, "nothing (or several values)");
  return buf;
}

/* The number inside v, or -1 when v holds none. */
static int number_of(const kml_conf_value_t *v, double *d) {
  if (v->type == KML_CONF_NUMBER) {
    if (!isfinite(v->number))
      return -1;
    *d = v->number;
    return 0;
  }
  if (v->type == KML_CONF_STRING)
    return kml_conf_parse_decimal(v->string, d);
  return -1;
}

static void range_text(char *buf, size_t len, double min, double max,
                       int flags) {
  int lo = isfinite(min), hi = isfinite(max);
  if (lo && hi && !(flags & (KML_CONF_MIN_OPEN | KML_CONF_MAX_OPEN)))
    snprintf(buf, len, "from %.15g to %.15g", min, max);
  else if (lo && hi)
    snprintf(buf, len, "%s %.15g and %s %.15g",
             (flags & KML_CONF_MIN_OPEN) ? "above" : "from", min,
             (flags & KML_CONF_MAX_OPEN) ? "below" : "up to", max);
  else if (lo)
    snprintf(buf, len, "%s %.15g",
             (flags & KML_CONF_MIN_OPEN) ? "above" : "at least", min);
  else if (hi)
    snprintf(buf, len, "%s %.15g",
             (flags & KML_CONF_MAX_OPEN) ? "below" : "at most", max);
  else
    buf[0] = '\0';
}

static int in_range(double d, double min, double max, int flags) {
  if (!(d >= min) || !(d <= max))
    return 0;
  if ((flags & KML_CONF_MIN_OPEN) && !(d > min))
    return 0;
  if ((flags & KML_CONF_MAX_OPEN) && !(d < max))
    return 0;
  return 1;
}

int kml_conf_number(const kml_conf_value_t *v, double min, double max,
                    int flags, double *out, char *err, size_t errlen) {
  double d;
  char sv[160], rt[96];
  if (number_of(v, &d) != 0) {
    range_text(rt, sizeof(rt), min, max, flags);
    snprintf(err, errlen, "must be a number%s%s, not %s", *rt ? " " : "", rt,
             shown(v, sv, sizeof(sv)));
    return -1;
  }
  if (!in_range(d, min, max, flags)) {
    range_text(rt, sizeof(rt), min, max, flags);
    snprintf(err, errlen, "must be %s, not %s", rt, shown(v, sv, sizeof(sv)));
    return -1;
  }
  *out = d;
  return 0;
}

int kml_conf_int(const kml_conf_value_t *v, long long min, long long max,
                 long long *out, char *err, size_t errlen) {
  double d;
  char sv[160];
  if (number_of(v, &d) != 0 || d != floor(d) || fabs(d) > MAX_EXACT ||
      d < (double)min || d > (double)max) {
    snprintf(err, errlen, "must be a whole number from %lld to %lld, not %s",
             min, max, shown(v, sv, sizeof(sv)));
    return -1;
  }
  *out = (long long)d;
  return 0;
}

int kml_conf_duration(const kml_conf_value_t *v, double min, double max,
                      int flags, double *out, char *err, size_t errlen) {
  double d = NAN;
  char sv[160], rt[96];
  if (v->type == KML_CONF_NUMBER)
    d = v->number;
  else if (v->type == KML_CONF_STRING) {
    const char *s = v->string;
    size_t n = strlen(s);
    double mul = 1;
    char num[64];
    /* no blanks: "5 m" is as likely a typo as a duration */
    if (n > 0 && n < sizeof(num) && strpbrk(s, " \t") == NULL) {
      memcpy(num, s, n + 1);
      switch (num[n - 1]) {
      case 's':
        mul = 1;
        break;
      case 'm':
        mul = 60;
        break;
      case 'h':
        mul = 3600;
        break;
      case 'd':
        mul = 86400;
        break;
      case 'w':
        mul = 7 * 86400;
        break;
      default:
        mul = 0;
      }
      if (mul != 0)
        num[n - 1] = '\0';
      else
        mul = 1;
      double x;
      if (kml_conf_parse_decimal(num, &x) == 0)
        d = x * mul;
    }
  }
  range_text(rt, sizeof(rt), min, max, flags);
  if (!isfinite(d)) {
    snprintf(err, errlen,
             "must be a duration (seconds, or \"90s\", \"30m\", \"2h\", "
             "\"1d\") %s seconds, not %s",
             rt, shown(v, sv, sizeof(sv)));
    return -1;
  }
  if (!in_range(d, min, max, flags)) {
    snprintf(err, errlen, "must be %s seconds, not %s", rt,
             shown(v, sv, sizeof(sv)));
    return -1;
  }
  *out = d;
  return 0;
}

int kml_conf_name(const kml_conf_value_t *v, size_t maxlen, const char *forbid,
                  char *err, size_t errlen) {
  char sv[160];
  if (v->type != KML_CONF_STRING) {
    snprintf(err, errlen, "must be a quoted name, not %s",
             shown(v, sv, sizeof(sv)));
    return -1;
  }
  size_t n = strlen(v->string);
  if (n == 0) {
    snprintf(err, errlen, "must not be empty");
    return -1;
  }
  if (n > maxlen) {
    snprintf(err, errlen, "is %zu bytes long; at most %zu fit (%s)", n, maxlen,
             shown(v, sv, sizeof(sv)));
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v->string[i];
    if (c < 0x20 || c == 0x7f) {
      snprintf(err, errlen, "must not hold control characters (%s)",
               shown(v, sv, sizeof(sv)));
      return -1;
    }
    if (forbid != NULL && c != 0 && strchr(forbid, c) != NULL) {
      snprintf(err, errlen, "must not contain '%c' (%s)", c,
               shown(v, sv, sizeof(sv)));
      return -1;
    }
  }
  return 0;
}

int kml_conf_bool(const kml_conf_value_t *v, int *out, char *err,
                  size_t errlen) {
  char sv[160];
  if (v->type == KML_CONF_BOOLEAN) {
    *out = v->boolean != 0;
    return 0;
  }
  if (v->type == KML_CONF_STRING) {
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (int i = 0; i < 3; i++) {
      if (strcasecmp(v->string, yes[i]) == 0) {
        *out = 1;
        return 0;
      }
      if (strcasecmp(v->string, no[i]) == 0) {
        *out = 0;
        return 0;
      }
    }
  }
  snprintf(err, errlen, "must be true or false, not %s",
           shown(v, sv, sizeof(sv)));
  return -1;
}
