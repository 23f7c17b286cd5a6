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
 *
 * The same processing is available as a filter-chain target "ml" for users
 * who want to place it in a chain (<Target "ml"> with no options). Alert
 * state changes become notifications (WARNING / FAILURE / OKAY, identifier
 * of the series, numbers in meta data); with DerivedValues the score,
 * expected value and band are dispatched as plugin "ml" value lists tagged
 * "ml:derived" so they are never modeled again. The <Plugin ml> block is
 * read by ml_config.c, <Cause> by ml_cause.c.
 **/

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include "collectd/core/daemon/filter_chain.h"

#include "ds_value.h"
#include "kml_conf.h"
#include "kml_str.h"
#include "ml/correlate.h"
#include "ml/model.h"
#include "ml/peer_groups.h"
#include "ml/pending.h"
#include "ml/persist.h"
#include "ml/saver.h"
#include "ml/series.h"
#include "ml_cause.h"
#include "ml_config.h"
#include "ml_multipeers.h"
#include "types_known.h"

#include <regex.h>

/* Meta key on value lists this plugin dispatches: never model them again. */
#define ML_DERIVED_META "ml:derived"

static kml_store_t *store; /* the models of every series, by identifier */
static double last_save;
static kml_saver_t *saver;    /* writes the state file off collectd's threads */
static uint64_t evicted_seen; /* evictions already reported */

/* Values stamped ahead of this host's clock (kml_model_clock): counted on
 * the write path, logged by the read callback, one line per interval. */
static pthread_mutex_t ahead_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t ahead_refused, ahead_restarted;
static double ahead_by; /* the last refused value: seconds ahead */
static char ahead_key[6 * DATA_MAX_NAME_LEN], restarted_key[sizeof(ahead_key)];
/* collectd knows the ml_* types (ml.types.db): the plugin's own values
 * (ml_series, DerivedValues) are dispatched only then. */
static bool own_types_known = true;

static bool match_fields(const regex_t *re, const bool *has,
                         const value_list_t *vl) {
  const char *fields[F_MAX] = {vl->host, vl->plugin, vl->plugin_instance,
                               vl->type, vl->type_instance};
  for (int f = 0; f < F_MAX; f++)
    if (has[f] && regexec(&re[f], fields[f], 0, NULL, 0) != 0)
      return false;
  return true;
}

static bool match_vl(const match_t *m, const value_list_t *vl) {
  return match_fields(m->re, m->has, vl);
}

/* ------------------------------------------------------------ write path */

/* Identifier text of a value list's data source: the store key. */
static void series_key(char *buf, size_t len, const value_list_t *vl,
                       const char *ds_name) {
  kml_str_series_key(buf, len, vl->host, vl->plugin, vl->plugin_instance,
                     vl->type, vl->type_instance, ds_name);
}

/* The identifier fields and data source of a series key (see series_key:
 * plugin and type hold no '-', host no '/'). */
static void key_fields(const char *key, value_list_t *vl, char *ds,
                       size_t dslen) {
  char buf[6 * DATA_MAX_NAME_LEN], *part[4] = {NULL};
  sstrncpy(buf, key, sizeof(buf));
  char *save = NULL, *tok = strtok_r(buf, "/", &save);
  for (int i = 0; i < 4 && tok != NULL; i++, tok = strtok_r(NULL, "/", &save))
    part[i] = tok;
  memset(vl, 0, sizeof(*vl));
  if (part[3] == NULL)
    return;
  sstrncpy(vl->host, part[0], sizeof(vl->host));
  char *dash = strchr(part[1], '-');
  if (dash)
    *dash = '\0';
  sstrncpy(vl->plugin, part[1], sizeof(vl->plugin));
  sstrncpy(vl->plugin_instance, dash ? dash + 1 : "",
           sizeof(vl->plugin_instance));
  dash = strchr(part[2], '-');
  if (dash)
    *dash = '\0';
  sstrncpy(vl->type, part[2], sizeof(vl->type));
  sstrncpy(vl->type_instance, dash ? dash + 1 : "", sizeof(vl->type_instance));
  sstrncpy(ds, part[3], dslen);
}

/* A notification about the series of vl, with the severity of state s. */
static notification_t notification_for(const value_list_t *vl,
                                       kml_alert_state_t s) {
  notification_t n = {
      .severity = s == KML_ALERT_FAILURE   ? NOTIF_FAILURE
                  : s == KML_ALERT_WARNING ? NOTIF_WARNING
                                           : NOTIF_OKAY,
      .time = vl->time,
  };
  sstrncpy(n.host, vl->host, sizeof(n.host));
  sstrncpy(n.plugin, vl->plugin, sizeof(n.plugin));
  sstrncpy(n.plugin_instance, vl->plugin_instance, sizeof(n.plugin_instance));
  sstrncpy(n.type, vl->type, sizeof(n.type));
  sstrncpy(n.type_instance, vl->type_instance, sizeof(n.type_instance));
  return n;
}

/* Why an anomaly incident ended, for the OKAY's message. */
enum { END_CALM, END_RELEARNED, END_STILL_MOVING, END_RESET };

