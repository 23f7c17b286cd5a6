/* configs: the few settings risk checks need, in one DescribeConfigs call:
 * retention.ms, retention.bytes and min.insync.replicas of every selected
 * topic, and offsets.retention.minutes of one broker. Only these names are
 * requested, so the answer stays small on clusters with many topics. */
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const topic_keys[] = {"retention.ms", "retention.bytes",
                                         "min.insync.replicas"};

static void take_topic(kml_snapshot_t *s, const rd_kafka_ConfigResource_t *r) {
  kml_topic_t *t =
      (kml_topic_t *)kml_snapshot_topic(s, rd_kafka_ConfigResource_name(r));
  if (t == NULL || rd_kafka_ConfigResource_error(r))
    return;
  size_t n;
  const rd_kafka_ConfigEntry_t **e = rd_kafka_ConfigResource_configs(r, &n);
  for (size_t i = 0; i < n; i++) {
    const char *k = rd_kafka_ConfigEntry_name(e[i]);
    const char *v = rd_kafka_ConfigEntry_value(e[i]);
    if (v == NULL)
      continue;
    if (strcmp(k, "retention.ms") == 0)
      t->retention_ms = strtoll(v, NULL, 10);
    else if (strcmp(k, "retention.bytes") == 0)
      t->retention_bytes = strtoll(v, NULL, 10);
    else if (strcmp(k, "min.insync.replicas") == 0)
      t->min_isr = atoi(v);
  }
}

static void take_broker(kml_snapshot_t *s, const rd_kafka_ConfigResource_t *r) {
  if (rd_kafka_ConfigResource_error(r))
    return;
  size_t n;
  const rd_kafka_ConfigEntry_t **e = rd_kafka_ConfigResource_configs(r, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(rd_kafka_ConfigEntry_name(e[i]), "offsets.retention.minutes") ==
            0 &&
        rd_kafka_ConfigEntry_value(e[i]) != NULL)
      s->offsets_retention_s =
          60.0 * strtod(rd_kafka_ConfigEntry_value(e[i]), NULL);
}

int kml_collect_configs(rd_kafka_t *rk, kml_snapshot_t *s, int timeout_ms) {
  int n = s->n_topics + (s->n_brokers > 0);
  if (n == 0)
    return 0;
  rd_kafka_ConfigResource_t **res = calloc(n, sizeof(*res));
  if (res == NULL)
    return 0;
  int k = 0;
  for (int i = 0; i < s->n_topics; i++) {
    res[k] =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, s->topics[i].name);
    for (size_t j = 0; j < sizeof(topic_keys) / sizeof(topic_keys[0]); j++)
      rd_kafka_ConfigResource_set_config(res[k], topic_keys[j], NULL);
    k++;
  }
  if (s->n_brokers > 0) {
    char id[16];
    snprintf(id, sizeof(id), "%d", (int)s->brokers[0].id);
    res[k] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, id);
    rd_kafka_ConfigResource_set_config(res[k], "offsets.retention.minutes",
                                       NULL);
    k++;
  }
  char err[256];
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *o =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, err, sizeof(err));
  rd_kafka_DescribeConfigs(rk, res, k, o, q);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);
  if (ev == NULL || rd_kafka_event_error(ev)) {
    s->errors++;
  } else {
    size_t cnt;
    const rd_kafka_ConfigResource_t **r =
        rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &cnt);
    for (size_t i = 0; i < cnt; i++) {
      if (rd_kafka_ConfigResource_type(r[i]) == RD_KAFKA_RESOURCE_TOPIC)
        take_topic(s, r[i]);
      else
        take_broker(s, r[i]);
    }
  }
  if (ev != NULL)
    rd_kafka_event_destroy(ev);
  rd_kafka_ConfigResource_destroy_array(res, k);
  free(res);
  rd_kafka_queue_destroy(q);
  return s->n_brokers > 0 ? 2 : 1; /* topics to any broker; broker to itself */
}
