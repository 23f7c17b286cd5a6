/**
 * collectd-kafka-ml - plugin/ml_config.c
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ml plugin's configuration: <Plugin ml> with its global options and
 * its <Match> and <Peers> blocks (<Cause> is ml_cause.c's). A bad block is
 * disabled with a log line naming the block and the option; a bad global
 * option disables the whole <Plugin ml> block. What is read lands in
 * ml_conf (ml_config.h), which plugin/ml.c reads afterwards.
 **/

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include "kml_conf.h"
#include "ml/shadow.h"
#include "ml_cause.h"
#include "ml_config.h"
#include "ml_multipeers.h"
#include "oconfig_value.h"

ml_conf_t ml_conf = {
    .max_series = 100000, .idle_timeout = 86400, .state_interval = 900};

static const char *const field_keys[F_MAX] = {
    "Host", "Plugin", "PluginInstance", "Type", "TypeInstance"};
static int matches_seen; /* <Match> blocks read, disabled ones included */
_Static_assert(F_MAX == KML_SHADOW_FIELDS, "shadow.h takes the same fields");

static void match_free(match_t *m) {
  if (m == NULL)
    return;
  for (int f = 0; f < F_MAX; f++) {
    if (m->has[f])
      regfree(&m->re[f]);
    free(m->pattern[f]);
  }
  free(m->label);
  free(m);
}
/* The block's name: one string that fits name[size] whole. 0, or -1 after
 * logging why (kind is "Match" or "Peers"). */
static int config_block_name(const oconfig_item_t *ci, const char *kind,
                             char *name, size_t size) {
  char err[256];
  kml_conf_value_t v = oconfig_value(ci);
  if (v.type == KML_CONF_NONE)
    snprintf(err, sizeof(err),
             "needs one quoted name, e.g. <%s \"lag\"> "
             "(it names the block in logs)",
             kind);
  if (v.type == KML_CONF_NONE ||
      kml_conf_name(&v, size - 1, NULL, err, sizeof(err)) != 0) {
    ERROR(ML_LOG "<%s> name %s", kind, err);
    ERROR(ML_LOG "<%s> disabled because of the error above", kind);
    return -1;
  }
  sstrncpy(name, v.string, size);
  return 0;
}

/* A regex option (Host, Plugin, ...) of a block into re; has[field] set.
 * 0, or -1 after logging. */
static int config_regex(const char *kind, const char *name,
                        const oconfig_item_t *c, regex_t *re, bool *has) {
  char err[256];
  kml_conf_value_t v = oconfig_value(c);
  if (*has) {
    ERROR(ML_LOG "<%s \"%s\"> %s is given twice; keep one", kind, name, c->key);
    return -1;
  }
  if (kml_conf_name(&v, 1023, NULL, err, sizeof(err)) != 0) {
    ERROR(ML_LOG "<%s \"%s\"> %s %s", kind, name, c->key, err);
    return -1;
  }
  int rc = regcomp(re, v.string, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char why[128];
    regerror(rc, re, why, sizeof(why));
    ERROR(ML_LOG "<%s \"%s\"> %s \"%s\" is not a valid regex: %s", kind, name,
          c->key, v.string, why);
    return -1;
  }
  *has = true;
  return 0;
}

static int config_models(match_t *m, oconfig_item_t *ci) {
  if (ci->values_num < 1) {
    ERROR(ML_LOG "<Match \"%s\"> Models needs at least one name (anomaly, "
                 "forecast)",
          m->name);
    return -1;
  }
  m->models = 0;
  for (int i = 0; i < ci->values_num; i++) {
    if (ci->values[i].type != OCONFIG_TYPE_STRING) {
      ERROR(ML_LOG "<Match \"%s\"> Models takes quoted names (anomaly, "
                   "forecast)",
            m->name);
      return -1;
    }
    const char *s = ci->values[i].value.string;
    if (strcasecmp(s, "anomaly") == 0)
      m->models |= MODEL_ANOMALY;
    else if (strcasecmp(s, "forecast") == 0)
      m->models |= MODEL_FORECAST;
    else {
      ERROR(ML_LOG "<Match \"%s\"> Models: unknown model \"%s\" (known: "
                   "anomaly, forecast)",
            m->name, s);
      return -1;
    }
  }
  return 0;
}

