/* report: the mapping from a snapshot to collectd's identifier scheme, plus
 * the memory that rates, lag in seconds and notifications need. An event is
 * sent when a state changes (FAILURE/WARNING when a problem appears, OKAY
 * when it clears), never once per interval, as collectd's threshold plugin
 * does. Entries of deleted topics and groups are swept after one interval
 * without them, so nothing stale is dispatched again. */
#include "report.h"

#include "../kml_map.h"
#include "../kml_str.h"
#include "lag.h"
#include "status.h"
#include <librdkafka/rdkafka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  double t;
  double sum; /* sum of high-water marks (topics, brokers) or commits */
  int have;
} rate_mem_t;

typedef struct {
  kml_group_state_t state;
  int err; /* last error reading the group, 0 none: logged on change */
  uint64_t members_hash;
  int64_t rebalances;
  double empty_since; /* when we first saw the group Empty, 0 if not */
  int have;
  rate_mem_t consumed;
} group_mem_t;

typedef struct {
  int state; /* kml_severity_t of the last event, OKAY initially */
} alert_mem_t;

struct kml_report {
  kml_report_opts_t o;
  uint64_t round;
  int ok_streak; /* consecutive successful collections */
  int64_t errors_total;
  kml_map_t *rings, *rates, *groups, *windows, *alerts;
};

kml_report_t *kml_report_new(const kml_report_opts_t *o) {
  kml_report_t *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return NULL;
  r->o = *o;
  if (r->o.status_window < 2)
    r->o.status_window = 5;
  r->rings = kml_map_new(sizeof(kml_lag_ring_t));
  r->rates = kml_map_new(sizeof(rate_mem_t));
  r->groups = kml_map_new(sizeof(group_mem_t));
  r->windows = kml_map_new(sizeof(kml_status_window_t));
  r->alerts = kml_map_new(sizeof(alert_mem_t));
  if (!r->rings || !r->rates || !r->groups || !r->windows || !r->alerts) {
    kml_report_destroy(r);
    return NULL;
  }
  return r;
}

void kml_report_destroy(kml_report_t *r) {
  if (r == NULL)
    return;
  kml_map_destroy(r->rings);
  kml_map_destroy(r->rates);
  kml_map_destroy(r->groups);
  kml_map_destroy(r->windows);
  kml_map_destroy(r->alerts);
  free(r);
}

/* ---------------------------------------------------------------- output */

typedef struct {
  kml_report_t *r;
  const kml_report_sink_t *sink;
  double time; /* collection start: the values' timestamp */
  double now;  /* when the offsets were read: lag-in-seconds clock */
} emit_t;

static void put(const emit_t *e, const char *pi, const char *type,
                const char *ti, double value, int counter, const char *raw) {
  if (!isfinite(value))
    return;
  kml_value_t v = {.plugin_instance = pi,
                   .type = type,
                   .type_instance = ti,
                   .value = value,
                   .is_counter = counter,
                   .time = e->time,
                   .raw_name = raw};
  e->sink->value(&v, e->sink->ud);
}

/* Send an event when the state stored under key changes. The first look at
 * a key that is fine sends nothing: there was nothing to recover from. */
static void transition(const emit_t *e, const char *key, kml_severity_t sev,
                       kml_event_t *ev) {
  int created;
  alert_mem_t *a = kml_map_get(e->r->alerts, key, e->r->round, &created);
  if (a == NULL || (int)sev == a->state)
    return;
  a->state = (int)sev;
  ev->severity = sev;
  ev->time = e->time;
  e->sink->event(ev, e->sink->ud);
}

static void name_pi(char *out, size_t len, const char *prefix,
                    const char *name) {
  char tmp[600];
  snprintf(tmp, sizeof(tmp), "%s-%s", prefix, name);
  kml_str_sanitize(out, len, tmp, 0);
}

