/* kafkactl: the precise Kafka operations tests, benchmarks and the demo
 * need, on librdkafka (kcat cannot commit chosen offsets or delete records).
 *
 *   kafkactl BOOT create-topic TOPIC PARTITIONS RF [key=value ...]
 *       returns once every broker lists the partitions with leaders
 *   kafkactl BOOT delete-topic TOPIC
 *   kafkactl BOOT delete-group GROUP                (a group without members)
 *   kafkactl BOOT produce TOPIC PARTITION COUNT     (PARTITION -1: spread)
 *   kafkactl BOOT produce-rate TOPIC RATE SECONDS   (RATE msgs/s, spread)
 *       both produce each message once; one failed because the partition
 *       is not known yet is produced again (for up to 30 s)
 *   kafkactl BOOT commit GROUP TOPIC PARTITION OFFSET [PARTITION OFFSET ...]
 *   kafkactl BOOT consume-rate GROUP TOPIC RATE SECONDS
 *   kafkactl BOOT delete-records TOPIC PARTITION OFFSET
 *   kafkactl BOOT commit-groups PREFIX COUNT TOPIC_PREFIX TOPICS PARTITIONS
 * OFFSET groups PREFIX-0..COUNT-1; group i commits OFFSET on partitions
 *       0..PARTITIONS-1 of topic TOPIC_PREFIX-(i % TOPICS), all pipelined
 *   kafkactl BOOT create-topics PREFIX COUNT PARTITIONS RF
 *   kafkactl BOOT commit-loop GROUP TOPIC PARTITIONS TARGET_FILE SECONDS
 *       commits, every 200 ms until SECONDS pass (or SIGTERM), the offset
 *       written in TARGET_FILE on partitions 0..PARTITIONS-1 (GROUP must
 *       have no members); failed commits (a coordinator moving) are
 *       counted and retried at the next tick; each newly acknowledged
 *       offset is appended to TARGET_FILE.ack
 *   kafkactl BOOT consume-pause GROUP TOPICS SECONDS PAUSED FROM TO
 *       a group member reading TOPICS (comma-separated) as fast as they
 *       come, committing every 500 ms, with topic PAUSED's partitions
 *       paused from FROM to TO seconds after the start (a consumer falling
 *       behind on one topic)
 *   kafkactl BOOT consume-slow GROUP TOPIC SECONDS PARTITION RATE FROM
 *       a group member reading TOPIC as fast as it comes, committing every
 *       500 ms, except partition PARTITION, read at most RATE msgs/s
 *       (0: paused) from FROM seconds after the start (a consumer that
 *       slows on one partition)
 *
 * Exit status 0 on success, 1 on a Kafka error (printed), 2 on bad usage. */
#include <librdkafka/rdkafka.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int s) { stop = 1; }

static void die(const char *what, const char *why) {
  fprintf(stderr, "kafkactl: %s: %s\n", what, why);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static rd_kafka_t *client(const char *boot, rd_kafka_type_t type,
                          const char *group) {
  char err[512];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", boot, NULL, 0);
  rd_kafka_conf_set(c, "log_level", "3", NULL, 0);
  if (type == RD_KAFKA_PRODUCER) {
    rd_kafka_conf_set(c, "linger.ms", "5", NULL, 0);
    rd_kafka_conf_set(c, "acks", "all", NULL, 0);
  }
  if (group != NULL) {
    rd_kafka_conf_set(c, "group.id", group, NULL, 0);
    rd_kafka_conf_set(c, "enable.auto.commit", "false", NULL, 0);
    rd_kafka_conf_set(c, "auto.offset.reset", "earliest", NULL, 0);
  }
  rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof(err));
  if (rk == NULL)
    die("client", err);
  return rk;
}

