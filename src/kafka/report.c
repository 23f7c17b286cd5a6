/* report: the mapping from a snapshot to collectd's identifier scheme, plus
 * the memory that rates, lag in seconds and notifications need.
 *
 * Unknown is not zero: a value is dispatched only when the snapshot
 * measured everything it is made of (a group's total only when each of its
 * partitions has a committed offset and both water marks), and only such
 * values move a notification state. An event is sent when a state changes
 * (FAILURE/WARNING when a problem appears, OKAY when it clears), never once
 * per interval, as collectd's threshold plugin does. Memory of topics and
 * groups that are gone is swept only after a step that saw the whole
 * cluster (the metadata, the complete group list), and never for a group
 * the collection could not read.
 *
 * Rates belong to partitions: each partition's rate comes from its own
 * high-water marks (kml_rate), and a topic's or broker's rate is the sum of
 * its partitions' rates (a broker's: the partitions it leads now), so a
 * leader move changes who owns a rate, never its size. */
#include "report.h"

#include "../kml_map.h"
#include "../kml_rate.h"
#include "../kml_str.h"
#include "backoff.h"
#include "lag.h"
#include "ordering.h"
#include "partlist.h"
#include "rebalance.h"
#include "status.h"
#include <librdkafka/rdkafka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Time constant of the smoothed rates behind the retention ETA: retention
 * deletes whole segments and consumers commit in steps, so the rate of one
 * interval says little. */
#define SMOOTH_SECONDS 300.0

typedef struct {
  kml_lag_ring_t ring;
  kml_rate_t high, low;     /* kml_rate state of the two water marks */
  double in_rate;           /* messages/s over the last interval; NAN unknown */
  double retention;         /* smoothed log-start advance, messages/s; NAN */
  double retention_t;       /* when retention was last updated */
  int64_t undated;          /* an offset Kafka could not date: not asked again;
                               -1 none */
  kml_backoff_t unanswered; /* arrival lookups its leader left unanswered */
  int32_t asked_leader;     /* the leader those lookups went to */
} part_mem_t;

typedef struct {
  kml_status_window_t window;
  kml_rate_t committed;
  double consumed;   /* messages/s over the last interval; NAN unknown */
  double consumed_s; /* smoothed; NAN unknown */
  double consumed_t;
  int64_t last_committed; /* the committed offset last seen */
  double moved_t;         /* when it was seen changing (or first seen) */
} gpart_mem_t;

typedef struct {
  kml_group_state_t state;
  int err; /* last error reading the group, 0 none: logged on change */
  uint64_t members_hash;
  int64_t rebalances;
  double empty_since; /* when we first saw the group Empty, 0 if not */
  int have;
  kml_rebalance_t storm; /* rebalance storms (rebalance.h) */
  int32_t generation;    /* last generation read, with have_generation */
  int have_generation;
} group_mem_t;

typedef struct {
  int state;      /* kml_severity_t of the last event, OKAY initially */
  uint64_t round; /* last round the state was looked at */
  char name[80];  /* brokers: "host:port" while known */
} alert_mem_t;

struct kml_report {
  kml_report_opts_t o;
  unsigned detail;  /* KML_DETAIL_* bits of the types dispatched */
  unsigned gdetail; /* KML_GDETAIL_* bits of the types dispatched */
  uint64_t round;
  int had_metadata; /* a collection before this one read the metadata */
  int ok_streak;    /* consecutive successful collections */
  int fail_streak;  /* consecutive failed collections */
  int64_t errors_total;
  kml_map_t *parts;      /* "<topic>\x1f<partition>" */
  kml_map_t *groups;     /* "<group>" */
  kml_map_t *gparts;     /* "<group>\x1f<topic>\x1f<partition>" */
  kml_map_t *galerts;    /* "<group>\x1f<kind>" */
  kml_map_t *alerts;     /* cluster and broker alerts */
  int arrival_causes[8]; /* why arrivals could not be read, each logged */
  int n_arrival_causes;  /* once */
  int arrival_looked;    /* group partitions the last arrivals pass looked
                            up (kml_report_arrival_looked) */
};

unsigned kml_report_detail_bit(const char *type) {
  static const char *const names[] = {
      "kafka_offset",      "kafka_offset_low",  "kafka_isr",
      "kafka_leader",      "kafka_committed",   "kafka_lag",
      "kafka_lag_seconds", "kafka_group_status"};
  for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(type, names[i]) == 0)
      return 1u << i;
  return 0;
}

unsigned kml_report_group_detail_bit(const char *type) {
  static const char *const names[] = {
      "kafka_group_state",     "kafka_members",       "kafka_rebalances",
      "kafka_rebalance_rate",  "kafka_expiry_eta",    "kafka_lag",
      "kafka_lag_seconds",     "kafka_group_status",  "kafka_lost_messages",
      "kafka_lost_partitions", "kafka_retention_eta", "kafka_consumed",
      "kafka_ordering_skew"};
  for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(type, names[i]) == 0)
      return 1u << i;
  return 0;
}

