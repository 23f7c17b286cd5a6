/* collect: run the collection steps within one deadline. Each step gets
 * what is left of the budget, so a slow or dead broker costs at most the
 * configured timeout and never blocks collectd's read thread longer.
 *
 * Order and overlap: metadata first (everything else needs it); then the
 * retention settings on a thread of their own, beside the groups step and
 * the high-water marks, because they only fill topic fields nobody else
 * touches. Groups may use at most two thirds of what is left, so that the
 * high-water marks (asked after the committed offsets, so that lag is never
 * negative) always get a third of the budget. */
#include "collect.h"

#include "../kml_clock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  rd_kafka_t *rk;
  kml_configs_t *k;
  kml_snapshot_t *s;
  double deadline_ms;
  int requests, errors;
} configs_job_t;

static void *configs_thread(void *arg) {
  configs_job_t *j = arg;
  j->requests =
      kml_collect_configs(j->rk, j->k, j->s, j->deadline_ms, &j->errors);
  return NULL;
}

rd_kafka_AdminOptions_t *kml_collect_admin_options(rd_kafka_t *rk,
                                                   rd_kafka_admin_op_t op,
                                                   double deadline_ms,
                                                   char *err, size_t errlen) {
  int left = kml_clock_left_ms(deadline_ms);
  if (left < 1) {
    snprintf(err, errlen, "no time left in the collection's budget");
    return NULL;
  }
  rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
  if (o == NULL) {
    snprintf(err, errlen, "admin options refused for this operation");
    return NULL;
  }
  /* The request times out a little before the deadline, so that requests
   * fanned out per coordinator report what did answer while the caller
   * still waits, instead of all of it arriving too late. */
  int margin = left / 10 > 50 ? left / 10 : 50;
  int timeout = left - margin > 1 ? left - margin : 1;
  if (rd_kafka_AdminOptions_set_request_timeout(o, timeout, err, errlen) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_AdminOptions_destroy(o);
    return NULL;
  }
  return o;
}

/* The brokers' advertised addresses, for the handles made later
 * (kml_client_learn_brokers); an IPv6 host in brackets. */
static void learn_brokers(kml_client_t *c, const kml_snapshot_t *s) {
  char buf[4096];
  size_t len = 0;
  buf[0] = '\0';
  for (int i = 0; i < s->n_brokers; i++) {
    const kml_broker_t *b = &s->brokers[i];
    if (b->host == NULL || b->host[0] == '\0' || b->port <= 0)
      continue;
    int v6 = strchr(b->host, ':') != NULL;
    int w = snprintf(buf + len, sizeof(buf) - len, "%s%s%s%s:%d",
                     len > 0 ? "," : "", v6 ? "[" : "", b->host, v6 ? "]" : "",
                     b->port);
    if (w < 0 || (size_t)w >= sizeof(buf) - len) {
      buf[len] = '\0'; /* the brokers that fit */
      break;
    }
    len += (size_t)w;
  }
  kml_client_learn_brokers(c, buf);
}

kml_snapshot_t *kml_collect(kml_client_t *c, const kml_collect_opts_t *o) {
  kml_snapshot_t *s = kml_snapshot_new();
  if (s == NULL)
    return NULL;
  rd_kafka_t *rk = kml_client_rk(c);
  /* Serve librdkafka's callbacks (statistics with round-trip times, error
   * events): they wait on the main queue until the application polls. */
  rd_kafka_poll(rk, 0);
  double t0 = kml_clock_mono_ms();
  double deadline = t0 + o->timeout_ms;
  s->started = kml_clock_wall();
  s->mono = t0 / 1e3;

  int n = kml_collect_metadata(rk, s, o->topics, o->timeout_ms);
  double t_step = kml_clock_mono_ms();
  s->metadata_s = (t_step - t0) / 1e3;
  if (n < 0) { /* s->error says why; ok stays 0 */
    snprintf(s->bootstrap, sizeof(s->bootstrap), "%s", kml_client_brokers(c));
    /* librdkafka retries every few seconds; a minute is recent */
    snprintf(s->cause, sizeof(s->cause), "%s",
             kml_client_last_failure(c, s->started - 60));
    goto done;
  }
  s->ok = 1;
  s->complete |= KML_STEP_METADATA;
  s->requests += n;
  kml_snapshot_sort(s);
  learn_brokers(c, s);
  for (int i = 0; i < s->n_brokers; i++)
    s->brokers[i].rtt_avg_ms = kml_client_broker_rtt(c, s->brokers[i].id);

  configs_job_t cj = {
      .rk = rk, .k = kml_client_configs(c), .s = s, .deadline_ms = deadline};
  pthread_t configs;
  int configs_running = 0;
  if (o->configs_enabled)
    configs_running = pthread_create(&configs, NULL, configs_thread, &cj) == 0;
  if (o->configs_enabled && !configs_running)
    configs_thread(&cj);

  if (o->groups_enabled) {
    int left = kml_clock_left_ms(deadline);
    int g = kml_collect_groups(c, s, o->groups, left - left / 3);
    s->requests += g > 0 ? g : 0;
  }
  double t_groups = kml_clock_mono_ms();
  s->groups_s = (t_groups - t_step) / 1e3;
  s->requests += kml_collect_watermarks(rk, s, deadline);
  s->watermarks_s = (kml_clock_mono_ms() - t_groups) / 1e3;
  if (configs_running)
    pthread_join(configs, NULL);
  s->requests += cj.requests;
  s->errors += cj.errors;
  if (o->configs_enabled && cj.errors == 0)
    s->complete |= KML_STEP_CONFIGS;
  kml_snapshot_sort(s);

done:
  s->duration = (kml_clock_mono_ms() - t0) / 1e3;
  return s;
}