/* The next admin result on q within timeout_ms; dies on none or an error. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, int timeout_ms) {
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);
  if (ev == NULL)
    die("admin", "no answer within the timeout");
  if (rd_kafka_event_error(ev))
    die("admin", rd_kafka_event_error_string(ev));
  return ev;
}

/* Whether topic metadata md shows at least parts partitions, with a
 * leader for partition (-1: for every one). */
static int leaders_known(const struct rd_kafka_metadata *md, int partition,
                         int parts) {
  if (md->topic_cnt != 1 || md->topics[0].err != 0)
    return 0;
  const struct rd_kafka_metadata_topic *t = &md->topics[0];
  if (t->partition_cnt < parts)
    return 0;
  for (int i = 0; i < t->partition_cnt; i++)
    if (t->partitions[i].leader < 0 &&
        (partition < 0 || t->partitions[i].id == partition))
      return 0;
  return 1;
}

/* Wait (up to 30 s in all) until every broker lists the new topic with
 * its parts partitions and their leaders, each asked through a client
 * bootstrapped on its address alone (an answer relayed by another broker
 * does not count; -1 is the bootstrap connection, that same broker). A
 * broker still behind after that is said, not fatal. */
static void wait_topic_everywhere(rd_kafka_t *rk, const char *topic,
                                  int parts) {
  const struct rd_kafka_metadata *all = NULL;
  if (rd_kafka_metadata(rk, 0, NULL, &all, 10000) != 0)
    return;
  double deadline = now() + 30;
  for (int b = 0; b < all->broker_cnt; b++) {
    const struct rd_kafka_metadata_broker *mb = &all->brokers[b];
    char boot[512];
    snprintf(boot, sizeof(boot), "%s:%d", mb->host, mb->port);
    rd_kafka_t *one = client(boot, RD_KAFKA_PRODUCER, NULL);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(one, topic, NULL);
    int ready = 0;
    while (rkt != NULL && !ready && now() < deadline) {
      const struct rd_kafka_metadata *md = NULL;
      ready = rd_kafka_metadata(one, 0, rkt, &md, 2000) == 0 &&
              (md->orig_broker_id == mb->id || md->orig_broker_id == -1) &&
              leaders_known(md, -1, parts);
      if (md != NULL)
        rd_kafka_metadata_destroy(md);
      if (!ready)
        usleep(100000);
    }
    if (!ready)
      fprintf(stderr,
              "kafkactl: %s: broker %d does not list its %d partitions "
              "with leaders yet\n",
              topic, mb->id, parts);
    if (rkt != NULL)
      rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(one);
  }
  rd_kafka_metadata_destroy(all);
}

static int create_topic(const char *boot, int argc, char **argv) {
  if (argc < 3)
    return 2;
  rd_kafka_t *rk = client(boot, RD_KAFKA_PRODUCER, NULL);
  char err[512];
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(
      argv[0], atoi(argv[1]), atoi(argv[2]), err, sizeof(err));
  if (nt == NULL)
    die("create-topic", err);
  for (int i = 3; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (eq == NULL)
      return 2;
    *eq = '\0';
    rd_kafka_NewTopic_set_config(nt, argv[i], eq + 1);
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
  rd_kafka_event_t *ev = admin_wait(q, 60000);
  size_t n;
  const rd_kafka_topic_result_t **r = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(ev), &n);
  for (size_t i = 0; i < n; i++)
    if (rd_kafka_topic_result_error(r[i]))
      die(argv[0], rd_kafka_topic_result_error_string(r[i]));
  wait_topic_everywhere(rk, argv[0], atoi(argv[1]));
  rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return 0;
}

static int delete_topic(const char *boot, int argc, char **argv) {
  if (argc < 1)
    return 2;
  rd_kafka_t *rk = client(boot, RD_KAFKA_PRODUCER, NULL);
  rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(argv[0]);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
  rd_kafka_event_t *ev = admin_wait(q, 60000);
  size_t n;
  const rd_kafka_topic_result_t **r = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(ev), &n);
  for (size_t i = 0; i < n; i++)
    if (rd_kafka_topic_result_error(r[i]))
      die(argv[0], rd_kafka_topic_result_error_string(r[i]));
  rd_kafka_event_destroy(ev);
  rd_kafka_DeleteTopic_destroy(dt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return 0;
}

