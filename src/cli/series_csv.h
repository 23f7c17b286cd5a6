/* series_csv: read a recorded series "timestamp,value[,...]" with a header.
 * Timestamps are "YYYY-MM-DD HH:MM:SS" (UTC; 'T' also accepted, optional
 * fraction and trailing 'Z') or seconds since the epoch. The raw timestamp
 * text is kept so output can repeat it byte for byte. */
#ifndef KML_CLI_SERIES_CSV_H
#define KML_CLI_SERIES_CSV_H

#include <stddef.h>

typedef struct {
  size_t n;
  double *t;    /* seconds since the epoch */
  double *x;    /* values (NaN for an empty cell) */
  char **stamp; /* timestamp text as read */
} kml_csv_series_t;

/* Read path into s. Returns 0, or -1 with "FILE:LINE: reason" in err (a
 * missing column, an unparsable timestamp or value, no rows). The caller
 * frees s with kml_csv_free in both cases. */
int kml_csv_read(const char *path, kml_csv_series_t *s, char *err,
                 size_t errlen);
void kml_csv_free(kml_csv_series_t *s);
/* Parse a timestamp as described above; 0 on success. */
int kml_csv_parse_time(const char *s, double *t);

#endif
