/* configs: the few settings risk checks need: retention.ms,
 * retention.bytes and min.insync.replicas of every selected topic in one
 * DescribeConfigs call, and offsets.retention.minutes of one broker in a
 * second. Only these names are requested, so the answer stays small on
 * clusters with many topics. The broker's setting is asked apart because
 * librdkafka sends a request that names a broker resource to that broker:
 * with one hung broker the topics' settings would be lost with it. Both go
 * out at once on one queue. This step runs beside others: it writes only
 * topics' settings and offsets_retention_s, and counts what was not
 * answered in *errors (0: the step is complete). */
#include "../kml_clock.h"
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
static int take(kml_snapshot_t *s, rd_kafka_event_t *ev) {
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
      take_topic(s, r[i]);
    else
      take_broker(s, r[i]);
  }
  return all;
}

int kml_collect_configs(rd_kafka_t *rk, kml_snapshot_t *s, double deadline_ms,
                        int *errors) {
  int n = s->n_topics;
  rd_kafka_ConfigResource_t **res = calloc(n + 1, sizeof(*res));
  if (res == NULL) {
    *errors += 1;
    return 0;
  }
  for (int i = 0; i < n; i++) {
    res[i] =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, s->topics[i].name);
    for (size_t j = 0; j < sizeof(topic_keys) / sizeof(topic_keys[0]); j++)
      rd_kafka_ConfigResource_set_config(res[i], topic_keys[j], NULL);
  }
  if (s->n_brokers > 0) {
    char id[16];
    snprintf(id, sizeof(id), "%d", (int)s->brokers[0].id);
    res[n] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, id);
    rd_kafka_ConfigResource_set_config(res[n], "offsets.retention.minutes",
                                       NULL);
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  int sent = 0, wanted = (n > 0) + (s->n_brokers > 0), answered = 0;
  if (n > 0)
    sent += send_describe(rk, q, res, n, deadline_ms);
  if (s->n_brokers > 0)
    sent += send_describe(rk, q, res + n, 1, deadline_ms);
  for (int i = 0; i < sent; i++) {
    rd_kafka_event_t *ev =
        rd_kafka_queue_poll(q, kml_clock_left_ms(deadline_ms));
    if (ev == NULL)
      break; /* unanswered requests die with the queue */
    answered += take(s, ev);
    rd_kafka_event_destroy(ev);
  }
  *errors += wanted - answered;
  rd_kafka_ConfigResource_destroy_array(res, n + (s->n_brokers > 0));
  free(res);
  rd_kafka_queue_destroy(q);
  return sent;
}