static void notify(const value_list_t *vl, const char *ds_name,
                   const char *destination, const kml_output_t *o,
                   const char *correlated, int end,
                   const kml_cause_chain_t *chain) {
  notification_t n = notification_for(vl, o->alert);
  char what[160], v[32], e[32], lo[32], hi[32], rare[48];
  kml_str_series_name(what, sizeof(what), vl->plugin, vl->plugin_instance,
                      vl->type, vl->type_instance, ds_name);
  kml_str_number(v, sizeof(v), o->value);
  kml_str_number(e, sizeof(e), o->expected);
  if (o->alert == KML_ALERT_OKAY && end == END_RESET)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s was reset on request: its model learns it again", what);
  else if (o->alert == KML_ALERT_OKAY && end == END_RELEARNED)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s is accepted at its new level: value %s is now "
              "expected",
              what, v);
  else if (o->alert == KML_ALERT_OKAY && end == END_STILL_MOVING)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s has kept changing for as long as the model remembers: "
              "its incident ends and its course is now taken as normal "
              "(value %s)",
              what, v);
  else if (o->alert == KML_ALERT_OKAY)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s is back to normal: value %s, expected %s", what, v, e);
  else
    ssnprintf(n.message, sizeof(n.message),
              "anomaly in %.120s: value %s, expected %s (%s..%s), "
              "as rare as %s, %s view",
              what, v, e, kml_str_number(lo, sizeof(lo), o->lower),
              kml_str_number(hi, sizeof(hi), o->upper),
              kml_str_rarity(rare, sizeof(rare), o->rate), o->view);
  plugin_notification_meta_add_string(&n, "model", "anomaly");
  plugin_notification_meta_add_string(&n, "data_source", ds_name);
  if (destination[0] != '\0')
    plugin_notification_meta_add_string(&n, "destination", destination);
  if (end != END_RESET) {
    plugin_notification_meta_add_double(&n, "value", o->value);
    plugin_notification_meta_add_double(&n, "score", o->score);
    plugin_notification_meta_add_double(&n, "p", o->p);
    plugin_notification_meta_add_double(&n, "per_day", o->rate);
    plugin_notification_meta_add_double(&n, "evidence", o->evidence);
    plugin_notification_meta_add_double(&n, "expected", o->expected);
    plugin_notification_meta_add_double(&n, "lower", o->lower);
    plugin_notification_meta_add_double(&n, "upper", o->upper);
    plugin_notification_meta_add_string(&n, "view", o->view);
  }
  if (end != END_CALM)
    plugin_notification_meta_add_string(&n, "ended",
                                        end == END_RESET ? "reset"
                                        : end == END_STILL_MOVING
                                            ? "memory"
                                            : "relearned");
  if (correlated != NULL && correlated[0] != '\0')
    plugin_notification_meta_add_string(&n, "correlated", correlated);
  ml_cause_annotate(&n, chain); /* why a group backed up (<Cause>) */
  plugin_dispatch_notification(&n);
  if (n.meta != NULL)
    plugin_notification_meta_free(n.meta);
}

static void notify_forecast(const value_list_t *vl, const char *ds_name,
                            const char *destination, double threshold,
                            double horizon, const char *label,
                            const kml_output_t *o) {
  notification_t n = notification_for(vl, o->fc_alert);
  char series[200], to[KML_PENDING_NAME + 8] = "", what[200];
  ssnprintf(series, sizeof(series), "%s%s%s of %s%s%s", vl->type,
            vl->type_instance[0] ? " " : "", vl->type_instance, vl->plugin,
            vl->plugin_instance[0] ? " " : "", vl->plugin_instance);
  /* The destination a series is about (ports' busiest_destination) stays
   * whole within the bytes the messages give what (120 beside a
   * ForecastMessage, else 150): the series' name is cut instead. */
  if (destination[0] != '\0')
    ssnprintf(to, sizeof(to), " (to %.80s)", destination);
  int room = (label != NULL ? 120 : 150) - (int)strlen(to);
  ssnprintf(what, sizeof(what), "%.*s%s", room, series, to);
  if (label != NULL && o->fc_alert == KML_ALERT_FAILURE)
    ssnprintf(n.message, sizeof(n.message), "%.120s: %.60s (%.6g of %.6g)",
              what, label, o->value, threshold);
  else if (label != NULL && o->fc_alert == KML_ALERT_WARNING)
    ssnprintf(n.message, sizeof(n.message),
              "%.120s: %.60s in ~%.0f %s (forecast 95%% band; now %.6g of "
              "%.6g)",
              what, label, o->eta < 120 ? o->eta : o->eta / 60.0,
              o->eta < 120 ? "s" : "min", o->value, threshold);
  else if (label != NULL)
    ssnprintf(n.message, sizeof(n.message),
              "%.120s: no longer forecast: %.60s (now %.6g of %.6g)", what,
              label, o->value, threshold);
  else if (o->fc_alert == KML_ALERT_FAILURE)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s is %.6g, above the threshold %.6g", what, o->value,
              threshold);
  else if (o->fc_alert == KML_ALERT_WARNING)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s will exceed %.6g in ~%.0f min (forecast 95%% band; now "
              "%.6g)",
              what, threshold, o->eta / 60.0, o->value);
  else
    ssnprintf(n.message, sizeof(n.message),
              "%.150s is no longer forecast to exceed %.6g (now %.6g)", what,
              threshold, o->value);
  plugin_notification_meta_add_string(&n, "model", "forecast");
  plugin_notification_meta_add_string(&n, "data_source", ds_name);
  if (destination[0] != '\0')
    plugin_notification_meta_add_string(&n, "destination", destination);
  plugin_notification_meta_add_double(&n, "value", o->value);
  plugin_notification_meta_add_double(&n, "threshold", threshold);
  plugin_notification_meta_add_double(&n, "eta_seconds", o->eta);
  plugin_notification_meta_add_double(&n, "forecast", o->forecast);
  plugin_notification_meta_add_double(&n, "upper", o->forecast_upper);
  plugin_notification_meta_add_double(&n, "forecast_at", o->time + horizon);
  plugin_dispatch_notification(&n);
  if (n.meta != NULL)
    plugin_notification_meta_free(n.meta);
}

/* The OKAY of an alert whose series is no longer modelled: ended "idle"
 * (KML_PENDING_IDLE: IdleTimeout without a value) or "evicted"
 * (KML_PENDING_EVICTED: MaxSeries reached, the least recently updated
 * series of a full shard made room for a new one); or of a forecast alert
 * whose model an operator reset (KML_PENDING_RESET). */
