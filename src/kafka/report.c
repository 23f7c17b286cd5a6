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
 * leader move changes who owns a rate, never its size.
 *
 * This file holds the report's life and kml_report_run(), which calls the
 * parts of the mapping in order; each part is a file of its own
 * (report_state.h lists them). */
#include "report_state.h"

#include <stdlib.h>

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
  free(r->bs);
  free(r->history.base);
  free(r->history.from);
  kml_ordering_clear(&r->ordering);
  free(r->plan);
  free(r);
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

/* buf, or a buffer replacing it, of at least n elements of size bytes
 * (cap of them now): the contents are rewritten at every run, so a buffer
 * that must grow is replaced, at least doubling. NULL out of memory (buf
 * is then freed and cap 0). */
static void *reserve(void *buf, size_t *cap, size_t n, size_t size) {
  if (buf != NULL && n <= *cap)
    return buf;
  size_t c = *cap * 2 > n ? *cap * 2 : n;
  free(buf);
  buf = malloc(c * size);
  *cap = buf != NULL ? c : 0;
  return buf;
}

/* The history of this run (struct history) in the report's scratch; NULL
 * out of memory. */
static struct history *history_for(kml_report_t *r, const kml_snapshot_t *s) {
  struct history *h = &r->history;
  h->base =
      reserve(h->base, &r->base_cap, (size_t)s->n_topics + 1, sizeof(*h->base));
  if (h->base == NULL)
    return NULL;
  h->base[0] = 0;
  for (int i = 0; i < s->n_topics; i++)
    h->base[i + 1] = h->base[i] + s->topics[i].n_parts;
  h->from = reserve(h->from, &r->from_cap, (size_t)h->base[s->n_topics] + 1,
                    sizeof(*h->from));
  if (h->from == NULL)
    return NULL;
  h->undated = 0;
  return h;
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
              .now = s->started + s->duration,
              .rate_now = (s->mono > 0 ? s->mono : s->started) + s->duration};
  r->errors_total += s->errors + !s->ok;
  put(&e, "cluster", "kafka_up", "", s->ok ? 1 : 0, 0, NULL);
  put(&e, "cluster", "kafka_collect_seconds", "", s->duration, 0, NULL);
  put(&e, "cluster", "kafka_requests", "", s->requests, 0, NULL);
  put(&e, "cluster", "kafka_errors", "", (double)r->errors_total, 1, NULL);
  kml_report_cluster_up(&e, s);
  if (!s->ok)
    return; /* nothing measured: no value, no state moves, nothing swept */
  r->bs = reserve(r->bs, &r->bs_cap, (size_t)s->n_brokers + 1, sizeof(*r->bs));
  if (r->bs == NULL)
    return;
  broker_sum_t *bs = r->bs;
  memset(bs, 0, ((size_t)s->n_brokers + 1) * sizeof(*bs));
  e.history = history_for(r, s);
  int described = kml_report_topics(&e, s, bs);
  kml_report_cluster_values(&e, s, bs, described && r->had_metadata);
  r->had_metadata = 1;
  put(&e, "cluster", "kafka_unmeasured", "partitions",
      count_unmeasured_partitions(s), 0, NULL);
  if (s->complete & KML_STEP_GROUP_LIST || s->n_groups > 0) {
    kml_report_arrivals(&e, s);
    kml_report_groups(&e, s);
  }
  /* The metadata names every partition: forget those that are gone, but not
   * those of a topic the metadata could not describe this time. */
  kml_map_sweep_keep(r->parts, r->round, keep_topic, (void *)s);
  kml_map_sweep(r->alerts, r->round);
}

int kml_report_arrival_looked(const kml_report_t *r) {
  return r->arrival_looked;
}
