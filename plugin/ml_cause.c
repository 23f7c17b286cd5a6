/**
 * collectd-kafka-ml - plugin/ml_cause.c
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ml plugin's <Cause> block (see ml_cause.h): options into a
 * kml_cause_cfg_t, values of every plugin into the context's windows, and
 * the chain of a group's backlog into the notifications that report it.
 **/
#include "ml_cause.h"

#include "collectd/core/utils/common/common.h"
#include "ds_value.h"

#include "oconfig_value.h"

#include <math.h>

#define ML_LOG "ml plugin: "

static kml_cause_cfg_t cfg;
static bool configured;    /* a valid <Cause> block was read */
static bool step_set;      /* Step given (else the plugin's interval) */
static kml_cause_t *cause; /* the context, from init to shutdown */

/* Scope "NAME" "PLUGIN-REGEX" ["TYPE-REGEX"]; the first Scope line
 * replaces the default scopes. */
static int scope_option(const oconfig_item_t *c, int *n_given, char *err,
                        size_t errlen) {
  if (c->values_num < 2 || c->values_num > 3) {
    snprintf(err, errlen,
             "takes a name and a plugin regex, and optionally a type regex, "
             "e.g. Scope \"resource\" \"^(cpu|memory)$\"");
    return -1;
  }
  for (int i = 0; i < c->values_num; i++)
    if (c->values[i].type != OCONFIG_TYPE_STRING) {
      snprintf(err, errlen, "takes quoted strings");
      return -1;
    }
  if (*n_given == 0)
    cfg.n_scopes = 0;
  if (cfg.n_scopes >= KML_CAUSE_SCOPES) {
    snprintf(err, errlen, "is given more than %d times", KML_CAUSE_SCOPES);
    return -1;
  }
  kml_cause_scope_t *s = &cfg.scope[cfg.n_scopes];
  kml_conf_value_t name = kml_conf_string(c->values[0].value.string);
  if (kml_conf_name(&name, sizeof(s->name) - 1, " /", err, errlen) != 0)
    return -1;
  for (int k = 0; k < cfg.n_scopes; k++)
    if (strcmp(cfg.scope[k].name, name.string) == 0) {
      snprintf(err, errlen, "\"%s\" is given twice", name.string);
      return -1;
    }
  memset(s, 0, sizeof(*s));
  sstrncpy(s->name, name.string, sizeof(s->name));
  if (strlen(c->values[1].value.string) >= sizeof(s->plugin_re) ||
      (c->values_num == 3 &&
       strlen(c->values[2].value.string) >= sizeof(s->type_re))) {
    snprintf(err, errlen, "regexes are limited to %zu bytes",
             sizeof(s->plugin_re) - 1);
    return -1;
  }
  sstrncpy(s->plugin_re, c->values[1].value.string, sizeof(s->plugin_re));
  if (c->values_num == 3)
    sstrncpy(s->type_re, c->values[2].value.string, sizeof(s->type_re));
  cfg.n_scopes++;
  (*n_given)++;
  return 0;
}

static int regex_option(const oconfig_item_t *c, char *dst, size_t size,
                        char *err, size_t errlen) {
  kml_conf_value_t v = oconfig_value(c);
  if (c->values_num != 1 ||
      kml_conf_name(&v, size - 1, NULL, err, errlen) != 0) {
    if (c->values_num != 1)
      snprintf(err, errlen, "takes one quoted regex");
    return -1;
  }
  sstrncpy(dst, v.string, size);
  return 0;
}

