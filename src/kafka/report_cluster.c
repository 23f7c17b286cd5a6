/* report_cluster: the cluster's and brokers' values and events. kafka_up
 * changes only after two collections agree (a single failed collection is
 * not an outage); partitions under-replicated, offline or held by lost
 * brokers are counted per broker and named in the events (partlist.h). */
#include "report_state.h"

#include <stdlib.h>

void kml_report_cluster_up(const emit_t *e, const kml_snapshot_t *s) {
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
void kml_report_cluster_values(const emit_t *e, const kml_snapshot_t *s,
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