static int delete_group(const char *boot, int argc, char **argv) {
  if (argc < 1)
    return 2;
  rd_kafka_t *rk = client(boot, RD_KAFKA_PRODUCER, NULL);
  rd_kafka_DeleteGroup_t *dg = rd_kafka_DeleteGroup_new(argv[0]);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteGroups(rk, &dg, 1, NULL, q);
  rd_kafka_event_t *ev = admin_wait(q, 60000);
  size_t n;
  const rd_kafka_group_result_t **r = rd_kafka_DeleteGroups_result_groups(
      rd_kafka_event_DeleteGroups_result(ev), &n);
  for (size_t i = 0; i < n; i++)
    if (rd_kafka_group_result_error(r[i]))
      die(argv[0], rd_kafka_error_string(rd_kafka_group_result_error(r[i])));
  rd_kafka_event_destroy(ev);
  rd_kafka_DeleteGroup_destroy(dg);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return 0;
}

/* Right after CreateTopics the brokers learn the new topic one by one:
 * for a while some list it without partitions (or not at all), and a
 * client whose metadata came from one of them fails what it produces with
 * "Unknown partition" at once instead of waiting. Three defences:
 * create-topic waits until every broker lists the partitions with
 * leaders; a producer waits until its own metadata shows them; and a
 * message failed that way (librdkafka says it was not written) is
 * produced again, as long as such failures have not lasted 30 s without
 * a delivery in between. A delivered message is never produced again. */
#define RETRY_SECONDS 30

static int retryable(rd_kafka_resp_err_t e) {
  return e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
         e == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
         e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
         e == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
}

static double failing_since; /* first retryable failure since a delivery */

/* Counts a retryable failure; whether its message may be produced again. */
static int may_retry(void) {
  if (failing_since == 0)
    failing_since = now();
  return now() - failing_since < RETRY_SECONDS;
}

static int delivery_errors;
static long *again; /* numbers of the messages to produce again */
static size_t again_n, again_cap;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
  if (m->err == 0) {
    failing_since = 0;
    return;
  }
  if (retryable(m->err) &&
      rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_NOT_PERSISTED &&
      may_retry()) {
    if (again_n == again_cap) {
      again_cap = again_cap ? 2 * again_cap : 64;
      again = realloc(again, again_cap * sizeof(*again));
      if (again == NULL)
        die("produce", "out of memory");
    }
    again[again_n++] = (long)(intptr_t)m->_private; /* the msg_opaque */
    return;
  }
  delivery_errors++;
  fprintf(stderr, "kafkactl: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

/* Wait (up to 30 s) until this client's metadata shows the partition
 * (-1: every one) with a leader; asking also refreshes what the client
 * produces by. */
static void wait_partition(rd_kafka_t *rk, const char *topic, int partition) {
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  double deadline = now() + RETRY_SECONDS;
  while (rkt != NULL && now() < deadline) {
    const struct rd_kafka_metadata *md = NULL;
    int ready = rd_kafka_metadata(rk, 0, rkt, &md, 2000) == 0 &&
                leaders_known(md, partition, partition < 0 ? 1 : partition + 1);
    if (md != NULL)
      rd_kafka_metadata_destroy(md);
    if (ready)
      break;
    usleep(100000);
  }
  if (rkt != NULL)
    rd_kafka_topic_destroy(rkt);
}

/* Produces message number i (its delivery report carries i). */
static void send_one(rd_kafka_t *rk, const char *topic, int partition, long i) {
  char payload[64];
  int len = snprintf(payload, sizeof(payload), "message-%ld", i);
  for (;;) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic),
        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
        RD_KAFKA_V_VALUE(payload, len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 50);
      continue;
    }
    if (retryable(e) && may_retry()) {
      rd_kafka_poll(rk, 100);
      wait_partition(rk, topic, partition);
      continue;
    }
    if (e)
      die("produce", rd_kafka_err2str(e));
    break;
  }
  rd_kafka_poll(rk, 0);
}

