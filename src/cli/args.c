/* args: helpers every kafka-ml subcommand's parser and runner share. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int kml_cli_parse_kind(const char *s, kml_ds_kind_t *kind) {
  static const char *const names[] = {"gauge", "counter", "derive", "absolute"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0) {
      *kind = (kml_ds_kind_t)i;
      return 0;
    }
  return -1;
}

int kml_cli_parsed(const char *name, int verdict, const char *err,
                   void (*usage)(FILE *)) {
  if (verdict == KML_CLI_OK)
    return -1;
  if (verdict == KML_CLI_HELP) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "kafka-ml %s: %s\n(kafka-ml %s --help lists the options)\n",
          name, err, name);
  return 2;
}
