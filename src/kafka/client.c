/* client: librdkafka handle setup. librdkafka logs every refused connection;
 * a monitoring agent must not flood syslog when a cluster is down, so its
 * log lines go to the sink at debug level and the plugin reports state
 * changes itself; only a refused password or certificate (failure.c) is
 * logged at error level, by its cause, and an address of the Brokers list
 * that accepts connections and answers nothing at warning level, once an
 * hour per address. Round-trip times come from the
 * statistics JSON, of which only "brokers" -> "<name>" -> "nodeid" and "rtt" ->
 * "avg" are read. */
#include "client.h"
#include "../kml_clock.h"
#include "collect.h"
#include "failure.h"
#include "known_groups.h"
#include "list_gate.h"
#include "offsets_topic.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define KML_MAX_RTT_BROKERS 256

/* A retired group handle, destroyed once its requests cannot be alive. */
typedef struct parked {
  rd_kafka_t *rk;
  double until; /* monotonic seconds */
  struct parked *next;
} parked_t;

struct kml_client {
  rd_kafka_t *rk;
  rd_kafka_t *group_rk; /* the committed-offsets admin handle, lazily made */
  parked_t *parked;     /* retired group handles, oldest last */
  double park_test_s;   /* > 0: KML_TEST_GROUP_RK_PARK_S (tests only) */
  char *name;
  char *brokers;
  char *learnt; /* the metadata's brokers, what later handles bootstrap from */
  char **props; /* key, value, ... copied from the configuration */
  size_t n_props;
  kml_offsets_source_t source;
  kml_offsets_topic_t *follower; /* made on first use */
  kml_configs_t *configs;        /* topic settings read so far */
  int follower_dropped;
  kml_known_groups_t known_groups; /* what the admin path reads */
  kml_list_gate_t list_gate;       /* when to ask for a new group list */
  kml_log_fn log;
  void *log_ud;
  pthread_mutex_t lock; /* guards rtt[] */
  struct {
    int32_t id;
    double avg_ms;
  } rtt[KML_MAX_RTT_BROKERS];
  int n_rtt;
  kml_failure_t *failure; /* last cause logged (authentication, TLS) */
};

/* A refused password or certificate is logged at error level, once per
 * change of cause (and every 10 minutes while it lasts): librdkafka's later
 * "Broker transport failure" does not say why. */
static void log_cause(kml_client_t *c, int err, const char *text) {
  char line[480], msg[600];
  if (kml_failure_note(c->failure, err, text, kml_clock_wall(), 600, line,
                       sizeof(line)) == 0)
    return;
  snprintf(msg, sizeof(msg), "cluster %s: %s", c->name, line);
  c->log(3, msg, c->log_ud);
}

/* An address of the Brokers list that accepts connections and answers
 * nothing is a warning of its own, once an hour per address: while the
 * other addresses answer, the cluster is up and no notification names
 * it, and librdkafka tries it again at every reconnect. A list of one
 * address has no other: its unreachable FAILURE names the address and
 * the cause already. c->brokers is set before any handle exists and
 * never changes, so librdkafka's threads may read it here. */
static void log_stalled(kml_client_t *c, int err, const char *text) {
  char line[480], msg[600];
  if (strchr(c->brokers, ',') == NULL)
    return;
  if (kml_failure_note_stalled(c->failure, err, text, kml_clock_wall(), 3600,
                               line, sizeof(line)) == 0)
    return;
  snprintf(msg, sizeof(msg),
           "cluster %s: %s; the other addresses are asked while one answers "
           "(said once an hour per address)",
           c->name, line);
  c->log(4, msg, c->log_ud);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
  kml_client_t *c = rd_kafka_opaque(rk);
  if (c == NULL || c->log == NULL)
    return;
  log_cause(c, 0, buf);
  log_stalled(c, 0, buf);
  char msg[512];
  snprintf(msg, sizeof(msg), "cluster %s: librdkafka %s: %s", c->name, fac,
           buf);
  c->log(7, msg, c->log_ud);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
  kml_client_t *c = opaque;
  if (c == NULL || c->log == NULL)
    return;
  log_cause(c, err, reason);
  log_stalled(c, err, reason);
  char msg[512];
  snprintf(msg, sizeof(msg), "cluster %s: %s: %s", c->name,
           rd_kafka_err2name(err), reason);
  c->log(7, msg, c->log_ud);
}