static void notify_ended(const value_list_t *vl, const char *ds,
                         const char *model, kml_pending_kind_t kind) {
  notification_t n = notification_for(vl, KML_ALERT_OKAY);
  char what[160], idle[32];
  kml_str_series_name(what, sizeof(what), vl->plugin, vl->plugin_instance,
                      vl->type, vl->type_instance, ds);
  if (kind == KML_PENDING_EVICTED)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s is dropped to make room for a new series, "
              "MaxSeries (%zu) being reached: its %s alert ends",
              what, ml_conf.max_series, model);
  else if (kind == KML_PENDING_RESET)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s was reset on request: its %s alert ends", what, model);
  else if (kind == KML_PENDING_CLOCK)
    ssnprintf(n.message, sizeof(n.message),
              "%.150s had values stamped after this host's clock (the clock "
              "was set back): its model starts again and its %s alert ends",
              what, model);
  else
    ssnprintf(n.message, sizeof(n.message),
              "%.150s has had no value for %s (IdleTimeout): its %s alert "
              "ends and its model is dropped",
              what, kml_str_duration(idle, sizeof(idle), ml_conf.idle_timeout),
              model);
  plugin_notification_meta_add_string(&n, "model", model);
  plugin_notification_meta_add_string(&n, "data_source", ds);
  plugin_notification_meta_add_string(&n, "ended",
                                      kind == KML_PENDING_EVICTED ? "evicted"
                                      : kind == KML_PENDING_RESET ? "reset"
                                      : kind == KML_PENDING_CLOCK ? "clock"
                                                                  : "idle");
  plugin_dispatch_notification(&n);
  if (n.meta != NULL)
    plugin_notification_meta_free(n.meta);
}

/* Dispatch score, expected and band as plugin "ml" values. The source's
 * plugin[-instance] becomes the plugin_instance and type[-instance][-ds]
 * the type_instance, so the series they describe stays recognisable. */
static void derive(const value_list_t *vl, const char *ds_name,
                   const match_t *m, const kml_output_t *o) {
  value_list_t d = VALUE_LIST_INIT;
  char tmp[3 * DATA_MAX_NAME_LEN];
  sstrncpy(d.host, vl->host, sizeof(d.host));
  sstrncpy(d.plugin, "ml", sizeof(d.plugin));
  ssnprintf(tmp, sizeof(tmp), "%s%s%s", vl->plugin,
            vl->plugin_instance[0] ? "-" : "", vl->plugin_instance);
  kml_str_sanitize(d.plugin_instance, sizeof(d.plugin_instance), tmp, 0);
  ssnprintf(tmp, sizeof(tmp), "%s%s%s%s%s", vl->type,
            vl->type_instance[0] ? "-" : "", vl->type_instance,
            strcmp(ds_name, "value") != 0 ? "-" : "",
            strcmp(ds_name, "value") != 0 ? ds_name : "");
  kml_str_sanitize(d.type_instance, sizeof(d.type_instance), tmp, 0);
  d.time = vl->time;
  d.interval = vl->interval;
  d.meta = meta_data_create();
  if (d.meta == NULL)
    return;
  meta_data_add_boolean(d.meta, ML_DERIVED_META, true);
  value_t v[2];
  d.values = v;
  d.values_len = 1;
  v[0].gauge = o->score;
  sstrncpy(d.type, "ml_score", sizeof(d.type));
  plugin_dispatch_values(&d);
  v[0].gauge = o->expected;
  sstrncpy(d.type, "ml_expected", sizeof(d.type));
  plugin_dispatch_values(&d);
  v[0].gauge = o->lower;
  v[1].gauge = o->upper;
  d.values_len = 2;
  sstrncpy(d.type, "ml_band", sizeof(d.type));
  plugin_dispatch_values(&d);
  d.values_len = 1;
  if ((m->models & MODEL_FORECAST) && isfinite(o->forecast)) {
    v[0].gauge = o->forecast;
    sstrncpy(d.type, "ml_forecast", sizeof(d.type));
    plugin_dispatch_values(&d);
    if (isfinite(m->cfg.threshold)) {
      /* -1: no breach within the horizon */
      v[0].gauge = o->eta;
      sstrncpy(d.type, "ml_eta", sizeof(d.type));
      plugin_dispatch_values(&d);
    }
  }
  meta_data_destroy(d.meta);
}

/* State changes wait for the read callback in a queue (src/ml/pending.c),
 * pushed while the series' shard lock is held so one series' notifications
 * keep their order across write threads. The read callback ranks the
 * correlations of every queued anomaly in one scan of the store and
 * dispatches in order (heavy work and slow notification callbacks stay off
 * the write path). */
#define PENDING_MAX 256
static kml_pending_queue_t *pending;

/* Returns 0, or -1 when not queued (bounded queue full: counted and
 * warned about at the flush; or out of memory growing it). */
static int defer_notify(kml_pending_kind_t kind, const value_list_t *vl,
                        const char *ds, const char *key, const match_t *m,
                        const kml_output_t *o) {
  kml_pending_t e = {.kind = kind,
                     .time = vl->time,
                     .threshold = m ? m->cfg.threshold : NAN,
                     .horizon = m ? m->cfg.horizon : 0,
                     .label = m ? m->label : NULL,
                     .out = *o};
  const char *f[F_MAX] = {vl->host, vl->plugin, vl->plugin_instance, vl->type,
                          vl->type_instance};
  for (int i = 0; i < F_MAX; i++)
    sstrncpy(e.id[i], f[i], sizeof(e.id[i]));
  sstrncpy(e.ds, ds, sizeof(e.ds));
  sstrncpy(e.key, key, sizeof(e.key));
  char *dest = NULL; /* read here: the value list is gone by the flush */
  if (vl->meta != NULL &&
      meta_data_get_string(vl->meta, "destination", &dest) == 0 && dest != NULL)
    sstrncpy(e.destination, dest, sizeof(e.destination));
  sfree(dest);
  /* An OKAY ended off the write path (an operator's reset, a series gone
   * idle) must go out whatever else is queued: it may grow the queue. The
   * write path's changes stay bounded (no allocation there). */
  if (kind == KML_PENDING_RESET || kind == KML_PENDING_IDLE)
    return kml_pending_push_grow(pending, &e);
  return kml_pending_push(pending, &e);
}

/* Queue the OKAYs of the alerts a model had open (open: see
 * kml_model_open_alerts) when it stops (kind: evicted, idle, reset or
 * clock), for the series of vl; 0, or -1 when not queued (defer_notify). */
static int defer_ended(kml_pending_kind_t kind, const value_list_t *vl,
                       const char *ds, const char *key, unsigned open) {
  kml_output_t o = {.alert = KML_ALERT_OKAY,
                    .fc_alert = KML_ALERT_OKAY,
                    .alert_changed = (open & KML_MODEL_OPEN_ANOMALY) != 0,
                    .fc_changed = (open & KML_MODEL_OPEN_FORECAST) != 0};
  return defer_notify(kind, vl, ds, key, NULL, &o);
}