/* Produces again the messages whose delivery failed retryably, once the
 * client's metadata shows their partitions again. */
static void send_again(rd_kafka_t *rk, const char *topic, int partition) {
  if (again_n == 0)
    return;
  wait_partition(rk, topic, partition);
  while (again_n > 0) /* taken off before sending: each is sent once */
    send_one(rk, topic, partition, again[--again_n]);
}

static rd_kafka_t *producer(const char *boot) {
  char err[512];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", boot, NULL, 0);
  rd_kafka_conf_set(c, "linger.ms", "5", NULL, 0);
  rd_kafka_conf_set(c, "log_level", "3", NULL, 0);
  rd_kafka_conf_set(c, "enable.idempotence", "true", NULL, 0);
  rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
  if (rk == NULL)
    die("producer", err);
  return rk;
}

static int finish_producer(rd_kafka_t *rk, const char *topic, int partition) {
  for (;;) {
    if (rd_kafka_flush(rk, 60000) != 0)
      die("produce", "messages still undelivered after 60 s");
    if (again_n == 0)
      break;
    send_again(rk, topic, partition);
  }
  rd_kafka_destroy(rk);
  free(again);
  return delivery_errors ? 1 : 0;
}

static int produce(const char *boot, int argc, char **argv) {
  if (argc < 3)
    return 2;
  rd_kafka_t *rk = producer(boot);
  int partition = atoi(argv[1]);
  long n = atol(argv[2]);
  wait_partition(rk, argv[0], partition);
  for (long i = 0; i < n; i++) {
    send_one(rk, argv[0], partition, i);
    send_again(rk, argv[0], partition);
  }
  return finish_producer(rk, argv[0], partition);
}

static int produce_rate(const char *boot, int argc, char **argv) {
  if (argc < 3)
    return 2;
  rd_kafka_t *rk = producer(boot);
  wait_partition(rk, argv[0], -1);
  double rate = atof(argv[1]), secs = atof(argv[2]), t0 = now();
  long sent = 0;
  while (!stop && now() - t0 < secs) {
    long due = (long)((now() - t0) * rate);
    while (sent < due)
      send_one(rk, argv[0], -1, sent++);
    rd_kafka_poll(rk, 10);
    send_again(rk, argv[0], -1);
  }
  return finish_producer(rk, argv[0], -1);
}

static int commit(const char *boot, int argc, char **argv) {
  if (argc < 4 || (argc - 2) % 2 != 0)
    return 2;
  rd_kafka_t *rk = client(boot, RD_KAFKA_CONSUMER, argv[0]);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
  for (int i = 2; i < argc; i += 2)
    rd_kafka_topic_partition_list_add(l, argv[1], atoi(argv[i]))->offset =
        atoll(argv[i + 1]);
  rd_kafka_resp_err_t e = rd_kafka_commit(rk, l, 0);
  if (e)
    die("commit", rd_kafka_err2str(e));
  for (int i = 0; i < l->cnt; i++)
    if (l->elems[i].err)
      die("commit", rd_kafka_err2str(l->elems[i].err));
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_destroy(rk);
  return 0;
}

