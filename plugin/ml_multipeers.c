/**
 * collectd-kafka-ml - plugin/ml_multipeers.c
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Several-value <Peers> blocks (see ml_multipeers.h). A member's
 * notification carries its identifier without a type (type "ml_peers":
 * the member, not one of its values, is the odd one out), the value that
 * stands out most in the message, and every value's z in the meta data.
 **/
#include "ml_multipeers.h"

#include "collectd/core/utils/common/common.h"
#include "ds_value.h"
#include "kml_str.h"

#include <math.h>

#define ML_LOG "ml plugin: "

int ml_multipeers_types(const oconfig_item_t *c, kml_multipeers_cfg_t *cfg,
                        char *err, size_t errlen) {
  if (c->values_num < 2 || c->values_num > KML_MULTIPEERS_FEATURES) {
    snprintf(err, errlen,
             "takes 2 to %d type names (\"TYPE\", or \"TYPE.DS\" for one data "
             "source of a type with several), e.g. Types \"kafka_rtt\" "
             "\"kafka_replicated_in\"",
             KML_MULTIPEERS_FEATURES);
    return -1;
  }
  cfg->n_features = 0;
  for (int i = 0; i < c->values_num; i++) {
    if (c->values[i].type != OCONFIG_TYPE_STRING) {
      snprintf(err, errlen, "takes quoted type names");
      return -1;
    }
    const char *s = c->values[i].value.string;
    if (s[0] == '\0' || strlen(s) >= KML_MULTIPEERS_NAME ||
        strpbrk(s, "/- ") != NULL) {
      snprintf(err, errlen,
               "\"%.60s\" is not a type name (no '-', '/' or blank)", s);
      return -1;
    }
    for (int k = 0; k < cfg->n_features; k++)
      if (strcmp(cfg->feature[k], s) == 0) {
        snprintf(err, errlen, "\"%.60s\" is given twice", s);
        return -1;
      }
    sstrncpy(cfg->feature[cfg->n_features++], s, KML_MULTIPEERS_NAME);
  }
  return 0;
}

void ml_multipeers_feed(kml_multipeers_t *m, const char *name,
                        const data_set_t *ds, const value_list_t *vl) {
  const char *const id[5] = {vl->host, vl->plugin, vl->plugin_instance,
                             vl->type, vl->type_instance};
  double t = CDTIME_T_TO_DOUBLE(vl->time);
  for (size_t i = 0; i < ds->ds_num && i < vl->values_len; i++) {
    int f = kml_multipeers_feature(m, vl->type, ds->ds[i].name);
    if (f >= 0 &&
        kml_multipeers_feed(m, id, f, ds_kind(ds->ds[i].type), t,
                            ds_raw(ds->ds[i].type, vl->values[i])) != 0) {
      ERROR(ML_LOG "<Peers \"%s\"> out of memory for a member", name);
      return;
    }
  }
}

static void notify(const char *name, const kml_multipeers_cfg_t *cfg,
                   double idle, const kml_multipeers_change_t *c) {
  notification_t n = {.severity = c->outlier ? NOTIF_WARNING : NOTIF_OKAY,
                      .time = cdtime()};
  sstrncpy(n.host, c->id[0], sizeof(n.host));
  sstrncpy(n.plugin, c->id[1], sizeof(n.plugin));
  sstrncpy(n.plugin_instance, c->id[2], sizeof(n.plugin_instance));
  sstrncpy(n.type, "ml_peers", sizeof(n.type));
  sstrncpy(n.type_instance, c->id[4], sizeof(n.type_instance));
  char who[160];
  kml_str_member_name(who, sizeof(who), c->id[0], c->id[1], c->id[2], c->id[4]);
  int top = c->top >= 0 && c->top < cfg->n_features ? c->top : 0;
  char idle_for[32];
  if (c->gone)
    ssnprintf(n.message, sizeof(n.message),
              "%.100s has had no value for %s (IdleTimeout): it is no longer "
              "compared with its peers and its outlier alert ends",
              who, kml_str_duration(idle_for, sizeof(idle_for), idle));
  else if (c->outlier && c->multi)
    ssnprintf(n.message, sizeof(n.message),
              "%.100s is an outlier among %d peers on %d values together "
              "(distance %.1f; most on %.40s: %.6g vs median %.6g, z %.1f)",
              who, c->members, cfg->n_features, c->distance, cfg->feature[top],
              c->value[top], c->median[top], c->z[top]);
  else if (c->outlier)
    ssnprintf(n.message, sizeof(n.message),
              "%.100s is an outlier among %d peers (%.40s): %.6g vs median "
              "%.6g (robust z %.1f)",
              who, c->members, cfg->feature[top], c->value[top], c->median[top],
              c->z[top]);
  else
    ssnprintf(n.message, sizeof(n.message),
              "%.100s is back in line with its %d peers on %d values", who,
              c->members, cfg->n_features);
  plugin_notification_meta_add_string(&n, "model", "peers");
  plugin_notification_meta_add_string(&n, "peers", name);
  plugin_notification_meta_add_string(&n, "population", c->population);
  if (c->gone)
    plugin_notification_meta_add_string(&n, "ended", "idle");
  else
    plugin_notification_meta_add_signed_int(&n, "members", c->members);
  plugin_notification_meta_add_string(&n, "rule",
                                      c->multi && c->single ? "both"
                                      : c->multi            ? "several"
                                                            : "single");
  if (isfinite(c->distance))
    plugin_notification_meta_add_double(&n, "distance", c->distance);
  plugin_notification_meta_add_double(&n, "eps", cfg->multi.eps);
  for (int j = 0; j < cfg->n_features; j++) {
    char key[KML_MULTIPEERS_NAME + 8];
    if (isfinite(c->z[j])) {
      ssnprintf(key, sizeof(key), "z_%s", cfg->feature[j]);
      plugin_notification_meta_add_double(&n, key, c->z[j]);
    }
    if (isfinite(c->value[j])) {
      ssnprintf(key, sizeof(key), "value_%s", cfg->feature[j]);
      plugin_notification_meta_add_double(&n, key, c->value[j]);
    }
    if (isfinite(c->median[j])) {
      ssnprintf(key, sizeof(key), "median_%s", cfg->feature[j]);
      plugin_notification_meta_add_double(&n, key, c->median[j]);
    }
  }
  if (c->outlier)
    plugin_notification_meta_add_double(&n, "outlier_seconds",
                                        CDTIME_T_TO_DOUBLE(n.time) - c->since);
  plugin_dispatch_notification(&n);
  if (n.meta != NULL)
    plugin_notification_meta_free(n.meta);
}

void ml_multipeers_eval(kml_multipeers_t *m, const char *name,
                        const kml_multipeers_cfg_t *cfg, double now,
                        double interval, double idle) {
  kml_multipeers_change_t *ch;
  long n = kml_multipeers_eval(m, now, interval, idle, &ch);
  if (n < 0)
    ERROR(ML_LOG "<Peers \"%s\"> out of memory: not evaluated this interval",
          name);
  for (long i = 0; i < n; i++)
    notify(name, cfg, idle, &ch[i]);
  free(ch);
}