/* The same for a series known by its key alone, at time t. */
static int defer_ended_key(kml_pending_kind_t kind, const char *key,
                           unsigned open, cdtime_t t) {
  value_list_t vl;
  char ds[DATA_MAX_NAME_LEN] = "value";
  key_fields(key, &vl, ds, sizeof(ds));
  vl.time = t;
  return defer_ended(kind, &vl, ds, key, open);
}

/* Why a series stopped being modelled, ended_visit's ud. */
static const kml_pending_kind_t ended_evicted = KML_PENDING_EVICTED;
static const kml_pending_kind_t ended_idle = KML_PENDING_IDLE;

/* A series no longer modelled with an alert still open, evicted to make
 * room for a new one (MaxSeries reached; ud &ended_evicted) or dropped
 * after IdleTimeout (ud &ended_idle): its OKAY is queued like a
 * state change, or the alert would stay up (and alertmanager-notify
 * --refresh keep it firing) for a series no longer modelled. Runs with the
 * series' shard locked (kml_store_on_evict on a write thread,
 * kml_store_expire_each in the read callback): no dispatch here, and an
 * allocation only for an idle series' OKAY (the read callback's, which
 * may grow the queue: defer_notify); queued after any change of the
 * series still waiting, the OKAY comes last. */
static void ended_visit(const char *key, void *payload, void *ud) {
  unsigned open = kml_model_open_alerts(payload);
  if (open != 0)
    defer_ended_key(*(const kml_pending_kind_t *)ud, key, open, cdtime());
}

/* The value list a pending entry describes (identifier and time only). */
static value_list_t pending_vl(const kml_pending_t *e) {
  value_list_t vl = VALUE_LIST_INIT;
  sstrncpy(vl.host, e->id[F_HOST], sizeof(vl.host));
  sstrncpy(vl.plugin, e->id[F_PLUGIN], sizeof(vl.plugin));
  sstrncpy(vl.plugin_instance, e->id[F_PLUGIN_INSTANCE],
           sizeof(vl.plugin_instance));
  sstrncpy(vl.type, e->id[F_TYPE], sizeof(vl.type));
  sstrncpy(vl.type_instance, e->id[F_TYPE_INSTANCE], sizeof(vl.type_instance));
  vl.time = (cdtime_t)e->time;
  return vl;
}

typedef struct {
  kml_corr_target_t *t;
  size_t n;
} rank_ctx_t;

static void rank_visit(const char *key, void *payload, void *ud) {
  rank_ctx_t *c = ud;
  float w[KML_MODEL_WINDOW];
  int n = kml_model_window(payload, w);
  kml_corr_rank(c->t, c->n, key, w, n);
}

/* One batch of at most PENDING_MAX entries; returns how many it took. */
static size_t flush_batch(void) {
  static kml_pending_t local[PENDING_MAX];
  static kml_corr_target_t targets[PENDING_MAX];
  uint64_t dropped;
  size_t n = kml_pending_take(pending, local, &dropped);
  if (dropped > 0)
    WARNING(ML_LOG "%" PRIu64 " notification(s) dropped: more than %d "
                   "state changes in one interval",
            dropped, PENDING_MAX);
  /* The windows of the anomalous series, then one scan for all of them. */
  size_t nt = 0;
  for (size_t i = 0; i < n; i++) {
    kml_pending_t *e = &local[i];
    kml_corr_target_t *t = &targets[i];
    kml_corr_target_init(t, e->key, NULL, 0);
    if (e->kind != KML_PENDING_ANOMALY || e->out.alert == KML_ALERT_OKAY)
      continue;
    kml_model_t *m = kml_store_find(store, e->key);
    if (m != NULL) {
      float w[KML_MODEL_WINDOW];
      int wn = kml_model_window(m, w);
      kml_store_release(store, m);
      kml_corr_target_init(t, e->key, w, wn);
      nt += wn >= 8;
    }
  }
  if (nt > 0)
    kml_store_foreach(store, rank_visit, &(rank_ctx_t){targets, n});
  kml_cause_chain_t *chains = ml_cause_for_pending(local, n);
  for (size_t i = 0; i < n; i++) {
    kml_pending_t *e = &local[i];
    value_list_t vl = pending_vl(e);
    if (e->kind == KML_PENDING_EVICTED || e->kind == KML_PENDING_IDLE ||
        e->kind == KML_PENDING_CLOCK) {
      if (e->out.alert_changed)
        notify_ended(&vl, e->ds, "anomaly", e->kind);
      if (e->out.fc_changed)
        notify_ended(&vl, e->ds, "forecast", e->kind);
      continue;
    }
    if (e->kind == KML_PENDING_FORECAST) {
      notify_forecast(&vl, e->ds, e->destination, e->threshold, e->horizon,
                      e->label, &e->out);
      continue;
    }
    if (e->kind == KML_PENDING_RESET) {
      if (e->out.fc_changed)
        notify_ended(&vl, e->ds, "forecast", e->kind);
      if (!e->out.alert_changed)
        continue; /* no anomaly incident was open */
    }
    /* room for every key whole (a key of collectd's longest fields is
     * about 640 bytes); off never passes the end */
    char hint[KML_CORR_TOP * (sizeof(targets[0].top[0].key) + 48)] = "";
    size_t off = 0;
    for (int k = 0;
         k < KML_CORR_TOP && targets[i].top[k].key[0] && off < sizeof(hint);
         k++) {
      int w = snprintf(hint + off, sizeof(hint) - off, "%s%s (r=%.2f, lag %d)",
                       k ? "; " : "", targets[i].top[k].key,
                       targets[i].top[k].r, targets[i].top[k].lag);
      off += w > 0 ? (size_t)w : 0;
    }
    notify(&vl, e->ds, e->destination, &e->out, hint,
           e->kind == KML_PENDING_RESET ? END_RESET
           : e->out.relearned == 2      ? END_STILL_MOVING
           : e->out.relearned           ? END_RELEARNED
                                        : END_CALM,
           chains ? &chains[i] : NULL);
  }
  free(chains);
  return n;
}