static void name_ti(char *out, size_t len, const char *topic, int32_t p) {
  char tmp[600];
  snprintf(tmp, sizeof(tmp), "%s-%d", topic, (int)p);
  kml_str_sanitize(out, len, tmp, 0);
}

/* Rate of a growing sum kept under key; NAN the first time or on reset. */
static double rate_of(const emit_t *e, const char *key, double sum) {
  int created;
  rate_mem_t *m = kml_map_get(e->r->rates, key, e->r->round, &created);
  if (m == NULL)
    return NAN;
  double rate = NAN;
  if (m->have && e->now > m->t && sum >= m->sum)
    rate = (sum - m->sum) / (e->now - m->t);
  m->t = e->now;
  m->sum = sum;
  m->have = 1;
  return rate;
}

static void ring_key(char *out, size_t len, const char *topic, int32_t p) {
  snprintf(out, len, "%s\x1f%d", topic, (int)p);
}

/* --------------------------------------------------------------- cluster */

static void cluster_up_event(const emit_t *e, const kml_snapshot_t *s) {
  kml_event_t ev = {
      .plugin_instance = "cluster", .type = "kafka_up", .type_instance = ""};
  if (s->ok)
    snprintf(ev.message, sizeof(ev.message),
             "Kafka cluster reachable again: %d brokers", s->n_brokers);
  else
    snprintf(ev.message, sizeof(ev.message),
             "Kafka cluster unreachable: %.200s", s->error);
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "brokers", .number = s->n_brokers};
  /* Down at the first failed collection; back up after two good ones, so
   * brokers dying one by one do not page FAILURE, OKAY, FAILURE. */
  e->r->ok_streak = s->ok ? e->r->ok_streak + 1 : 0;
  const alert_mem_t *a = kml_map_find(e->r->alerts, "up");
  int was_down = a != NULL && a->state != KML_SEV_OKAY;
  if (s->ok && was_down && e->r->ok_streak < 2) {
    int created;
    kml_map_get(e->r->alerts, "up", e->r->round, &created); /* keep it */
    return;
  }
  transition(e, "up", s->ok ? KML_SEV_OKAY : KML_SEV_FAILURE, &ev);
}

