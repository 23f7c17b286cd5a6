/* cli: the kafka-ml subcommands and the small parsers they share. Each
 * subcommand returns the process exit status: 0 fine, 1 failure,
 * 2 bad input or usage (with a message naming file and line). */
#ifndef KML_CLI_H
#define KML_CLI_H

#include "kml_rate.h"

int kml_cli_replay(int argc, char **argv);
int kml_cli_simulate(int argc, char **argv);
int kml_cli_plot(int argc, char **argv);
int kml_cli_whatif(int argc, char **argv);

/* "gauge", "derive", "counter", "absolute" -> kind; 0 on success. */
int kml_cli_parse_kind(const char *s, kml_ds_kind_t *kind);
/* A finite number; 0 on success. */
int kml_cli_parse_number(const char *s, double *v);
/* mkdir -p; 0 on success, -1 with errno set. */
int kml_cli_mkdirs(const char *path);

#endif
