/* output: how kafka-ml writes a result file. Never through a symlink and
 * never over one of the command's own inputs: each file is written to a new
 * temporary file beside it (created with O_EXCL, so nothing existing is
 * opened) and renamed over the destination when complete, so a reader sees
 * either the old file or the whole new one.
 *
 * Single-threaded use (kafka-ml is); no global state. */
#ifndef KML_CLI_OUTPUT_H
#define KML_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* The files a command reads: outputs must never replace one of them. */
typedef struct {
  size_t n, cap;
  dev_t *dev;
  ino_t *ino;
} kml_cli_inputs_t;

/* Remember path (a file that exists) as an input. 0, or -1 with errno. */
int kml_cli_inputs_add(kml_cli_inputs_t *in, const char *path);
/* Is path (not followed if a symlink) one of the inputs? */
int kml_cli_inputs_has(const kml_cli_inputs_t *in, const char *path);
void kml_cli_inputs_free(kml_cli_inputs_t *in);

/* A result being written: the stream, its temporary and final names. */
typedef struct {
  FILE *f;
  int fd;
  char tmp[4096];
  char path[4096];
} kml_cli_out_t;

/* Start writing path (in may be NULL). Creates missing parent directories.
 * Refuses (returns -1 with "PATH: reason" in err) a path that is one of the
 * inputs or a directory, or that does not fit. */
int kml_cli_out_open(kml_cli_out_t *o, const char *path,
                     const kml_cli_inputs_t *in, char *err, size_t errlen);
/* Finish: flush, close and rename into place. 0, or -1 with err (the
 * temporary file is removed and the destination left as it was). */
int kml_cli_out_commit(kml_cli_out_t *o, char *err, size_t errlen);
/* Give up: close and remove the temporary file. */
void kml_cli_out_abort(kml_cli_out_t *o);

/* mkdir -p of path's directories (0755); 0, or -1 with errno. */
int kml_cli_mkdirs(const char *path);

#endif