kml_report_t *kml_report_new(const kml_report_opts_t *o) {
  kml_report_t *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return NULL;
  r->o = *o;
  r->detail = !o->partition_detail ? 0
              : o->partition_types ? o->partition_types & KML_DETAIL_ALL
                                   : KML_DETAIL_ALL;
  r->gdetail =
      o->group_types ? o->group_types & KML_GDETAIL_ALL : KML_GDETAIL_ALL;
  if (r->o.status_window < 2)
    r->o.status_window = 5;
  r->parts = kml_map_new(sizeof(part_mem_t));
  r->groups = kml_map_new(sizeof(group_mem_t));
  r->gparts = kml_map_new(sizeof(gpart_mem_t));
  r->galerts = kml_map_new(sizeof(alert_mem_t));
  r->alerts = kml_map_new(sizeof(alert_mem_t));
  if (!r->parts || !r->groups || !r->gparts || !r->galerts || !r->alerts) {
    kml_report_destroy(r);
    return NULL;
  }
  return r;
}

void kml_report_destroy(kml_report_t *r) {
  if (r == NULL)
    return;
  kml_map_destroy(r->parts);
  kml_map_destroy(r->groups);
  kml_map_destroy(r->gparts);
  kml_map_destroy(r->galerts);
  kml_map_destroy(r->alerts);
  free(r);
}

/* ---------------------------------------------------------------- output */

/* What topic_values() learnt for arrivals(), per partition of the
 * snapshot (index base[topic] + the partition's index in its topic): the
 * first mark its ring observed when Kafka still holds messages below it
 * (a group there may need an arrival lookup), else -1. */
struct history {
  int64_t *from;
  int *base;
  int undated; /* partitions with from >= 0 */
};

typedef struct {
  kml_report_t *r;
  const kml_report_sink_t *sink;
  const kml_snapshot_t *s;
  double time; /* collection start: the values' timestamp */
  double now;  /* when the offsets were read: lag-in-seconds clock */
  struct history *history; /* NULL when out of memory: every group
                              partition is looked at by arrivals() */
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

/* put() of a group type: only when that type (KML_GDETAIL_*) is wanted. */
static void gput(const emit_t *e, unsigned bit, const char *pi,
                 const char *type, const char *ti, double value, int counter,
                 const char *raw) {
  if (e->r->gdetail & bit)
    put(e, pi, type, ti, value, counter, raw);
}

/* Send an event when the state stored under key in map m changes. The
 * first look at a key that is fine sends nothing: there was nothing to
 * recover from. */
static void transition(const emit_t *e, kml_map_t *m, const char *key,
                       kml_severity_t sev, kml_event_t *ev) {
  int created;
  alert_mem_t *a = kml_map_get(m, key, e->r->round, &created);
  if (a == NULL)
    return;
  a->round = e->r->round;
  if ((int)sev == a->state)
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

/* Rate of counter value v at time t from kml_rate state m; NAN the first
 * time, after a reset, or when v is unknown (< 0). */
static double rate_of(kml_rate_t *m, double t, int64_t v) {
  double out = NAN;
  if (v < 0 ||
      kml_rate_update(m, KML_DS_DERIVE, t, (double)v, &out) != KML_RATE_OK)
    return NAN;
  return out;
}

/* Exponential smoothing over time: avg moves toward x by 1 - e^(-dt/tau). */
static double smooth(double avg, double x, double dt) {
  if (!isfinite(x))
    return avg;
  if (!isfinite(avg) || dt <= 0)
    return x;
  return avg + (1 - exp(-dt / SMOOTH_SECONDS)) * (x - avg);
}

static void part_key(char *out, size_t len, const char *topic, int32_t p) {
  snprintf(out, len, "%s\x1f%d", topic, (int)p);
}

/* --------------------------------------------------------------- cluster */

static void cluster_up_event(const emit_t *e, const kml_snapshot_t *s) {
  kml_event_t ev = {
      .plugin_instance = "cluster", .type = "kafka_up", .type_instance = ""};
  if (s->ok)
    snprintf(ev.message, sizeof(ev.message),
             "Kafka cluster reachable again: %d brokers", s->n_brokers);
  else if (s->cause[0] != '\0') /* what pages: where and why */
    snprintf(ev.message, sizeof(ev.message),
             "Kafka cluster unreachable at %.80s: %.79s (%.60s)", s->bootstrap,
             s->cause, s->error);
  else if (s->bootstrap[0] != '\0')
    snprintf(ev.message, sizeof(ev.message),
             "Kafka cluster unreachable at %.80s: %.140s", s->bootstrap,
             s->error);
  else
    snprintf(ev.message, sizeof(ev.message),
             "Kafka cluster unreachable: %.200s", s->error);
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "brokers", .number = s->n_brokers};
  /* Down after two failed collections in a row (one slow answer is not an
   * outage); back up after two good ones, so brokers dying one by one do
   * not page FAILURE, OKAY, FAILURE. */
  e->r->ok_streak = s->ok ? e->r->ok_streak + 1 : 0;
  e->r->fail_streak = s->ok ? 0 : e->r->fail_streak + 1;
  const alert_mem_t *a = kml_map_find(e->r->alerts, "up");
  int was_down = a != NULL && a->state != KML_SEV_OKAY;
  if ((s->ok && was_down && e->r->ok_streak < 2) ||
      (!s->ok && !was_down && e->r->fail_streak < 2)) {
    int created;
    kml_map_get(e->r->alerts, "up", e->r->round, &created); /* keep it */
    return;
  }
  transition(e, e->r->alerts, "up", s->ok ? KML_SEV_OKAY : KML_SEV_FAILURE,
             &ev);
}

/* Per broker: partitions led, replicas held, the sum of the rates of the
 * partitions it leads and of those it holds a replica of (each complete
 * only when every such partition has a rate). The second does not change
 * when leaders move: it is what peers of a broker are compared by. A
 * broker that leads (or holds) nothing has a rate of 0 only over an
 * interval: not at the first collection, and not while a topic is listed
 * without its partitions (nobody knows who leads them). */
typedef struct {
  int leaders, replicas;
  double in, replicated; /* led partitions' rates; all held replicas' */
  int in_unknown, replicated_unknown;
} broker_sum_t;

static int broker_index(const kml_snapshot_t *s, int32_t id) {
  const kml_broker_t *b = kml_snapshot_broker(s, id);
  return b ? (int)(b - s->brokers) : -1;
}

/* Counts per broker id, for brokers that may not be in the metadata:
 * replicas held by lost brokers, replicas out of the ISR. */
#define MAX_COUNTED 64
typedef struct {
  int32_t id;
  int replicas;
} lost_t;

static void count_id(lost_t *c, int *n, int32_t id) {
  int j = 0;
  while (j < *n && c[j].id != id)
    j++;
  if (j == *n) {
    if (*n == MAX_COUNTED)
      return;
    c[(*n)++] = (lost_t){.id = id};
  }
  c[j].replicas++;
}

static int in_isr(const kml_partition_t *kp, int32_t id) {
  for (int j = 0; j < kp->n_isr; j++)
    if (kp->isr[j] == id)
      return 1;
  return 0;
}

static void broker_events(const emit_t *e, const kml_snapshot_t *s,
                          const lost_t *lost, int n_lost) {
  char key[64];
  kml_event_t ev = {.type = "kafka_broker_up", .type_instance = ""};
  char pi[32];
  ev.plugin_instance = pi;
  for (int b = 0; b < s->n_brokers; b++) {
    const kml_broker_t *kb = &s->brokers[b];
    snprintf(key, sizeof(key), "broker\x1f%d", (int)kb->id);
    snprintf(pi, sizeof(pi), "broker-%d", (int)kb->id);
    snprintf(ev.message, sizeof(ev.message), "broker %d (%.100s:%d) is back",
             (int)kb->id, kb->host, kb->port);
    ev.n_meta = 0;
    ev.meta[ev.n_meta++] = (kml_meta_t){.key = "broker", .number = kb->id};
    transition(e, e->r->alerts, key, KML_SEV_OKAY, &ev);
    alert_mem_t *a = kml_map_find(e->r->alerts, key);
    if (a != NULL)
      snprintf(a->name, sizeof(a->name), "%.60s:%d", kb->host, kb->port);
  }
  for (int i = 0; i < n_lost; i++) {
    snprintf(key, sizeof(key), "broker\x1f%d", (int)lost[i].id);
    snprintf(pi, sizeof(pi), "broker-%d", (int)lost[i].id);
    const alert_mem_t *a = kml_map_find(e->r->alerts, key);
    snprintf(ev.message, sizeof(ev.message),
             "broker %d%s%.70s%s is not in the cluster: it holds replicas of "
             "%d partition(s)",
             (int)lost[i].id, a && a->name[0] ? " (" : "", a ? a->name : "",
             a && a->name[0] ? ")" : "", lost[i].replicas);
    ev.n_meta = 0;
    ev.meta[ev.n_meta++] = (kml_meta_t){.key = "broker", .number = lost[i].id};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "replicas", .number = lost[i].replicas};
    transition(e, e->r->alerts, key, KML_SEV_FAILURE, &ev);
  }
}