static int cause_option(const oconfig_item_t *c, int *scopes, char *err,
                        size_t errlen) {
  kml_conf_value_t v = oconfig_value(c); /* none unless exactly one */
  long long n;
  if (strcasecmp("Scope", c->key) == 0)
    return scope_option(c, scopes, err, errlen);
  if (strcasecmp("Effects", c->key) == 0)
    return regex_option(c, cfg.effects_re, sizeof(cfg.effects_re), err, errlen);
  if (strcasecmp("Accumulates", c->key) == 0)
    return regex_option(c, cfg.accumulates_re, sizeof(cfg.accumulates_re), err,
                        errlen);
  if (strcasecmp("Step", c->key) == 0) {
    step_set = true;
    return kml_conf_duration(&v, 0.001, 86400, 0, &cfg.step, err, errlen);
  }
  if (strcasecmp("MaxSeries", c->key) == 0) {
    if (kml_conf_int(&v, 1, 10000000, &n, err, errlen) != 0)
      return -1;
    cfg.max_series = (size_t)n;
    return 0;
  }
  if (strcasecmp("MinCorrelation", c->key) == 0)
    return kml_conf_number(&v, 0, 1, 0, &cfg.min_r, err, errlen);
  if (strcasecmp("MaxLag", c->key) == 0) {
    if (kml_conf_int(&v, 0, 16, &n, err, errlen) != 0)
      return -1;
    cfg.xcorr.max_lag = (int)n;
    return 0;
  }
  if (strcasecmp("Method", c->key) == 0) {
    if (v.type != KML_CONF_STRING ||
        kml_xcorr_method_parse(v.string, &cfg.xcorr.method) != 0) {
      snprintf(err, errlen,
               "takes \"detrend\" (the default), \"diff\" or "
               "\"raw\" (the last two for comparison)");
      return -1;
    }
    return 0;
  }
  snprintf(err, errlen,
           "is not an option of <Cause> (known: Scope, Effects, Accumulates, "
           "Step, MaxSeries, MinCorrelation, MaxLag, Method)");
  return -1;
}

int ml_cause_config(oconfig_item_t *ci) {
  char err[256];
  if (configured) {
    ERROR(ML_LOG "<Cause> is given twice; keep one (the first is used)");
    return 0;
  }
  if (ci->values_num != 0) {
    ERROR(ML_LOG "<Cause> takes no name; <Cause> disabled");
    return 0;
  }
  cfg = kml_cause_defaults();
  step_set = false;
  int scopes = 0;
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *c = ci->children + i;
    if (cause_option(c, &scopes, err, sizeof(err)) != 0) {
      ERROR(ML_LOG "<Cause> %s %s", c->key, err);
      ERROR(ML_LOG "<Cause> disabled because of the error above: "
                   "notifications go out without the chain");
      return 0;
    }
  }
  /* the regexes are checked now, so that `collectd -t` reports them */
  kml_cause_cfg_t probe = cfg;
  probe.max_series = 1;
  probe.step = 1;
  kml_cause_t *c = kml_cause_new(&probe, err, sizeof(err));
  if (c == NULL) {
    ERROR(ML_LOG "<Cause> %s", err);
    ERROR(ML_LOG "<Cause> disabled because of the error above: "
                 "notifications go out without the chain");
    return 0;
  }
  kml_cause_destroy(c);
  configured = true;
  return 0;
}

void ml_cause_init(double interval) {
  if (!configured || cause != NULL)
    return;
  if (!step_set && interval > 0)
    cfg.step = interval;
  char err[256];
  cause = kml_cause_new(&cfg, err, sizeof(err));
  if (cause == NULL)
    ERROR(ML_LOG "<Cause> %s: notifications go out without the chain", err);
  else
    INFO(ML_LOG "<Cause>: %d scopes, %.3g s slots, at most %zu series",
         cfg.n_scopes, cfg.step, cfg.max_series);
}

void ml_cause_shutdown(void) {
  kml_cause_destroy(cause);
  cause = NULL;
  configured = false;
}

void ml_cause_feed(const data_set_t *ds, const value_list_t *vl) {
  if (cause == NULL)
    return;
  const char *const id[5] = {vl->host, vl->plugin, vl->plugin_instance,
                             vl->type, vl->type_instance};
  if (kml_cause_scope_of(cause, vl->plugin, vl->type) < 0)
    return; /* the common case: one regex test per scope, no lookup */
  double t = CDTIME_T_TO_DOUBLE(vl->time);
  for (size_t i = 0; i < ds->ds_num && i < vl->values_len; i++)
    if (kml_cause_feed(cause, id, ds->ds[i].name, ds_kind(ds->ds[i].type), t,
                       ds_raw(ds->ds[i].type, vl->values[i])) != 0) {
      ERROR(ML_LOG "<Cause>: out of memory filing %s/%s", vl->host, vl->plugin);
      return;
    }
}

