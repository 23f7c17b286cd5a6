/* sample: read a few of the newest records of each partition of the
 * selected topics each collection and hand their shapes to the topic's
 * schema mix (see sample.h for the bounds and why the consumer has no
 * group). Partitions are started with rd_kafka_consume_start_queue() at
 * explicit offsets on one queue, read until each is done (then stopped,
 * so that it fetches no further while the others are read) or the
 * deadline passes, then the rest are stopped; the queue is drained so
 * that no record of this round is seen in the next. */
#include "sample.h"

#include "../kml_clock.h"
#include "../kml_str.h"
#include "schema.h"
#include "schema_mix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *name;
  rd_kafka_topic_t *rkt;
  kml_schema_mix_t *mix;
  int n_parts;
  int64_t *next;    /* next offset to read per partition; -1 none yet */
  int64_t *stop_at; /* the snapshot's high-water mark this round */
  int *got, *bytes;
  unsigned char *started, *done;
  long round_bytes;
  int round_records, seen, denied;
} topic_t;

struct kml_sample {
  kml_client_t *c;
  kml_sample_opts_t o;
  rd_kafka_t *rk;
  rd_kafka_queue_t *q;
  topic_t **topics;
  int n_topics;
};

kml_sample_t *kml_sample_new(kml_client_t *c, const kml_sample_opts_t *o) {
  kml_sample_t *p = calloc(1, sizeof(*p));
  if (p == NULL)
    return NULL;
  p->c = c;
  p->o = *o;
  if (p->o.records < 1)
    p->o.records = 10;
  if (p->o.bytes < 1024)
    p->o.bytes = 65536;
  if (!(p->o.learn > 0))
    p->o.learn = 300;
  return p;
}

static void topic_free(topic_t *t) {
  if (t == NULL)
    return;
  if (t->rkt != NULL)
    rd_kafka_topic_destroy(t->rkt);
  kml_schema_mix_destroy(t->mix);
  free(t->name);
  free(t->next);
  free(t->stop_at);
  free(t->got);
  free(t->bytes);
  free(t->started);
  free(t->done);
  free(t);
}

void kml_sample_destroy(kml_sample_t *p) {
  if (p == NULL)
    return;
  for (int i = 0; i < p->n_topics; i++)
    topic_free(p->topics[i]);
  free(p->topics);
  if (p->q != NULL)
    rd_kafka_queue_destroy(p->q);
  if (p->rk != NULL)
    rd_kafka_destroy(p->rk);
  free(p);
}

/* The consumer, made on first use. 0, or -1 (logged). */
static int handle(kml_sample_t *p, const kml_report_sink_t *sink) {
  if (p->rk != NULL)
    return 0;
  char err[512];
  /* The queue's bound is the readers' (client.h), not a partition's
   * records or bytes: librdkafka counts the queue all partitions share,
   * so a bound of `records` held every other partition back for a second
   * behind the first batch queued. */
  p->rk = kml_client_new_reader(p->c, "collectd-kafka-ml-schema", p->o.bytes,
                                err, sizeof(err));
  if (p->rk != NULL)
    p->q = rd_kafka_queue_new(p->rk);
  if (p->rk == NULL || p->q == NULL) {
    if (sink->log != NULL) {
      char msg[600];
      snprintf(msg, sizeof(msg), "schema sampling is off: %s",
               p->rk ? "out of memory" : err);
      sink->log(3, msg, sink->ud);
    }
    return -1;
  }
  return 0;
}

