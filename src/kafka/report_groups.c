/* report_groups: per group partition, lag in messages (high-water mark
 * minus the committed offset) and in seconds (lag.h: when the committed
 * offset was the high-water mark), consumption rate, status window
 * (status.h), retention overtaking the commit; per group, their sums, the
 * state and members, rebalance storms (rebalance.h), ordering skew
 * (ordering.h), and events when a state changes. An alert of a group that
 * has no committed offsets any more is closed with an OKAY that says so. */
#include "report_state.h"

#include "ordering.h"
#include <librdkafka/rdkafka.h>

#include <stdlib.h>

typedef struct {
  int64_t lag_total, lag_max;
  double lag_s_max;
  int64_t lost_messages;
  int lost_partitions;
  kml_partlist_t lost;  /* the partitions lost_partitions counts */
  double consumed;      /* sum of the partitions' rates */
  int rate_unknown;     /* some partition has no rate yet */
  double retention_eta; /* min over partitions, NAN none */
  kml_status_t status;
  int partitions; /* with a commit */
  int unmeasured; /* of those, partitions whose numbers are unknown */
  kml_ordering_acc_t *ordering; /* lag in seconds per topic (the report's) */
  kml_partlist_t stalled;       /* partitions whose status is STALL or STOP */
  int64_t stalled_lag;          /* their lag in messages */
  double still_s; /* of those, the shortest time without a commit seen */
} group_sum_t;

/* Seconds until the log start passes the committed offset: the gap closes
 * at the retention's advance minus the group's own progress. NAN when it
 * does not close (the group keeps ahead) or a rate is unknown. */
static double retention_eta(const part_mem_t *pm, const gpart_mem_t *gm,
                            int64_t committed, int64_t low) {
  if (pm == NULL || gm == NULL || !isfinite(pm->retention) ||
      !isfinite(gm->consumed_s) || committed < low)
    return NAN;
  double closing = pm->retention - gm->consumed_s;
  if (!(closing > 0))
    return NAN;
  return (double)(committed - low) / closing;
}

/* Count a stalled partition (the notification names the first few) and
 * keep the shortest stall. */
static void note_stalled(group_sum_t *sum, const kml_group_offset_t *o,
                         int64_t lag, double still_s) {
  kml_partlist_add(&sum->stalled, o->topic, o->partition);
  sum->stalled_lag += lag;
  if (sum->stalled.total == 1 || still_s < sum->still_s)
    sum->still_s = still_s;
}