/* One non-regex option of a <Match> block; 0, or -1 after logging. */
static int config_match_option(match_t *m, oconfig_item_t *c) {
  kml_conf_value_t v = oconfig_value(c);
  char err[256];
  int rc = 0, b;
  if (strcasecmp("Models", c->key) == 0)
    return config_models(m, c);
  if (strcasecmp("Forecast", c->key) == 0)
    rc = kml_conf_duration(&v, 0, 30 * 86400.0, KML_CONF_MIN_OPEN,
                           &m->cfg.horizon, err, sizeof(err));
  else if (strcasecmp("Threshold", c->key) == 0)
    rc = kml_conf_number(&v, -INFINITY, INFINITY, 0, &m->cfg.threshold, err,
                         sizeof(err));
  else if (strcasecmp("DerivedValues", c->key) == 0) {
    rc = kml_conf_bool(&v, &b, err, sizeof(err));
    if (rc == 0)
      m->derived = b;
  } else if (strcasecmp("ForecastWarmup", c->key) == 0)
    rc = kml_conf_duration(&v, 0, 30 * 86400.0, KML_CONF_MIN_OPEN,
                           &m->cfg.forecast.warmup, err, sizeof(err));
  else if (strcasecmp("ForecastMessage", c->key) == 0) {
    rc = kml_conf_name(&v, 60, NULL, err, sizeof(err));
    if (rc == 0 && (m->label = strdup(v.string)) == NULL) {
      snprintf(err, sizeof(err), "could not be stored: out of memory");
      rc = -1;
    }
  } else if (strcasecmp("FalseAlarmsPerDay", c->key) == 0)
    /* above the tail's clusters per day it would be the threshold itself */
    rc = kml_conf_number(&v, 0, KML_TAIL_TARGET, KML_CONF_MIN_OPEN,
                         &m->cfg.alert.budget, err, sizeof(err));
  else {
    snprintf(err, sizeof(err),
             "is not an option of <Match> (known: Host, Plugin, "
             "PluginInstance, Type, TypeInstance, Models, Forecast, "
             "Threshold, DerivedValues, ForecastWarmup, ForecastMessage, "
             "FalseAlarmsPerDay)");
    rc = -1;
  }
  if (rc != 0)
    ERROR(ML_LOG "<Match \"%s\"> %s %s", m->name, c->key, err);
  return rc;
}

static const char *const match_single[] = {
    "Models",         "Forecast",        "Threshold",        "DerivedValues",
    "ForecastWarmup", "ForecastMessage", "FalseAlarmsPerDay"};
#define N_MATCH_SINGLE (sizeof(match_single) / sizeof(match_single[0]))

static kml_shadow_sel_t shadow_sel(const match_t *m) {
  kml_shadow_sel_t s;
  for (int f = 0; f < F_MAX; f++)
    s.re[f] = m->has[f] ? m->pattern[f] : NULL;
  return s;
}

/* The first matching block wins: a block that an earlier one covers (the
 * same selectors, or more of them, src/ml/shadow.h) never models a
 * series. Said once, when the block is read. */
static void warn_if_shadowed(const match_t *m) {
  kml_shadow_sel_t later = shadow_sel(m);
  for (size_t i = 0; i < ml_conf.n_matches; i++) {
    kml_shadow_sel_t earlier = shadow_sel(ml_conf.matches[i]);
    if (!kml_shadow_covers(&earlier, &later))
      continue;
    WARNING(ML_LOG "<Match \"%s\"> (Match block %d) never models anything: "
                   "the earlier <Match \"%s\"> (Match block %d) selects "
                   "every series it selects, and the first matching block "
                   "wins; put it before that block, or narrow or remove one",
            m->name, m->order, ml_conf.matches[i]->name,
            ml_conf.matches[i]->order);
    return;
  }
}