static int consume_rate(const char *boot, int argc, char **argv) {
  if (argc < 4)
    return 2;
  /* A real consumer: auto commit every second and at close. */
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, NULL, 0);
  rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
  rd_kafka_conf_set(conf, "group.id", argv[0], NULL, 0);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", NULL, 0);
  rd_kafka_conf_set(conf, "enable.auto.commit", "true", NULL, 0);
  rd_kafka_conf_set(conf, "auto.commit.interval.ms", "1000", NULL, 0);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == NULL)
    die("consumer", err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, argv[1], RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  double rate = atof(argv[2]), secs = atof(argv[3]), t0 = now();
  long got = 0;
  while (!stop && now() - t0 < secs) {
    if (got >= (long)((now() - t0) * rate)) {
      usleep(20000);
      continue;
    }
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (m == NULL)
      continue;
    if (!m->err)
      got++;
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

static int delete_records(const char *boot, int argc, char **argv) {
  if (argc < 3)
    return 2;
  rd_kafka_t *rk = client(boot, RD_KAFKA_PRODUCER, NULL);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, argv[0], atoi(argv[1]))->offset =
      atoll(argv[2]);
  rd_kafka_DeleteRecords_t *d = rd_kafka_DeleteRecords_new(l);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteRecords(rk, &d, 1, NULL, q);
  rd_kafka_event_t *ev = admin_wait(q, 60000);
  const rd_kafka_topic_partition_list_t *r =
      rd_kafka_DeleteRecords_result_offsets(
          rd_kafka_event_DeleteRecords_result(ev));
  for (int i = 0; r && i < r->cnt; i++)
    if (r->elems[i].err)
      die("delete-records", rd_kafka_err2str(r->elems[i].err));
  rd_kafka_event_destroy(ev);
  rd_kafka_DeleteRecords_destroy(d);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return 0;
}

static int commit_groups(const char *boot, int argc, char **argv) {
  if (argc < 6)
    return 2;
  int count = atoi(argv[1]), topics = atoi(argv[3]), parts = atoi(argv[4]);
  long long off = atoll(argv[5]);
  rd_kafka_t *rk = client(boot, RD_KAFKA_PRODUCER, NULL);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  char *done = calloc(count, 1);
  int failed = count;
  /* Coordinators may still be loading on a fresh cluster: retry what
   * failed, a few rounds. */
  for (int round = 0; round < 6 && failed > 0; round++) {
    if (round > 0)
      sleep(2);
    failed = 0;
    const char *why = NULL;
    char whybuf[512];
    /* At most 50 requests in flight: a fresh coordinator times out under
     * a thousand at once. */
    for (int base = 0; base < count; base += 50) {
      int sent = 0;
      for (int i = base; i < count && i < base + 50; i++) {
        if (done[i])
          continue;
        char group[256], topic[256];
        snprintf(group, sizeof(group), "%s-%d", argv[0], i);
        snprintf(topic, sizeof(topic), "%s-%d", argv[2], i % topics);
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(parts);
        for (int p = 0; p < parts; p++)
          rd_kafka_topic_partition_list_add(l, topic, p)->offset = off;
        rd_kafka_AlterConsumerGroupOffsets_t *a =
            rd_kafka_AlterConsumerGroupOffsets_new(group, l);
        rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(
            rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
        rd_kafka_AdminOptions_set_opaque(o, (void *)(intptr_t)i);
        rd_kafka_AlterConsumerGroupOffsets(rk, &a, 1, o, q);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_AlterConsumerGroupOffsets_destroy(a);
        rd_kafka_topic_partition_list_destroy(l);
        sent++;
      }
      for (int k = 0; k < sent; k++) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
        if (ev == NULL)
          die("commit-groups", "no answer within 60 s");
        int i = (int)(intptr_t)rd_kafka_event_opaque(ev);
        int bad = rd_kafka_event_error(ev) != 0;
        if (bad) {
          snprintf(whybuf, sizeof(whybuf), "%s",
                   rd_kafka_event_error_string(ev));
          why = whybuf;
        } else {
          size_t n;
          const rd_kafka_group_result_t **g =
              rd_kafka_AlterConsumerGroupOffsets_result_groups(
                  rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
          for (size_t j = 0; j < n; j++)
            if (rd_kafka_group_result_error(g[j])) {
              bad = 1;
              snprintf(
                  whybuf, sizeof(whybuf), "%s",
                  rd_kafka_error_string(rd_kafka_group_result_error(g[j])));
              why = whybuf;
            }
        }
        if (!bad && i >= 0 && i < count)
          done[i] = 1;
        failed += bad;
        rd_kafka_event_destroy(ev);
      }
    }
    if (failed > 0)
      fprintf(stderr, "kafkactl: commit-groups: %d failed (%s)%s\n", failed,
              why ? why : "?", round < 5 ? ", retrying" : "");
  }
  free(done);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return failed ? 1 : 0;
}

/* The controller refuses very large CreateTopics batches: 10 at a time. */
static int create_topics_batch(const char *boot, const char *prefix, int first,
                               int count, int parts, int rf);

static int create_topics(const char *boot, int argc, char **argv) {
  if (argc < 4)
    return 2;
  int total = atoi(argv[1]);
  for (int i = 0; i < total; i += 10) {
    int rc =
        create_topics_batch(boot, argv[0], i, total - i < 10 ? total - i : 10,
                            atoi(argv[2]), atoi(argv[3]));
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int create_topics_batch(const char *boot, const char *prefix, int first,
                               int count, int parts, int rf) {
  rd_kafka_t *rk = client(boot, RD_KAFKA_PRODUCER, NULL);
  rd_kafka_NewTopic_t **nt = calloc(count, sizeof(*nt));
  char err[512];
  for (int i = 0; i < count; i++) {
    char name[256];
    snprintf(name, sizeof(name), "%s-%d", prefix, first + i);
    nt[i] = rd_kafka_NewTopic_new(name, parts, rf, err, sizeof(err));
    if (nt[i] == NULL)
      die("create-topics", err);
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *o =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  if (rd_kafka_AdminOptions_set_operation_timeout(o, 120000, err,
                                                  sizeof(err)) ||
      rd_kafka_AdminOptions_set_request_timeout(o, 180000, err, sizeof(err)))
    die("create-topics", err);
  rd_kafka_CreateTopics(rk, nt, count, o, q);
  rd_kafka_event_t *ev = admin_wait(q, 200000);
  size_t n;
  const rd_kafka_topic_result_t **r = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(ev), &n);
  for (size_t i = 0; i < n; i++)
    if (rd_kafka_topic_result_error(r[i]) &&
        rd_kafka_topic_result_error(r[i]) !=
            RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      die(rd_kafka_topic_result_name(r[i]),
          rd_kafka_topic_result_error_string(r[i]));
  rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(o);
  rd_kafka_NewTopic_destroy_array(nt, count);
  free(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return 0;
}

/* Keep committing the offset named in a file: the test changes the file
 * and expects the monitored lag to follow, through coordinator moves.
 * Commits are a consumer's own (asynchronous, through its group handle):
 * librdkafka 2.0.2's admin API can abort the process when a coordinator
 * request fails during a move. A handle whose commits have not succeeded
 * for 8 s is replaced (and destroyed on a thread of its own), so one
 * stuck on a moved coordinator cannot stall the loop; 8 s leaves a handle
 * time for two of its 3 s request timeouts and a new coordinator lookup
 * (replaced every 3 s, handles could be dropped just as each lookup
 * timed out: acknowledgements stalled for up to a minute). */
static long loop_ok, loop_failed;
static double loop_last_ok;
static long long loop_acked = -1;
static const char *loop_ack_file;

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *l, void *opaque) {
  for (int i = 0; err == 0 && l != NULL && i < l->cnt; i++)
    err = l->elems[i].err;
  if (err == 0) {
    loop_ok++;
    loop_last_ok = now();
    /* every newly acknowledged offset, one per line: the test's truth */
    if (l != NULL && l->cnt > 0 && l->elems[0].offset != loop_acked) {
      loop_acked = l->elems[0].offset;
      FILE *f = fopen(loop_ack_file, "a");
      if (f != NULL) {
        fprintf(f, "%lld\n", loop_acked);
        fclose(f);
      }
    }
  } else {
    loop_failed++;
    fprintf(stderr, "commit failed: %s\n", rd_kafka_err2str(err));
  }
}

static void *destroy_later(void *rk) {
  rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  return NULL;
}

static rd_kafka_t *loop_client(const char *boot, const char *group) {
  char err[512];
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", boot, NULL, 0);
  rd_kafka_conf_set(c, "log_level", "0", NULL, 0);
  rd_kafka_conf_set(c, "group.id", group, NULL, 0);
  rd_kafka_conf_set(c, "enable.auto.commit", "false", NULL, 0);
  /* A request to a hung broker (SIGSTOP) fails after 3 s instead of 60,
   * so the coordinator is looked up again while its successor runs. */
  rd_kafka_conf_set(c, "socket.timeout.ms", "3000", NULL, 0);
  rd_kafka_conf_set_offset_commit_cb(c, on_commit);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
  if (rk == NULL)
    die("commit-loop", err);
  return rk;
}

static int commit_loop(const char *boot, int argc, char **argv) {
  if (argc < 5)
    return 2;
  char ack[1024];
  snprintf(ack, sizeof(ack), "%s.ack", argv[3]);
  loop_ack_file = ack;
  rd_kafka_t *rk = loop_client(boot, argv[0]);
  int parts = atoi(argv[2]), renewed = 0;
  double secs = atof(argv[4]), t0 = now();
  loop_last_ok = t0;
  while (!stop && now() - t0 < secs) {
    FILE *f = fopen(argv[3], "r");
    long long target = -1;
    if (f != NULL) {
      if (fscanf(f, "%lld", &target) != 1)
        target = -1;
      fclose(f);
    }
    if (target >= 0) {
      rd_kafka_topic_partition_list_t *l =
          rd_kafka_topic_partition_list_new(parts);
      for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(l, argv[1], p)->offset = target;
      rd_kafka_commit(rk, l, 1);
      rd_kafka_topic_partition_list_destroy(l);
    }
    for (int i = 0; i < 4; i++)
      rd_kafka_poll(rk, 50);
    if (now() - loop_last_ok > 8) {
      /* Destroying a handle whose coordinator is dead or hung can block
       * for most of a minute (seen: 40-50 s in rd_kafka_destroy's join
       * of its main thread); the new handle does not wait for that. */
      pthread_t th;
      if (pthread_create(&th, NULL, destroy_later, rk) == 0)
        pthread_detach(th);
      else
        rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
      rk = loop_client(boot, argv[0]);
      loop_last_ok = now();
      renewed++;
    }
  }
  printf("commits ok %ld failed %ld, client renewed %d times\n", loop_ok,
         loop_failed, renewed);
  /* Flushed before the destroy, which may block past the test's patience
   * and end in SIGKILL: the count must reach the pipe either way. */
  fflush(stdout);
  rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  return 0;
}

/* Pause or resume the partitions of topic in the current assignment. */
static void pause_topic(rd_kafka_t *rk, const char *topic, int pause) {
  rd_kafka_topic_partition_list_t *a = NULL;
  if (rd_kafka_assignment(rk, &a) != 0 || a == NULL)
    return;
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
  for (int i = 0; i < a->cnt; i++)
    if (strcmp(a->elems[i].topic, topic) == 0)
      rd_kafka_topic_partition_list_add(l, topic, a->elems[i].partition);
  if (pause)
    rd_kafka_pause_partitions(rk, l);
  else
    rd_kafka_resume_partitions(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_topic_partition_list_destroy(a);
}

static int consume_pause(const char *boot, int argc, char **argv) {
  if (argc < 6)
    return 2;
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, NULL, 0);
  rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
  rd_kafka_conf_set(conf, "group.id", argv[0], NULL, 0);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", NULL, 0);
  rd_kafka_conf_set(conf, "enable.auto.commit", "true", NULL, 0);
  rd_kafka_conf_set(conf, "auto.commit.interval.ms", "500", NULL, 0);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == NULL)
    die("consumer", err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
  char *topics = strdup(argv[1]), *save = NULL;
  for (char *t = strtok_r(topics, ",", &save); t;
       t = strtok_r(NULL, ",", &save))
    rd_kafka_topic_partition_list_add(l, t, RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  free(topics);
  double secs = atof(argv[2]), from = atof(argv[4]), to = atof(argv[5]);
  double t0 = now();
  int paused = 0;
  while (!stop && now() - t0 < secs) {
    double t = now() - t0;
    int want = t >= from && t < to;
    /* again at every poll: a rebalance hands partitions back unpaused */
    if (want || paused)
      pause_topic(rk, argv[3], want);
    if (want != paused)
      fprintf(stderr, "kafkactl: %s %s at %.1f s\n",
              want ? "paused" : "resumed", argv[3], t);
    paused = want;
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (m != NULL)
      rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

/* Pause or resume one partition of the assignment (if assigned). */
static void pause_one(rd_kafka_t *rk, const char *topic, int part, int pause) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, part);
  if (pause)
    rd_kafka_pause_partitions(rk, l);
  else
    rd_kafka_resume_partitions(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
}

static int consume_slow(const char *boot, int argc, char **argv) {
  if (argc < 6)
    return 2;
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", boot, NULL, 0);
  rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
  rd_kafka_conf_set(conf, "group.id", argv[0], NULL, 0);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", NULL, 0);
  rd_kafka_conf_set(conf, "enable.auto.commit", "true", NULL, 0);
  rd_kafka_conf_set(conf, "auto.commit.interval.ms", "500", NULL, 0);
  /* small prefetch, so that a pause takes effect within a few messages */
  rd_kafka_conf_set(conf, "queued.min.messages", "10", NULL, 0);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == NULL)
    die("consumer", err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, argv[1], RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  double secs = atof(argv[2]), rate = atof(argv[4]), from = atof(argv[5]);
  int part = atoi(argv[3]);
  double t0 = now();
  long got = 0; /* messages of the slow partition since FROM */
  int paused = 0, said = 0;
  while (!stop && now() - t0 < secs) {
    double t = now() - t0;
    int slow = t >= from;
    if (slow && !said) {
      fprintf(stderr, "kafkactl: %s-%d slowed to %g msgs/s at %.1f s\n",
              argv[1], part, rate, t);
      said = 1;
    }
    /* again at every poll: a rebalance hands partitions back unpaused */
    int want = slow && got >= (long)((t - from) * rate);
    if (want || paused)
      pause_one(rk, argv[1], part, want);
    paused = want;
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
    if (m == NULL)
      continue;
    if (!m->err && slow && m->partition == part)
      got++;
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  static const struct {
    const char *name;
    int (*fn)(const char *, int, char **);
  } cmds[] = {
      {"create-topic", create_topic},   {"delete-topic", delete_topic},
      {"delete-group", delete_group},   {"produce", produce},
      {"produce-rate", produce_rate},   {"commit", commit},
      {"consume-rate", consume_rate},   {"delete-records", delete_records},
      {"commit-groups", commit_groups}, {"create-topics", create_topics},
      {"commit-loop", commit_loop},     {"consume-pause", consume_pause},
      {"consume-slow", consume_slow},
  };
  if (argc >= 3)
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
      if (strcmp(argv[2], cmds[i].name) == 0) {
        int rc = cmds[i].fn(argv[1], argc - 3, argv + 3);
        if (rc == 2)
          fprintf(stderr, "kafkactl: bad arguments for %s\n", argv[2]);
        return rc;
      }
  fprintf(stderr, "usage: kafkactl BOOTSTRAP COMMAND ARGS (see the source)\n");
  return 2;
}
