/* report_arrivals: when a group's oldest unconsumed record predates the
 * first high-water mark the plugin saw of its partition, the record's
 * timestamp is read from Kafka (arrival.c, planned by arrival_plan.c) and
 * seeds the partition's lag ring, so that lag in seconds is right from the
 * first collection. Partitions whose leader leaves lookups unanswered back
 * off (backoff.h). */
#include "report_state.h"

#include "arrival.h"
#include "arrival_plan.h"
#include <librdkafka/rdkafka.h>

#include <stdlib.h>

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
void kml_report_arrivals(const emit_t *e, const kml_snapshot_t *s) {
  const struct history *h = e->history;
  e->r->arrival_looked = 0;
  if (e->sink->arrivals == NULL || (h != NULL && h->undated == 0))
    return; /* no message predates a ring: nothing to date */
  if (e->r->plan == NULL)
    e->r->plan = malloc(sizeof(*e->r->plan));
  kml_arrival_plan_t *plan = e->r->plan;
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
}