static topic_t *topic_get(kml_sample_t *p, const char *name, int n_parts) {
  topic_t *t = NULL;
  for (int i = 0; i < p->n_topics && t == NULL; i++)
    if (strcmp(p->topics[i]->name, name) == 0)
      t = p->topics[i];
  if (t == NULL) {
    topic_t **l = realloc(p->topics, sizeof(*l) * (p->n_topics + 1));
    if (l == NULL)
      return NULL;
    p->topics = l;
    t = calloc(1, sizeof(*t));
    if (t == NULL)
      return NULL;
    rd_kafka_topic_conf_t *tc = rd_kafka_topic_conf_new();
    if (tc != NULL)
      rd_kafka_topic_conf_set_opaque(tc, t);
    t->name = strdup(name);
    t->mix = kml_schema_mix_new(p->o.learn);
    t->rkt = tc ? rd_kafka_topic_new(p->rk, name, tc) : NULL;
    if (t->name == NULL || t->mix == NULL || t->rkt == NULL) {
      if (t->rkt == NULL && tc != NULL)
        rd_kafka_topic_conf_destroy(tc);
      topic_free(t);
      return NULL;
    }
    p->topics[p->n_topics++] = t;
  }
  if (n_parts > t->n_parts) { /* first use, or partitions were added */
    int64_t *next = realloc(t->next, sizeof(*next) * n_parts);
    if (next == NULL)
      return NULL;
    t->next = next;
    for (int i = t->n_parts; i < n_parts; i++)
      t->next[i] = -1;
    free(t->stop_at);
    free(t->got);
    free(t->bytes);
    free(t->started);
    free(t->done);
    t->stop_at = calloc(n_parts, sizeof(*t->stop_at));
    t->got = calloc(n_parts, sizeof(*t->got));
    t->bytes = calloc(n_parts, sizeof(*t->bytes));
    t->started = calloc(n_parts, 1);
    t->done = calloc(n_parts, 1);
    t->n_parts = n_parts;
    if (!t->stop_at || !t->got || !t->bytes || !t->started || !t->done) {
      t->n_parts = 0;
      return NULL;
    }
  }
  return t;
}

/* Start the partitions of topic kt that have records not read yet.
 * Returns how many were started. */
static int start_topic(kml_sample_t *p, topic_t *t, const kml_topic_t *kt) {
  int n = 0;
  memset(t->started, 0, t->n_parts);
  memset(t->done, 0, t->n_parts);
  t->round_records = 0;
  t->round_bytes = 0;
  for (int i = 0; i < kt->n_parts; i++) {
    const kml_partition_t *kp = &kt->parts[i];
    int32_t id = kp->id;
    if (id < 0 || id >= t->n_parts || kp->leader < 0 || kp->high < 0 ||
        kp->low < 0)
      continue; /* not measured: not read */
    int64_t from = kp->high - p->o.records;
    if (from < kp->low)
      from = kp->low;
    if (t->next[id] > from)
      from = t->next[id];
    if (from >= kp->high)
      continue; /* nothing new */
    t->stop_at[id] = kp->high;
    t->got[id] = t->bytes[id] = 0;
    if (rd_kafka_consume_start_queue(t->rkt, id, from, p->q) != 0)
      continue;
    t->started[id] = 1;
    n++;
  }
  t->seen = 1;
  return n;
}

/* One message; returns 1 when it finished its partition. */
static int take(kml_sample_t *p, rd_kafka_message_t *m, double now,
                const kml_report_sink_t *sink) {
  topic_t *t = m->rkt ? rd_kafka_topic_opaque(m->rkt) : NULL;
  int32_t id = m->partition;
  if (t == NULL || id < 0 || id >= t->n_parts || !t->started[id] || t->done[id])
    return 0;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    t->done[id] = 1;
    return 1;
  }
  if (m->err != 0) {
    if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED && !t->denied &&
        sink->log != NULL) {
      char msg[512];
      snprintf(msg, sizeof(msg), "topic %.200s: records cannot be sampled: %s",
               t->name, rd_kafka_err2str(m->err));
      sink->log(4, msg, sink->ud);
      t->denied = 1;
    }
    t->done[id] = 1;
    return 1;
  }
  if (m->offset >= t->stop_at[id]) { /* newer than the snapshot */
    t->done[id] = 1;
    return 1;
  }
  kml_schema_t s;
  kml_schema_classify(m->payload, m->len, &s);
  kml_schema_mix_add(t->mix, &s, now);
  long b = (long)m->len + (long)m->key_len;
  t->got[id]++;
  t->bytes[id] += (int)(b < p->o.bytes ? b : p->o.bytes);
  t->round_records++;
  t->round_bytes += b;
  t->next[id] = m->offset + 1;
  if (t->got[id] >= p->o.records || t->bytes[id] >= p->o.bytes ||
      m->offset + 1 >= t->stop_at[id]) {
    t->done[id] = 1;
    return 1;
  }
  return 0;
}

static void put(const kml_report_sink_t *sink, const char *pi, const char *type,
                double value, double time, const char *raw) {
  kml_value_t v = {.plugin_instance = pi,
                   .type = type,
                   .type_instance = "",
                   .value = value,
                   .time = time,
                   .raw_name = raw};
  sink->value(&v, sink->ud);
}

