/* cli: the kafka-ml subcommands and the small parsers they share.
 *
 * Each subcommand is split into parse (arguments -> options, no side
 * effects, so it can be fuzzed) and run. Parsers return KML_CLI_OK,
 * KML_CLI_HELP (--help: print the usage to stdout, exit 0) or KML_CLI_USAGE
 * (err holds the reason; exit 2). Commands return the process exit status:
 * 0 fine, 1 failure, 2 bad input or usage (with a message naming file and
 * line). Single-threaded (getopt). */
#ifndef KML_CLI_H
#define KML_CLI_H

#include "kml_rate.h"
#include "ml/model.h"

#include <stdio.h>

enum { KML_CLI_OK = 0, KML_CLI_HELP = 1, KML_CLI_USAGE = 2 };

/* ------------------------------------------------------------- replay */
typedef struct {
  kml_model_cfg_t cfg;
  kml_ds_kind_t kind;
  int zscore;      /* baseline detector instead of the models */
  int horizon_set; /* --horizon given: write the forecast columns */
  int why;         /* --why: write rate,surprise,view */
  int quiet;
  int strict;         /* refuse unsorted input instead of sorting it */
  const char *column; /* value column (NULL: "value") */
  const char *outdir;
  int first_input, n_inputs; /* argv[first_input ...] */
} kml_replay_opts_t;
int kml_cli_replay_parse(int argc, char **argv, kml_replay_opts_t *o, char *err,
                         size_t errlen);
void kml_cli_replay_usage(FILE *f);
int kml_cli_replay(int argc, char **argv);

/* ----------------------------------------------------------- simulate */
typedef struct {
  const char *out;
  unsigned long long seed;
  double days, step;
  long long copies;
  long long values_per_series;
} kml_simulate_opts_t;
int kml_cli_simulate_parse(int argc, char **argv, kml_simulate_opts_t *o,
                           char *err, size_t errlen);
void kml_cli_simulate_usage(FILE *f);
int kml_cli_simulate(int argc, char **argv);

/* --------------------------------------------------------------- plot */
typedef struct {
  const char *in, *png, *svg, *title;
  double from, to;  /* time range drawn (-inf, inf: all) */
  double threshold; /* NAN: none drawn */
  double horizon;   /* the replay's forecast horizon, seconds */
} kml_plot_opts_t;
int kml_cli_plot_parse(int argc, char **argv, kml_plot_opts_t *o, char *err,
                       size_t errlen);
void kml_cli_plot_usage(FILE *f);
int kml_cli_plot(int argc, char **argv);

/* ------------------------------------------------------------- whatif */
typedef struct {
  const char *rate_arg, *topic;
  double rate; /* NAN: rate_arg is a CSV file */
  double per, sla, peak_s, headroom, horizon;
  long long partitions, consumers; /* consumers 0: as many as partitions */
  double rebalance_pause;          /* seconds; NAN: no rebalance cost */
  double rebalances_per_hour;      /* 0: one rebalance alone */
} kml_whatif_opts_t;
int kml_cli_whatif_parse(int argc, char **argv, kml_whatif_opts_t *o, char *err,
                         size_t errlen);
void kml_cli_whatif_usage(FILE *f);
int kml_cli_whatif(int argc, char **argv);

/* --------------------------------------------------------------- tune */
typedef struct {
  double budget;    /* notifications per series and day */
  double threshold; /* NAN: no forecast model proposed */
  double horizon;
  kml_ds_kind_t kind;
  const char *column;
  int first_input, n_inputs;
} kml_tune_opts_t;
int kml_cli_tune_parse(int argc, char **argv, kml_tune_opts_t *o, char *err,
                       size_t errlen);
void kml_cli_tune_usage(FILE *f);
int kml_cli_tune(int argc, char **argv);

/* ------------------------------------------------------------ explain */
/* Why a group backed up, from collectd's csv files (src/cli/explain.c). */
void kml_cli_explain_usage(FILE *f);
int kml_cli_explain(int argc, char **argv);

/* Shared by the parsers: "gauge", "derive", "counter", "absolute" -> kind;
 * 0 on success. */
int kml_cli_parse_kind(const char *s, kml_ds_kind_t *kind);
/* The same for a --kind argument: 0, or -1 with err naming the choices. */
int kml_cli_kind_arg(const char *arg, kml_ds_kind_t *kind, char *err,
                     size_t errlen);

/* The value of option name ("--budget") as a number, or as a duration
 * (seconds or a unit: 90s, 30m, 6h, 3d), within [min, max] under
 * kml_conf's flags (KML_CONF_MIN_OPEN: min itself refused). 0, or -1 with
 * err "NAME <what is wrong>". */
int kml_cli_number_arg(const char *name, const char *arg, double min,
                       double max, int flags, double *out, char *err,
                       size_t errlen);
int kml_cli_duration_arg(const char *name, const char *arg, double min,
                         double max, int flags, double *out, char *err,
                         size_t errlen);

/* The getopt loop every subcommand shares: resets getopt, calls
 * apply(ctx, option, its argument, err, errlen) for each option (apply
 * returns 0, or -1 with err set); operands are moved after the options
 * (glibc's getopt_long permutes argv). Returns KML_CLI_OK (optind is the
 * first operand), KML_CLI_HELP for -h/--help (the
 * option 'h'), or KML_CLI_USAGE with err naming the unknown option or the
 * refused value. Not reentrant (getopt's globals). */
struct option;
int kml_cli_getopt(int argc, char **argv, const char *shortopts,
                   const struct option *longopts,
                   int (*apply)(void *ctx, int c, const char *arg, char *err,
                                size_t errlen),
                   void *ctx, char *err, size_t errlen);

/* Run a command given its parser's verdict: prints help or the usage error
 * (prefixed "kafka-ml NAME: "). Returns -1 to go on, else the exit status. */
int kml_cli_parsed(const char *name, int verdict, const char *err,
                   void (*usage)(FILE *));

#endif
