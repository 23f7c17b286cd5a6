/* report: the mapping from a snapshot to collectd's identifier scheme, plus
 * the memory that notifications need: an event is sent when a state
 * changes (FAILURE/WARNING when a problem appears, OKAY when it clears),
 * never once per interval, as collectd's threshold plugin does. */
#include "report.h"
#include "../kml_str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kml_report {
  kml_report_opts_t o;
  int up; /* -1 unknown, 0, 1 */
};

kml_report_t *kml_report_new(const kml_report_opts_t *o) {
  kml_report_t *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return NULL;
  r->o = *o;
  r->up = -1;
  return r;
}

void kml_report_destroy(kml_report_t *r) { free(r); }

typedef struct {
  const kml_report_sink_t *sink;
  double time;
} emit_t;

static void put(const emit_t *e, const char *pi, const char *type,
                const char *ti, double value, int counter, const char *raw) {
  kml_value_t v = {.plugin_instance = pi,
                   .type = type,
                   .type_instance = ti,
                   .value = value,
                   .is_counter = counter,
                   .time = e->time,
                   .raw_name = raw};
  e->sink->value(&v, e->sink->ud);
}

static void cluster_up_event(kml_report_t *r, const kml_snapshot_t *s,
                             const emit_t *e) {
  if (s->ok == r->up)
    return;
  int was = r->up;
  r->up = s->ok;
  if (was == -1 && s->ok)
    return; /* first contact: nothing recovered */
  kml_event_t ev = {.severity = s->ok ? KML_SEV_OKAY : KML_SEV_FAILURE,
                    .time = e->time,
                    .plugin_instance = "cluster",
                    .type = "kafka_up",
                    .type_instance = ""};
  if (s->ok)
    snprintf(ev.message, sizeof(ev.message),
             "Kafka cluster reachable again: %d brokers", s->n_brokers);
  else
    snprintf(ev.message, sizeof(ev.message), "Kafka cluster unreachable: %.200s",
             s->error);
  ev.meta[ev.n_meta++] = (kml_meta_t){.key = "brokers", .number = s->n_brokers};
  e->sink->event(&ev, e->sink->ud);
}

static void topics(kml_report_t *r, const kml_snapshot_t *s, const emit_t *e) {
  char pi[KML_NAME_MAX + 1], ti[KML_NAME_MAX + 1], tmp[KML_NAME_MAX + 1];
  for (int i = 0; i < s->n_topics; i++) {
    const kml_topic_t *t = &s->topics[i];
    snprintf(tmp, sizeof(tmp), "topic-%s", t->name);
    kml_str_sanitize(pi, sizeof(pi), tmp, 0);
    put(e, pi, "kafka_partitions", "", t->n_parts, 0, t->name);
    if (!r->o.partition_detail)
      continue;
    for (int p = 0; p < t->n_parts; p++) {
      const kml_partition_t *kp = &t->parts[p];
      char name[600];
      snprintf(name, sizeof(name), "%s-%d", t->name, (int)kp->id);
      kml_str_sanitize(ti, sizeof(ti), name, 0);
      if (kp->high >= 0)
        put(e, pi, "kafka_offset", ti, (double)kp->high, 1, t->name);
      if (kp->low >= 0)
        put(e, pi, "kafka_offset_low", ti, (double)kp->low, 1, t->name);
    }
  }
}

static void cluster(const kml_snapshot_t *s, const emit_t *e) {
  int parts = 0, urp = 0, offline = 0;
  for (int i = 0; i < s->n_topics; i++)
    for (int p = 0; p < s->topics[i].n_parts; p++) {
      const kml_partition_t *kp = &s->topics[i].parts[p];
      parts++;
      urp += kp->n_isr < kp->n_replicas;
      offline += kp->leader < 0;
    }
  put(e, "cluster", "kafka_brokers", "", s->n_brokers, 0, NULL);
  put(e, "cluster", "kafka_topics", "", s->n_topics, 0, NULL);
  put(e, "cluster", "kafka_partitions", "", parts, 0, NULL);
  put(e, "cluster", "kafka_under_replicated", "", urp, 0, NULL);
  put(e, "cluster", "kafka_offline", "", offline, 0, NULL);
}

void kml_report_run(kml_report_t *r, const kml_snapshot_t *s,
                    const kml_report_sink_t *sink) {
  emit_t e = {.sink = sink, .time = s->started};
  put(&e, "cluster", "kafka_up", "", s->ok ? 1 : 0, 0, NULL);
  put(&e, "cluster", "kafka_collect_seconds", "", s->duration, 0, NULL);
  put(&e, "cluster", "kafka_requests", "", s->requests, 0, NULL);
  cluster_up_event(r, s, &e);
  if (!s->ok)
    return;
  cluster(s, &e);
  topics(r, s, &e);
}
