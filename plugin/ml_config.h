/**
 * collectd-kafka-ml - plugin/ml_config.h
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ml plugin's configuration as plugin/ml.c uses it: the <Match> and
 * <Peers> blocks that were read whole, and the global options. Owned by
 * ml_config.c: written by collectd's config callback (ml_config) before
 * init, read-only on every thread afterwards, freed at shutdown
 * (ml_config_free). Include after collectd's headers.
 **/
#ifndef ML_CONFIG_H
#define ML_CONFIG_H

#include "ml/model.h"
#include "ml/multipeers.h"
#include "ml/peer_groups.h"

#include <regex.h>

#define ML_LOG "ml plugin: "

/* The identifier fields a block selects on, in collectd's order. */
enum { F_HOST, F_PLUGIN, F_PLUGIN_INSTANCE, F_TYPE, F_TYPE_INSTANCE, F_MAX };

enum { MODEL_ANOMALY = 1, MODEL_FORECAST = 2 };

/* A <Match> block: value lists its regexes select feed its models. */
typedef struct {
  char name[64];
  regex_t re[F_MAX];
  bool has[F_MAX];
  char *pattern[F_MAX]; /* the regexes' text, for kml_shadow */
  int order;            /* 1 for the first <Match> block of the config */
  unsigned models;
  bool derived; /* dispatch score/expected/band values */
  kml_model_cfg_t cfg;
  char *label; /* ForecastMessage: what reaching the threshold means */
} match_t;

/* A <Peers> block: value lists selected by regexes feed the populations
 * of src/ml/peer_groups.c (split by the GroupBy fields); the read
 * callback evaluates them and notifies the members' state changes. */
typedef struct {
  char name[64];
  regex_t re[F_MAX];
  bool has[F_MAX];
  kml_peer_groups_cfg_t cfg;
  kml_peer_groups_t *groups; /* NULL until the block is fully configured */
  kml_multipeers_cfg_t mcfg; /* Types: several values at once instead */
  kml_multipeers_t *multi;   /* (ml_multipeers.c) */
} peers_t;

typedef struct {
  match_t **matches; /* in config order: the first that selects wins */
  size_t n_matches;
  peers_t **peers;
  size_t n_peers;
  char *state_file; /* NULL: models start fresh after a restart */
  size_t max_series;
  double idle_timeout;   /* seconds without a value before a series goes */
  double state_interval; /* seconds between state file saves */
} ml_conf_t;

extern ml_conf_t ml_conf;

/* collectd's complex config callback for <Plugin ml>. Always 0: a bad
 * block is disabled with a log line, never the daemon. */
int ml_config(oconfig_item_t *ci);
/* At init, once collectd knows its types: disable (log and free) each
 * <Peers> block whose Types name a value no value list can carry. Call
 * before the write callback can see the blocks. */
void ml_config_check_types(void);
/* Free every block and the state file name (shutdown, or a bad global
 * option that disables the plugin's blocks). */
void ml_config_free(void);

#endif