/* Find the number after "key": at or after p, before end. */
static const char *json_find(const char *p, const char *end, const char *key) {
  size_t kl = strlen(key);
  for (; p && p + kl + 2 < end; p++) {
    p = memchr(p, '"', end - p);
    if (p == NULL)
      return NULL;
    if ((size_t)(end - p) > kl + 2 && memcmp(p + 1, key, kl) == 0 &&
        p[kl + 1] == '"')
      return p + kl + 2;
  }
  return NULL;
}

/* Statistics: for each broker object take nodeid and rtt.avg (microseconds).
 * The JSON is librdkafka's own, so a key scan is enough: within the "brokers"
 * object every broker holds "nodeid" before "rtt" {... "avg": N ...}. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
  kml_client_t *c = opaque;
  const char *end = json + len;
  const char *p = json_find(json, end, "brokers");
  int n = 0;
  struct {
    int32_t id;
    double avg_ms;
  } tmp[KML_MAX_RTT_BROKERS];
  while (p != NULL && n < KML_MAX_RTT_BROKERS) {
    const char *id = json_find(p, end, "nodeid");
    if (id == NULL)
      break;
    const char *rtt = json_find(id, end, "rtt");
    const char *avg = rtt ? json_find(rtt, end, "avg") : NULL;
    if (avg == NULL)
      break;
    long nodeid = strtol(id + 1, NULL, 10);
    double us = strtod(avg + 1, NULL);
    if (nodeid >= 0) { /* bootstrap and internal entries have nodeid -1 */
      tmp[n].id = (int32_t)nodeid;
      tmp[n].avg_ms = us > 0 ? us / 1000.0 : NAN;
      n++;
    }
    p = avg;
  }
  pthread_mutex_lock(&c->lock);
  memcpy(c->rtt, tmp, sizeof(tmp[0]) * n);
  c->n_rtt = n;
  pthread_mutex_unlock(&c->lock);
  return 0; /* librdkafka frees json */
}

double kml_client_broker_rtt(kml_client_t *c, int32_t id) {
  double v = NAN;
  pthread_mutex_lock(&c->lock);
  for (int i = 0; i < c->n_rtt; i++)
    if (c->rtt[i].id == id)
      v = c->rtt[i].avg_ms;
  pthread_mutex_unlock(&c->lock);
  return v;
}

/* A refused property is named, its value never shown: a misspelled key
 * ("sasl.passwrd") is no longer recognizable as a secret by its name.
 * librdkafka quotes the value in some of its reasons ("Invalid value \"x\"
 * for configuration property ..."); such a reason is left out. */
static int set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err,
               size_t errlen) {
  char why[256];
  if (rd_kafka_conf_set(conf, k, v, why, sizeof(why)) == RD_KAFKA_CONF_OK)
    return 0;
  if (v[0] != '\0' && strstr(why, v) != NULL)
    snprintf(err, errlen, "property \"%s\" refused (its value is not shown)",
             k);
  else
    snprintf(err, errlen,
             "property \"%s\" refused: %s (its value is not shown)", k, why);
  return -1;
}

/* Handle kinds: what each one forces on top of the defaults and the
 * configured properties. */
static const char *const main_forced[] = {NULL};
/* ListConsumerGroupOffsets answers through rd_kafka_handle_OffsetFetch(),
 * which, on NOT_COORDINATOR and the other "refresh" errors (a coordinator
 * that moved during a broker restart), calls
 *   rd_kafka_cgrp_op(rk->rk_cgrp, NULL, RD_KAFKA_NO_REPLYQ,
 *                    RD_KAFKA_OP_COORD_QUERY, err)
 * (librdkafka 2.0.2, src/rdkafka_request.c) and rd_kafka_cgrp_op()
 * enqueues on rkcg->rkcg_ops without a NULL check (src/rdkafka_cgrp.c).
 * rk_cgrp is created by rd_kafka_new() only for a consumer whose group.id
 * is not empty (src/rdkafka.c: "Create consumer group handle"); a client
 * without one dereferences NULL there (upstream issue 5040). This handle
 * always has a group.id, so rk_cgrp exists and the op merely asks the
 * handle's own group handler to look up its coordinator again
 * (RD_KAFKA_OP_COORD_QUERY in rd_kafka_cgrp_op_serve()). The group is never
 * joined (joining needs a subscription, which is never made) and nothing is
 * ever committed, so it does not show up in the cluster's group list. */