static void cluster_values(const emit_t *e, const kml_snapshot_t *s) {
  int parts = 0, urp = 0, offline = 0, min_isr = 0, not_pref = 0;
  int *leaders = calloc(s->n_brokers + 1, sizeof(int));
  int *replicas = calloc(s->n_brokers + 1, sizeof(int));
  double *in = calloc(s->n_brokers + 1, sizeof(double));
  for (int i = 0; i < s->n_topics; i++) {
    const kml_topic_t *t = &s->topics[i];
    for (int p = 0; p < t->n_parts; p++) {
      const kml_partition_t *kp = &t->parts[p];
      parts++;
      urp += kp->n_isr < kp->n_replicas;
      offline += kp->leader < 0;
      min_isr += t->min_isr > 0 && kp->leader >= 0 && kp->n_isr < t->min_isr;
      not_pref += kp->leader >= 0 && kp->n_replicas > 0 &&
                  kp->leader != kp->replicas[0];
      for (int b = 0; leaders && b < s->n_brokers; b++) {
        if (s->brokers[b].id == kp->leader) {
          leaders[b]++;
          if (kp->high >= 0)
            in[b] += (double)kp->high;
        }
        for (int k = 0; k < kp->n_replicas; k++)
          replicas[b] += kp->replicas[k] == s->brokers[b].id;
      }
    }
  }
  put(e, "cluster", "kafka_brokers", "", s->n_brokers, 0, NULL);
  put(e, "cluster", "kafka_topics", "", s->n_topics, 0, NULL);
  put(e, "cluster", "kafka_partitions", "", parts, 0, NULL);
  put(e, "cluster", "kafka_under_replicated", "", urp, 0, NULL);
  put(e, "cluster", "kafka_offline", "", offline, 0, NULL);
  put(e, "cluster", "kafka_under_min_isr", "", min_isr, 0, NULL);
  put(e, "cluster", "kafka_not_preferred", "", not_pref, 0, NULL);
  put(e, "cluster", "kafka_groups", "", s->n_groups, 0, NULL);
  if (leaders != NULL && s->n_brokers > 0) {
    /* Skew: the busiest broker's leaders over the fair share, minus one;
     * 0 when perfectly balanced. */
    int max = 0;
    for (int b = 0; b < s->n_brokers; b++)
      max = leaders[b] > max ? leaders[b] : max;
    double fair = (double)(parts - offline) / s->n_brokers;
    put(e, "cluster", "kafka_leader_skew", "", fair > 0 ? max / fair - 1 : 0, 0,
        NULL);
    char pi[KML_NAME_MAX + 1], key[64];
    for (int b = 0; b < s->n_brokers; b++) {
      snprintf(pi, sizeof(pi), "broker-%d", (int)s->brokers[b].id);
      put(e, pi, "kafka_leaders", "", leaders[b], 0, NULL);
      put(e, pi, "kafka_replicas", "", replicas[b], 0, NULL);
      put(e, pi, "kafka_rtt", "", s->brokers[b].rtt_avg_ms, 0, NULL);
      snprintf(key, sizeof(key), "broker\x1f%d", (int)s->brokers[b].id);
      put(e, pi, "kafka_messages_in", "", rate_of(e, key, in[b]), 0, NULL);
    }
  }
  free(leaders);
  free(replicas);
  free(in);

  kml_event_t ev = {.plugin_instance = "cluster",
                    .type = "kafka_offline",
                    .type_instance = ""};
  if (offline > 0)
    snprintf(ev.message, sizeof(ev.message),
             "%d partition(s) offline: no leader, no reads or writes", offline);
  else
    snprintf(ev.message, sizeof(ev.message), "no partition is offline");
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "offline", .number = offline};
  transition(e, "offline", offline > 0 ? KML_SEV_FAILURE : KML_SEV_OKAY, &ev);
}

/* ---------------------------------------------------------------- topics */

static void topic_values(const emit_t *e, const kml_snapshot_t *s) {
  char pi[KML_NAME_MAX + 1], ti[KML_NAME_MAX + 1], key[600];
  for (int i = 0; i < s->n_topics; i++) {
    const kml_topic_t *t = &s->topics[i];
    name_pi(pi, sizeof(pi), "topic", t->name);
    put(e, pi, "kafka_partitions", "", t->n_parts, 0, t->name);
    double sum_high = 0, retained = 0;
    int complete = 1;
    for (int p = 0; p < t->n_parts; p++) {
      const kml_partition_t *kp = &t->parts[p];
      int created;
      ring_key(key, sizeof(key), t->name, kp->id);
      kml_lag_ring_t *ring =
          kml_map_get(e->r->rings, key, e->r->round, &created);
      if (ring != NULL) {
        kml_lag_observe(ring, e->now, kp->high);
        kml_lag_observe_low(ring, e->now, kp->low);
      }
      if (kp->high < 0 || kp->low < 0)
        complete = 0;
      else {
        sum_high += (double)kp->high;
        retained += (double)(kp->high - kp->low);
      }
      if (!e->r->o.partition_detail)
        continue;
      name_ti(ti, sizeof(ti), t->name, kp->id);
      if (kp->high >= 0)
        put(e, pi, "kafka_offset", ti, (double)kp->high, 1, t->name);
      if (kp->low >= 0)
        put(e, pi, "kafka_offset_low", ti, (double)kp->low, 1, t->name);
      put(e, pi, "kafka_isr", ti, kp->n_isr, 0, t->name);
      put(e, pi, "kafka_leader", ti, kp->leader, 0, t->name);
    }
    if (complete) {
      snprintf(key, sizeof(key), "topic\x1f%s", t->name);
      put(e, pi, "kafka_messages_in", "", rate_of(e, key, sum_high), 0,
          t->name);
      put(e, pi, "kafka_retained", "", retained, 0, t->name);
    }
    if (t->retention_ms >= -1)
      put(e, pi, "kafka_retention_seconds", "",
          t->retention_ms < 0 ? -1 : t->retention_ms / 1000.0, 0, t->name);
  }
}