/* A broker that was lost and is neither back nor holding replicas any more
 * was taken out of the cluster: close its alert. */
static void close_gone_broker(const char *key, void *value, void *ud) {
  const emit_t *e = ud;
  alert_mem_t *a = value;
  if (strncmp(key, "broker\x1f", 7) != 0 || a->round == e->r->round ||
      a->state == KML_SEV_OKAY)
    return;
  a->state = KML_SEV_OKAY;
  char pi[32];
  snprintf(pi, sizeof(pi), "broker-%s", key + 7);
  kml_event_t ev = {.severity = KML_SEV_OKAY,
                    .time = e->time,
                    .plugin_instance = pi,
                    .type = "kafka_broker_up",
                    .type_instance = ""};
  snprintf(ev.message, sizeof(ev.message),
           "broker %s left the cluster: it holds no replica any more", key + 7);
  e->sink->event(&ev, e->sink->ud);
}

/* How many partitions a message names before "and N more". */
#define NAMES_SHOWN 4

/* "<prefix>: a-1, a-2 and 3 more" into msg: the names last, so that a long
 * prefix cuts only the list, and only between names. */
static void message_with_names(char *msg, size_t len, const char *prefix,
                               const kml_partlist_t *names) {
  int n = snprintf(msg, len, "%s: ", prefix);
  if (n > 0 && (size_t)n < len)
    kml_partlist_print(names, msg + n, len - n, NAMES_SHOWN);
}