/* librdkafka 2.0.2 keeps the coordinator of each group that admin requests
 * found in a cache whose entries expire only metadata.max.age.ms after
 * their last use, and a NOT_COORDINATOR answer does not evict one
 * (rd_kafka_coord_cache_evict() has no caller; rd_kafka_coord_cache_expire()
 * runs once a second). Polled every interval, an entry of a coordinator
 * that moved but still runs would be used forever, every answer
 * NOT_COORDINATOR. An age of 1 ms expires every entry at the next tick of
 * that timer (a longer one can stay phase-locked with a 1 s interval), so
 * each collection looks coordinators up afresh: one FindCoordinator per
 * coordinator and collection. */
static const char *const group_forced[] = {"group.id",
                                           KML_CLIENT_MONITOR_GROUP,
                                           "enable.auto.commit",
                                           "false",
                                           "statistics.interval.ms",
                                           "0",
                                           "metadata.max.age.ms",
                                           "1",
                                           NULL};

/* The configured value of property key (the last one given), or NULL. */
static const char *prop_value(const kml_client_t *c, const char *key) {
  const char *v = NULL;
  for (size_t i = 0; i < c->n_props; i++)
    if (strcmp(c->props[2 * i], key) == 0)
      v = c->props[2 * i + 1];
  return v;
}

/* SASL_SSL or SASL_PLAINTEXT without a mechanism: librdkafka then takes
 * GSSAPI (Kerberos) and refuses to start with a Kerberos-internal reason
 * ("Invalid sasl.kerberos.kinit.cmd value") that does not say so. */
static const char *sasl_without_mechanism(const kml_client_t *c) {
  const char *proto = prop_value(c, "security.protocol");
  if (proto == NULL || strncasecmp(proto, "SASL_", 5) != 0)
    return NULL;
  if (prop_value(c, "sasl.mechanisms") != NULL ||
      prop_value(c, "sasl.mechanism") != NULL)
    return NULL;
  return proto;
}

static rd_kafka_t *new_handle(kml_client_t *c, const char *const *forced,
                              const char *const *extra, int stats, char *err,
                              size_t errlen) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (conf == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  /* Defaults first so that Property lines may override them. */
  static const char *const defaults[] = {
      "client.id",
      "collectd-kafka-ml",
      "isolation.level",
      "read_uncommitted",
      "enable.auto.commit",
      "false",
      "statistics.interval.ms",
      "10000",
      /* librdkafka's default: a connection the broker closes before its
       * first answer is then reported (a plaintext client at a TLS
       * listener); every librdkafka line stays at debug level here. */
      "log.connection.close",
      "true",
      "reconnect.backoff.max.ms",
      "5000",
      "topic.metadata.refresh.interval.ms",
      "-1",
      "socket.keepalive.enable",
      "true",
  };
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i += 2)
    if (set(conf, defaults[i], defaults[i + 1], err, errlen) != 0)
      goto errout;
  for (size_t i = 0; extra != NULL && extra[i] != NULL; i += 2)
    if (set(conf, extra[i], extra[i + 1], err, errlen) != 0)
      goto errout;
  if (set(conf, "bootstrap.servers", c->learnt ? c->learnt : c->brokers, err,
          errlen) != 0)
    goto errout;
  for (size_t i = 0; i < c->n_props; i++)
    if (set(conf, c->props[2 * i], c->props[2 * i + 1], err, errlen) != 0)
      goto errout;
  /* What a handle's safety depends on is not left to Property lines. */
  for (size_t i = 0; forced != NULL && forced[i] != NULL; i += 2)
    if (set(conf, forced[i], forced[i + 1], err, errlen) != 0)
      goto errout;
  rd_kafka_conf_set_opaque(conf, c);
  rd_kafka_conf_set_log_cb(conf, on_log);
  rd_kafka_conf_set_error_cb(conf, on_error);
  if (stats)
    rd_kafka_conf_set_stats_cb(conf, on_stats);

  char why[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
  if (rk == NULL) {
    const char *proto = sasl_without_mechanism(c);
    if (proto != NULL)
      snprintf(err, errlen,
               "cannot create Kafka client: security.protocol is %.20s but "
               "sasl.mechanisms is not set, so librdkafka defaults to GSSAPI "
               "(Kerberos); for a user name and password set sasl.mechanisms "
               "to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (librdkafka: %s)",
               proto, why);
    else
      snprintf(err, errlen, "cannot create Kafka client: %s", why);
    goto errout; /* a failed rd_kafka_new leaves conf to its caller */
  }
  return rk; /* conf now belongs to rk */

errout:
  rd_kafka_conf_destroy(conf);
  return NULL;
}

