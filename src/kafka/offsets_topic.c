/* offsets_topic: the __consumer_offsets follower (see offsets_topic.h for
 * why it exists and what "in sync" means).
 *
 * Each partition of the topic is consumed with rd_kafka_consume_start_queue()
 * from RD_KAFKA_OFFSET_BEGINNING onto one queue; a collection drains the
 * queue. librdkafka reports the end of a partition (enable.partition.eof)
 * with the offset it reached and caches the end offset of every fetch
 * answer (rd_kafka_get_watermark_offsets()), so "applied everything up to
 * the latest known end" needs no request. read_committed skips aborted
 * transactional commits; then the end is the last stable offset, which the
 * end-of-partition event reports.
 *
 * The local queue is bounded (queued.min.messages); when a drain takes
 * many records, librdkafka may have paused fetching, and its cached end
 * may be old, so the drain waits for one more fetch round before calling
 * a partition in sync. A drain also stops early when nothing arrives for a
 * while (a partition whose leader is gone must not hold every read up). */
#include "offsets_topic.h"

#include "../kml_clock.h"
#include "collect.h"
#include "offsets_record.h"
#include "offsets_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1024
/* The prefetch bound. With the legacy consumer API and one queue for all
 * partitions, librdkafka compares queued.min.messages and
 * queued.max.messages.kbytes with the length and size of that shared queue
 * (rd_kafka_q_len() follows the forward), and fetch.max.bytes, left unset,
 * follows the byte bound: so at most QUEUED_KB of records wait between
 * reads, plus one fetch answer of at most QUEUED_KB per broker in flight
 * (the defaults allow 64 MiB and 50 MiB per answer). A catch-up is not
 * slowed: while a drain empties the queue the fetcher keeps fetching. */
#define QUEUED_MIN "5000"  /* records librdkafka keeps prefetched */
#define QUEUED_KB "4096"   /* ... and at most this many KiB of them */
#define PAUSE_SUSPECT 2500 /* a drain this large may have paused fetching */
#define FETCH_WAIT_MS 100  /* fetch.wait.max.ms */
#define QUIET_MS 250       /* nothing for this long: stop waiting */
#define BAD_LOGGED 5       /* malformed records logged one by one */

struct kml_offsets_topic {
  kml_client_t *c;
  rd_kafka_t *rk;
  rd_kafka_topic_t *rkt;
  rd_kafka_queue_t *q;
  int n_parts;            /* 0 until the partitions are being consumed */
  int64_t *next;          /* next offset to apply, per partition (-1 none) */
  int64_t *eof;           /* offset of the last end-of-partition event */
  unsigned char *in_sync; /* per partition, as of the last drain */
  kml_offsets_table_t *table;
  int unreadable; /* the broker refused us the topic */
  int caught_up;  /* every partition was in sync once (logged) */
  double started_ms;
  long long records, bad;
  int last_in_sync;
};

