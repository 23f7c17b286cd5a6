/* metadata: brokers, topics and partitions (leader, replicas, ISR) from one
 * Metadata request. Topics that the filter rejects are left out entirely;
 * cluster-wide health is computed from the selected topics.
 *
 * A hung broker (process stopped, network black hole) keeps its connection
 * "up" in librdkafka's eyes until a request to it times out; a request sent
 * to it only waits. librdkafka sends a metadata request to the connected
 * broker it sent to most recently, which after a first attempt is the hung
 * one again. So the budget is split over up to five attempts, and before
 * each retry every broker is sent a tiny request (ListGroups of Dead groups
 * only), which makes them all equally recent: librdkafka then picks one at
 * random, and one hung broker does not make the whole cluster look
 * unreachable. */
#include "../kml_clock.h"
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int32_t *dup_ids(const int32_t *src, int n) {
  int32_t *d = malloc(sizeof(*d) * (n > 0 ? n : 1));
  if (d != NULL && n > 0)
    memcpy(d, src, sizeof(*d) * n);
  return d;
}

#define ATTEMPTS 5

/* Send every broker a request whose answer nobody awaits. */
static void touch_all_brokers(rd_kafka_t *rk, double deadline_ms) {
  char err[256];
  rd_kafka_AdminOptions_t *o = kml_collect_admin_options(
      rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, deadline_ms, err, sizeof(err));
  if (o == NULL)
    return;
  const rd_kafka_consumer_group_state_t dead[] = {
      RD_KAFKA_CONSUMER_GROUP_STATE_DEAD};
  rd_kafka_error_t *e =
      rd_kafka_AdminOptions_set_match_consumer_group_states(o, dead, 1);
  if (e != NULL) {
    rd_kafka_error_destroy(e);
  } else {
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_ListConsumerGroups(rk, o, q);
    rd_kafka_queue_destroy(q); /* the answer is dropped */
  }
  rd_kafka_AdminOptions_destroy(o);
  /* librdkafka's threads send the requests: give them a moment, so that
   * the next broker choice sees them. */
  nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
}

int kml_collect_metadata(rd_kafka_t *rk, kml_snapshot_t *s,
                         const kml_filter_t *topics, int timeout_ms) {
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  double deadline = kml_clock_mono_ms() + timeout_ms;
  for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
    int left = kml_clock_left_ms(deadline);
    if (left < 50)
      break;
    if (attempt > 0)
      touch_all_brokers(rk, deadline);
    int slice = attempt < ATTEMPTS - 1 ? left / (ATTEMPTS - attempt) : left;
    err = rd_kafka_metadata(rk, 1, NULL, &md, slice);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
      break;
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    snprintf(s->error, sizeof(s->error), "metadata request failed: %s",
             rd_kafka_err2str(err));
    return -1;
  }
  s->brokers =
      calloc(md->broker_cnt > 0 ? md->broker_cnt : 1, sizeof(*s->brokers));
  s->topics = calloc(md->topic_cnt > 0 ? md->topic_cnt : 1, sizeof(*s->topics));
  if (s->brokers == NULL || s->topics == NULL)
    goto nomem;
  for (int i = 0; i < md->broker_cnt; i++) {
    kml_broker_t *b = &s->brokers[s->n_brokers];
    b->id = md->brokers[i].id;
    b->port = md->brokers[i].port;
    b->host = strdup(md->brokers[i].host ? md->brokers[i].host : "");
    if (b->host == NULL)
      goto nomem;
    s->n_brokers++;
  }
  for (int i = 0; i < md->topic_cnt; i++) {
    const rd_kafka_metadata_topic_t *mt = &md->topics[i];
    if (topics != NULL && !kml_filter_match(topics, mt->topic))
      continue;
    kml_topic_t *t = &s->topics[s->n_topics];
    t->name = strdup(mt->topic);
    t->err = mt->err;
    t->min_isr = -1;
    t->retention_ms = t->retention_bytes = -2;
    t->parts = calloc(mt->partition_cnt > 0 ? mt->partition_cnt : 1,
                      sizeof(*t->parts));
    if (t->name == NULL || t->parts == NULL) {
      free(t->name);
      free(t->parts);
      goto nomem;
    }
    s->n_topics++;
    for (int p = 0; p < mt->partition_cnt; p++) {
      const rd_kafka_metadata_partition_t *mp = &mt->partitions[p];
      kml_partition_t *kp = &t->parts[t->n_parts];
      kp->id = mp->id;
      kp->leader = mp->leader;
      kp->err = mp->err;
      kp->low = kp->high = -1;
      kp->replicas = dup_ids(mp->replicas, mp->replica_cnt);
      kp->isr = dup_ids(mp->isrs, mp->isr_cnt);
      if (kp->replicas == NULL || kp->isr == NULL) {
        free(kp->replicas);
        free(kp->isr);
        goto nomem;
      }
      kp->n_replicas = mp->replica_cnt;
      kp->n_isr = mp->isr_cnt;
      t->n_parts++;
    }
  }
  rd_kafka_metadata_destroy(md);
  return 1;

nomem:
  rd_kafka_metadata_destroy(md);
  snprintf(s->error, sizeof(s->error), "out of memory reading metadata");
  return -1;
}