static int config_match(oconfig_item_t *ci) {
  match_t *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return -1;
  m->models = MODEL_ANOMALY;
  m->order = ++matches_seen;
  m->cfg = kml_model_defaults(); /* horizon 30 min, no threshold */
  int seen[N_MATCH_SINGLE] = {0};
  if (config_block_name(ci, "Match", m->name, sizeof(m->name)) != 0) {
    match_free(m);
    return 0;
  }
  for (size_t i = 0; i < ml_conf.n_matches; i++)
    if (strcmp(ml_conf.matches[i]->name, m->name) == 0) {
      ERROR(ML_LOG "<Match \"%s\"> is configured twice; names must be "
                   "unique",
            m->name);
      goto errout;
    }
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = ci->children + i;
    int status;
    int field = -1;
    for (int f = 0; f < F_MAX; f++)
      if (strcasecmp(field_keys[f], c->key) == 0)
        field = f;
    for (size_t k = 0; k < N_MATCH_SINGLE; k++)
      if (strcasecmp(match_single[k], c->key) == 0 && seen[k]++) {
        ERROR(ML_LOG "<Match \"%s\"> %s is given twice; keep one", m->name,
              c->key);
        goto errout;
      }
    if (field >= 0) {
      status = config_regex("Match", m->name, c, &m->re[field], &m->has[field]);
      /* config_regex checked that it is one string */
      if (status == 0 &&
          (m->pattern[field] = strdup(c->values[0].value.string)) == NULL) {
        ERROR(ML_LOG "<Match \"%s\"> %s could not be stored: out of memory",
              m->name, c->key);
        status = -1;
      }
    } else
      status = config_match_option(m, c);
    if (status != 0)
      goto errout;
  }
  if ((m->models & MODEL_FORECAST) && isnan(m->cfg.threshold))
    INFO(ML_LOG "<Match \"%s\"> forecast without Threshold: forecasts are "
                "computed (DerivedValues) but no breach is notified",
         m->name);
  if (!(m->models & MODEL_FORECAST) &&
      (!isnan(m->cfg.threshold) || m->label != NULL))
    WARNING(ML_LOG "<Match \"%s\"> %s without the forecast model: it never "
                   "alerts; add \"forecast\" to Models (Models \"anomaly\" "
                   "\"forecast\")",
            m->name,
            !isnan(m->cfg.threshold) ? "Threshold" : "ForecastMessage");
  if (!(m->models & MODEL_FORECAST))
    m->cfg.threshold = NAN; /* no forecast alerts without the model */
  /* A forecast is evaluated per value only when someone reads it. */
  m->cfg.want_forecast = (m->models & MODEL_FORECAST) && m->derived;
  warn_if_shadowed(m);
  match_t **l = realloc(ml_conf.matches, sizeof(*l) * (ml_conf.n_matches + 1));
  if (l == NULL) {
    match_free(m);
    return -1;
  }
  ml_conf.matches = l;
  ml_conf.matches[ml_conf.n_matches++] = m;
  return 0;

errout:
  ERROR(ML_LOG "<Match \"%s\"> disabled because of the error above", m->name);
  match_free(m);
  return 0;
}

static void peers_free(peers_t *pp) {
  if (pp == NULL)
    return;
  for (int f = 0; f < F_MAX; f++)
    if (pp->has[f])
      regfree(&pp->re[f]);
  kml_peer_groups_destroy(pp->groups);
  kml_multipeers_destroy(pp->multi);
  free(pp);
}

static int field_of(const char *s) {
  for (int f = 0; f < F_MAX; f++)
    if (strcasecmp(field_keys[f], s) == 0)
      return f;
  return -1;
}

/* One non-regex option of a <Peers> block; 0, or -1 after logging. */
static int config_peers_option(peers_t *pp, oconfig_item_t *c) {
  kml_conf_value_t v = oconfig_value(c);
  char err[256];
  int rc = 0;
  if (strcasecmp("GroupBy", c->key) == 0) {
    pp->cfg.group_by = 0;
    for (int k = 0; k < c->values_num; k++) {
      int f = c->values[k].type == OCONFIG_TYPE_STRING
                  ? field_of(c->values[k].value.string)
                  : -1;
      if (f < 0 || (pp->cfg.group_by & (1u << f))) {
        rc = -1;
        break;
      }
      pp->cfg.group_by |= 1u << f;
    }
    if (rc != 0 || c->values_num == 0)
      snprintf(err, sizeof(err),
               "takes distinct field names (Host, Plugin, PluginInstance, "
               "Type, TypeInstance)");
    rc = rc != 0 || c->values_num == 0 ? -1 : 0;
  } else if (strcasecmp("ZThreshold", c->key) == 0)
    rc = kml_conf_number(&v, 0, 1000, KML_CONF_MIN_OPEN,
                         &pp->cfg.rules.z_threshold, err, sizeof(err));
  else if (strcasecmp("MinMembers", c->key) == 0) {
    long long n;
    rc = kml_conf_int(&v, 3, 1000000, &n, err, sizeof(err));
    if (rc == 0)
      pp->cfg.rules.min_members = (int)n;
  } else if (strcasecmp("Persist", c->key) == 0)
    rc = kml_conf_duration(&v, 0, 86400, 0, &pp->cfg.persist, err, sizeof(err));
  else if (strcasecmp("Types", c->key) == 0)
    rc = ml_multipeers_types(c, &pp->mcfg, err, sizeof(err));
  else {
    snprintf(err, sizeof(err),
             "is not an option of <Peers> (known: Host, Plugin, "
             "PluginInstance, Type, TypeInstance, GroupBy, ZThreshold, "
             "MinMembers, Persist, Types)");
    rc = -1;
  }
  if (rc != 0)
    ERROR(ML_LOG "<Peers \"%s\"> %s %s", pp->name, c->key, err);
  return rc;
}

