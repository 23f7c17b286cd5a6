/* configs: the few settings risk checks need: retention.ms,
 * retention.bytes and min.insync.replicas of every selected topic in one
 * DescribeConfigs call, and offsets.retention.minutes of one broker in a
 * second. Only these names are requested, so the answer stays small on
 * clusters with many topics. The broker's setting is asked apart because
 * librdkafka sends a request that names a broker resource to that broker:
 * with one hung broker the topics' settings would be lost with it. Both go
 * out at once on one queue. This step runs beside others: it writes only
 * topics' settings and offsets_retention_s, and counts what was not
 * answered in *errors (0: the step is complete).
 *
 * Settings change only when an operator changes them, so what was read is
 * kept (kml_configs_t) and asked again only every KML_CONFIGS_REFRESH_S
 * seconds; in between, only topics that are new to the cache are asked.
 * A collection thus costs no request and no broker work for settings most
 * of the time (DescribeConfigs of 100 topics took 20-180 ms of the
 * broker's time per collection). A setting that was never read is unknown
 * (-2, -1 for min.insync.replicas) and stays so; a refresh that fails
 * keeps the values last read and is tried again at the next collection. */
#include "../kml_clock.h"
#include "../kml_map.h"
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What was last read of one topic. */
typedef struct {
  int64_t retention_ms, retention_bytes;
  int min_isr;
} topic_conf_t;

struct kml_configs {
  kml_map_t *topics;          /* name -> topic_conf_t */
  double offsets_retention_s; /* -1 until read */
  double refreshed;           /* kml_clock_mono() of the last full read */
  uint64_t round;             /* full reads so far (kml_map rounds) */
};

kml_configs_t *kml_configs_new(void) {
  kml_configs_t *k = calloc(1, sizeof(*k));
  if (k == NULL)
    return NULL;
  k->topics = kml_map_new(sizeof(topic_conf_t));
  if (k->topics == NULL) {
    free(k);
    return NULL;
  }
  k->offsets_retention_s = -1;
  k->refreshed = -1e300;
  return k;
}

void kml_configs_destroy(kml_configs_t *k) {
  if (k == NULL)
    return;
  kml_map_destroy(k->topics);
  free(k);
}

static const char *const topic_keys[] = {"retention.ms", "retention.bytes",
                                         "min.insync.replicas"};

static void take_topic(kml_configs_t *k, const rd_kafka_ConfigResource_t *r) {
  if (rd_kafka_ConfigResource_error(r))
    return;
  int created;
  topic_conf_t *t = kml_map_get(k->topics, rd_kafka_ConfigResource_name(r),
                                k->round, &created);
  if (t == NULL)
    return;
  t->retention_ms = t->retention_bytes = -2;
  t->min_isr = -1;
  size_t n;
  const rd_kafka_ConfigEntry_t **e = rd_kafka_ConfigResource_configs(r, &n);
  for (size_t i = 0; i < n; i++) {
    const char *key = rd_kafka_ConfigEntry_name(e[i]);
    const char *v = rd_kafka_ConfigEntry_value(e[i]);
    if (v == NULL)
      continue;
    if (strcmp(key, "retention.ms") == 0)
      t->retention_ms = strtoll(v, NULL, 10);
    else if (strcmp(key, "retention.bytes") == 0)
      t->retention_bytes = strtoll(v, NULL, 10);
    else if (strcmp(key, "min.insync.replicas") == 0)
      t->min_isr = atoi(v);
  }
}

static void take_broker(kml_configs_t *k, const rd_kafka_ConfigResource_t *r) {
  if (rd_kafka_ConfigResource_error(r))
    return;
  size_t n;
  const rd_kafka_ConfigEntry_t **e = rd_kafka_ConfigResource_configs(r, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(rd_kafka_ConfigEntry_name(e[i]), "offsets.retention.minutes") ==
            0 &&
        rd_kafka_ConfigEntry_value(e[i]) != NULL)
      k->offsets_retention_s =
          60.0 * strtod(rd_kafka_ConfigEntry_value(e[i]), NULL);
}