static void group_partition(const emit_t *e, const kml_snapshot_t *s,
                            const kml_group_t *g, const kml_group_offset_t *o,
                            const char *pi, group_sum_t *sum) {
  const kml_topic_t *t = kml_snapshot_topic(s, o->topic);
  const kml_partition_t *kp = t ? kml_topic_partition(t, o->partition) : NULL;
  if (kp == NULL || o->committed < 0)
    return;
  char ti[KML_NAME_MAX + 1], key[600], gbuf[1200];
  unsigned d = e->r->detail;
  if (d & (KML_DETAIL_COMMITTED | KML_DETAIL_LAG | KML_DETAIL_LAG_SECONDS |
           KML_DETAIL_GROUP_STATUS))
    name_ti(ti, sizeof(ti), o->topic, o->partition);
  sum->partitions++;
  if (d & KML_DETAIL_COMMITTED)
    put(e, pi, "kafka_committed", ti, (double)o->committed, 1, g->id);

  int created;
  char *gkey = key_printf(gbuf, sizeof(gbuf), "%s\x1f%s\x1f%d", g->id, o->topic,
                          (int)o->partition);
  gpart_mem_t *gm =
      gkey ? kml_map_get(e->r->gparts, gkey, e->r->round, &created) : NULL;
  key_done(gkey, gbuf);
  if (gm != NULL && created)
    gm->consumed = gm->consumed_s = NAN;
  if (gm != NULL && (created || o->committed != gm->last_committed)) {
    gm->last_committed = o->committed;
    gm->moved_t = e->now;
  }
  if (gm != NULL) {
    gm->consumed = rate_of(&gm->committed, e->rate_now, o->committed);
    if (isfinite(gm->consumed)) {
      gm->consumed_s =
          smooth(gm->consumed_s, gm->consumed, e->rate_now - gm->consumed_t);
      gm->consumed_t = e->rate_now;
    }
  }
  /* Without both water marks, or without the members (STALL or STOP), the
   * partition is not measured: nothing derived from it is dispatched. */
  if (kp->high < 0 || kp->low < 0 || !(g->measured & KML_GROUP_DESCRIBED) ||
      gm == NULL) {
    sum->unmeasured++;
    return;
  }
  if (isfinite(gm->consumed))
    sum->consumed += gm->consumed;
  else
    sum->rate_unknown = 1; /* the group's rate needs every partition's */

  int64_t lag = kml_lag_messages(kp->high, o->committed);
  part_key(key, sizeof(key), o->topic, o->partition);
  const part_mem_t *pm = kml_map_find(e->r->parts, key);
  /* Deleted head (retention, DeleteRecords): the oldest message that still
   * exists is the one that ages. */
  int64_t from = o->committed < kp->low ? kp->low : o->committed;
  double lag_s = pm ? kml_lag_seconds(&pm->ring, from, e->now) : NAN;
  kml_ordering_add(sum->ordering, o->topic, lag_s);
  sum->lag_total += lag;
  sum->lag_max = lag > sum->lag_max ? lag : sum->lag_max;
  if (isfinite(lag_s) && lag_s > sum->lag_s_max)
    sum->lag_s_max = lag_s;
  if (o->committed < kp->low) {
    sum->lost_partitions++;
    sum->lost_messages += kp->low - o->committed;
    kml_partlist_add(&sum->lost, o->topic, o->partition);
  }
  double eta = retention_eta(pm, gm, o->committed, kp->low);
  if (isfinite(eta) &&
      (!isfinite(sum->retention_eta) || eta < sum->retention_eta))
    sum->retention_eta = eta;
  kml_status_t st = kml_status_update(&gm->window, o->committed, lag,
                                      g->members > 0, e->r->o.status_window);
  if (st > sum->status)
    sum->status = st;
  if (st == KML_STATUS_STALL || st == KML_STATUS_STOP)
    note_stalled(sum, o, lag, e->now - gm->moved_t);
  if (d & KML_DETAIL_LAG)
    put(e, pi, "kafka_lag", ti, (double)lag, 0, g->id);
  if (d & KML_DETAIL_LAG_SECONDS)
    put(e, pi, "kafka_lag_seconds", ti, lag_s, 0, g->id);
  if (d & KML_DETAIL_GROUP_STATUS)
    put(e, pi, "kafka_group_status", ti, st, 0, g->id);
}

/* FAILURE while committed offsets are below the log start (messages lost
 * to retention), naming the partitions. */
static void lost_event(const emit_t *e, const kml_group_t *g, const char *pi,
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
  if (sum->lost_partitions > 0) {
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "topics", .text = sum->lost.topics};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "partition_names", .text = sum->lost.names};
    char prefix[200];
    snprintf(prefix, sizeof(prefix),
             "group %.80s lost %lld message(s) to retention on %d "
             "partition(s), committed offset below the log start",
             g->id, (long long)sum->lost_messages, sum->lost_partitions);
    message_with_names(ev.message, sizeof(ev.message), prefix, &sum->lost);
  } else
    snprintf(ev.message, sizeof(ev.message),
             "group %.80s: committed offsets are within the log again", g->id);
  char *k = key_printf(key, sizeof(key), "%s\x1flost", g->id);
  if (k == NULL)
    return;
  transition(e, e->r->galerts, k,
             sum->lost_partitions > 0 ? KML_SEV_FAILURE : KML_SEV_OKAY, &ev);
  key_done(k, key);
}

