/* series_csv: read a recorded series "timestamp,value[,...]" with a header.
 *
 * The header names the time column ("timestamp", "time" or collectd's
 * "epoch") and the value column ("value", or the name given in opts).
 * Timestamps are "YYYY-MM-DD HH:MM:SS" (UTC; 'T' also accepted, an optional
 * fraction of digits and a trailing 'Z'; impossible dates such as Feb 31
 * are refused) or seconds since the epoch (years 1970..9999). Values are
 * plain decimal numbers; an empty cell or "nan" is a gap (NaN). A UTF-8
 * byte order mark and LF, CRLF or CR line ends are accepted; a NUL byte is
 * not. Rows out of time order are sorted (stable: rows with equal
 * timestamps keep their file order; NAB's own files have both at clock
 * changes) and counted with the first line concerned, so the caller can
 * warn; with opts.strict they are refused instead.
 *
 * The raw timestamp text is kept so output can repeat it byte for byte.
 * Every refusal is "FILE:LINE: reason". Thread-safe (no shared state). */
#ifndef KML_CLI_SERIES_CSV_H
#define KML_CLI_SERIES_CSV_H

#include <stddef.h>

typedef struct {
  size_t n;
  double *t;            /* seconds since the epoch, finite, increasing */
  double *x;            /* values (NaN for an empty cell) */
  char **stamp;         /* timestamp text as read */
  size_t reordered;     /* rows moved by sorting */
  long first_unsorted;  /* line of the first row before its predecessor */
  size_t duplicates;    /* rows with the same timestamp as the row before */
  long first_duplicate; /* line of the first such row, 0 none */
} kml_csv_series_t;

typedef struct {
  int strict;         /* refuse rows out of order or repeating a timestamp */
  const char *column; /* value column name; NULL = "value" */
} kml_csv_opts_t;

/* Largest input read (bytes) and rows kept: beyond, a clear refusal. */
#define KML_CSV_MAX_BYTES (2048UL * 1024 * 1024)
#define KML_CSV_MAX_ROWS 50000000UL

/* Parse len bytes of buf (need not be NUL-terminated) named name into s.
 * Returns 0, or -1 with "NAME:LINE: reason" in err (-2 when the header has
 * no such value column). The caller frees s
 * with kml_csv_free in both cases. opts may be NULL. */
int kml_csv_parse(const char *name, const char *buf, size_t len,
                  const kml_csv_opts_t *opts, kml_csv_series_t *s, char *err,
                  size_t errlen);

/* Read the file at path and parse it as above. */
int kml_csv_read(const char *path, const kml_csv_opts_t *opts,
                 kml_csv_series_t *s, char *err, size_t errlen);

/* Read n files of one series (collectd's day files) as one: rows are
 * joined, and sorted when files overlap or come out of order. */
int kml_csv_read_files(char *const *paths, size_t n, const kml_csv_opts_t *opts,
                       kml_csv_series_t *s, char *err, size_t errlen);

void kml_csv_free(kml_csv_series_t *s);

/* Parse a timestamp as described above: 0; -1 unparsable; -2 well formed
 * but no such moment (Feb 31, 25:00, before 1970); -3 a number of seconds
 * out of range. Pure. */
int kml_csv_parse_time(const char *s, double *t);

#endif