/* Send one DescribeConfigs for res[0..n-1] on q; 1 when sent. */
static int send_describe(rd_kafka_t *rk, rd_kafka_queue_t *q,
                         rd_kafka_ConfigResource_t **res, int n,
                         double deadline_ms) {
  char err[256];
  rd_kafka_AdminOptions_t *o = kml_collect_admin_options(
      rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, deadline_ms, err, sizeof(err));
  if (o == NULL)
    return 0;
  rd_kafka_DescribeConfigs(rk, res, n, o, q);
  rd_kafka_AdminOptions_destroy(o);
  return 1;
}

/* Take one DescribeConfigs result; 1 when it answered every resource. */
static int take(kml_configs_t *k, rd_kafka_event_t *ev) {
  if (rd_kafka_event_error(ev))
    return 0;
  size_t cnt;
  const rd_kafka_ConfigResource_t **r =
      rd_kafka_DescribeConfigs_result_resources(
          rd_kafka_event_DescribeConfigs_result(ev), &cnt);
  int all = 1;
  for (size_t i = 0; i < cnt; i++) {
    all &= rd_kafka_ConfigResource_error(r[i]) == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (rd_kafka_ConfigResource_type(r[i]) == RD_KAFKA_RESOURCE_TOPIC)
      take_topic(k, r[i]);
    else
      take_broker(k, r[i]);
  }
  return all;
}

/* Copy what k knows into the snapshot's topics; returns how many
 * selected topics it knows nothing of. */
static int fill(const kml_configs_t *k, kml_snapshot_t *s) {
  int missing = 0;
  for (int i = 0; i < s->n_topics; i++) {
    kml_topic_t *t = &s->topics[i];
    const topic_conf_t *c = kml_map_find(k->topics, t->name);
    if (c == NULL) {
      missing++;
      continue;
    }
    t->retention_ms = c->retention_ms;
    t->retention_bytes = c->retention_bytes;
    t->min_isr = c->min_isr;
  }
  s->offsets_retention_s = k->offsets_retention_s;
  return missing;
}

int kml_collect_configs(rd_kafka_t *rk, kml_configs_t *k, kml_snapshot_t *s,
                        double deadline_ms, int *errors) {
  int full = kml_clock_mono() - k->refreshed >= KML_CONFIGS_REFRESH_S;
  /* Between full reads only topics the cache does not know are asked. */
  int n = 0,
      ask_broker = s->n_brokers > 0 && (full || k->offsets_retention_s < 0);
  rd_kafka_ConfigResource_t **res = calloc(s->n_topics + 1, sizeof(*res));
  if (res == NULL) {
    *errors += 1;
    return 0;
  }
  for (int i = 0; i < s->n_topics; i++) {
    if (!full && kml_map_find(k->topics, s->topics[i].name) != NULL)
      continue;
    res[n] =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, s->topics[i].name);
    for (size_t j = 0; j < sizeof(topic_keys) / sizeof(topic_keys[0]); j++)
      rd_kafka_ConfigResource_set_config(res[n], topic_keys[j], NULL);
    n++;
  }
  if (ask_broker) {
    char id[16];
    snprintf(id, sizeof(id), "%d", (int)s->brokers[0].id);
    res[n] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, id);
    rd_kafka_ConfigResource_set_config(res[n], "offsets.retention.minutes",
                                       NULL);
  }
  int sent = 0, wanted = (n > 0) + ask_broker, answered = 0;
  if (wanted > 0) {
    if (full)
      k->round++; /* topics not answered now are forgotten below */
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    if (n > 0)
      sent += send_describe(rk, q, res, n, deadline_ms);
    if (ask_broker)
      sent += send_describe(rk, q, res + n, 1, deadline_ms);
    for (int i = 0; i < sent; i++) {
      rd_kafka_event_t *ev =
          rd_kafka_queue_poll(q, kml_clock_left_ms(deadline_ms));
      if (ev == NULL)
        break; /* unanswered requests die with the queue */
      answered += take(k, ev);
      rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy_array(res, n + ask_broker);
    if (full && answered == wanted) {
      k->refreshed = kml_clock_mono();
      kml_map_sweep(k->topics, k->round); /* deleted topics */
    }
  }
  free(res);
  *errors += wanted - answered;
  /* Settings never read stay unknown: the step is complete only when every
   * selected topic and the broker setting are known. */
  if (fill(k, s) > 0 && wanted == answered)
    *errors += 1;
  return sent;
}
