/* args: helpers every kafka-ml subcommand's parser and runner share. */
#include "cli.h"

#include "kml_conf.h"

#include <getopt.h>
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

int kml_cli_kind_arg(const char *arg, kml_ds_kind_t *kind, char *err,
                     size_t errlen) {
  if (kml_cli_parse_kind(arg, kind) == 0)
    return 0;
  snprintf(err, errlen,
           "--kind \"%.40s\" is not one of gauge, derive, counter, absolute",
           arg);
  return -1;
}

/* What kml_conf_number and kml_conf_duration share: the value of option
 * name parsed by parse, err prefixed with the option's name. */
typedef int (*conf_parse_t)(const kml_conf_value_t *v, double min, double max,
                            int flags, double *out, char *err, size_t errlen);

static int conf_arg(conf_parse_t parse, const char *name, const char *arg,
                    double min, double max, int flags, double *out, char *err,
                    size_t errlen) {
  kml_conf_value_t v = kml_conf_string(arg);
  char why[200];
  if (parse(&v, min, max, flags, out, why, sizeof(why)) == 0)
    return 0;
  snprintf(err, errlen, "%s %s", name, why);
  return -1;
}

int kml_cli_number_arg(const char *name, const char *arg, double min,
                       double max, int flags, double *out, char *err,
                       size_t errlen) {
  return conf_arg(kml_conf_number, name, arg, min, max, flags, out, err,
                  errlen);
}

int kml_cli_duration_arg(const char *name, const char *arg, double min,
                         double max, int flags, double *out, char *err,
                         size_t errlen) {
  return conf_arg(kml_conf_duration, name, arg, min, max, flags, out, err,
                  errlen);
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

int kml_cli_getopt(int argc, char **argv, const char *shortopts,
                   const struct option *longopts,
                   int (*apply)(void *ctx, int c, const char *arg, char *err,
                                size_t errlen),
                   void *ctx, char *err, size_t errlen) {
  int c;
  optind = 0; /* 0, not 1: glibc's full reinitialisation between parses */
  opterr = 0;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (c == 'h')
      return KML_CLI_HELP;
    if (c == '?' || c == ':') {
      snprintf(err, errlen, "unknown option or missing value: %.60s",
               argv[optind - 1 > 0 ? optind - 1 : 0]);
      return KML_CLI_USAGE;
    }
    if (apply(ctx, c, optarg, err, errlen) != 0)
      return KML_CLI_USAGE;
  }
  return KML_CLI_OK;
}