static int copy_conf(kml_client_t *c, const kml_client_conf_t *cc) {
  c->name = strdup(cc->name ? cc->name : "kafka");
  c->brokers = strdup(cc->brokers);
  c->props = calloc(2 * cc->n_props + 1, sizeof(char *));
  if (c->name == NULL || c->brokers == NULL || c->props == NULL)
    return -1;
  c->n_props = cc->n_props; /* unset entries are NULL: free_conf copes */
  for (size_t i = 0; i < 2 * cc->n_props; i++)
    if ((c->props[i] = strdup(cc->props[i])) == NULL)
      return -1;
  return 0;
}

static void free_conf(kml_client_t *c) {
  for (size_t i = 0; c->props != NULL && i < 2 * c->n_props; i++)
    free(c->props[i]);
  free(c->props);
  free(c->brokers);
  free(c->learnt);
  free(c->name);
}

kml_client_t *kml_client_new(const kml_client_conf_t *cc, char *err,
                             size_t errlen) {
  kml_client_t *c = calloc(1, sizeof(*c));
  if (c == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&c->lock, NULL);
  c->log = cc->log;
  c->log_ud = cc->log_ud;
  c->failure = kml_failure_new();
  c->configs = kml_configs_new();
  c->source = cc->offsets_source;
  /* Test hooks (client.h), read once here; not configuration. */
  const char *hook = getenv("KML_TEST_BROKER_GONE_S");
  c->list_gate.gone_s = hook != NULL ? strtod(hook, NULL) : 0;
  hook = getenv("KML_TEST_GROUP_RK_PARK_S");
  c->park_test_s = hook != NULL ? strtod(hook, NULL) : 0;
  if (cc->brokers == NULL || cc->brokers[0] == '\0') {
    snprintf(err, errlen, "no brokers configured");
    goto errout;
  }
  if (c->failure == NULL || c->configs == NULL || copy_conf(c, cc) != 0) {
    snprintf(err, errlen, "out of memory");
    goto errout;
  }
  c->rk = new_handle(c, main_forced, NULL, 1, err, errlen);
  if (c->rk == NULL)
    goto errout;
  return c;

errout:
  free_conf(c);
  kml_configs_destroy(c->configs);
  kml_failure_destroy(c->failure);
  pthread_mutex_destroy(&c->lock);
  free(c);
  return NULL;
}

/* Consumers that never subscribed have nothing to close: destroy without
 * waiting on a group leave. */
