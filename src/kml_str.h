/* kml_str: string helpers shared by the plugins and the command line:
 * identifier sanitizing and bounded copies. */
#ifndef KML_STR_H
#define KML_STR_H

#include <stddef.h>

/* Longest collectd identifier field without its NUL (DATA_MAX_NAME_LEN - 1). */
#define KML_NAME_MAX 127

/* Copy src into dst (size dstlen > 0), always NUL-terminated; returns
 * strlen(src) so truncation shows as a result >= dstlen. Thread-safe. */
size_t kml_strlcpy(char *dst, const char *src, size_t dstlen);

/* Make src usable as a collectd identifier field: bytes other than
 * [A-Za-z0-9._-] become '_' (or '-' is also replaced when no_dash is set).
 * When a byte was replaced, or the name is longer than dstlen-1 (then a
 * prefix is kept), the result ends in "~" plus 8 hex digits of the hash of
 * the whole src, so distinct names stay distinct ("a/b" is not "a_b").
 * Names that need no change are copied as they are. Writes at most dstlen
 * bytes into dst; returns dst. Thread-safe. */
char *kml_str_sanitize(char *dst, size_t dstlen, const char *src, int no_dash);

/* Write "host/plugin[-pi]/type[-ti]/ds" (collectd's identifier plus the data
 * source: the ml plugin's series key) into buf; truncates safely. Returns
 * the length written. Thread-safe; no printf on this hot path. */
size_t kml_str_series_key(char *buf, size_t len, const char *host,
                          const char *plugin, const char *pi, const char *type,
                          const char *ti, const char *ds);

/* A measured value for a message an operator reads: 3 significant digits
 * below 1000 ("4.98", "12.5", "0.0123"), whole numbers from 1000 to 1e15
 * ("1234", "250000"), never more digits than the model can vouch for.
 * Writes at most len bytes into buf; returns buf. Thread-safe. */
char *kml_str_number(char *buf, size_t len, double v);

/* How rare an event of per_day expected occurrences a day is, in plain
 * units: "once in 5 hours", "once in 21 days", "once in 580 years" (two
 * significant digits; days below a year), "once in more than a million
 * years" beyond that or when per_day is 0. Writes at most len bytes into
 * buf; returns buf. Thread-safe. */
char *kml_str_rarity(char *buf, size_t len, double per_day);

/* A span of seconds as a person reads it: "50 s" below 2 minutes, "12 min"
 * below 2 hours, "3.5 h" below a day, "4.5 d" beyond (two significant
 * digits); negative or NaN reads "0 s". Writes at most len bytes into buf;
 * returns buf. Thread-safe. */
char *kml_str_duration(char *buf, size_t len, double s);

/* Which series a message is about, fully named: "TYPE[ TI][.DS] of
 * PLUGIN[ PI]" (ds NULL or "value" is left out), as the forecast messages
 * say it. Writes at most len bytes into buf; returns buf. Thread-safe. */
char *kml_str_series_name(char *buf, size_t len, const char *plugin,
                          const char *pi, const char *type, const char *ti,
                          const char *ds);

/* A peer population member for a message: its type instance with the
 * PLUGIN[ PI] it belongs to ("orders-2 of kafka group-svc"), else its
 * plugin instance, else its host. Writes at most len bytes into buf;
 * returns buf. Thread-safe. */
char *kml_str_member_name(char *buf, size_t len, const char *host,
                          const char *plugin, const char *pi, const char *ti);

#endif