static const char *const peers_single[] = {"GroupBy", "ZThreshold",
                                           "MinMembers", "Persist", "Types"};
#define PEERS_SINGLE (sizeof(peers_single) / sizeof(peers_single[0]))

static int config_peers(oconfig_item_t *ci) {
  peers_t *pp = calloc(1, sizeof(*pp));
  if (pp == NULL)
    return -1;
  pp->cfg = kml_peer_groups_defaults(); /* GroupBy Host Plugin Type */
  pp->mcfg = kml_multipeers_defaults();
  if (config_block_name(ci, "Peers", pp->name, sizeof(pp->name)) != 0) {
    peers_free(pp);
    return 0;
  }
  int status = 0;
  for (size_t i = 0; status == 0 && i < ml_conf.n_peers; i++)
    if (strcmp(ml_conf.peers[i]->name, pp->name) == 0) {
      ERROR(ML_LOG "<Peers \"%s\"> is configured twice; names must be "
                   "unique",
            pp->name);
      status = -1;
    }
  int seen[PEERS_SINGLE] = {0};
  for (int i = 0; status == 0 && i < ci->children_num; i++) {
    oconfig_item_t *c = ci->children + i;
    for (size_t k = 0; k < PEERS_SINGLE; k++)
      if (strcasecmp(peers_single[k], c->key) == 0 && seen[k]++) {
        ERROR(ML_LOG "<Peers \"%s\"> %s is given twice; keep one", pp->name,
              c->key);
        status = -1;
      }
    if (status != 0)
      break;
    int field = field_of(c->key);
    if (field >= 0)
      status =
          config_regex("Peers", pp->name, c, &pp->re[field], &pp->has[field]);
    else
      status = config_peers_option(pp, c);
  }
  if (status == 0 && pp->mcfg.n_features > 0) {
    /* Types: the members' values are compared together; the block's
     * single-value rules and GroupBy (Type aside) apply to each value */
    pp->mcfg.rules = pp->cfg.rules;
    pp->mcfg.group_by = pp->cfg.group_by;
    pp->mcfg.persist = pp->cfg.persist;
    if ((pp->multi = kml_multipeers_new(&pp->mcfg)) == NULL) {
      ERROR(ML_LOG "<Peers \"%s\"> out of memory", pp->name);
      status = -1;
    }
  } else if (status == 0 &&
             (pp->groups = kml_peer_groups_new(&pp->cfg)) == NULL) {
    ERROR(ML_LOG "<Peers \"%s\"> out of memory", pp->name);
    status = -1;
  }
  if (status != 0) {
    ERROR(ML_LOG "<Peers \"%s\"> disabled because of the error above",
          pp->name);
    peers_free(pp);
    return 0;
  }
  peers_t **l = realloc(ml_conf.peers, sizeof(*l) * (ml_conf.n_peers + 1));
  if (l == NULL) {
    peers_free(pp);
    return -1;
  }
  ml_conf.peers = l;
  ml_conf.peers[ml_conf.n_peers++] = pp;
  return 0;
}

/* Why no value list can carry Types name f ("TYPE", the data source
 * "value" of TYPE, or "TYPE.DS"): collectd knows no such type, the type
 * has several data sources (or one not named "value") and f names none,
 * or the type has no data source DS. NULL when some value list can. */
static const char *feature_problem(const char *f, char *why, size_t len) {
  char type[DATA_MAX_NAME_LEN], names[256] = "";
  const char *dot = strchr(f, '.');
  size_t tl = dot ? (size_t)(dot - f) : strlen(f);
  if (tl >= sizeof(type))
    tl = sizeof(type) - 1;
  memcpy(type, f, tl);
  type[tl] = '\0';
  const data_set_t *ds = plugin_get_ds(type);
  if (ds == NULL) {
    snprintf(why, len,
             "collectd knows no type %s (a TypesDB file must list it)", type);
    return why;
  }
  const char *want = dot ? dot + 1 : "value";
  size_t off = 0;
  for (size_t i = 0; i < ds->ds_num; i++) {
    if (strcmp(ds->ds[i].name, want) == 0)
      return NULL;
    if (off < sizeof(names))
      off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
                              i ? ", " : "", ds->ds[i].name);
  }
  if (dot != NULL)
    snprintf(why, len, "type %s has no data source %s (it has %s)", type, want,
             names);
  else
    snprintf(why, len,
             "type %s has the data source%s %s; name one, e.g. "
             "\"%s.%s\"",
             type, ds->ds_num > 1 ? "s" : "", names, type,
             ds->ds_num > 0 ? ds->ds[0].name : "value");
  return why;
}

