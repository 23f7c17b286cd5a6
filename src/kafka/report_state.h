/* report_state: what the parts of the report share (private to
 * src/kafka/report*.c). The report's memory of partitions, groups and
 * alerts (struct kml_report), the context of one run (emit_t: the sink,
 * the snapshot, its times), the small helpers that put values and events
 * into the sink, and the parts' entry points in the order kml_report_run()
 * calls them:
 *
 *   report_cluster.c   cluster and broker values, kafka_up and the
 *                      cluster's events (under-replicated, offline, lost
 *                      brokers)
 *   report_topics.c    per partition and topic: water marks, rates, lag
 *                      rings; what arrivals need to look up
 *   report_groups.c    per group and group partition: lag in messages and
 *                      seconds, status, retention and expiry, rebalances,
 *                      ordering, and the group events
 *   report_arrivals.c  the timestamps of records that predate the plugin's
 *                      first sight of a partition (arrival lookups)
 *
 * Not thread-safe, like the report: one collection at a time. */
#ifndef KML_KAFKA_REPORT_STATE_H
#define KML_KAFKA_REPORT_STATE_H

#include "report.h"

#include "../kml_map.h"
#include "../kml_rate.h"
#include "../kml_str.h"
#include "arrival_plan.h"
#include "backoff.h"
#include "lag.h"
#include "ordering.h"
#include "partlist.h"
#include "rebalance.h"
#include "status.h"

#include <math.h>
#include <stdarg.h>
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
  uint64_t unmeasured; /* the last round the group was listed but not
                          measured: its memory is not swept then */
} group_mem_t;

typedef struct {
  int state;      /* kml_severity_t of the last event, OKAY initially */
  uint64_t round; /* last round the state was looked at */
  char name[80];  /* brokers: "host:port" while known */
} alert_mem_t;

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

/* What kml_report_topics() learnt for kml_report_arrivals(), per partition of
 * the snapshot (index base[topic] + the partition's index in its topic): the
 * first mark its ring observed when Kafka still holds messages below it
 * (a group there may need an arrival lookup), else -1. */
struct history {
  int64_t *from;
  int *base;
  int undated; /* partitions with from >= 0 */
};

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
  /* Scratch of kml_report_run(), kept from one collection to the next and
   * grown only when the cluster grows, never shrunk: n_brokers + 1 broker
   * sums, n_topics + 1 bases and a mark per partition (about 80 KB for
   * 10,000 partitions), rewritten at every run. */
  broker_sum_t *bs;
  size_t bs_cap;
  struct history history;
  size_t base_cap, from_cap;
  /* The same for the groups: one group's topics at a time for the
   * ordering spread (grown when a group reads more topics than any
   * before), and the arrival lookups' plan (KML_ARRIVAL_MAX requests,
   * about 7 KB, made at the first collection that looks one up). */
  kml_ordering_acc_t ordering;
  kml_arrival_plan_t *plan;
};

typedef struct {
  kml_report_t *r;
  const kml_report_sink_t *sink;
  const kml_snapshot_t *s;
  double time;     /* collection start: the values' timestamp */
  double now;      /* when the offsets were read: lag-in-seconds clock */
  double rate_now; /* the same on the rates' clock (snapshot.h: mono) */
  struct history *history; /* NULL when out of memory: every group
                              partition is looked at by kml_report_arrivals() */
} emit_t;

/* The parts, in the order kml_report_run() calls them. */
void kml_report_cluster_up(const emit_t *e, const kml_snapshot_t *s);
/* Per partition and topic; sums each broker's rates into bs (n_brokers + 1
 * entries) and notes e->history. Returns whether the metadata described
 * every topic. */
int kml_report_topics(const emit_t *e, const kml_snapshot_t *s,
                      broker_sum_t *bs);
/* Cluster and broker values and events; bs as the topics left it (the
 * leaders and replicas are counted here). */
void kml_report_cluster_values(const emit_t *e, const kml_snapshot_t *s,
                               broker_sum_t *bs, int rates_known);
void kml_report_arrivals(const emit_t *e, const kml_snapshot_t *s);
void kml_report_groups(const emit_t *e, const kml_snapshot_t *s);

static inline void put(const emit_t *e, const char *pi, const char *type,
                       const char *ti, double value, int counter,
                       const char *raw) {
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
static inline void gput(const emit_t *e, unsigned bit, const char *pi,
                        const char *type, const char *ti, double value,
                        int counter, const char *raw) {
  if (e->r->gdetail & bit)
    put(e, pi, type, ti, value, counter, raw);
}

/* Send an event when the state stored under key in map m changes. The
 * first look at a key that is fine sends nothing: there was nothing to
 * recover from. */
static inline void transition(const emit_t *e, kml_map_t *m, const char *key,
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

/* A map key (or a name) printed whole: into buf[len] when it fits, else
 * into a new allocation (a group id may be 32,767 bytes long: cut, two
 * keys of one group, or two groups, would share one memory). NULL when out
 * of memory; key_done() frees what is not buf. */
__attribute__((format(printf, 3, 4))) static inline char *
key_printf(char *buf, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, len, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  if ((size_t)n < len)
    return buf;
  char *k = malloc((size_t)n + 1);
  if (k == NULL)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(k, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return k;
}

static inline void key_done(char *key, const char *buf) {
  if (key != buf)
    free(key);
}

static inline void name_pi(char *out, size_t len, const char *prefix,
                           const char *name) {
  char tmp[600];
  char *whole = key_printf(tmp, sizeof(tmp), "%s-%s", prefix, name);
  kml_str_sanitize(out, len, whole ? whole : tmp, 0);
  key_done(whole, tmp);
}

static inline void name_ti(char *out, size_t len, const char *topic,
                           int32_t p) {
  char tmp[600];
  snprintf(tmp, sizeof(tmp), "%s-%d", topic, (int)p);
  kml_str_sanitize(out, len, tmp, 0);
}

/* Rate of counter value v at time t from kml_rate state m; NAN the first
 * time, after a reset, or when v is unknown (< 0). */
static inline double rate_of(kml_rate_t *m, double t, int64_t v) {
  double out = NAN;
  if (v < 0 ||
      kml_rate_update(m, KML_DS_DERIVE, t, (double)v, &out) != KML_RATE_OK)
    return NAN;
  return out;
}

/* Exponential smoothing over time: avg moves toward x by 1 - e^(-dt/tau). */
static inline double smooth(double avg, double x, double dt) {
  if (!isfinite(x))
    return avg;
  if (!isfinite(avg) || dt <= 0)
    return x;
  return avg + (1 - exp(-dt / SMOOTH_SECONDS)) * (x - avg);
}

static inline void part_key(char *out, size_t len, const char *topic,
                            int32_t p) {
  snprintf(out, len, "%s\x1f%d", topic, (int)p);
}

static inline int broker_index(const kml_snapshot_t *s, int32_t id) {
  const kml_broker_t *b = kml_snapshot_broker(s, id);
  return b ? (int)(b - s->brokers) : -1;
}

/* How many partitions a message names before "and N more". */
#define NAMES_SHOWN 4

/* "<prefix>: a-1, a-2 and 3 more" into msg: the names last, so that a long
 * prefix cuts only the list, and only between names. */
static inline void message_with_names(char *msg, size_t len, const char *prefix,
                                      const kml_partlist_t *names) {
  int n = snprintf(msg, len, "%s: ", prefix);
  if (n > 0 && (size_t)n < len)
    kml_partlist_print(names, msg + n, len - n, NAMES_SHOWN);
}

#endif
