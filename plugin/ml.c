/**
 * collectd-kafka-ml - plugin/ml.c
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The "ml" plugin: collectd glue around src/ml. A write callback receives
 * every value list; those selected by a <Match> block are fed, one data
 * source at a time, to the models of their series in the sharded store.
 * Slow work (expiry, state files) runs in this plugin's read callback so
 * that the write path stays a hash lookup and a few hundred flops.
 **/

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include "kml_str.h"
#include "ml/model.h"
#include "ml/series.h"

#include <regex.h>

#define ML_LOG "ml plugin: "
/* Meta key on value lists this plugin dispatches: never model them again. */
#define ML_DERIVED_META "ml:derived"

enum { F_HOST, F_PLUGIN, F_PLUGIN_INSTANCE, F_TYPE, F_TYPE_INSTANCE, F_MAX };
static const char *const field_keys[F_MAX] = {"Host", "Plugin", "PluginInstance",
                                              "Type", "TypeInstance"};

enum { MODEL_ANOMALY = 1, MODEL_FORECAST = 2 };

typedef struct {
  char name[64];
  regex_t re[F_MAX];
  bool has[F_MAX];
  unsigned models;
  double forecast_horizon; /* seconds */
  double threshold;        /* NaN: none */
  kml_model_cfg_t cfg;
} match_t;

static match_t **matches;
static size_t n_matches;
static char *state_file;
static size_t max_series = 100000;
static double idle_timeout = 86400;
static kml_store_t *store;

static void match_free(match_t *m) {
  if (m == NULL)
    return;
  for (int f = 0; f < F_MAX; f++)
    if (m->has[f])
      regfree(&m->re[f]);
  free(m);
}

static bool match_vl(const match_t *m, const value_list_t *vl) {
  const char *fields[F_MAX] = {vl->host, vl->plugin, vl->plugin_instance,
                               vl->type, vl->type_instance};
  for (int f = 0; f < F_MAX; f++)
    if (m->has[f] && regexec(&m->re[f], fields[f], 0, NULL, 0) != 0)
      return false;
  return true;
}

/* ------------------------------------------------------------ write path */

static kml_ds_kind_t ds_kind(int type) {
  switch (type) {
  case DS_TYPE_COUNTER:
    return KML_DS_COUNTER;
  case DS_TYPE_DERIVE:
    return KML_DS_DERIVE;
  case DS_TYPE_ABSOLUTE:
    return KML_DS_ABSOLUTE;
  default:
    return KML_DS_GAUGE;
  }
}

static double raw_value(int type, value_t v) {
  switch (type) {
  case DS_TYPE_COUNTER:
    return (double)v.counter;
  case DS_TYPE_DERIVE:
    return (double)v.derive;
  case DS_TYPE_ABSOLUTE:
    return (double)v.absolute;
  default:
    return v.gauge;
  }
}

static void feed(const match_t *m, const data_set_t *ds,
                 const value_list_t *vl) {
  char id[6 * DATA_MAX_NAME_LEN];
  double t = CDTIME_T_TO_DOUBLE(vl->time);
  for (size_t i = 0; i < ds->ds_num && i < vl->values_len; i++) {
    /* host/plugin[-pi]/type[-ti]/ds: collectd's identifier plus the source */
    ssnprintf(id, sizeof(id), "%s/%s%s%s/%s%s%s/%s", vl->host, vl->plugin,
              vl->plugin_instance[0] ? "-" : "", vl->plugin_instance, vl->type,
              vl->type_instance[0] ? "-" : "", vl->type_instance,
              ds->ds[i].name);
    int created;
    kml_model_t *model = kml_store_acquire(store, id, CDTIME_T_TO_DOUBLE(cdtime()),
                                           &created);
    if (model == NULL) {
      ERROR(ML_LOG "out of memory for series %s", id);
      return;
    }
    kml_output_t out;
    int rc = kml_model_update(model, &m->cfg, ds_kind(ds->ds[i].type), t,
                              raw_value(ds->ds[i].type, vl->values[i]), &out);
    kml_store_release(store, model);
    if (rc == KML_RATE_OLD) {
      DEBUG(ML_LOG "%s: sample not newer than the last one, skipped", id);
    }
  }
}

static int ml_write(const data_set_t *ds, const value_list_t *vl,
                    user_data_t *ud) {
  (void)ud;
  if (store == NULL)
    return 0;
  if (vl->meta != NULL && meta_data_exists(vl->meta, ML_DERIVED_META))
    return 0;
  for (size_t i = 0; i < n_matches; i++)
    if (match_vl(matches[i], vl)) {
      feed(matches[i], ds, vl);
      break; /* first matching block wins, like a filter chain rule */
    }
  return 0;
}

/* ------------------------------------------------------------ read path */

static int ml_read(void) {
  if (store == NULL)
    return 0;
  size_t dropped =
      kml_store_expire(store, CDTIME_T_TO_DOUBLE(cdtime()) - idle_timeout);
  if (dropped > 0) {
    DEBUG(ML_LOG "dropped %zu idle series", dropped);
  }
  return 0;
}

/* ---------------------------------------------------------------- config */