void ml_cause_expire(double cutoff) {
  if (cause != NULL)
    kml_cause_expire(cause, cutoff);
}

/* Explain the triggers t[k] of entries idx[k] into a chain array of n. */
static kml_cause_chain_t *explain(kml_cause_trigger_t *t, const size_t *idx,
                                  size_t k, size_t n) {
  kml_cause_chain_t *out = calloc(n, sizeof(*out));
  kml_cause_chain_t *got = calloc(k, sizeof(*got));
  if (out == NULL || got == NULL) {
    free(out);
    free(got);
    ERROR(ML_LOG "<Cause>: out of memory; notifications go out without "
                 "the chain");
    return NULL;
  }
  kml_cause_explain(cause, t, k, got);
  for (size_t i = 0; i < k; i++)
    out[idx[i]] = got[i];
  free(got);
  return out;
}

/* Triggers explained per read callback: each costs two scans of the
 * context; beyond, notifications go out without the chain. */
#define MAX_CHAINS 32

static void trigger_of(kml_cause_trigger_t *t, const char (*id)[128],
                       const char *ds, double time) {
  memset(t, 0, sizeof(*t));
  for (int f = 0; f < 5; f++)
    sstrncpy(t->id[f], id[f], sizeof(t->id[f]));
  sstrncpy(t->ds, ds, sizeof(t->ds));
  t->time = time;
}

kml_cause_chain_t *ml_cause_for_pending(const kml_pending_t *e, size_t n) {
  if (cause == NULL || n == 0)
    return NULL;
  kml_cause_trigger_t t[MAX_CHAINS];
  size_t idx[MAX_CHAINS], k = 0;
  for (size_t i = 0; i < n && k < MAX_CHAINS; i++) {
    const char *const id[5] = {e[i].id[0], e[i].id[1], e[i].id[2], e[i].id[3],
                               e[i].id[4]};
    if (e[i].kind != KML_PENDING_ANOMALY || e[i].out.alert == KML_ALERT_OKAY ||
        !kml_cause_wants(id))
      continue;
    trigger_of(&t[k], (const char(*)[128])e[i].id, e[i].ds,
               CDTIME_T_TO_DOUBLE((cdtime_t)e[i].time));
    idx[k++] = i;
  }
  return k ? explain(t, idx, k, n) : NULL;
}

kml_cause_chain_t *ml_cause_for_peers(const kml_peer_change_t *c, size_t n,
                                      double now) {
  if (cause == NULL || n == 0)
    return NULL;
  kml_cause_trigger_t t[MAX_CHAINS];
  size_t idx[MAX_CHAINS], k = 0;
  for (size_t i = 0; i < n && k < MAX_CHAINS; i++) {
    const char *const id[5] = {c[i].id[0], c[i].id[1], c[i].id[2], c[i].id[3],
                               c[i].id[4]};
    if (!c[i].outlier || !kml_cause_wants(id))
      continue;
    trigger_of(&t[k], (const char(*)[128])c[i].id, c[i].ds, now);
    idx[k++] = i;
  }
  return k ? explain(t, idx, k, n) : NULL;
}

void ml_cause_annotate(notification_t *n, const kml_cause_chain_t *ch) {
  if (ch == NULL || !ch->explained)
    return;
  size_t used = strlen(n->message);
  if (used + 3 < sizeof(n->message)) {
    char text[NOTIF_MAX_MSG_LEN];
    kml_cause_format(ch, text, sizeof(n->message) - used - 2);
    if (text[0] != '\0')
      ssnprintf(n->message + used, sizeof(n->message) - used, "; %s", text);
  }
  kml_cause_meta_t meta[KML_CAUSE_META];
  int m = kml_cause_meta(ch, meta);
  for (int i = 0; i < m; i++)
    if (meta[i].is_number)
      plugin_notification_meta_add_double(n, meta[i].key, meta[i].number);
    else
      plugin_notification_meta_add_string(n, meta[i].key, meta[i].text);
}