static void destroy_handle(rd_kafka_t *rk) {
  rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

/* Destroy the parked handles whose time is up (all with force). */
static void reap_parked(kml_client_t *c, int force) {
  double now = kml_clock_mono();
  for (parked_t **p = &c->parked; *p != NULL;) {
    parked_t *k = *p;
    if (!force && now < k->until) {
      p = &k->next;
      continue;
    }
    *p = k->next;
    double t0 = kml_clock_mono_ms();
    destroy_handle(k->rk);
    free(k);
    char msg[160];
    snprintf(msg, sizeof(msg),
             "cluster %s: retired group handle destroyed in %.0f ms", c->name,
             kml_clock_mono_ms() - t0);
    kml_client_log(c, 6, msg); /* rare: once per broker removal */
  }
}

void kml_client_renew_group_rk(kml_client_t *c, double keep_s) {
  if (c->group_rk == NULL)
    return;
  parked_t *k = malloc(sizeof(*k));
  if (k == NULL) {
    /* Out of memory: keep using the old handle; its list stays stale. */
    kml_client_log(c, 4, "group handle not renewed: out of memory");
    return;
  }
  k->rk = c->group_rk;
  k->until = kml_clock_mono() + (c->park_test_s > 0 ? c->park_test_s : keep_s);
  k->next = c->parked;
  c->parked = k;
  c->group_rk = NULL; /* the next kml_client_group_rk() makes a new one */
}

rd_kafka_t *kml_client_group_rk(kml_client_t *c, char *err, size_t errlen) {
  reap_parked(c, 0);
  if (c->group_rk == NULL)
    c->group_rk = new_handle(c, group_forced, NULL, 0, err, errlen);
  return c->group_rk;
}

rd_kafka_t *kml_client_new_handle(kml_client_t *c, const char *const *extra,
                                  const char *const *forced, char *err,
                                  size_t errlen) {
  return new_handle(c, forced, extra, 0, err, errlen);
}

rd_kafka_t *kml_client_new_reader(kml_client_t *c, const char *client_id,
                                  int bytes, char *err, size_t errlen) {
  /* The queue's byte bound, and a response's at half of it: a whole
   * response is queued before the broker thread decides the next fetch
   * (client.h). */
  long long queue = 16LL << 20;
  if (2LL * bytes > queue)
    queue = 2LL * bytes;
  char nbytes[16], nqueue_kb[16], nresponse[16];
  snprintf(nbytes, sizeof(nbytes), "%d", bytes);
  snprintf(nqueue_kb, sizeof(nqueue_kb), "%lld", queue / 1024);
  snprintf(nresponse, sizeof(nresponse), "%lld", queue / 2);
  const char *extra[] = {"client.id", client_id, "fetch.wait.max.ms", "100",
                         NULL};
  /* An empty group.id: no group handle, no group request, no commit. The
   * fetch bound is the reader's cost bound; the queue's record count is
   * librdkafka's ceiling, as it counts the shared queue (client.h). */
  const char *forced[] = {"group.id",
                          "",
                          "enable.partition.eof",
                          "true",
                          "enable.auto.commit",
                          "false",
                          "enable.auto.offset.store",
                          "false",
                          "statistics.interval.ms",
                          "0",
                          "queued.min.messages",
                          "10000000",
                          "queued.max.messages.kbytes",
                          nqueue_kb,
                          "fetch.max.bytes",
                          nresponse,
                          "max.partition.fetch.bytes",
                          nbytes,
                          "fetch.message.max.bytes",
                          nbytes,
                          NULL};
  return kml_client_new_handle(c, extra, forced, err, errlen);
}

void kml_client_log(const kml_client_t *c, int level, const char *msg) {
  if (c->log != NULL)
    c->log(level, msg, c->log_ud);
}

int kml_client_remember_groups(kml_client_t *c, char *const *ids, int n) {
  return kml_known_groups_take(&c->known_groups, ids, n, kml_clock_mono());
}

char *const *kml_client_known_groups(const kml_client_t *c, int *n) {
  return kml_known_groups_ids(&c->known_groups, n);
}

struct kml_list_gate *kml_client_list_gate(kml_client_t *c) {
  return &c->list_gate;
}

kml_offsets_source_t kml_client_offsets_source(const kml_client_t *c) {
  return c->source;
}

kml_offsets_topic_t *kml_client_follower(kml_client_t *c, char *err,
                                         size_t errlen) {
  if (c->source == KML_OFFSETS_ADMIN || c->follower_dropped) {
    snprintf(err, errlen, "committed offsets come from the admin API");
    return NULL;
  }
  if (c->follower == NULL)
    c->follower = kml_offsets_topic_new(c, err, errlen);
  return c->follower;
}

void kml_client_drop_follower(kml_client_t *c) {
  kml_offsets_topic_destroy(c->follower);
  c->follower = NULL;
  c->follower_dropped = 1;
}

void kml_client_destroy(kml_client_t *c) {
  if (c == NULL)
    return;
  kml_offsets_topic_destroy(c->follower);
  kml_known_groups_clear(&c->known_groups);
  reap_parked(c, 1);
  if (c->group_rk != NULL)
    destroy_handle(c->group_rk);
  if (c->rk != NULL)
    destroy_handle(c->rk);
  free_conf(c);
  kml_configs_destroy(c->configs);
  kml_failure_destroy(c->failure);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

struct kml_configs *kml_client_configs(kml_client_t *c) {
  return c->configs;
}

rd_kafka_t *kml_client_rk(kml_client_t *c) { return c->rk; }

const char *kml_client_brokers(const kml_client_t *c) { return c->brokers; }

void kml_client_learn_brokers(kml_client_t *c, const char *brokers) {
  if (brokers == NULL || brokers[0] == '\0' ||
      (c->learnt != NULL && strcmp(c->learnt, brokers) == 0))
    return;
  char *copy = strdup(brokers);
  if (copy == NULL)
    return; /* the old list, or the configured one, still serves */
  free(c->learnt);
  c->learnt = copy;
}

const char *kml_client_last_failure(kml_client_t *c, double since) {
  return kml_failure_kind_brief(kml_failure_last(c->failure, since));
}

const char *kml_client_name(const kml_client_t *c) { return c->name; }