/* Values and notifications of one sampled topic. */
static void report_topic(topic_t *t, double now, double time,
                         const kml_report_sink_t *sink) {
  kml_schema_round_t r;
  kml_schema_mix_round(t->mix, now, t->name, &r);
  char raw[600], pi[KML_NAME_MAX + 1];
  snprintf(raw, sizeof(raw), "topic-%s", t->name);
  kml_str_sanitize(pi, sizeof(pi), raw, 0);
  put(sink, pi, "kafka_schema_records", t->round_records, time, t->name);
  put(sink, pi, "kafka_schema_bytes", (double)t->round_bytes, time, t->name);
  if (r.records > 0)
    put(sink, pi, "kafka_schema_unreadable", (double)r.unreadable / r.records,
        time, t->name);
  put(sink, pi, "kafka_schemas", r.schemas, time, t->name);
  for (int i = 0; i < r.n_events; i++) {
    const kml_schema_event_t *e = &r.events[i];
    kml_event_t ev = {.severity = e->severity,
                      .time = time,
                      .plugin_instance = pi,
                      .type = "kafka_schemas",
                      .type_instance = ""};
    snprintf(ev.message, sizeof(ev.message), "%s", e->message);
    ev.meta[ev.n_meta++] = (kml_meta_t){.key = "topic", .text = t->name};
    ev.meta[ev.n_meta++] = (kml_meta_t){.key = "schemas", .number = r.schemas};
    if (e->new_schema[0])
      ev.meta[ev.n_meta++] =
          (kml_meta_t){.key = "new_schema", .text = e->new_schema};
    if (e->old_schema[0])
      ev.meta[ev.n_meta++] =
          (kml_meta_t){.key = "old_schema", .text = e->old_schema};
    if (e->fields[0])
      ev.meta[ev.n_meta++] = (kml_meta_t){.key = "fields", .text = e->fields};
    sink->event(&ev, sink->ud);
  }
}

/* Forget topics the metadata no longer lists (only after a complete
 * metadata step). */
static void sweep(kml_sample_t *p) {
  int k = 0;
  for (int i = 0; i < p->n_topics; i++) {
    if (p->topics[i]->seen)
      p->topics[k++] = p->topics[i];
    else
      topic_free(p->topics[i]);
  }
  p->n_topics = k;
}

void kml_sample_run(kml_sample_t *p, const kml_snapshot_t *s,
                    double deadline_ms, const kml_report_sink_t *sink,
                    kml_sample_stats_t *st) {
  memset(st, 0, sizeof(*st));
  if (!s->ok || handle(p, sink) != 0)
    return;
  double now = s->started + s->duration;
  for (int i = 0; i < p->n_topics; i++)
    p->topics[i]->seen = 0;
  int pending = 0;
  for (int i = 0; i < s->n_topics; i++) {
    const kml_topic_t *kt = &s->topics[i];
    if (p->o.topics == NULL || !kml_filter_match(p->o.topics, kt->name))
      continue;
    int n_parts = 0;
    for (int k = 0; k < kt->n_parts; k++)
      if (kt->parts[k].id + 1 > n_parts)
        n_parts = kt->parts[k].id + 1;
    topic_t *t = topic_get(p, kt->name, n_parts);
    if (t == NULL)
      continue;
    int n = start_topic(p, t, kt);
    pending += n;
    st->partitions += n;
  }
  st->requests = pending > 0;
  while (pending > 0) {
    int left = (int)(deadline_ms - kml_clock_mono_ms());
    if (left <= 0)
      break;
    rd_kafka_message_t *m =
        rd_kafka_consume_queue(p->q, left < 100 ? left : 100);
    if (m == NULL)
      continue;
    if (take(p, m, now, sink)) {
      pending--;
      rd_kafka_consume_stop(m->rkt, m->partition);
    }
    rd_kafka_message_destroy(m);
  }
  for (int i = 0; i < p->n_topics; i++) {
    topic_t *t = p->topics[i];
    if (!t->seen)
      continue;
    for (int k = 0; k < t->n_parts; k++)
      if (t->started[k] && !t->done[k]) /* done ones were stopped */
        rd_kafka_consume_stop(t->rkt, k);
  }
  /* what arrived after the partitions were done belongs to no round */
  rd_kafka_message_t *m;
  while ((m = rd_kafka_consume_queue(p->q, 0)) != NULL)
    rd_kafka_message_destroy(m);
  for (int i = 0; i < p->n_topics; i++) {
    topic_t *t = p->topics[i];
    if (!t->seen)
      continue;
    st->records += t->round_records;
    st->bytes += t->round_bytes;
    report_topic(t, now, s->started, sink);
  }
  if (s->complete & KML_STEP_METADATA)
    sweep(p);
}
