/* kafka-ml: the command-line face of collectd-kafka-ml's models. */
#include "cli.h"

#include "kml_config.h"

#include <stdio.h>
#include <string.h>

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
             "SLA\n"
             "  tune      <Match> blocks for a false-alarm budget, from "
             "recorded history\n"
             "  explain   why a consumer group backed up, from recorded "
             "series\n\n"
             "kafka-ml COMMAND --help describes each command; kafka-ml "
             "--version prints the version.\n"
             "Exit status: 0 done, 1 failure, 2 bad input or usage.\n");
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
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
    printf("kafka-ml (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
    return 0;
  }
  static const struct {
    const char *name;
    int (*fn)(int, char **);
  } cmds[] = {{"replay", kml_cli_replay},     {"plot", kml_cli_plot},
              {"simulate", kml_cli_simulate}, {"whatif", kml_cli_whatif},
              {"tune", kml_cli_tune},         {"explain", kml_cli_explain}};
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
    if (strcmp(argv[1], cmds[i].name) == 0) {
      for (int k = 2; k < argc; k++)
        if (strcmp(argv[k], "--version") == 0) {
          printf("kafka-ml (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
          return 0;
        } else if (strcmp(argv[k], "--") == 0)
          break;
      return cmds[i].fn(argc - 1, argv + 1);
    }
  fprintf(stderr, "kafka-ml: unknown command \"%s\"\n", argv[1]);
  usage(stderr);
  return 2;
}