static void cluster_events(const emit_t *e, int urp,
                           const kml_partlist_t *offline, const lost_t *unsync,
                           int n_unsync) {
  kml_event_t ev = {.plugin_instance = "cluster",
                    .type = "kafka_offline",
                    .type_instance = ""};
  char prefix[96];
  if (offline->total > 0) {
    snprintf(prefix, sizeof(prefix),
             "%d partition(s) offline (no leader, no reads or writes)",
             offline->total);
    message_with_names(ev.message, sizeof(ev.message), prefix, offline);
  } else
    snprintf(ev.message, sizeof(ev.message), "no partition is offline");
  ev.meta[ev.n_meta++] =
      (kml_meta_t){.key = "offline", .number = offline->total};
  if (offline->total > 0) {
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "topics", .text = offline->topics};
    ev.meta[ev.n_meta++] =
        (kml_meta_t){.key = "partition_names", .text = offline->names};
  }
  transition(e, e->r->alerts, "offline",
             offline->total > 0 ? KML_SEV_FAILURE : KML_SEV_OKAY, &ev);

  /* The broker out of sync on the most partitions is the likely cause. */
  int worst = -1;
  for (int i = 0; i < n_unsync; i++)
    if (worst < 0 || unsync[i].replicas > unsync[worst].replicas)
      worst = i;
  ev.type = "kafka_under_replicated";
  ev.n_meta = 0;
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "under_replicated", .number = urp};
  if (urp > 0 && worst >= 0)
    snprintf(ev.message, sizeof(ev.message),
             "%d partition(s) under-replicated; broker %d is out of sync on "
             "%d of them",
             urp, (int)unsync[worst].id, unsync[worst].replicas);
  else if (urp > 0)
    snprintf(ev.message, sizeof(ev.message), "%d partition(s) under-replicated",
             urp);
  else
    snprintf(ev.message, sizeof(ev.message),
             "every partition is fully replicated again");
  transition(e, e->r->alerts, "urp", urp > 0 ? KML_SEV_WARNING : KML_SEV_OKAY,
             &ev);
}

/* Cluster and broker values; bs holds what the topic pass summed. */
static void cluster_values(const emit_t *e, const kml_snapshot_t *s,
                           broker_sum_t *bs, int rates_known) {
  int parts = 0, urp = 0, offline = 0, min_isr = 0, not_pref = 0;
  lost_t lost[MAX_COUNTED], unsync[MAX_COUNTED];
  int n_lost = 0, n_unsync = 0;
  kml_partlist_t offline_names;
  kml_partlist_clear(&offline_names);
  for (int i = 0; i < s->n_topics; i++) {
    const kml_topic_t *t = &s->topics[i];
    for (int p = 0; p < t->n_parts; p++) {
      const kml_partition_t *kp = &t->parts[p];
      parts++;
      urp += kp->n_isr < kp->n_replicas;
      offline += kp->leader < 0;
      if (kp->leader < 0)
        kml_partlist_add(&offline_names, t->name, kp->id);
      min_isr += t->min_isr > 0 && kp->leader >= 0 && kp->n_isr < t->min_isr;
      not_pref += kp->leader >= 0 && kp->n_replicas > 0 &&
                  kp->leader != kp->replicas[0];
      int lb = broker_index(s, kp->leader);
      if (lb >= 0)
        bs[lb].leaders++;
      for (int k = 0; k < kp->n_replicas; k++) {
        int32_t id = kp->replicas[k];
        int rb = broker_index(s, id);
        if (rb >= 0)
          bs[rb].replicas++;
        else
          count_id(lost, &n_lost, id);
        if (!in_isr(kp, id))
          count_id(unsync, &n_unsync, id);
      }
    }
  }
  put(e, "cluster", "kafka_brokers", "", s->n_brokers, 0, NULL);
  put(e, "cluster", "kafka_topics", "", s->n_topics, 0, NULL);
  put(e, "cluster", "kafka_partitions", "", parts, 0, NULL);
  put(e, "cluster", "kafka_under_replicated", "", urp, 0, NULL);
  put(e, "cluster", "kafka_offline", "", offline, 0, NULL);
  if (s->complete & KML_STEP_CONFIGS)
    put(e, "cluster", "kafka_under_min_isr", "", min_isr, 0, NULL);
  put(e, "cluster", "kafka_not_preferred", "", not_pref, 0, NULL);
  if (s->complete & KML_STEP_GROUP_LIST)
    put(e, "cluster", "kafka_groups", "", s->n_groups, 0, NULL);
  if (s->n_brokers > 0) {
    /* Skew: the busiest broker's leaders over the fair share, minus one;
     * 0 when perfectly balanced. */
    int max = 0;
    for (int b = 0; b < s->n_brokers; b++)
      max = bs[b].leaders > max ? bs[b].leaders : max;
    double fair = (double)(parts - offline) / s->n_brokers;
    put(e, "cluster", "kafka_leader_skew", "", fair > 0 ? max / fair - 1 : 0, 0,
        NULL);
  }
  put(e, "cluster", "kafka_lost_brokers", "", n_lost, 0, NULL);
  char pi[32];
  for (int b = 0; b < s->n_brokers; b++) {
    snprintf(pi, sizeof(pi), "broker-%d", (int)s->brokers[b].id);
    put(e, pi, "kafka_broker_up", "", 1, 0, NULL);
    put(e, pi, "kafka_leaders", "", bs[b].leaders, 0, NULL);
    put(e, pi, "kafka_replicas", "", bs[b].replicas, 0, NULL);
    put(e, pi, "kafka_rtt", "", s->brokers[b].rtt_avg_ms, 0, NULL);
    if (rates_known && !bs[b].in_unknown)
      put(e, pi, "kafka_messages_in", "", bs[b].in, 0, NULL);
    if (rates_known && !bs[b].replicated_unknown)
      put(e, pi, "kafka_replicated_in", "", bs[b].replicated, 0, NULL);
  }
  for (int i = 0; i < n_lost; i++) {
    snprintf(pi, sizeof(pi), "broker-%d", (int)lost[i].id);
    put(e, pi, "kafka_broker_up", "", 0, 0, NULL);
  }
  cluster_events(e, urp, &offline_names, unsync, n_unsync);
  broker_events(e, s, lost, n_lost);
  kml_map_foreach(e->r->alerts, close_gone_broker, (void *)e);
}

