/* series_rrd: one data source of an RRD file (collectd's rrdtool plugin) as
 * a series, through `rrdtool dump` (Debian package rrdtool): the AVERAGE
 * archives are stitched, the finest where it has rows and each coarser one
 * before that, so a year-long archive and a day of 10 s values give one
 * series; leading rows without data are dropped. Single-threaded. */
#ifndef KML_CLI_SERIES_RRD_H
#define KML_CLI_SERIES_RRD_H

#include "series_csv.h"

#include <stddef.h>

/* Parse the text of `rrdtool dump` (len bytes of buf) named name; ds is the
 * data source (NULL: "value", or the only one). 0, or -1 with err; -2
 * when there is no such data source. */
int kml_rrd_parse(const char *name, const char *buf, size_t len, const char *ds,
                  kml_csv_series_t *s, char *err, size_t errlen);

/* Run `rrdtool dump path` and parse it. 0, or -1 with err. */
int kml_rrd_read(const char *path, const char *ds, kml_csv_series_t *s,
                 char *err, size_t errlen);

#endif