/* Everything queued when the read callback starts (a reset may have queued
 * more than one batch); what is pushed meanwhile waits for the next read. */
static void flush_pending(void) {
  size_t left = kml_pending_count(pending);
  do {
    size_t n = flush_batch();
    if (n == 0)
      break;
    left = n < left ? left - n : 0;
  } while (left > 0);
}

static void note_ahead(uint64_t *count, char *key, const char *id, double by) {
  pthread_mutex_lock(&ahead_lock);
  (*count)++;
  sstrncpy(key, id, sizeof(ahead_key));
  if (by > 0)
    ahead_by = by;
  pthread_mutex_unlock(&ahead_lock);
}

/* now: this host's clock when process() took the value list. */
static void feed(const match_t *m, const data_set_t *ds, const value_list_t *vl,
                 double now) {
  char id[6 * DATA_MAX_NAME_LEN];
  double t = CDTIME_T_TO_DOUBLE(vl->time);
  for (size_t i = 0; i < ds->ds_num && i < vl->values_len; i++) {
    series_key(id, sizeof(id), vl, ds->ds[i].name);
    int created;
    kml_model_t *model = kml_store_acquire(store, id, now, &created);
    if (model == NULL) {
      ERROR(ML_LOG "out of memory for series %s", id);
      return;
    }
    unsigned open;
    if (kml_model_clock(model, t, now, &open) == KML_MODEL_CLOCK_RESTARTED) {
      /* its OKAYs first, then what the new model says (same shard lock) */
      if (open != 0)
        defer_ended(KML_PENDING_CLOCK, vl, ds->ds[i].name, id, open);
      note_ahead(&ahead_restarted, restarted_key, id, 0);
    }
    kml_output_t out;
    int rc = kml_model_update(model, &m->cfg, ds_kind(ds->ds[i].type), t,
                              ds_raw(ds->ds[i].type, vl->values[i]), &out);
    /* Queue state changes before the shard lock is released: that keeps
     * one series' notifications in order across write threads. */
    if (rc == KML_RATE_OK && (m->models & MODEL_ANOMALY) && out.alert_changed)
      defer_notify(KML_PENDING_ANOMALY, vl, ds->ds[i].name, id, m, &out);
    if (rc == KML_RATE_OK && (m->models & MODEL_FORECAST) && out.fc_changed)
      defer_notify(KML_PENDING_FORECAST, vl, ds->ds[i].name, id, m, &out);
    kml_store_release(store, model);
    if (rc == KML_RATE_OK) {
      if (m->derived && own_types_known)
        derive(vl, ds->ds[i].name, m, &out);
    } else if (rc == KML_RATE_OLD) {
      DEBUG(ML_LOG "%s: sample not newer than the last one, skipped", id);
    }
  }
}

static void peers_feed(peers_t *pp, const data_set_t *ds,
                       const value_list_t *vl) {
  const char *const fields[F_MAX] = {vl->host, vl->plugin, vl->plugin_instance,
                                     vl->type, vl->type_instance};
  double t = CDTIME_T_TO_DOUBLE(vl->time);
  if (pp->multi != NULL) {
    ml_multipeers_feed(pp->multi, pp->name, ds, vl);
    return;
  }
  for (size_t i = 0; i < ds->ds_num && i < vl->values_len; i++)
    if (kml_peer_groups_feed(pp->groups, fields, ds->ds[i].name,
                             ds_kind(ds->ds[i].type), t,
                             ds_raw(ds->ds[i].type, vl->values[i])) != 0) {
      ERROR(ML_LOG "<Peers \"%s\"> out of memory for a member", pp->name);
      return;
    }
}

static void process(const data_set_t *ds, const value_list_t *vl) {
  if (store == NULL)
    return;
  if (vl->meta != NULL && meta_data_exists(vl->meta, ML_DERIVED_META))
    return;
  /* Ahead of the clock: no model, peer or cause series learns it (nor is
   * made for it), see kml_model_clock. */
  double t = CDTIME_T_TO_DOUBLE(vl->time), now = CDTIME_T_TO_DOUBLE(cdtime());
  if (t > now + KML_MODEL_AHEAD_MAX) {
    char id[6 * DATA_MAX_NAME_LEN];
    series_key(id, sizeof(id), vl, ds->ds_num > 0 ? ds->ds[0].name : "");
    note_ahead(&ahead_refused, ahead_key, id, t - now);
    return;
  }
  ml_cause_feed(ds, vl);
  for (size_t i = 0; i < ml_conf.n_peers; i++)
    if (match_fields(ml_conf.peers[i]->re, ml_conf.peers[i]->has, vl))
      peers_feed(ml_conf.peers[i], ds, vl);
  for (size_t i = 0; i < ml_conf.n_matches; i++)
    if (match_vl(ml_conf.matches[i], vl)) {
      feed(ml_conf.matches[i], ds, vl, now);
      break; /* first matching block wins, like a filter chain rule */
    }
}

/* Set when a filter chain uses target "ml": then the chain feeds the
 * models and the write callback stays idle, so nothing is modeled twice. */
static bool target_in_use;

static int ml_write(const data_set_t *ds, const value_list_t *vl,
                    user_data_t *ud) {
  (void)ud;
  if (!target_in_use)
    process(ds, vl);
  return 0;
}

/* Filter-chain target: same processing, then the chain continues. */
static int ml_target_create(const oconfig_item_t *ci, void **ud) {
  if (ci->children_num > 0)
    WARNING(ML_LOG "target \"ml\" takes no options; <Match> blocks of "
                   "<Plugin ml> select the series");
  target_in_use = true;
  *ud = NULL;
  return 0;
}

static int ml_target_destroy(void **ud) {
  (void)ud;
  return 0;
}

static int ml_target_invoke(const data_set_t *ds, value_list_t *vl,
                            notification_meta_t **meta, void **ud) {
  (void)meta;
  (void)ud;
  process(ds, vl);
  return FC_TARGET_CONTINUE;
}

/* ------------------------------------------------------------ read path */