/* ---------------------------------------------------------------- groups */

typedef struct {
  int64_t lag_total, lag_max;
  double lag_s_max;
  int64_t lost_messages;
  int lost_partitions;
  int64_t committed_sum;
  double retention_eta; /* min over partitions, NAN none */
  kml_status_t status;
  int partitions;
} group_sum_t;

static void group_partition(const emit_t *e, const kml_snapshot_t *s,
                            const kml_group_t *g, const kml_group_offset_t *o,
                            const char *pi, group_sum_t *sum) {
  const kml_topic_t *t = kml_snapshot_topic(s, o->topic);
  const kml_partition_t *kp = t ? kml_topic_partition(t, o->partition) : NULL;
  if (kp == NULL || o->committed < 0)
    return;
  char ti[KML_NAME_MAX + 1], key[1200];
  name_ti(ti, sizeof(ti), o->topic, o->partition);
  int detail = e->r->o.partition_detail;
  sum->partitions++;
  sum->committed_sum += o->committed;
  if (detail)
    put(e, pi, "kafka_committed", ti, (double)o->committed, 1, g->id);
  if (kp->high < 0)
    return;
  int64_t lag = kml_lag_messages(kp->high, o->committed);
  ring_key(key, sizeof(key), o->topic, o->partition);
  const kml_lag_ring_t *ring = kml_map_find(e->r->rings, key);
  double lag_s = ring ? kml_lag_seconds(ring, o->committed, e->now) : NAN;
  sum->lag_total += lag;
  sum->lag_max = lag > sum->lag_max ? lag : sum->lag_max;
  if (isfinite(lag_s) && lag_s > sum->lag_s_max)
    sum->lag_s_max = lag_s;
  if (kp->low >= 0 && o->committed < kp->low) {
    sum->lost_partitions++;
    sum->lost_messages += kp->low - o->committed;
  }
  /* Seconds until the log start passes the committed offset, when the
   * retention front moves faster than the group. */
  if (ring && ring->low_rate > 0 && kp->low >= 0 && o->committed >= kp->low) {
    double eta = (o->committed - kp->low) / ring->low_rate;
    if (!isfinite(sum->retention_eta) || eta < sum->retention_eta)
      sum->retention_eta = eta;
  }
  snprintf(key, sizeof(key), "%s\x1f%s\x1f%d", g->id, o->topic,
           (int)o->partition);
  int created;
  kml_status_window_t *w =
      kml_map_get(e->r->windows, key, e->r->round, &created);
  kml_status_t st = w ? kml_status_update(w, o->committed, lag, g->members > 0,
                                          e->r->o.status_window)
                      : KML_STATUS_OK;
  if (st > sum->status)
    sum->status = st;
  if (detail) {
    put(e, pi, "kafka_lag", ti, (double)lag, 0, g->id);
    put(e, pi, "kafka_lag_seconds", ti, lag_s, 0, g->id);
    put(e, pi, "kafka_group_status", ti, st, 0, g->id);
  }
}