/* WARNING while the group's largest lag in seconds is over LagSLASeconds. */
static void sla_event(const emit_t *e, const kml_group_t *g, const char *pi,
                      const group_sum_t *sum) {
  char key[600];
  kml_event_t ev = {.plugin_instance = pi, .type_instance = ""};
  if (!(isfinite(e->r->o.lag_sla_seconds) && e->r->o.lag_sla_seconds > 0))
    return;
  double sla = e->r->o.lag_sla_seconds;
  /* Over when the lag as printed (to a tenth of a second) is over too:
   * "60 s behind, over its SLA of 60 s" would read as a false alarm. */
  double shown = round(sum->lag_s_max * 10) / 10;
  int over = sum->lag_s_max > sla && shown > sla;
  int decimals = round(sum->lag_s_max) > sla ? 0 : 1;
  int sla_decimals = sla == round(sla)             ? 0
                     : sla * 10 == round(sla * 10) ? 1
                                                   : 2;
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
             "group %.80s is %.*f s behind, over its SLA of %.*f s "
             "(%lld messages)",
             g->id, decimals, sum->lag_s_max, sla_decimals, sla,
             (long long)sum->lag_total);
  else
    snprintf(ev.message, sizeof(ev.message),
             "group %.80s is within its lag SLA again (%.0f s behind)", g->id,
             sum->lag_s_max);
  char *k = key_printf(key, sizeof(key), "%s\x1fsla", g->id);
  if (k == NULL)
    return;
  transition(e, e->r->galerts, k, over ? KML_SEV_WARNING : KML_SEV_OKAY, &ev);
  key_done(k, key);
}

/* WARNING while partitions with a commit go without one (stalled, or
 * stopped: no members), naming them. */
static void stall_event(const emit_t *e, const kml_group_t *g, const char *pi,
                        const group_sum_t *sum) {
  char key[600];
  kml_event_t ev = {.plugin_instance = pi, .type_instance = ""};

  int stalled =
      sum->status == KML_STATUS_STALL || sum->status == KML_STATUS_STOP;
  ev.type = "kafka_group_status";
  ev.n_meta = 0;
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "group", .text = g->id};
  ev.meta[ev.n_meta++] =
      (kml_meta_t){.key = "status", .text = kml_status_name(sum->status)};
  ev.meta[ev.n_meta++] =
      (kml_meta_t){.key = "lag", .number = (double)sum->lag_total};
  if (stalled) {
    char span[32], prefix[200];
    kml_str_duration(span, sizeof(span), sum->still_s);
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "stalled_partitions", .number = sum->stalled.total};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "partitions", .number = sum->partitions};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "stalled", .text = sum->stalled.names};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "topics", .text = sum->stalled.topics};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "still_seconds", .number = sum->still_s};
    snprintf(prefix, sizeof(prefix),
             "group %.60s %s: %d of %d partition(s) without a commit "
             "for %s, %lld messages behind",
             g->id,
             sum->status == KML_STATUS_STOP ? "stopped (no members)"
                                            : "stalled (members present)",
             sum->stalled.total, sum->partitions, span,
             (long long)sum->stalled_lag);
    message_with_names(ev.message, sizeof(ev.message), prefix, &sum->stalled);
  } else
    snprintf(ev.message, sizeof(ev.message), "group %.80s is consuming again",
             g->id);
  char *k = key_printf(key, sizeof(key), "%s\x1fstall", g->id);
  if (k == NULL)
    return;
  transition(e, e->r->galerts, k, stalled ? KML_SEV_WARNING : KML_SEV_OKAY,
             &ev);
  key_done(k, key);
}

static void group_events(const emit_t *e, const kml_group_t *g, const char *pi,
                         const group_sum_t *sum) {
  lost_event(e, g, pi, sum);
  sla_event(e, g, pi, sum);
  stall_event(e, g, pi, sum);
}

static void log_group_error(const emit_t *e, const kml_group_t *g,
                            group_mem_t *m) {
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
}

/* Rebalances since the group's previous look. From __consumer_offsets
 * the generation counts every one; otherwise a move from a settled state
 * into a rebalancing one, or new membership between two settled looks (a
 * rebalance that began and ended between collections): Preparing ->
 * Completing -> Stable is one rebalance. */
static int rebalances_since(const kml_group_t *g, group_mem_t *m) {
  int n;
  int known = (g->measured & KML_GROUP_GENERATION) != 0;
  if (known && m->have_generation) {
    /* a group deleted and made again starts over: no rebalance */
    int64_t d = (int64_t)g->generation - m->generation;
    n = d > 0 ? (int)(d < 100000 ? d : 100000) : 0;
  } else {
    int rebalancing = kml_group_state_rebalancing(g->state);
    int was_settled = !kml_group_state_rebalancing(m->state);
    n = m->have && was_settled &&
        (rebalancing || (g->members_hash != m->members_hash && g->members > 0));
  }
  m->generation = g->generation;
  m->have_generation = known;
  return n;
}