/* ---------------------------------------------------------------- topics */

/* Observe a partition's water marks: ring, rates. Returns its memory. */
static part_mem_t *observe_partition(const emit_t *e, const char *topic,
                                     const kml_partition_t *kp) {
  char key[600];
  int created;
  part_key(key, sizeof(key), topic, kp->id);
  part_mem_t *m = kml_map_get(e->r->parts, key, e->r->round, &created);
  if (m == NULL)
    return NULL;
  if (created) {
    m->retention = NAN;
    m->undated = -1;
  }
  kml_lag_observe(&m->ring, e->now, kp->high);
  m->in_rate = rate_of(&m->high, e->now, kp->high);
  double adv = rate_of(&m->low, e->now, kp->low);
  if (isfinite(adv)) {
    m->retention = smooth(m->retention, adv, e->now - m->retention_t);
    m->retention_t = e->now;
  }
  return m;
}

/* Whether Kafka still holds messages of partition p of topic i older than
 * its ring's first mark (only then can a group need an arrival lookup). */
static void note_history(const emit_t *e, int i, int p,
                         const kml_partition_t *kp, const part_mem_t *m) {
  struct history *h = e->history;
  if (h == NULL)
    return;
  int64_t *from = &h->from[h->base[i] + p];
  *from = -1;
  if (m != NULL && m->ring.n > 0 && kp->low >= 0 && kp->low < m->ring.watched) {
    *from = m->ring.watched;
    h->undated++;
  }
}

/* Topic values; sums the rates of partitions into bs. Returns 0 when a
 * topic is listed with an error and without its partitions: nothing of it
 * is dispatched (its 0 partitions, 0 messages/s would be wrong numbers),
 * and no broker's sum is complete. */
static int topic_values(const emit_t *e, const kml_snapshot_t *s,
                        broker_sum_t *bs) {
  char pi[KML_NAME_MAX + 1], ti[KML_NAME_MAX + 1];
  int described = 1;
  for (int i = 0; i < s->n_topics; i++) {
    const kml_topic_t *t = &s->topics[i];
    if (t->err != 0 && t->n_parts == 0) {
      described = 0;
      continue;
    }
    name_pi(pi, sizeof(pi), "topic", t->name);
    put(e, pi, "kafka_partitions", "", t->n_parts, 0, t->name);
    double in = 0, retained = 0;
    int marks = 1, rates = 1;
    for (int p = 0; p < t->n_parts; p++) {
      const kml_partition_t *kp = &t->parts[p];
      part_mem_t *m = observe_partition(e, t->name, kp);
      note_history(e, i, p, kp, m);
      double rate = m ? m->in_rate : NAN;
      int lb = broker_index(s, kp->leader);
      if (lb >= 0) {
        if (isfinite(rate))
          bs[lb].in += rate;
        else
          bs[lb].in_unknown = 1;
      }
      for (int k = 0; k < kp->n_replicas; k++) {
        int rb = broker_index(s, kp->replicas[k]);
        if (rb < 0)
          continue;
        if (isfinite(rate))
          bs[rb].replicated += rate;
        else
          bs[rb].replicated_unknown = 1;
      }
      if (isfinite(rate))
        in += rate;
      else
        rates = 0;
      if (kp->high < 0 || kp->low < 0)
        marks = 0;
      else
        retained += (double)(kp->high - kp->low);
      unsigned d = e->r->detail;
      if (!(d & (KML_DETAIL_OFFSET | KML_DETAIL_OFFSET_LOW | KML_DETAIL_ISR |
                 KML_DETAIL_LEADER)))
        continue;
      name_ti(ti, sizeof(ti), t->name, kp->id);
      if (kp->high >= 0 && (d & KML_DETAIL_OFFSET))
        put(e, pi, "kafka_offset", ti, (double)kp->high, 1, t->name);
      if (kp->low >= 0 && (d & KML_DETAIL_OFFSET_LOW))
        put(e, pi, "kafka_offset_low", ti, (double)kp->low, 1, t->name);
      if (d & KML_DETAIL_ISR)
        put(e, pi, "kafka_isr", ti, kp->n_isr, 0, t->name);
      if (d & KML_DETAIL_LEADER)
        put(e, pi, "kafka_leader", ti, kp->leader, 0, t->name);
    }
    if (rates)
      put(e, pi, "kafka_messages_in", "", in, 0, t->name);
    if (marks)
      put(e, pi, "kafka_retained", "", retained, 0, t->name);
    if (t->retention_ms >= -1)
      put(e, pi, "kafka_retention_seconds", "",
          t->retention_ms < 0 ? -1 : t->retention_ms / 1000.0, 0, t->name);
  }
  return described;
}

/* ---------------------------------------------------------------- groups */

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
  kml_ordering_acc_t ordering; /* lag in seconds per topic */
  kml_partlist_t stalled;      /* partitions whose status is STALL or STOP */
  int64_t stalled_lag;         /* their lag in messages */
  double still_s; /* of those, the shortest time without a commit seen */
} group_sum_t;

