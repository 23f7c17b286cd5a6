/* sources: which files make which series, and reading one series whatever
 * its format. kafka-ml replays
 *   - CSV files "timestamp,value" (NAB's layout; *.csv),
 *   - collectd's csv plugin output: "epoch,value" day files named
 *     TYPE[-INSTANCE]-YYYY-MM-DD in DataDir/HOST/PLUGIN[-INSTANCE]/; the day
 *     files of one series are joined in date order into one series,
 *   - collectd's rrdtool plugin output (*.rrd), read with `rrdtool dump`:
 *     every AVERAGE archive, the finest where it exists and coarser ones
 *     before it, so months of history come out as one series.
 * Single-threaded (uses the rrdtool command through a pipe). */
#ifndef KML_CLI_SOURCES_H
#define KML_CLI_SOURCES_H

#include "series_csv.h"

#include <stddef.h>
#include <stdio.h>

typedef enum {
  KML_SOURCE_CSV,
  KML_SOURCE_DAYS,
  KML_SOURCE_RRD
} kml_source_kind_t;

/* One series: its files (collectd day files oldest first) and its path
 * below an output directory (always ending in .csv). */
typedef struct {
  kml_source_kind_t kind;
  char **files;
  size_t n_files;
  char *rel;
  int found; /* found in a directory (not named on the command line) */
} kml_source_t;

typedef struct {
  kml_source_t *v;
  size_t n, cap;
  size_t derived; /* ml plugin's own series skipped in directories */
} kml_sources_t;

/* Add the series of path: a file, or every series below a directory
 * (skipping the directory skip_dir, e.g. the output directory; NULL for
 * none; symlinked directories are not followed). In a directory, the ml
 * plugin's own values (collectd files of type ml_* below a plugin
 * directory "ml" or "ml-*", which the plugin never models) are skipped and
 * counted in ss->derived. 0, or -1 with err. */
int kml_sources_add(kml_sources_t *ss, const char *path, const char *skip_dir,
                    char *err, size_t errlen);
/* When ss->derived > 0, one note on f, prefixed "kafka-ml CMD: ", that
 * those series were skipped and why. */
void kml_sources_note_derived(const kml_sources_t *ss, const char *cmd,
                              FILE *f);
void kml_sources_free(kml_sources_t *ss);

/* Read one series into s (column: the value column or RRD data source;
 * NULL "value"). 0, or -1 with "FILE[:LINE]: reason" in err (-2: the
 * series has no such column or data source); the caller
 * frees s with kml_csv_free in both cases. */
int kml_source_read(const kml_source_t *src, const kml_csv_opts_t *opts,
                    kml_csv_series_t *s, char *err, size_t errlen);

/* Length of the series prefix of a collectd day-file name
 * ("gauge-lag-2024-01-31" -> 9), or 0 when name is not one. Pure. */
size_t kml_source_day_prefix(const char *name);

#endif