/* Rebalance storms (rebalance.h): the rate over the window and its alert. */
static void group_storm(const emit_t *e, const kml_group_t *g, group_mem_t *m,
                        const char *pi, int rebalanced) {
  kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
  o.window = e->r->o.rebalance_window;
  o.floor = e->r->o.rebalance_floor;
  if (!(o.window > 0))
    return;
  kml_rebalance_verdict_t v;
  kml_rebalance_observe(&m->storm, &o, e->now, rebalanced, g->member_list,
                        g->n_member_list, &v);
  gput(e, KML_GDETAIL_REBALANCE_RATE, pi, "kafka_rebalance_rate", "",
       v.per_hour, 0, g->id);
  if (!v.changed)
    return;
  kml_rebalance_text_t txt;
  kml_event_t ev = {.plugin_instance = pi,
                    .type = "kafka_rebalance_rate",
                    .type_instance = ""};
  kml_rebalance_event(&v, &m->storm, &o, g->id, g->member_list,
                      g->n_member_list, &txt, &ev);
  ev.time = e->time;
  e->sink->event(&ev, e->sink->ud);
}

/* Cross-topic ordering risk (ordering.h): the spread of lag in seconds
 * between the group's topics and its alert, only when measured; an
 * unknown spread keeps the alert as it is. */
static void group_ordering(const emit_t *e, const kml_group_t *g,
                           const char *pi, kml_ordering_acc_t *acc) {
  char buf[600];
  char *key = key_printf(buf, sizeof(buf), "%s\x1fordering", g->id);
  kml_ordering_result_t r;
  int measured = kml_ordering_spread(acc, &r);
  kml_ordering_reset(acc);
  if (key == NULL)
    return;
  const alert_mem_t *a = kml_map_find(e->r->galerts, key);
  double threshold = e->r->o.ordering_skew_seconds;
  if (!measured || !(threshold > 0)) {
    int created;
    if (a != NULL) /* kept: not swept with the group's other alerts */
      kml_map_get(e->r->galerts, key, e->r->round, &created);
    if (measured)
      gput(e, KML_GDETAIL_ORDERING_SKEW, pi, "kafka_ordering_skew", "",
           r.spread, 0, g->id);
    key_done(key, buf);
    return;
  }
  gput(e, KML_GDETAIL_ORDERING_SKEW, pi, "kafka_ordering_skew", "", r.spread, 0,
       g->id);
  kml_event_t ev = {.plugin_instance = pi,
                    .type = "kafka_ordering_skew",
                    .type_instance = ""};
  kml_severity_t sev = kml_ordering_verdict(
      &r, threshold, a ? (kml_severity_t)a->state : KML_SEV_OKAY);
  kml_ordering_event(&r, g->id, threshold, sev, &ev);
  transition(e, e->r->galerts, key, sev, &ev);
  key_done(key, buf);
}

/* When an Empty group's offsets started to age toward expiry, in seconds
 * since the epoch, as Kafka 2.1+ counts it (GroupMetadata's
 * removeExpiredOffsets): a group with metadata from when it became empty
 * (g->empty_since); a group that only commits (no metadata: a standalone
 * consumer) per offset from its latest commit, so from its oldest. 0 when
 * not known (the admin API gives neither time). */
static double empty_base(const kml_group_t *g) {
  if (g->empty_since > 0)
    return g->empty_since;
  if (g->measured & KML_GROUP_GENERATION)
    return 0;
  double oldest = 0;
  for (int i = 0; i < g->n_offsets; i++) {
    double c = g->offsets[i].commit_time;
    if (g->offsets[i].committed >= 0 && c > 0 && (oldest == 0 || c < oldest))
      oldest = c;
  }
  return oldest;
}

