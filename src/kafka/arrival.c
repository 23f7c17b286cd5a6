/* arrival: see arrival.h. Each round starts, on one queue, every partition
 * that still has an unanswered request (its first one), at that request's
 * offset; reads until each started partition gave one record, an error or
 * its end, or the deadline passed, stopping each partition once answered;
 * then stops the rest and drains the queue, so that nothing of this round
 * is taken for an answer later. */
#include "arrival.h"

#include "../kml_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kml_arrival {
  kml_client_t *c;
  rd_kafka_t *rk;
  rd_kafka_queue_t *q;
};

kml_arrival_t *kml_arrival_new(kml_client_t *c) {
  kml_arrival_t *a = calloc(1, sizeof(*a));
  if (a != NULL)
    a->c = c;
  return a;
}

void kml_arrival_destroy(kml_arrival_t *a) {
  if (a == NULL)
    return;
  if (a->q != NULL)
    rd_kafka_queue_destroy(a->q);
  if (a->rk != NULL)
    rd_kafka_destroy(a->rk);
  free(a);
}

/* One record is all a partition is read for: fetches of at most 64 KiB
 * per partition (the broker returns a larger batch whole when it comes
 * first in its response), and a partition is stopped once answered. */
#define READ_BYTES 65536
/* The consumer, made on first use. 0, or -1 with the reason in err. */
static int handle(kml_arrival_t *a, char *err, size_t errlen) {
  if (a->rk != NULL && a->q != NULL)
    return 0;
  /* The round's shared queue holds a round's partitions (KML_ARRIVAL_MAX)
   * at READ_BYTES and the batches returned whole (client.h). */
  if (a->rk == NULL)
    a->rk = kml_client_new_reader(a->c, "collectd-kafka-ml-arrival", READ_BYTES,
                                  err, errlen);
  if (a->rk == NULL)
    return -1;
  a->q = rd_kafka_queue_new(a->rk);
  if (a->q == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

/* A topic handle whose default offset reset is an error (the request it
 * serves is found through the partition); NULL when librdkafka refuses. */
static rd_kafka_topic_t *topic_new(rd_kafka_t *rk, const char *name) {
  rd_kafka_topic_conf_t *tc = rd_kafka_topic_conf_new();
  char e[128];
  if (tc == NULL)
    return NULL;
  if (rd_kafka_topic_conf_set(tc, "auto.offset.reset", "error", e, sizeof(e)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_topic_conf_destroy(tc);
    return NULL;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, name, tc);
  if (rkt == NULL)
    rd_kafka_topic_conf_destroy(tc);
  return rkt;
}

/* Errors after which asking again cannot help. */
static int final_error(rd_kafka_resp_err_t e) {
  switch (e) {
  case RD_KAFKA_RESP_ERR__PARTITION_EOF:
  case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
  case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
  case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
  case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
  case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
  case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    return 1;
  default:
    return 0;
  }
}

/* in_round: the request's partition was started in this round. */
enum { OUT = 0, STARTED, STOPPED };

typedef struct {
  kml_arrival_req_t *reqs;
  rd_kafka_topic_t **rkt; /* per request: its topic's handle (shared) */
  unsigned char *in_round;
  int n;
} round_t;

/* The index of the request of this round that message m answers, or -1. */
static int request_of(const round_t *r, const rd_kafka_message_t *m) {
  for (int i = 0; i < r->n; i++)
    if (r->in_round[i] != OUT && r->rkt[i] == m->rkt &&
        r->reqs[i].partition == m->partition)
      return i;
  return -1;
}

/* Take message m as the answer to q. Returns 1 when q is answered. */
static int take(kml_arrival_req_t *q, const rd_kafka_message_t *m) {
  if (q->result != KML_ARRIVAL_PENDING || q->err != 0)
    return 0; /* answered already in this round */
  if (m->err != 0) {
    q->err = m->err;
    if (final_error(m->err))
      q->result = KML_ARRIVAL_NONE;
    return 1; /* transient errors: asked again at the next collection */
  }
  if (m->offset < q->offset)
    return 0; /* the start of a batch before the offset: not it */
  if (m->offset >= q->high) {
    q->result = KML_ARRIVAL_NONE; /* nothing left below the mark */
    q->err = RD_KAFKA_RESP_ERR__PARTITION_EOF;
    return 1;
  }
  rd_kafka_timestamp_type_t type;
  int64_t ms = rd_kafka_message_timestamp(m, &type);
  if (ms < 0 || type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
    q->result = KML_ARRIVAL_NONE;
    q->err = RD_KAFKA_RESP_ERR__NOENT;
    return 1;
  }
  q->result = KML_ARRIVAL_FOUND;
  q->ts = (double)ms / 1000.0;
  q->log_time = type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME;
  q->found = m->offset;
  q->err = 0;
  return 1;
}

/* Start the first pending request of each partition. Returns how many. */
static int start_round(round_t *r, rd_kafka_queue_t *queue) {
  int started = 0;
  memset(r->in_round, 0, (size_t)r->n);
  for (int i = 0; i < r->n; i++) {
    kml_arrival_req_t *q = &r->reqs[i];
    if (q->result != KML_ARRIVAL_PENDING || q->err != 0 || r->rkt[i] == NULL)
      continue;
    int busy = 0;
    for (int k = 0; k < i && !busy; k++)
      busy = r->in_round[k] && r->rkt[k] == r->rkt[i] &&
             r->reqs[k].partition == q->partition;
    if (busy)
      continue;
    if (rd_kafka_consume_start_queue(r->rkt[i], q->partition, q->offset,
                                     queue) != 0) {
      q->err = rd_kafka_last_error();
      if (final_error(q->err))
        q->result = KML_ARRIVAL_NONE;
      continue;
    }
    r->in_round[i] = STARTED;
    started++;
  }
  return started;
}

/* Stop request i's partition: the queue bounds do not stop an answered
 * partition from fetching (they rarely bind), so it is stopped here, its
 * fetches no more than the batches already asked for. */
static void stop_one(round_t *r, int i) {
  if (r->in_round[i] != STARTED)
    return;
  rd_kafka_consume_stop(r->rkt[i], r->reqs[i].partition);
  r->in_round[i] = STOPPED;
}

static void stop_round(round_t *r, rd_kafka_queue_t *queue) {
  for (int i = 0; i < r->n; i++)
    stop_one(r, i);
  rd_kafka_message_t *m;
  while ((m = rd_kafka_consume_queue(queue, 0)) != NULL)
    rd_kafka_message_destroy(m);
}

/* One topic handle per distinct topic, shared by its requests. */
static void topics_open(rd_kafka_t *rk, round_t *r) {
  for (int i = 0; i < r->n; i++) {
    for (int k = 0; k < i && r->rkt[i] == NULL; k++)
      if (r->rkt[k] != NULL && strcmp(r->reqs[k].topic, r->reqs[i].topic) == 0)
        r->rkt[i] = r->rkt[k];
    if (r->rkt[i] == NULL)
      r->rkt[i] = topic_new(rk, r->reqs[i].topic);
  }
}

static void topics_close(round_t *r) {
  for (int i = 0; i < r->n; i++) {
    int shared = 0;
    for (int k = i + 1; k < r->n && !shared; k++)
      shared = r->rkt[k] == r->rkt[i];
    if (r->rkt[i] != NULL && !shared)
      rd_kafka_topic_destroy(r->rkt[i]); /* the last holder closes it */
  }
}

int kml_arrival_fetch(kml_arrival_t *a, kml_arrival_req_t *reqs, int n,
                      double deadline_ms, char *err, size_t errlen) {
  if (n <= 0)
    return 0;
  if (handle(a, err, errlen) != 0)
    return -1;
  round_t r = {.reqs = reqs,
               .n = n,
               .rkt = calloc((size_t)n, sizeof(*r.rkt)),
               .in_round = calloc((size_t)n, 1)};
  int rounds = 0;
  if (r.rkt == NULL || r.in_round == NULL)
    goto out;
  topics_open(a->rk, &r);
  int pending;
  while (kml_clock_left_ms(deadline_ms) > 0 &&
         (pending = start_round(&r, a->q)) > 0) {
    rounds++;
    int left;
    while (pending > 0 && (left = kml_clock_left_ms(deadline_ms)) > 0) {
      rd_kafka_message_t *m =
          rd_kafka_consume_queue(a->q, left < 100 ? left : 100);
      if (m == NULL)
        continue;
      int i = request_of(&r, m);
      if (i >= 0 && take(&reqs[i], m)) {
        pending--;
        stop_one(&r, i);
      }
      rd_kafka_message_destroy(m);
    }
    stop_round(&r, a->q);
  }
  topics_close(&r);
out:
  free(r.rkt);
  free(r.in_round);
  return rounds;
}
