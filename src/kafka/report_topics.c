/* report_topics: per partition, the water marks go into the partition's
 * lag ring and rates (kml_rate); a topic's and a broker's rates are the
 * sums of their partitions' (a broker's: those it leads now, and those it
 * holds a replica of). Notes for report_arrivals.c which partitions still
 * hold messages older than their ring. */
#include "report_state.h"

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
  m->in_rate = rate_of(&m->high, e->rate_now, kp->high);
  double adv = rate_of(&m->low, e->rate_now, kp->low);
  if (isfinite(adv)) {
    m->retention = smooth(m->retention, adv, e->rate_now - m->retention_t);
    m->retention_t = e->rate_now;
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
int kml_report_topics(const emit_t *e, const kml_snapshot_t *s,
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