/* State, members and rebalances, from the group's description. */
static void group_description(const emit_t *e, const kml_group_t *g,
                              group_mem_t *m, const char *pi) {
  int rebalanced = rebalances_since(g, m);
  m->rebalances += rebalanced;
  group_storm(e, g, m, pi, rebalanced);
  if (g->state == KML_GROUP_EMPTY) {
    /* When it became empty, from the coordinator's own record; else when
     * this collectd first saw it empty (a lower bound on its age: a
     * group already empty at start expires sooner than that says). */
    double base = empty_base(g);
    if (base > 0 && base <= e->now)
      m->empty_since = base;
    else if (m->empty_since == 0)
      m->empty_since = e->now;
  } else {
    m->empty_since = 0;
  }
  m->state = g->state;
  m->members_hash = g->members_hash;
  m->have = 1;
  gput(e, KML_GDETAIL_STATE, pi, "kafka_group_state", "", g->state, 0, g->id);
  gput(e, KML_GDETAIL_MEMBERS, pi, "kafka_members", "", g->members, 0, g->id);
  gput(e, KML_GDETAIL_REBALANCES, pi, "kafka_rebalances", "",
       (double)m->rebalances, 1, g->id);
  if (m->empty_since > 0 && e->s->offsets_retention_s > 0)
    gput(e, KML_GDETAIL_EXPIRY_ETA, pi, "kafka_expiry_eta", "",
         e->s->offsets_retention_s - (e->now - m->empty_since), 0, g->id);
}

/* Returns 1 when every number of the group (its memory m) was measured. */
static int group_values(const emit_t *e, const kml_snapshot_t *s,
                        const kml_group_t *g, group_mem_t *m) {
  char pi[KML_NAME_MAX + 1];
  name_pi(pi, sizeof(pi), "group", g->id);
  /* Not measured this collection and no error to tell (the offsets topic
   * not read to its end yet): nothing is dispatched and no state moves. */
  if (g->err == 0 && !kml_group_measured(g))
    return 0;
  log_group_error(e, g, m);
  if (g->measured & KML_GROUP_DESCRIBED)
    group_description(e, g, m, pi);
  if (!(g->measured & KML_GROUP_OFFSETS)) {
    /* A fact, not a guess: the offsets could not be read. */
    gput(e, KML_GDETAIL_STATUS, pi, "kafka_group_status", "total",
         KML_STATUS_ERR, 0, g->id);
    return 0;
  }
  group_sum_t sum = {.retention_eta = NAN, .ordering = &e->r->ordering};
  kml_ordering_reset(sum.ordering);
  for (int o = 0; o < g->n_offsets; o++)
    group_partition(e, s, g, &g->offsets[o], pi, &sum);
  if (sum.unmeasured > 0 || sum.partitions == 0) {
    kml_ordering_add(sum.ordering, "", NAN); /* the spread is unknown */
    group_ordering(e, g, pi, sum.ordering);
  }
  if (sum.unmeasured > 0)
    return 0; /* totals of part of a group would be wrong numbers */
  if (sum.partitions == 0)
    return kml_group_measured(g);
  gput(e, KML_GDETAIL_LAG, pi, "kafka_lag", "total", (double)sum.lag_total, 0,
       g->id);
  gput(e, KML_GDETAIL_LAG, pi, "kafka_lag", "max", (double)sum.lag_max, 0,
       g->id);
  gput(e, KML_GDETAIL_LAG_SECONDS, pi, "kafka_lag_seconds", "max",
       sum.lag_s_max, 0, g->id);
  gput(e, KML_GDETAIL_STATUS, pi, "kafka_group_status", "total", sum.status, 0,
       g->id);
  gput(e, KML_GDETAIL_LOST_MESSAGES, pi, "kafka_lost_messages", "",
       (double)sum.lost_messages, 0, g->id);
  gput(e, KML_GDETAIL_LOST_PARTITIONS, pi, "kafka_lost_partitions", "",
       sum.lost_partitions, 0, g->id);
  gput(e, KML_GDETAIL_RETENTION_ETA, pi, "kafka_retention_eta", "",
       sum.retention_eta, 0, g->id);
  if (!sum.rate_unknown)
    gput(e, KML_GDETAIL_CONSUMED, pi, "kafka_consumed", "", sum.consumed, 0,
         g->id);
  group_events(e, g, pi, &sum);
  group_ordering(e, g, pi, sum.ordering);
  return 1;
}

/* The memory of groups this collection could not read stays (ud: the
 * report; such a group's memory is marked with the round): the group
 * whose id is the first n bytes of key. Looking into r->groups while it is
 * swept is safe: a sweep calls keep between removals. */
static int keep_id(const kml_report_t *r, const char *key, size_t n) {
  char buf[600];
  char *id = key_printf(buf, sizeof(buf), "%.*s", (int)n, key);
  if (id == NULL)
    return 1; /* cannot tell: keep */
  const group_mem_t *m = kml_map_find(r->groups, id);
  key_done(id, buf);
  return m != NULL && m->unmeasured == r->round;
}