void ml_config_check_types(void) {
  size_t kept = 0;
  for (size_t i = 0; i < ml_conf.n_peers; i++) {
    peers_t *pp = ml_conf.peers[i];
    int bad = 0;
    for (int f = 0; f < pp->mcfg.n_features; f++) {
      char why[512];
      if (feature_problem(pp->mcfg.feature[f], why, sizeof(why)) == NULL)
        continue;
      ERROR(ML_LOG "<Peers \"%s\"> Types \"%s\": %s", pp->name,
            pp->mcfg.feature[f], why);
      bad = 1;
    }
    if (bad) {
      ERROR(ML_LOG "<Peers \"%s\"> disabled because of the error above",
            pp->name);
      peers_free(pp);
    } else
      ml_conf.peers[kept++] = pp;
  }
  ml_conf.n_peers = kept;
}

/* One global option of <Plugin ml>; 0, or -1 after logging. */
static int config_global(oconfig_item_t *c) {
  kml_conf_value_t v = oconfig_value(c);
  char err[256];
  int rc;
  if (strcasecmp("StateFile", c->key) == 0) {
    rc = kml_conf_name(&v, 4095, NULL, err, sizeof(err));
    if (rc == 0) {
      free(ml_conf.state_file);
      ml_conf.state_file = strdup(v.string);
      rc = ml_conf.state_file ? 0 : -1;
      if (rc != 0)
        snprintf(err, sizeof(err), "could not be stored: out of memory");
    }
  } else if (strcasecmp("MaxSeries", c->key) == 0) {
    long long n;
    rc = kml_conf_int(&v, 1, 100000000, &n, err, sizeof(err));
    if (rc == 0)
      ml_conf.max_series = (size_t)n;
  } else if (strcasecmp("StateInterval", c->key) == 0)
    rc = kml_conf_duration(&v, 1, 7 * 86400.0, 0, &ml_conf.state_interval, err,
                           sizeof(err));
  else if (strcasecmp("IdleTimeout", c->key) == 0)
    rc = kml_conf_duration(&v, 0, 366 * 86400.0, KML_CONF_MIN_OPEN,
                           &ml_conf.idle_timeout, err, sizeof(err));
  else {
    snprintf(err, sizeof(err),
             "is not an option of <Plugin ml> (known: StateFile, "
             "StateInterval, MaxSeries, IdleTimeout, <Match>, <Peers>, "
             "<Cause>)");
    rc = -1;
  }
  if (rc != 0)
    ERROR(ML_LOG "<Plugin ml> %s %s", c->key, err);
  return rc;
}

static const char *const global_single[] = {"StateFile", "MaxSeries",
                                            "StateInterval", "IdleTimeout"};

/* A bad global option disables the whole <Plugin ml> block (its <Match>
 * and <Peers> blocks too): a wrong MaxSeries or StateFile is not guessed. */
int ml_config(oconfig_item_t *ci) {
  int bad = 0, seen[4] = {0};
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = ci->children + i;
    if (strcasecmp("Match", c->key) == 0)
      config_match(c);
    else if (strcasecmp("Peers", c->key) == 0)
      config_peers(c);
    else if (strcasecmp("Cause", c->key) == 0)
      ml_cause_config(c);
    else {
      int dup = 0;
      for (int k = 0; k < 4; k++)
        if (strcasecmp(global_single[k], c->key) == 0 && seen[k]++)
          dup = 1;
      if (dup)
        ERROR(ML_LOG "<Plugin ml> %s is given twice; keep one", c->key);
      if (dup || config_global(c) != 0)
        bad = 1;
    }
  }
  if (bad) {
    ERROR(ML_LOG "<Plugin ml> disabled because of the error above: nothing "
                 "will be modeled");
    ml_config_free(); /* no state is read or written for a disabled block */
    ml_cause_shutdown();
  }
  return 0;
}

void ml_config_free(void) {
  for (size_t i = 0; i < ml_conf.n_matches; i++)
    match_free(ml_conf.matches[i]);
  free(ml_conf.matches);
  ml_conf.matches = NULL;
  ml_conf.n_matches = 0;
  for (size_t i = 0; i < ml_conf.n_peers; i++)
    peers_free(ml_conf.peers[i]);
  free(ml_conf.peers);
  ml_conf.peers = NULL;
  ml_conf.n_peers = 0;
  free(ml_conf.state_file);
  ml_conf.state_file = NULL;
}