static int config_models(match_t *m, oconfig_item_t *ci) {
  if (ci->values_num < 1) {
    ERROR(ML_LOG "Match %s: Models needs at least one name", m->name);
    return -1;
  }
  m->models = 0;
  for (int i = 0; i < ci->values_num; i++) {
    if (ci->values[i].type != OCONFIG_TYPE_STRING) {
      ERROR(ML_LOG "Match %s: Models takes strings", m->name);
      return -1;
    }
    const char *s = ci->values[i].value.string;
    if (strcasecmp(s, "anomaly") == 0)
      m->models |= MODEL_ANOMALY;
    else if (strcasecmp(s, "forecast") == 0)
      m->models |= MODEL_FORECAST;
    else {
      ERROR(ML_LOG "Match %s: unknown model \"%s\" (known: anomaly, forecast)",
            m->name, s);
      return -1;
    }
  }
  return 0;
}

static double to_seconds(const oconfig_item_t *ci, const char *what,
                         const char *block) {
  double v;
  if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_NUMBER)
    return ci->values[0].value.number;
  if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_STRING &&
      kml_str_duration(ci->values[0].value.string, &v) == 0)
    return v;
  ERROR(ML_LOG "%s: %s needs a duration such as 600, \"30m\" or \"2h\"", block,
        what);
  return NAN;
}

static int config_match(oconfig_item_t *ci) {
  match_t *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return -1;
  m->models = MODEL_ANOMALY;
  m->forecast_horizon = 1800;
  m->threshold = NAN;
  if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_STRING)
    sstrncpy(m->name, ci->values[0].value.string, sizeof(m->name));
  else
    ssnprintf(m->name, sizeof(m->name), "#%zu", n_matches + 1);

  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = ci->children + i;
    int status = 0;
    int field = -1;
    for (int f = 0; f < F_MAX; f++)
      if (strcasecmp(field_keys[f], c->key) == 0)
        field = f;
    if (field >= 0) {
      char pattern[1024];
      status = cf_util_get_string_buffer(c, pattern, sizeof(pattern));
      if (status == 0) {
        if (m->has[field])
          regfree(&m->re[field]);
        int rc = regcomp(&m->re[field], pattern, REG_EXTENDED | REG_NOSUB);
        m->has[field] = rc == 0;
        if (rc != 0) {
          char why[128];
          regerror(rc, &m->re[field], why, sizeof(why));
          ERROR(ML_LOG "Match %s: %s \"%s\" is not a valid regex: %s",
                m->name, c->key, pattern, why);
          status = -1;
        }
      }
    } else if (strcasecmp("Models", c->key) == 0)
      status = config_models(m, c);
    else if (strcasecmp("Forecast", c->key) == 0) {
      m->forecast_horizon = to_seconds(c, "Forecast", m->name);
      status = isnan(m->forecast_horizon) || m->forecast_horizon <= 0 ? -1 : 0;
    } else if (strcasecmp("Threshold", c->key) == 0)
      status = cf_util_get_double(c, &m->threshold);
    else {
      ERROR(ML_LOG "Match %s: unknown option \"%s\"", m->name, c->key);
      status = -1;
    }
    if (status != 0) {
      ERROR(ML_LOG "Match %s disabled because of the error above", m->name);
      match_free(m);
      return 0;
    }
  }
  match_t **l = realloc(matches, sizeof(*l) * (n_matches + 1));
  if (l == NULL) {
    match_free(m);
    return -1;
  }
  matches = l;
  matches[n_matches++] = m;
  return 0;
}

static int ml_config(oconfig_item_t *ci) {
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = ci->children + i;
    if (strcasecmp("Match", c->key) == 0)
      config_match(c);
    else if (strcasecmp("StateFile", c->key) == 0) {
      free(state_file);
      state_file = NULL;
      if (cf_util_get_string(c, &state_file) != 0)
        ERROR(ML_LOG "StateFile needs a path; state will not be kept");
    } else if (strcasecmp("MaxSeries", c->key) == 0) {
      int v;
      if (cf_util_get_int(c, &v) != 0 || v < 1)
        ERROR(ML_LOG "MaxSeries needs a positive number; keeping %zu",
              max_series);
      else
        max_series = (size_t)v;
    } else if (strcasecmp("IdleTimeout", c->key) == 0) {
      double v = to_seconds(c, "IdleTimeout", "Plugin ml");
      if (!isnan(v) && v > 0)
        idle_timeout = v;
    } else
      ERROR(ML_LOG "unknown option \"%s\" ignored", c->key);
  }
  return 0;
}

static void model_init_cb(void *p, void *ud) {
  (void)ud;
  kml_model_init(p);
}

static int ml_init(void) {
  if (store != NULL)
    return 0;
  store = kml_store_new(max_series, sizeof(kml_model_t), model_init_cb, NULL,
                        NULL);
  if (store == NULL) {
    ERROR(ML_LOG "out of memory creating the series store");
    return -1;
  }
  if (n_matches == 0)
    WARNING(ML_LOG "no <Match> block: no series will be modeled");
  INFO(ML_LOG "%zu match block(s), at most %zu series", n_matches, max_series);
  return 0;
}

static int ml_shutdown(void) {
  kml_store_destroy(store);
  store = NULL;
  for (size_t i = 0; i < n_matches; i++)
    match_free(matches[i]);
  free(matches);
  matches = NULL;
  n_matches = 0;
  free(state_file);
  state_file = NULL;
  return 0;
}

void module_register(void) {
  plugin_register_complex_config("ml", ml_config);
  plugin_register_init("ml", ml_init);
  plugin_register_write("ml", ml_write, NULL);
  plugin_register_read("ml", ml_read);
  plugin_register_shutdown("ml", ml_shutdown);
}