static void group_events(const emit_t *e, const kml_group_t *g, const char *pi,
                         const group_sum_t *sum) {
  char key[600];
  kml_event_t ev = {.plugin_instance = pi, .type_instance = ""};

  ev.type = "kafka_lost_messages";
  ev.n_meta = 0;
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "group", .text = g->id};
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "lost_messages",
                                      .number = (double)sum->lost_messages};
  ev.meta[ev.n_meta++] =
      (kml_meta_t){.key = "partitions", .number = sum->lost_partitions};
  if (sum->lost_partitions > 0)
    snprintf(ev.message, sizeof(ev.message),
             "group %.80s lost %lld message(s) to retention on %d "
             "partition(s): committed offset below the log start",
             g->id, (long long)sum->lost_messages, sum->lost_partitions);
  else
    snprintf(ev.message, sizeof(ev.message),
             "group %.80s: committed offsets are within the log again", g->id);
  snprintf(key, sizeof(key), "lost\x1f%s", g->id);
  transition(e, key, sum->lost_partitions > 0 ? KML_SEV_FAILURE : KML_SEV_OKAY,
             &ev);

  if (isfinite(e->r->o.lag_sla_seconds) && e->r->o.lag_sla_seconds > 0) {
    int over = sum->lag_s_max > e->r->o.lag_sla_seconds;
    ev.type = "kafka_lag_seconds";
    ev.n_meta = 0;
    ev.meta[ev.n_meta++] = (kml_meta_t){.key = "group", .text = g->id};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "lag_seconds", .number = sum->lag_s_max};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "sla_seconds", .number = e->r->o.lag_sla_seconds};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "lag", .number = (double)sum->lag_total};
    if (over)
      snprintf(ev.message, sizeof(ev.message),
               "group %.80s is %.0f s behind, over its SLA of %.0f s "
               "(%lld messages)",
               g->id, sum->lag_s_max, e->r->o.lag_sla_seconds,
               (long long)sum->lag_total);
    else
      snprintf(ev.message, sizeof(ev.message),
               "group %.80s is within its lag SLA again (%.0f s behind)", g->id,
               sum->lag_s_max);
    snprintf(key, sizeof(key), "sla\x1f%s", g->id);
    transition(e, key, over ? KML_SEV_WARNING : KML_SEV_OKAY, &ev);
  }

  int stalled =
      sum->status == KML_STATUS_STALL || sum->status == KML_STATUS_STOP;
  ev.type = "kafka_group_status";
  ev.n_meta = 0;
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "group", .text = g->id};
  ev.meta[ev.n_meta++] =
      (kml_meta_t){.key = "status", .text = kml_status_name(sum->status)};
  ev.meta[ev.n_meta++] =
      (kml_meta_t){.key = "lag", .number = (double)sum->lag_total};
  if (stalled)
    snprintf(ev.message, sizeof(ev.message),
             "group %.80s %s: lag %lld and no progress for %d intervals", g->id,
             sum->status == KML_STATUS_STOP
                 ? "stopped (no members)"
                 : "stalled (members but no progress)",
             (long long)sum->lag_total, e->r->o.status_window);
  else
    snprintf(ev.message, sizeof(ev.message), "group %.80s is consuming again",
             g->id);
  snprintf(key, sizeof(key), "stall\x1f%s", g->id);
  transition(e, key, stalled ? KML_SEV_WARNING : KML_SEV_OKAY, &ev);
}