/* Log what the saver thread did since the last call. */
static void saver_report(void) {
  long n;
  double secs;
  char err[512];
  if (saver == NULL || !kml_saver_result(saver, &n, &secs, err, sizeof(err)))
    return;
  if (n < 0)
    ERROR(ML_LOG "saving state failed: %s", err);
  else {
    DEBUG(ML_LOG "saved %ld series to %s in %.2f s", n, ml_conf.state_file,
          secs);
  }
}

/* Shutdown only: the saver thread is gone, save on this thread. */
static void save_state_now(void) {
  if (ml_conf.state_file == NULL || store == NULL)
    return;
  char err[512];
  long n = kml_persist_save(store, sizeof(kml_model_t), ml_conf.state_file, err,
                            sizeof(err));
  if (n < 0)
    ERROR(ML_LOG "saving state failed: %s", err);
  else
    INFO(ML_LOG "saved %ld series to %s", n, ml_conf.state_file);
}

/* Series evicted because MaxSeries was reached: a value each interval
 * (plugin "ml", type "ml_series") and one warning per interval with any. */
static void report_store(double now) {
  uint64_t evicted = kml_store_evicted(store);
  if (evicted > evicted_seen)
    WARNING(ML_LOG "%" PRIu64 " series evicted since the last interval: "
                   "MaxSeries %zu reached (least recently updated go first)",
            evicted - evicted_seen, ml_conf.max_series);
  evicted_seen = evicted;
  if (!own_types_known)
    return;
  value_list_t vl = VALUE_LIST_INIT;
  value_t v[2] = {{.gauge = (gauge_t)kml_store_size(store)},
                  {.derive = (derive_t)evicted}};
  vl.values = v;
  vl.values_len = 2;
  vl.time = DOUBLE_TO_CDTIME_T(now);
  sstrncpy(vl.plugin, "ml", sizeof(vl.plugin));
  sstrncpy(vl.type, "ml_series", sizeof(vl.type));
  vl.meta = meta_data_create();
  if (vl.meta == NULL)
    return;
  meta_data_add_boolean(vl.meta, ML_DERIVED_META, true);
  plugin_dispatch_values(&vl);
  meta_data_destroy(vl.meta);
}

static void peers_notify(const peers_t *pp, const kml_peer_change_t *c,
                         const kml_cause_chain_t *chain) {
  const kml_peers_summary_t *s = &c->population_summary;
  notification_t nt = {.severity = c->outlier ? NOTIF_WARNING : NOTIF_OKAY,
                       .time = cdtime()};
  sstrncpy(nt.host, c->id[F_HOST], sizeof(nt.host));
  sstrncpy(nt.plugin, c->id[F_PLUGIN], sizeof(nt.plugin));
  sstrncpy(nt.plugin_instance, c->id[F_PLUGIN_INSTANCE],
           sizeof(nt.plugin_instance));
  sstrncpy(nt.type, c->id[F_TYPE], sizeof(nt.type));
  sstrncpy(nt.type_instance, c->id[F_TYPE_INSTANCE], sizeof(nt.type_instance));
  char who[160], v[32], med[32], idle[32];
  kml_str_member_name(who, sizeof(who), c->id[F_HOST], c->id[F_PLUGIN],
                      c->id[F_PLUGIN_INSTANCE], c->id[F_TYPE_INSTANCE]);
  kml_str_number(v, sizeof(v), c->value);
  kml_str_number(med, sizeof(med), s->median);
  if (c->gone)
    ssnprintf(nt.message, sizeof(nt.message),
              "%.100s has had no value for %s (IdleTimeout): it is no longer "
              "compared with its peers (%.40s) and its outlier alert ends",
              who, kml_str_duration(idle, sizeof(idle), ml_conf.idle_timeout),
              c->id[F_TYPE]);
  else if (c->outlier)
    ssnprintf(nt.message, sizeof(nt.message),
              "%.100s is an outlier among %d peers (%.40s): %s vs median "
              "%s (robust z %.1f)",
              who, c->members, c->id[F_TYPE], v, med, c->z);
  else
    ssnprintf(nt.message, sizeof(nt.message),
              "%.100s is back in line with its %d peers (%.40s): %s vs "
              "median %s",
              who, c->members, c->id[F_TYPE], v, med);
  plugin_notification_meta_add_string(&nt, "model", "peers");
  plugin_notification_meta_add_string(&nt, "peers", pp->name);
  plugin_notification_meta_add_string(&nt, "population", c->population);
  plugin_notification_meta_add_double(&nt, "value", c->value);
  if (c->gone) /* its last value; no longer judged */
    plugin_notification_meta_add_string(&nt, "ended", "idle");
  else {
    plugin_notification_meta_add_double(&nt, "median", s->median);
    plugin_notification_meta_add_double(&nt, "mad", s->mad);
    plugin_notification_meta_add_double(&nt, "floor", s->floor);
    plugin_notification_meta_add_double(&nt, "z", c->z);
    plugin_notification_meta_add_signed_int(&nt, "members", c->members);
  }
  if (c->outlier)
    plugin_notification_meta_add_double(&nt, "outlier_seconds",
                                        CDTIME_T_TO_DOUBLE(nt.time) - c->since);
  ml_cause_annotate(&nt, chain); /* a partition's: why it backed up */
  plugin_dispatch_notification(&nt);
  if (nt.meta != NULL)
    plugin_notification_meta_free(nt.meta);
}

/* One evaluation of a Peers block (src/ml/peer_groups.c); its state
 * changes become notifications, sent with no lock held. */
static void peers_eval(peers_t *pp, double now, double interval) {
  if (pp->multi != NULL) {
    ml_multipeers_eval(pp->multi, pp->name, &pp->mcfg, now, interval,
                       ml_conf.idle_timeout);
    return;
  }
  kml_peer_change_t *changes;
  long n = kml_peer_groups_eval(pp->groups, now, interval, ml_conf.idle_timeout,
                                &changes);
  if (n < 0)
    ERROR(ML_LOG "<Peers \"%s\"> out of memory: not evaluated this interval",
          pp->name);
  kml_cause_chain_t *chains =
      n > 0 ? ml_cause_for_peers(changes, (size_t)n, now) : NULL;
  for (long i = 0; i < n; i++)
    peers_notify(pp, &changes[i], chains ? &chains[i] : NULL);
  free(chains);
  free(changes);
}

