/* libFuzzer harness: kafka-ml's argument parsers (src/cli/{replay,
 * simulate,plot,whatif}.c parse functions, which only parse). The input is
 * split at NUL or newline bytes into argv; the first byte chooses the
 * command. A parse either succeeds with options inside their documented
 * ranges, asks for help, or refuses with a non-empty reason. */
#include "cli/cli.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 32

static void check_replay(const kml_replay_opts_t *o) {
  const kml_detector_cfg_t *d = &o->cfg.detector;
  const kml_alert_cfg_t *a = &o->cfg.alert;
  if (!(d->memory > 0 && d->memory <= 365 * 86400.0) ||
      !(a->refractory >= 0 && a->refractory <= 365 * 86400.0) ||
      !(d->warmup >= 0 && d->warmup <= 365 * 86400.0) ||
      !(o->cfg.relearn > 0 && o->cfg.relearn <= 365 * 86400.0) ||
      !(a->budget > 0 && a->budget <= KML_TAIL_TARGET) ||
      !(o->cfg.horizon > 0 && o->cfg.horizon <= 30 * 86400.0) ||
      o->n_inputs < 1 || o->outdir == NULL || o->outdir[0] == '\0')
    abort();
}

static void check_simulate(const kml_simulate_opts_t *o) {
  if (o->out == NULL || !(o->days >= 2 && o->days <= 3660) ||
      !(o->step >= 1 && o->step <= 86400) || o->copies < 1 ||
      o->copies > 1000 || o->values_per_series < 1 ||
      o->values_per_series > 2000000 ||
      o->values_per_series * 7 * o->copies > 10000000)
    abort();
}

static void check_whatif(const kml_whatif_opts_t *o) {
  if (o->rate_arg == NULL || !(o->per > 0) || o->partitions < 1 ||
      o->consumers < 1 || !(o->sla > 0) || !(o->peak_s > 0) ||
      !(o->headroom >= 0 && o->headroom <= 10) || !(o->horizon > 0) ||
      (!isnan(o->rate) && !(o->rate > 0 && isfinite(o->rate))))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0 || size > 4096)
    return 0;
  char *buf = malloc(size);
  memcpy(buf, data + 1, size - 1);
  buf[size - 1] = '\0';
  char *argv[MAX_ARGS + 2];
  int argc = 0;
  static const char *const cmds[] = {"replay", "simulate", "plot", "whatif",
                                     "tune"};
  argv[argc++] = (char *)cmds[data[0] % 5];
  char *p = buf, *end = buf + size - 1;
  while (p <= end && argc < MAX_ARGS) {
    argv[argc++] = p;
    while (p < end && *p != '\0' && *p != '\n')
      p++;
    *p++ = '\0';
  }
  argv[argc] = NULL;
  char err[512] = "";
  int rc;
  switch (data[0] % 5) {
  case 0: {
    kml_replay_opts_t o;
    rc = kml_cli_replay_parse(argc, argv, &o, err, sizeof(err));
    if (rc == KML_CLI_OK)
      check_replay(&o);
    break;
  }
  case 1: {
    kml_simulate_opts_t o;
    rc = kml_cli_simulate_parse(argc, argv, &o, err, sizeof(err));
    if (rc == KML_CLI_OK)
      check_simulate(&o);
    break;
  }
  case 2: {
    kml_plot_opts_t o;
    rc = kml_cli_plot_parse(argc, argv, &o, err, sizeof(err));
    if (rc == KML_CLI_OK && (o.in == NULL || (!o.png && !o.svg) ||
                             !(o.from < o.to) || !(o.horizon >= 0)))
      abort();
    break;
  }
  case 4: {
    kml_tune_opts_t o;
    rc = kml_cli_tune_parse(argc, argv, &o, err, sizeof(err));
    if (rc == KML_CLI_OK &&
        (!(o.budget > 0) || !(o.horizon > 0) || o.n_inputs < 1))
      abort();
    break;
  }
  default: {
    kml_whatif_opts_t o;
    rc = kml_cli_whatif_parse(argc, argv, &o, err, sizeof(err));
    if (rc == KML_CLI_OK)
      check_whatif(&o);
    break;
  }
  }
  if (rc == KML_CLI_USAGE && err[0] == '\0')
    abort(); /* a refusal always says why */
  free(buf);
  return 0;
}
