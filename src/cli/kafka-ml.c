/* kafka-ml: the command-line face of collectd-kafka-ml's models. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int kml_cli_parse_kind(const char *s, kml_ds_kind_t *kind) {
  static const char *const names[] = {"gauge", "counter", "derive", "absolute"};
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

int kml_cli_mkdirs(const char *path) {
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s", path);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void usage(FILE *f) {
  fprintf(f, "usage: kafka-ml COMMAND [options]\n\n"
             "commands:\n"
             "  replay    run recorded CSV series through the ml plugin's "
             "models\n"
             "  plot      draw a replay result (value, band, alerts, score) "
             "to PNG/SVG\n"
             "  simulate  generate Kafka incident scenarios with labels "
             "(NAB layout)\n"
             "  whatif    partitions and consumers that keep lag under the "
             "SLA\n\n"
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
  static const struct {
    const char *name;
    int (*fn)(int, char **);
  } cmds[] = {{"replay", kml_cli_replay},
              {"plot", kml_cli_plot},
              {"simulate", kml_cli_simulate},
              {"whatif", kml_cli_whatif}};
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
    if (strcmp(argv[1], cmds[i].name) == 0)
      return cmds[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "kafka-ml: unknown command \"%s\"\n", argv[1]);
  usage(stderr);
  return 2;
}