kml_offsets_topic_t *kml_offsets_topic_new(kml_client_t *c, char *err,
                                           size_t errlen) {
  static const char *const extra[] = {"client.id",
                                      "collectd-kafka-ml-offsets",
                                      "fetch.wait.max.ms",
                                      "100",
                                      "queued.min.messages",
                                      QUEUED_MIN,
                                      "queued.max.messages.kbytes",
                                      QUEUED_KB,
                                      "topic.metadata.refresh.interval.ms",
                                      "60000",
                                      NULL};
  /* An empty group.id makes a consumer without a group handle: no group
   * requests at all. The rest keeps the follower a pure reader. */
  static const char *const forced[] = {"group.id",
                                       "",
                                       "enable.partition.eof",
                                       "true",
                                       "isolation.level",
                                       "read_committed",
                                       "enable.auto.commit",
                                       "false",
                                       "enable.auto.offset.store",
                                       "false",
                                       "auto.offset.reset",
                                       "earliest",
                                       "statistics.interval.ms",
                                       "0",
                                       NULL};
  kml_offsets_topic_t *f = calloc(1, sizeof(*f));
  if (f == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  f->c = c;
  f->table = kml_offsets_table_new();
  f->rk = kml_client_new_handle(c, extra, forced, err, errlen);
  if (f->table == NULL || f->rk == NULL) {
    if (f->table == NULL)
      snprintf(err, errlen, "out of memory");
    kml_offsets_topic_destroy(f);
    return NULL;
  }
  f->q = rd_kafka_queue_new(f->rk);
  f->rkt = rd_kafka_topic_new(f->rk, KML_OFFSETS_TOPIC_NAME, NULL);
  if (f->q == NULL || f->rkt == NULL) {
    snprintf(err, errlen, "cannot set up the offsets topic consumer");
    kml_offsets_topic_destroy(f);
    return NULL;
  }
  return f;
}

void kml_offsets_topic_destroy(kml_offsets_topic_t *f) {
  if (f == NULL)
    return;
  for (int p = 0; p < f->n_parts; p++)
    rd_kafka_consume_stop(f->rkt, p);
  if (f->q != NULL)
    rd_kafka_queue_destroy(f->q);
  if (f->rkt != NULL)
    rd_kafka_topic_destroy(f->rkt);
  if (f->rk != NULL)
    rd_kafka_destroy(f->rk);
  kml_offsets_table_destroy(f->table);
  free(f->next);
  free(f->eof);
  free(f->in_sync);
  free(f);
}

void kml_offsets_topic_stats(const kml_offsets_topic_t *f,
                             kml_offsets_topic_stats_t *st) {
  st->records = f->records;
  st->bad = f->bad;
  st->in_sync = f->last_in_sync;
  st->partitions = f->n_parts;
}

/* Learn the partition count and start consuming every partition. */
static kml_follow_t start(kml_offsets_topic_t *f, kml_snapshot_t *s,
                          double deadline, int *requests) {
  const struct rd_kafka_metadata *md = NULL;
  int left = (int)(deadline - kml_clock_mono_ms());
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(f->rk, 0, f->rkt, &md, left > 1 ? left : 1);
  *requests += 1;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    snprintf(s->error, sizeof(s->error), "%s metadata: %s",
             KML_OFFSETS_TOPIC_NAME, rd_kafka_err2str(err));
    return KML_FOLLOW_FAILED;
  }
  kml_follow_t r = KML_FOLLOW_OK;
  int n = 0;
  if (md->topic_cnt != 1 ||
      md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    r = KML_FOLLOW_NO_TOPIC;
  else if (md->topics[0].err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
    r = KML_FOLLOW_UNREADABLE;
  else if (md->topics[0].err != 0 || md->topics[0].partition_cnt <= 0)
    r = KML_FOLLOW_FAILED;
  else
    n = md->topics[0].partition_cnt;
  if (r != KML_FOLLOW_OK)
    snprintf(s->error, sizeof(s->error), "%s: %s", KML_OFFSETS_TOPIC_NAME,
             rd_kafka_err2str(md->topic_cnt
                                  ? md->topics[0].err
                                  : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
  rd_kafka_metadata_destroy(md);
  if (r != KML_FOLLOW_OK)
    return r;
  f->next = malloc(sizeof(*f->next) * n);
  f->eof = malloc(sizeof(*f->eof) * n);
  f->in_sync = calloc(n, 1);
  if (f->next == NULL || f->eof == NULL || f->in_sync == NULL)
    return KML_FOLLOW_FAILED; /* freed by destroy; retried next time */
  for (int p = 0; p < n; p++) {
    f->next[p] = f->eof[p] = -1;
    if (rd_kafka_consume_start_queue(f->rkt, p, RD_KAFKA_OFFSET_BEGINNING,
                                     f->q) != 0) {
      for (int k = 0; k < p; k++)
        rd_kafka_consume_stop(f->rkt, k);
      snprintf(s->error, sizeof(s->error), "cannot consume %s: %s",
               KML_OFFSETS_TOPIC_NAME, rd_kafka_err2str(rd_kafka_last_error()));
      return KML_FOLLOW_FAILED;
    }
  }
  f->n_parts = n;
  f->started_ms = kml_clock_mono_ms();
  return KML_FOLLOW_OK;
}

static void take(kml_offsets_topic_t *f, const rd_kafka_message_t *m) {
  int32_t p = m->partition;
  if (p < 0 || p >= f->n_parts)
    return;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    f->eof[p] = m->offset;
    if (m->offset > f->next[p])
      f->next[p] = m->offset;
    return;
  }
  if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
    f->unreadable = 1;
    return;
  }
  if (m->err != 0)
    return; /* librdkafka retries fetch errors itself */
  kml_offsets_record_t r;
  if (kml_offsets_record_decode(m->key, m->key_len, m->payload, m->len, &r) ==
      KML_OREC_BAD) {
    if (f->bad++ < BAD_LOGGED) {
      char msg[512];
      snprintf(msg, sizeof(msg),
               "cluster %s: %s record refused (%s) at partition %d offset "
               "%lld",
               kml_client_name(f->c), KML_OFFSETS_TOPIC_NAME, r.why, (int)p,
               (long long)m->offset);
      kml_client_log(f->c, 4, msg);
    }
  } else if (kml_offsets_table_apply(f->table, &r, p) != 0) {
    f->bad++;
  }
  f->records++;
  f->next[p] = m->offset + 1;
}

/* Which partitions hold everything up to their latest known end. */
static int update_in_sync(kml_offsets_topic_t *f) {
  int n = 0;
  for (int p = 0; p < f->n_parts; p++) {
    int64_t lo = -1, hi = -1;
    rd_kafka_get_watermark_offsets(f->rk, KML_OFFSETS_TOPIC_NAME, p, &lo, &hi);
    f->in_sync[p] = hi >= 0 && f->next[p] >= 0 &&
                    (f->next[p] >= hi || f->eof[p] == f->next[p]);
    n += f->in_sync[p];
  }
  return n;
}

/* Apply what arrived, waiting for more while partitions are behind. */
static void drain(kml_offsets_topic_t *f, double deadline) {
  rd_kafka_message_t *msgs[BATCH];
  long taken = 0;
  double quiet_since = kml_clock_mono_ms();
  int wait = 0, confirmed = 0;
  for (;;) {
    ssize_t n = rd_kafka_consume_batch_queue(f->q, wait, msgs, BATCH);
    for (ssize_t i = 0; i < n; i++) {
      take(f, msgs[i]);
      rd_kafka_message_destroy(msgs[i]);
    }
    double now = kml_clock_mono_ms();
    if (n > 0) {
      taken += n;
      quiet_since = now;
      if (n == BATCH && now < deadline) {
        wait = 0;
        continue;
      }
    }
    int synced = update_in_sync(f);
    if (f->unreadable || now >= deadline)
      break;
    if (synced == f->n_parts) {
      /* After a large drain the cached ends may predate a paused fetch:
       * one quiet fetch round confirms them. */
      if (taken < PAUSE_SUSPECT || confirmed)
        break;
      confirmed = n == 0 && wait >= FETCH_WAIT_MS;
      wait = FETCH_WAIT_MS + 50;
    } else {
      if (now - quiet_since >= QUIET_MS)
        break;
      wait = 50;
    }
    int left = (int)(deadline - now);
    if (wait > left)
      wait = left > 0 ? left : 0;
  }
}

kml_follow_t kml_offsets_topic_collect(kml_offsets_topic_t *f,
                                       kml_snapshot_t *s,
                                       const kml_filter_t *filter,
                                       double deadline_ms, int *requests) {
  if (f->unreadable)
    return KML_FOLLOW_UNREADABLE;
  if (f->n_parts == 0) {
    kml_follow_t r = start(f, s, deadline_ms, requests);
    if (r == KML_FOLLOW_NO_TOPIC) /* no commit yet: no group to report */
      s->complete |= KML_STEP_GROUP_LIST | KML_STEP_GROUPS;
    if (r != KML_FOLLOW_OK)
      return r;
  }
  drain(f, deadline_ms);
  if (f->unreadable) {
    snprintf(s->error, sizeof(s->error), "%s: %s", KML_OFFSETS_TOPIC_NAME,
             rd_kafka_err2str(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));
    return KML_FOLLOW_UNREADABLE;
  }
  f->last_in_sync = 0;
  for (int p = 0; p < f->n_parts; p++)
    f->last_in_sync += f->in_sync[p];
  if (!f->caught_up && f->last_in_sync == f->n_parts) {
    f->caught_up = 1;
    char msg[512];
    snprintf(msg, sizeof(msg),
             "cluster %s: %s read to its end: %d groups, %d committed "
             "offsets from %lld records in %.1f s",
             kml_client_name(f->c), KML_OFFSETS_TOPIC_NAME,
             kml_offsets_table_groups(f->table),
             kml_offsets_table_offsets(f->table), f->records,
             (kml_clock_mono_ms() - f->started_ms) / 1e3);
    kml_client_log(f->c, 6, msg);
  }
  int unsynced =
      kml_offsets_table_export(f->table, s, filter, f->in_sync, f->n_parts);
  if (unsynced == 0)
    s->complete |= KML_STEP_GROUP_LIST | KML_STEP_GROUPS;
  if (unsynced < 0) {
    snprintf(s->error, sizeof(s->error), "out of memory");
    s->errors++;
  } else if (unsynced > 0) {
    snprintf(s->error, sizeof(s->error),
             "%d group(s) not measured: %s partitions still being read "
             "(%d of %d in sync)",
             unsynced, KML_OFFSETS_TOPIC_NAME, f->last_in_sync, f->n_parts);
  }
  return KML_FOLLOW_OK;
}
