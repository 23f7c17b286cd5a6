/* String helpers. Identifier sanitizing follows collectd's rules: fields hold
 * at most 127 bytes and plugin/type must not contain '-' or '/'; Kafka names
 * (group ids above all) may contain any byte, so they are mapped here and the
 * raw name travels in meta data. */
#include "kml_str.h"
#include "kml_hash.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t kml_strlcpy(char *dst, const char *src, size_t dstlen) {
  size_t n = strlen(src);
  if (dstlen > 0) {
    size_t c = n < dstlen - 1 ? n : dstlen - 1;
    memcpy(dst, src, c);
    dst[c] = '\0';
  }
  return n;
}

static int ident_ok(unsigned char c, int no_dash) {
  if (isalnum(c) || c == '_' || c == '.')
    return 1;
  return c == '-' && !no_dash;
}

char *kml_str_sanitize(char *dst, size_t dstlen, const char *src, int no_dash) {
  if (dstlen == 0)
    return dst;
  size_t n = strlen(src);
  size_t i;
  int changed = 0;
  for (i = 0; i < n; i++) {
    int ok = ident_ok((unsigned char)src[i], no_dash);
    changed |= !ok;
    if (i < dstlen - 1)
      dst[i] = ok ? src[i] : '_';
  }
  dst[i < dstlen - 1 ? i : dstlen - 1] = '\0';
  /* A name that lost bytes (replaced or cut) ends in "~" and 8 hex digits
   * of the hash of the whole name: "a/b" and "a_b" stay two series. '~' is
   * never kept from src, so only this suffix can produce it. */
  if ((changed || n > dstlen - 1) && dstlen > 10) {
    char tail[10];
    snprintf(tail, sizeof(tail), "~%08x",
             (unsigned)(kml_hash_str(src) & 0xffffffffu));
    size_t at = strlen(dst);
    if (at > dstlen - 1 - 9)
      at = dstlen - 1 - 9;
    memcpy(dst + at, tail, 10); /* includes the NUL */
  }
  return dst;
}

size_t kml_str_series_key(char *buf, size_t len, const char *host,
                          const char *plugin, const char *pi, const char *type,
                          const char *ti, const char *ds) {
  const char *parts[] = {host, "/", plugin, pi[0] ? "-" : "",
                         pi,   "/", type,   ti[0] ? "-" : "",
                         ti,   "/", ds};
  size_t off = 0;
  if (len == 0)
    return 0;
  for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
    size_t n = strlen(parts[i]);
    if (off + n >= len)
      n = len - 1 - off;
    memcpy(buf + off, parts[i], n);
    off += n;
  }
  buf[off] = '\0';
  return off;
}

char *kml_str_number(char *buf, size_t len, double v) {
  if (len == 0)
    return buf;
  if (isfinite(v) && fabs(v) >= 1000 && fabs(v) < 1e15)
    snprintf(buf, len, "%.0f", v);
  else
    snprintf(buf, len, "%.3g", v);
  return buf;
}

/* x rounded to two significant digits, printed without an exponent. */
static void two_digits(char *buf, size_t len, double x) {
  if (x >= 10) {
    double scale = pow(10, floor(log10(x)) - 1);
    snprintf(buf, len, "%.0f", round(x / scale) * scale);
  } else {
    snprintf(buf, len, "%.2g", x);
  }
}

char *kml_str_rarity(char *buf, size_t len, double per_day) {
  if (len == 0)
    return buf;
  double days = per_day > 0 ? 1 / per_day : INFINITY;
  double years = days / 365.25;
  char n[32];
  if (!isfinite(days) || years >= 1e6) {
    snprintf(buf, len, "once in more than a million years");
  } else if (years >= 1) {
    two_digits(n, sizeof(n), years);
    snprintf(buf, len, "once in %s year%s", n, strcmp(n, "1") ? "s" : "");
  } else if (days >= 1) {
    two_digits(n, sizeof(n), days);
    snprintf(buf, len, "once in %s day%s", n, strcmp(n, "1") ? "s" : "");
  } else {
    two_digits(n, sizeof(n), days * 24);
    snprintf(buf, len, "once in %s hour%s", n, strcmp(n, "1") ? "s" : "");
  }
  return buf;
}

char *kml_str_duration(char *buf, size_t len, double s) {
  if (len == 0)
    return buf;
  char n[32];
  if (!(s >= 0))
    s = 0;
  if (s < 120) {
    snprintf(buf, len, "%.0f s", s);
  } else if (s < 7200) {
    snprintf(buf, len, "%.0f min", s / 60);
  } else if (s < 86400) {
    two_digits(n, sizeof(n), s / 3600);
    snprintf(buf, len, "%s h", n);
  } else {
    two_digits(n, sizeof(n), s / 86400);
    snprintf(buf, len, "%s d", n);
  }
  return buf;
}

char *kml_str_series_name(char *buf, size_t len, const char *plugin,
                          const char *pi, const char *type, const char *ti,
                          const char *ds) {
  if (len == 0)
    return buf;
  int ds_shown = ds != NULL && ds[0] && strcmp(ds, "value") != 0;
  snprintf(buf, len, "%s%s%s%s%s of %s%s%s", type, ti[0] ? " " : "", ti,
           ds_shown ? "." : "", ds_shown ? ds : "", plugin, pi[0] ? " " : "",
           pi);
  return buf;
}

char *kml_str_member_name(char *buf, size_t len, const char *host,
                          const char *plugin, const char *pi, const char *ti) {
  if (len == 0)
    return buf;
  if (ti[0])
    snprintf(buf, len, "%s of %s%s%s", ti, plugin, pi[0] ? " " : "", pi);
  else
    snprintf(buf, len, "%s", pi[0] ? pi : host);
  return buf;
}