/* Series without a value for IdleTimeout are dropped; those with an open
 * alert get their OKAY through the pending queue (ended_visit), sent by
 * flush_pending() in the same read callback. */
static void expire_idle(double now) {
  size_t dropped = kml_store_expire_each(store, now - ml_conf.idle_timeout,
                                         ended_visit, (void *)&ended_idle);
  if (dropped > 0) {
    DEBUG(ML_LOG "dropped %zu idle series", dropped);
  }
}

/* One line per interval for values stamped ahead of the clock. */
static void report_ahead(void) {
  char key[sizeof(ahead_key)], rkey[sizeof(ahead_key)];
  pthread_mutex_lock(&ahead_lock);
  uint64_t refused = ahead_refused, restarted = ahead_restarted;
  double by = ahead_by;
  sstrncpy(key, ahead_key, sizeof(key));
  sstrncpy(rkey, restarted_key, sizeof(rkey));
  ahead_refused = ahead_restarted = 0;
  pthread_mutex_unlock(&ahead_lock);
  if (refused > 0)
    WARNING(ML_LOG
            "%" PRIu64 " value list(s) stamped more than %.0f s after "
            "this host's clock were not modelled since the last interval "
            "(the last: %s, %.0f s ahead): check the clock of the "
            "host that sent them",
            refused, KML_MODEL_AHEAD_MAX, key, by);
  if (restarted > 0)
    WARNING(ML_LOG "%" PRIu64 " series had a last value stamped more than "
                   "%.0f s after this host's clock (the clock was set back, "
                   "or the state file was written while it was ahead): "
                   "their models start again (the last: %s)",
            restarted, KML_MODEL_AHEAD_MAX, rkey);
}

static int ml_read(void) {
  if (store == NULL)
    return 0;
  double now = CDTIME_T_TO_DOUBLE(cdtime());
  report_ahead();
  expire_idle(now);
  ml_cause_expire(now - ml_conf.idle_timeout);
  flush_pending();
  double interval = CDTIME_T_TO_DOUBLE(plugin_get_interval());
  for (size_t i = 0; i < ml_conf.n_peers; i++)
    peers_eval(ml_conf.peers[i], now, interval);
  report_store(now);
  saver_report();
  if (saver != NULL && now - last_save >= ml_conf.state_interval) {
    last_save = now;
    kml_saver_request(saver);
  }
  return 0;
}

/* ------------------------------------------------- operator's requests */

/* A notification with plugin "ml" and type "maintenance" or "reset" is a
 * request from an operator (unixsock PUTNOTIF, exec, network), not an
 * alert: meta "series" is a regex (POSIX extended) on series identifiers
 * (host/plugin[-instance]/type[-instance]/data_source); "maintenance"
 * also needs meta "duration" ("2h", "30m", seconds; 0 ends a window).
 * Series known now are changed; an incident a reset ends gets its OKAY. */

typedef struct {
  regex_t re;
  int reset;
  double until;
  size_t matched;
  size_t seen;                         /* series in the store */
  char example[6 * DATA_MAX_NAME_LEN]; /* the first key seen */
  cdtime_t time;                       /* the OKAYs' time */
  size_t not_queued; /* OKAYs of ended incidents lost (out of memory) */
} request_t;

static void request_visit(const char *key, void *payload, void *ud) {
  request_t *r = ud;
  if (r->seen++ == 0)
    sstrncpy(r->example, key, sizeof(r->example));
  if (regexec(&r->re, key, 0, NULL, 0) != 0)
    return;
  r->matched++;
  if (!r->reset) {
    kml_model_maintain(payload, r->until);
    return;
  }
  /* both alerts: the model starts again, its forecast state too */
  unsigned open = kml_model_open_alerts(payload);
  kml_model_reset(payload);
  if (open == 0)
    return;
  /* Queued here, with the series' shard locked like every change of it, and
   * without a cap: each incident the reset ends gets its OKAY, or its alert
   * would stay open downstream. */
  if (defer_ended_key(KML_PENDING_RESET, key, open, r->time) != 0)
    r->not_queued++;
}

static const char *meta_string(const notification_t *n, const char *name) {
  for (const notification_meta_t *m = n->meta; m != NULL; m = m->next)
    if (strcasecmp(m->name, name) == 0 && m->type == NM_TYPE_STRING)
      return m->nm_value.nm_string;
  return NULL;
}

static int ml_notification(const notification_t *n, user_data_t *ud) {
  (void)ud;
  if (strcmp(n->plugin, "ml") != 0 || store == NULL)
    return 0;
  int reset = strcmp(n->type, "reset") == 0;
  if (!reset && strcmp(n->type, "maintenance") != 0)
    return 0;
  const char *series = meta_string(n, "series");
  const char *duration = meta_string(n, "duration");
  kml_conf_value_t v = kml_conf_string(duration);
  char err[256];
  double secs = 0;
  if (series == NULL || series[0] == '\0') {
    ERROR(ML_LOG "%s request without a series: give meta data \"series\" "
                 "(a regex on host/plugin-instance/type-instance/ds), e.g. "
                 "PUTNOTIF ... s:series=\"^db1/\"",
          n->type);
    return 0;
  }
  if (!reset &&
      (duration == NULL || kml_conf_duration(&v, 0, 30 * 86400.0, 0, &secs, err,
                                             sizeof(err)) != 0)) {
    ERROR(ML_LOG "maintenance request for \"%s\": meta data \"duration\" "
                 "%s",
          series, duration == NULL ? "is missing (e.g. s:duration=2h)" : err);
    return 0;
  }
  request_t *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return 0;
  int rc = regcomp(&r->re, series, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    regerror(rc, &r->re, err, sizeof(err));
    ERROR(ML_LOG "%s request: series \"%s\" is not a valid regex: %s", n->type,
          series, err);
    free(r);
    return 0;
  }
  r->reset = reset;
  double start =
      n->time > 0 ? CDTIME_T_TO_DOUBLE(n->time) : CDTIME_T_TO_DOUBLE(cdtime());
  r->until = start + secs;
  r->time = n->time > 0 ? n->time : cdtime();
  kml_store_foreach(store, request_visit, r);
  regfree(&r->re);
  if (r->matched == 0)
    /* A mistyped regex would otherwise leave the planned change paging. */
    WARNING(ML_LOG "%s request for \"%s\" matched none of the %zu series "
                   "modelled; nothing %s (a series is named "
                   "host/plugin[-instance]/type[-instance]/ds, e.g. \"%s\")",
            n->type, series, r->seen, reset ? "was reset" : "is in maintenance",
            r->seen > 0 ? r->example
                        : "db1/kafka-orders/kafka_lag-orders/value");
  else if (reset)
    INFO(ML_LOG "reset %zu series matching \"%s\" (%s)", r->matched, series,
         n->message);
  else
    INFO(ML_LOG "maintenance of %zu series matching \"%s\" for %.0f s "
                "(%s)",
         r->matched, series, secs, n->message);
  if (r->not_queued > 0)
    ERROR(ML_LOG "reset of \"%s\": out of memory queueing the OKAYs: %zu "
                 "ended incident(s) get none, their alerts stay open",
          series, r->not_queued);
  free(r);
  return 0;
}