static void group_values(const emit_t *e, const kml_snapshot_t *s) {
  char pi[KML_NAME_MAX + 1];
  for (int i = 0; i < s->n_groups; i++) {
    const kml_group_t *g = &s->groups[i];
    name_pi(pi, sizeof(pi), "group", g->id);
    int created;
    group_mem_t *m = kml_map_get(e->r->groups, g->id, e->r->round, &created);
    if (m == NULL)
      continue;
    /* Not measured this collection and no error to tell: nothing is
     * dispatched and no state moves. */
    if (g->err == 0 && !kml_group_measured(g))
      continue;
    if (g->err != m->err && e->sink->log != NULL) {
      char msg[512];
      if (g->err != 0)
        snprintf(msg, sizeof(msg),
                 "group %.200s skipped: its offsets cannot be read: %s", g->id,
                 rd_kafka_err2str(g->err));
      else
        snprintf(msg, sizeof(msg), "group %.200s can be read again", g->id);
      e->sink->log(g->err ? 4 : 6, msg, e->sink->ud);
    }
    m->err = g->err;
    if (g->err != 0) {
      put(e, pi, "kafka_group_status", "total", KML_STATUS_ERR, 0, g->id);
      continue;
    }
    /* Rebalances: a move into a rebalancing state, or new membership. */
    int rebalancing = kml_group_state_rebalancing(g->state);
    if (m->have && ((rebalancing && m->state != g->state) ||
                    (!rebalancing && g->members_hash != m->members_hash &&
                     g->members > 0)))
      m->rebalances++;
    if (g->state == KML_GROUP_EMPTY) {
      if (m->empty_since == 0)
        m->empty_since = e->now;
    } else {
      m->empty_since = 0;
    }
    m->state = g->state;
    m->members_hash = g->members_hash;
    m->have = 1;
    put(e, pi, "kafka_group_state", "", g->state, 0, g->id);
    put(e, pi, "kafka_members", "", g->members, 0, g->id);
    put(e, pi, "kafka_rebalances", "", (double)m->rebalances, 1, g->id);

    group_sum_t sum = {.retention_eta = NAN};
    for (int o = 0; o < g->n_offsets; o++)
      group_partition(e, s, g, &g->offsets[o], pi, &sum);
    if (sum.partitions == 0)
      continue;
    put(e, pi, "kafka_lag", "total", (double)sum.lag_total, 0, g->id);
    put(e, pi, "kafka_lag", "max", (double)sum.lag_max, 0, g->id);
    put(e, pi, "kafka_lag_seconds", "max", sum.lag_s_max, 0, g->id);
    put(e, pi, "kafka_group_status", "total", sum.status, 0, g->id);
    put(e, pi, "kafka_lost_messages", "", (double)sum.lost_messages, 0, g->id);
    put(e, pi, "kafka_lost_partitions", "", sum.lost_partitions, 0, g->id);
    put(e, pi, "kafka_retention_eta", "", sum.retention_eta, 0, g->id);
    char key[600];
    snprintf(key, sizeof(key), "consumed\x1f%s", g->id);
    put(e, pi, "kafka_consumed", "", rate_of(e, key, (double)sum.committed_sum),
        0, g->id);
    if (m->empty_since > 0 && s->offsets_retention_s > 0)
      put(e, pi, "kafka_expiry_eta", "",
          s->offsets_retention_s - (e->now - m->empty_since), 0, g->id);
    group_events(e, g, pi, &sum);
  }
}

void kml_report_run(kml_report_t *r, const kml_snapshot_t *s,
                    const kml_report_sink_t *sink) {
  r->round++;
  emit_t e = {.r = r,
              .sink = sink,
              .time = s->started,
              .now = s->started + s->duration};
  r->errors_total += s->errors + !s->ok;
  put(&e, "cluster", "kafka_up", "", s->ok ? 1 : 0, 0, NULL);
  put(&e, "cluster", "kafka_collect_seconds", "", s->duration, 0, NULL);
  put(&e, "cluster", "kafka_requests", "", s->requests, 0, NULL);
  put(&e, "cluster", "kafka_errors", "", (double)r->errors_total, 1, NULL);
  cluster_up_event(&e, s);
  /* Keep the "up" alert state even when nothing else is touched. */
  if (!s->ok) {
    /* Touch everything so a short outage does not sweep histories. */
    return;
  }
  cluster_values(&e, s);
  topic_values(&e, s);
  group_values(&e, s);
  /* Forget topics, partitions and groups that are gone. Alert states of
   * gone groups go too: a deleted group does not "recover". */
  kml_map_sweep(r->rings, r->round);
  kml_map_sweep(r->rates, r->round);
  kml_map_sweep(r->groups, r->round);
  kml_map_sweep(r->windows, r->round);
  kml_map_sweep(r->alerts, r->round);
}