static void gpart_key(char *out, size_t len, const char *group,
                      const char *topic, int32_t p) {
  snprintf(out, len, "%s\x1f%s\x1f%d", group, topic, (int)p);
}

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
  char ti[KML_NAME_MAX + 1], key[1200];
  unsigned d = e->r->detail;
  if (d & (KML_DETAIL_COMMITTED | KML_DETAIL_LAG | KML_DETAIL_LAG_SECONDS |
           KML_DETAIL_GROUP_STATUS))
    name_ti(ti, sizeof(ti), o->topic, o->partition);
  sum->partitions++;
  if (d & KML_DETAIL_COMMITTED)
    put(e, pi, "kafka_committed", ti, (double)o->committed, 1, g->id);

  int created;
  gpart_key(key, sizeof(key), g->id, o->topic, o->partition);
  gpart_mem_t *gm = kml_map_get(e->r->gparts, key, e->r->round, &created);
  if (gm != NULL && created)
    gm->consumed = gm->consumed_s = NAN;
  if (gm != NULL && (created || o->committed != gm->last_committed)) {
    gm->last_committed = o->committed;
    gm->moved_t = e->now;
  }
  if (gm != NULL) {
    gm->consumed = rate_of(&gm->committed, e->now, o->committed);
    if (isfinite(gm->consumed)) {
      gm->consumed_s =
          smooth(gm->consumed_s, gm->consumed, e->now - gm->consumed_t);
      gm->consumed_t = e->now;
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
  kml_ordering_add(&sum->ordering, o->topic, lag_s);
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
  snprintf(key, sizeof(key), "%s\x1flost", g->id);
  transition(e, e->r->galerts, key,
             sum->lost_partitions > 0 ? KML_SEV_FAILURE : KML_SEV_OKAY, &ev);

  if (isfinite(e->r->o.lag_sla_seconds) && e->r->o.lag_sla_seconds > 0) {
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
    snprintf(key, sizeof(key), "%s\x1fsla", g->id);
    transition(e, e->r->galerts, key, over ? KML_SEV_WARNING : KML_SEV_OKAY,
               &ev);
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
  snprintf(key, sizeof(key), "%s\x1fstall", g->id);
  transition(e, e->r->galerts, key, stalled ? KML_SEV_WARNING : KML_SEV_OKAY,
             &ev);
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
  char key[600];
  snprintf(key, sizeof(key), "%s\x1fordering", g->id);
  kml_ordering_result_t r;
  int measured = kml_ordering_spread(acc, &r);
  kml_ordering_clear(acc);
  const alert_mem_t *a = kml_map_find(e->r->galerts, key);
  double threshold = e->r->o.ordering_skew_seconds;
  if (!measured || !(threshold > 0)) {
    int created;
    if (a != NULL) /* kept: not swept with the group's other alerts */
      kml_map_get(e->r->galerts, key, e->r->round, &created);
    if (measured)
      gput(e, KML_GDETAIL_ORDERING_SKEW, pi, "kafka_ordering_skew", "",
           r.spread, 0, g->id);
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

/* Returns 1 when every number of the group was measured. */
static int group_values(const emit_t *e, const kml_snapshot_t *s,
                        const kml_group_t *g) {
  char pi[KML_NAME_MAX + 1];
  name_pi(pi, sizeof(pi), "group", g->id);
  int created;
  group_mem_t *m = kml_map_get(e->r->groups, g->id, e->r->round, &created);
  if (m == NULL)
    return 0;
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
  group_sum_t sum = {.retention_eta = NAN};
  for (int o = 0; o < g->n_offsets; o++)
    group_partition(e, s, g, &g->offsets[o], pi, &sum);
  if (sum.unmeasured > 0 || sum.partitions == 0) {
    kml_ordering_add(&sum.ordering, "", NAN); /* the spread is unknown */
    group_ordering(e, g, pi, &sum.ordering);
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
  group_ordering(e, g, pi, &sum.ordering);
  return 1;
}

/* Keys "<group>\x1f..." of groups this collection could not read stay. A
 * group id holding byte 0x1f is looked up by its first part: at worst its
 * memory restarts after a collection that could not read it. */
static int keep_unmeasured(const char *key, void *ud) {
  const kml_map_t *unmeasured = ud;
  const char *sep = strchr(key, '\x1f');
  char id[600];
  size_t n = sep ? (size_t)(sep - key) : strlen(key);
  if (n >= sizeof(id))
    return 1; /* cannot tell: keep */
  memcpy(id, key, n);
  id[n] = '\0';
  return kml_map_find(unmeasured, id) != NULL;
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

typedef struct {
  const emit_t *e;
  const kml_map_t *unmeasured;
} gone_t;

/* A group alert left open that this collection did not look at, of a
 * group that was read (or is not listed any more): the group has no
 * committed offsets now (deleted, even during the collection, or its
 * offsets expired). The problem cannot clear by itself, so the alert is
 * closed with one OKAY that says why, instead of staying open forever. */
static void close_gone_group(const char *key, void *value, void *ud) {
  const gone_t *g = ud;
  alert_mem_t *a = value;
  const char *sep = strrchr(key, '\x1f');
  if (a->round == g->e->r->round || a->state == KML_SEV_OKAY || sep == NULL ||
      keep_unmeasured(key, (void *)g->unmeasured))
    return;
  const char *type = group_alert_type(sep + 1);
  char id[512], pi[KML_NAME_MAX + 1];
  size_t n = (size_t)(sep - key);
  if (type == NULL || n >= sizeof(id))
    return;
  memcpy(id, key, n);
  id[n] = '\0';
  a->state = KML_SEV_OKAY;
  name_pi(pi, sizeof(pi), "group", id);
  kml_event_t ev = {.severity = KML_SEV_OKAY,
                    .time = g->e->time,
                    .plugin_instance = pi,
                    .type = type,
                    .type_instance = ""};
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "group", .text = id};
  snprintf(ev.message, sizeof(ev.message),
           "group %.80s has no committed offsets any more (deleted, or its "
           "offsets expired): its alert is closed",
           id);
  g->e->sink->event(&ev, g->e->sink->ud);
}

static void groups_all(const emit_t *e, const kml_snapshot_t *s) {
  kml_map_t *unmeasured = kml_map_new(1);
  int n_unmeasured = 0;
  for (int i = 0; i < s->n_groups; i++) {
    if (group_values(e, s, &s->groups[i]))
      continue;
    int created;
    n_unmeasured++;
    if (unmeasured != NULL)
      kml_map_get(unmeasured, s->groups[i].id, 0, &created);
  }
  put(e, "cluster", "kafka_unmeasured", "groups", n_unmeasured, 0, NULL);
  /* Forget groups that are gone only when the list is the whole list; a
   * deleted group does not "recover": its open alerts are closed once,
   * saying so. */
  if ((s->complete & KML_STEP_GROUP_LIST) && unmeasured != NULL) {
    kml_map_foreach(e->r->galerts, close_gone_group,
                    &(gone_t){.e = e, .unmeasured = unmeasured});
    kml_map_sweep_keep(e->r->groups, e->r->round, keep_unmeasured, unmeasured);
    kml_map_sweep_keep(e->r->gparts, e->r->round, keep_unmeasured, unmeasured);
    kml_map_sweep_keep(e->r->galerts, e->r->round, keep_unmeasured, unmeasured);
  }
  kml_map_destroy(unmeasured);
}

/* -------------------------------------------------------------- arrivals */

/* One log line per cause (rd_kafka_resp_err_t; 0: not answered in time)
 * for the life of the report: a down broker or a deleted topic must not
 * say it at every collection. */
static void arrival_log(const emit_t *e, const kml_arrival_req_t *q) {
  kml_report_t *r = e->r;
  for (int i = 0; i < r->n_arrival_causes; i++)
    if (r->arrival_causes[i] == q->err)
      return;
  if (r->n_arrival_causes ==
      (int)(sizeof(r->arrival_causes) / sizeof(r->arrival_causes[0])))
    return;
  r->arrival_causes[r->n_arrival_causes++] = q->err;
  if (e->sink->log == NULL)
    return;
  char msg[700];
  snprintf(msg, sizeof(msg),
           "lag in seconds: the arrival of offset %lld of %.200s partition "
           "%d could not be read (%s): messages older than the plugin's "
           "first collection count from it, a lower bound%s (said once per "
           "cause)",
           (long long)q->offset, q->topic, (int)q->partition,
           q->err ? rd_kafka_err2str((rd_kafka_resp_err_t)q->err)
                  : "no answer within the read's Timeout",
           q->result == KML_ARRIVAL_PENDING ? "; asked again later" : "");
  e->sink->log(q->result == KML_ARRIVAL_PENDING ? 6 : 4, msg, e->sink->ud);
}

/* The record's answer, into its partition's ring. */
static void arrival_take(const emit_t *e, const kml_snapshot_t *s,
                         const kml_arrival_req_t *q) {
  char key[600];
  part_key(key, sizeof(key), q->topic, q->partition);
  part_mem_t *pm = kml_map_find(e->r->parts, key);
  if (pm == NULL)
    return;
  const kml_topic_t *t = kml_snapshot_topic(s, q->topic);
  if (q->result == KML_ARRIVAL_PENDING) {
    /* once per collection, however many offsets of it were asked */
    if (kml_backoff_due(&pm->unanswered, e->r->round))
      kml_backoff_failed(&pm->unanswered, e->r->round, KML_BACKOFF_CAP);
    const kml_partition_t *kp = t ? kml_topic_partition(t, q->partition) : NULL;
    pm->asked_leader = kp ? kp->leader : -1;
  } else {
    kml_backoff_reset(&pm->unanswered);
  }
  if (q->result == KML_ARRIVAL_FOUND) {
    double retention =
        t != NULL && t->retention_ms > 0 ? t->retention_ms / 1000.0 : -1;
    double ts = kml_lag_clamp_arrival(q->ts, e->now, retention);
    if (isfinite(ts)) {
      kml_lag_seed(&pm->ring, q->offset, ts);
      return;
    }
    pm->undated = q->offset; /* a record without a timestamp */
    return;
  }
  if (q->result == KML_ARRIVAL_NONE)
    pm->undated = q->offset;
  arrival_log(e, q);
}

/* Messages older than the rings: each measured group partition whose
 * oldest unconsumed message (max(committed, log start), as
 * group_partition() dates it) predates its ring's first mark is asked for,
 * once per partition and offset and within the plan's budget, before any
 * lag in seconds is computed; the answers seed the rings. A partition
 * whose lookups went unanswered waits 1, 2, 4, ... up to KML_BACKOFF_CAP
 * collections before it is asked again (backoff.h), at once when its
 * leader changes. */
static void arrivals(const emit_t *e, const kml_snapshot_t *s) {
  const struct history *h = e->history;
  e->r->arrival_looked = 0;
  if (e->sink->arrivals == NULL || (h != NULL && h->undated == 0))
    return; /* no message predates a ring: nothing to date */
  kml_arrival_plan_t *plan = malloc(sizeof(*plan));
  if (plan == NULL)
    return;
  kml_arrival_plan_init(plan, KML_ARRIVAL_MAX);
  char key[600];
  for (int i = 0; i < s->n_groups; i++) {
    const kml_group_t *g = &s->groups[i];
    if (!(g->measured & KML_GROUP_OFFSETS))
      continue;
    for (int k = 0; k < g->n_offsets; k++) {
      const kml_group_offset_t *o = &g->offsets[k];
      const kml_topic_t *t = kml_snapshot_topic(s, o->topic);
      const kml_partition_t *kp =
          t ? kml_topic_partition(t, o->partition) : NULL;
      if (kp == NULL || kp->leader < 0 || o->committed < 0 || kp->low < 0 ||
          kp->high < 0)
        continue; /* not measured, or nobody to ask */
      int64_t from = o->committed < kp->low ? kp->low : o->committed;
      if (h != NULL &&
          from >= h->from[h->base[t - s->topics] + (kp - t->parts)])
        continue; /* within the ring's history: dated without Kafka */
      e->r->arrival_looked++;
      part_key(key, sizeof(key), o->topic, o->partition);
      part_mem_t *pm = kml_map_find(e->r->parts, key);
      if (pm == NULL || pm->undated == from ||
          !kml_lag_wants_arrival(&pm->ring, from))
        continue;
      /* a new leader is a new broker to ask: its predecessor's silence
       * does not count against it */
      if (pm->unanswered.gap > 0 && pm->asked_leader != kp->leader)
        kml_backoff_reset(&pm->unanswered);
      if (kml_backoff_due(&pm->unanswered, e->r->round))
        kml_arrival_plan_add(plan, t->name, o->partition, from, kp->high);
    }
  }
  if (plan->n > 0)
    e->sink->arrivals(plan->reqs, plan->n, e->sink->ud);
  for (int i = 0; i < plan->n; i++)
    arrival_take(e, s, &plan->reqs[i]);
  free(plan);
}

/* ------------------------------------------------------------------- run */

/* Keys "<topic>\x1f<partition>" of a topic listed with an error and no
 * partitions stay (topic names cannot hold byte 0x1f). */
static int keep_topic(const char *key, void *ud) {
  const kml_snapshot_t *s = ud;
  char name[600];
  const char *sep = strchr(key, '\x1f');
  size_t n = sep ? (size_t)(sep - key) : strlen(key);
  if (n >= sizeof(name))
    return 0;
  memcpy(name, key, n);
  name[n] = '\0';
  const kml_topic_t *t = kml_snapshot_topic(s, name);
  return t != NULL && t->err != 0 && t->n_parts == 0;
}

static int count_unmeasured_partitions(const kml_snapshot_t *s) {
  int n = 0;
  for (int i = 0; i < s->n_topics; i++)
    for (int p = 0; p < s->topics[i].n_parts; p++)
      n += s->topics[i].parts[p].high < 0 || s->topics[i].parts[p].low < 0;
  return n;
}

void kml_report_run(kml_report_t *r, const kml_snapshot_t *s,
                    const kml_report_sink_t *sink) {
  r->round++;
  emit_t e = {.r = r,
              .sink = sink,
              .s = s,
              .time = s->started,
              .now = s->started + s->duration};
  r->errors_total += s->errors + !s->ok;
  put(&e, "cluster", "kafka_up", "", s->ok ? 1 : 0, 0, NULL);
  put(&e, "cluster", "kafka_collect_seconds", "", s->duration, 0, NULL);
  put(&e, "cluster", "kafka_requests", "", s->requests, 0, NULL);
  put(&e, "cluster", "kafka_errors", "", (double)r->errors_total, 1, NULL);
  cluster_up_event(&e, s);
  if (!s->ok)
    return; /* nothing measured: no value, no state moves, nothing swept */
  broker_sum_t *bs = calloc(s->n_brokers + 1, sizeof(*bs));
  if (bs == NULL)
    return;
  struct history h = {.base = malloc((s->n_topics + 1) * sizeof(int))};
  if (h.base != NULL) {
    h.base[0] = 0;
    for (int i = 0; i < s->n_topics; i++)
      h.base[i + 1] = h.base[i] + s->topics[i].n_parts;
    h.from = malloc(((size_t)h.base[s->n_topics] + 1) * sizeof(*h.from));
  }
  e.history = h.from != NULL ? &h : NULL;
  int described = topic_values(&e, s, bs);
  cluster_values(&e, s, bs, described && r->had_metadata);
  r->had_metadata = 1;
  free(bs);
  put(&e, "cluster", "kafka_unmeasured", "partitions",
      count_unmeasured_partitions(s), 0, NULL);
  if (s->complete & KML_STEP_GROUP_LIST || s->n_groups > 0) {
    arrivals(&e, s);
    groups_all(&e, s);
  }
  free(h.from);
  free(h.base);
  /* The metadata names every partition: forget those that are gone, but not
   * those of a topic the metadata could not describe this time. */
  kml_map_sweep_keep(r->parts, r->round, keep_topic, (void *)s);
  kml_map_sweep(r->alerts, r->round);
}

int kml_report_arrival_looked(const kml_report_t *r) {
  return r->arrival_looked;
}
