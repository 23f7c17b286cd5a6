/* kafka-ml: the command-line face of collectd-kafka-ml's models. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kml_cli_parse_kind(const char *s, kml_ds_kind_t *kind) {
  static const char *const names[] = {"gauge", "counter", "derive",
                                      "absolute"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0) {
      *kind = (kml_ds_kind_t)i;
      return 0;
    }
  return -1;
}

int kml_cli_parse_number(const char *s, double *v) {
  char *e;
  double d = strtod(s, &e);
  if (e == s || *e != '\0' || !isfinite(d))
    return -1;
  *v = d;
  return 0;
}

static void usage(FILE *f) {
  fprintf(f, "usage: kafka-ml COMMAND [options]\n\n"
             "commands:\n"
             "  replay   run recorded CSV series through the ml plugin's "
             "models\n\n"
             "kafka-ml COMMAND --help describes each command.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "replay") == 0)
    return kml_cli_replay(argc - 1, argv + 1);
  fprintf(stderr, "kafka-ml: unknown command \"%s\"\n", argv[1]);
  usage(stderr);
  return 2;
}