/* A group id is any bytes Kafka allows, 0x1f included, so a key is split
 * from its end, where the fields that follow the id hold no 0x1f (a kind
 * of alert; a topic, whose name Kafka limits to [a-zA-Z0-9._-], and a
 * partition number). r->groups: the key is the id. */
static int keep_group(const char *key, void *ud) {
  return keep_id(ud, key, strlen(key));
}

/* r->galerts: "<group>\x1f<kind>". */
static int keep_galert(const char *key, void *ud) {
  const char *sep = strrchr(key, '\x1f');
  return keep_id(ud, key, sep ? (size_t)(sep - key) : strlen(key));
}

/* r->gparts: "<group>\x1f<topic>\x1f<partition>". */
static int keep_gpart(const char *key, void *ud) {
  size_t n = strlen(key);
  for (int seps = 0; n > 0;)
    if (key[--n] == '\x1f' && ++seps == 2)
      return keep_id(ud, key, n);
  return keep_id(ud, key, strlen(key));
}

/* The type of the notification behind a group alert key's kind. */
static const char *group_alert_type(const char *kind) {
  static const char *const kinds[][2] = {{"lost", "kafka_lost_messages"},
                                         {"sla", "kafka_lag_seconds"},
                                         {"stall", "kafka_group_status"},
                                         {"ordering", "kafka_ordering_skew"}};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
    if (strcmp(kind, kinds[i][0]) == 0)
      return kinds[i][1];
  return NULL;
}

/* A group alert left open that this collection did not look at, of a
 * group that was read (or is not listed any more): the group has no
 * committed offsets now (deleted, even during the collection, or its
 * offsets expired). The problem cannot clear by itself, so the alert is
 * closed with one OKAY that says why, instead of staying open forever. */
static void close_gone_group(const char *key, void *value, void *ud) {
  const emit_t *e = ud;
  alert_mem_t *a = value;
  const char *sep = strrchr(key, '\x1f');
  if (a->round == e->r->round || a->state == KML_SEV_OKAY || sep == NULL ||
      keep_galert(key, e->r))
    return;
  const char *type = group_alert_type(sep + 1);
  char buf[512], pi[KML_NAME_MAX + 1];
  char *id =
      type ? key_printf(buf, sizeof(buf), "%.*s", (int)(sep - key), key) : NULL;
  if (id == NULL)
    return;
  a->state = KML_SEV_OKAY;
  name_pi(pi, sizeof(pi), "group", id);
  kml_event_t ev = {.severity = KML_SEV_OKAY,
                    .time = e->time,
                    .plugin_instance = pi,
                    .type = type,
                    .type_instance = ""};
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "group", .text = id};
  snprintf(ev.message, sizeof(ev.message),
           "group %.80s has no committed offsets any more (deleted, or its "
           "offsets expired): its alert is closed",
           id);
  e->sink->event(&ev, e->sink->ud);
  key_done(id, buf);
}

/* Groups are marked unmeasured in their own memory (group_mem_t), not in
 * a set made for the collection: a known cluster is reported without
 * allocating. */
void kml_report_groups(const emit_t *e, const kml_snapshot_t *s) {
  kml_report_t *r = e->r;
  int n_unmeasured = 0, unmarked = 0;
  for (int i = 0; i < s->n_groups; i++) {
    const kml_group_t *g = &s->groups[i];
    int created;
    group_mem_t *m = kml_map_get(r->groups, g->id, r->round, &created);
    if (m != NULL && group_values(e, s, g, m))
      continue;
    n_unmeasured++;
    if (m != NULL)
      m->unmeasured = r->round;
    else
      unmarked = 1; /* out of memory: it could not be kept */
  }
  put(e, "cluster", "kafka_unmeasured", "groups", n_unmeasured, 0, NULL);
  /* Forget groups that are gone only when the list is the whole list; a
   * deleted group does not "recover": its open alerts are closed once,
   * saying so. */
  if ((s->complete & KML_STEP_GROUP_LIST) && !unmarked) {
    kml_map_foreach(r->galerts, close_gone_group, (void *)e);
    kml_map_sweep_keep(r->groups, r->round, keep_group, r);
    kml_map_sweep_keep(r->gparts, r->round, keep_gpart, r);
    kml_map_sweep_keep(r->galerts, r->round, keep_galert, r);
  }
}