static void model_init_cb(void *p, void *ud) {
  (void)ud;
  kml_model_init(p);
}

static const char *model_check(const void *p) { return kml_model_check(p); }

static void restore_state(void) {
  char err[512];
  kml_persist_stats_t st;
  long n = kml_persist_load(store, sizeof(kml_model_t), ml_conf.state_file,
                            model_check, CDTIME_T_TO_DOUBLE(cdtime()), &st, err,
                            sizeof(err));
  if (n < 0) {
    WARNING(ML_LOG "%s; starting with fresh models", err);
    return;
  }
  if (st.missing) {
    INFO(ML_LOG "no state file at %s yet: starting fresh", ml_conf.state_file);
    return;
  }
  for (int i = 0; i < st.n_reasons; i++)
    WARNING(ML_LOG "%s: %ld series dropped: %s%s", ml_conf.state_file,
            st.reasons[i].count, st.reasons[i].why,
            i == KML_PERSIST_REASONS - 1 ? " (or another reason)" : "");
  INFO(ML_LOG "restored %ld series from %s (%ld dropped)", n,
       ml_conf.state_file, st.dropped);
}

/* collectd knows the ml_* types only from a TypesDB line that lists
 * ml.types.db; without it each value the plugin dispatches would be refused
 * with its own "Dataset not found" line. One error says what to add; the
 * models still run and notify (notifications need no type of the plugin's
 * own). */
static bool types_known(void) {
  static const char *const types[] = {"ml_series", "ml_score",    "ml_expected",
                                      "ml_band",   "ml_forecast", "ml_eta"};
  const char *missing = first_unknown_type(types, STATIC_ARRAY_SIZE(types));
  if (missing == NULL)
    return true;
  ERROR(ML_LOG "collectd does not know the type %s: its TypesDB line does "
               "not list ml.types.db. Add it, e.g. TypesDB "
               "\"/usr/share/collectd/types.db\" \"%s\" \"%s\" (a TypesDB "
               "line replaces collectd's default list). Models run and "
               "notify; the plugin's own values (ml_series, DerivedValues) "
               "are not dispatched until then.",
        missing, KML_PKG_TYPES_DB, KML_ML_TYPES_DB);
  return false;
}

static int ml_init(void) {
  if (store != NULL)
    return 0;
  own_types_known = types_known();
  ml_config_check_types(); /* before the write callback sees the blocks */
  /* The queue and the eviction hook exist before the write threads can
   * see the store (they look at `store` first). */
  pending = kml_pending_new(PENDING_MAX);
  kml_store_t *s = kml_store_new(ml_conf.max_series, sizeof(kml_model_t),
                                 model_init_cb, NULL, NULL);
  if (s == NULL || pending == NULL) {
    ERROR(ML_LOG "out of memory creating the series store");
    kml_store_destroy(s);
    return -1;
  }
  kml_store_on_evict(s, ended_visit, (void *)&ended_evicted);
  store = s;
  if (ml_conf.state_file != NULL) {
    char err[512];
    int writable =
        kml_persist_check_dir(ml_conf.state_file, err, sizeof(err)) == 0;
    if (!writable)
      ERROR(ML_LOG "cannot save state to %s: %s (models run, but start "
                   "fresh after every restart)",
            ml_conf.state_file, err);
    restore_state();
    last_save = CDTIME_T_TO_DOUBLE(cdtime());
    saver = kml_saver_new(store, sizeof(kml_model_t), ml_conf.state_file);
    if (saver == NULL)
      ERROR(ML_LOG "cannot start the thread that saves %s: state is saved "
                   "at shutdown only",
            ml_conf.state_file);
    else if (writable)
      INFO(ML_LOG "models saved to %s every %.0f s and at shutdown",
           ml_conf.state_file, ml_conf.state_interval);
  }
  evicted_seen = kml_store_evicted(store);
  ml_cause_init(CDTIME_T_TO_DOUBLE(plugin_get_interval()));
  if (ml_conf.n_matches == 0 && ml_conf.n_peers == 0)
    WARNING(ML_LOG "no <Match> or <Peers> block: nothing will be modeled");
  INFO(ML_LOG "%zu match block(s), %zu peers block(s), at most %zu series",
       ml_conf.n_matches, ml_conf.n_peers, ml_conf.max_series);
  return 0;
}

static int ml_shutdown(void) {
  kml_saver_destroy(saver);
  saver = NULL;
  save_state_now();
  kml_store_destroy(store);
  store = NULL;
  kml_pending_destroy(pending);
  pending = NULL;
  ml_cause_shutdown();
  ml_config_free();
  return 0;
}

void module_register(void) {
  plugin_register_complex_config("ml", ml_config);
  plugin_register_init("ml", ml_init);
  plugin_register_write("ml", ml_write, NULL);
  plugin_register_read("ml", ml_read);
  plugin_register_notification("ml", ml_notification, NULL);
  plugin_register_shutdown("ml", ml_shutdown);
  fc_register_target("ml", (target_proc_t){.create = ml_target_create,
                                           .destroy = ml_target_destroy,
                                           .invoke = ml_target_invoke});
}
