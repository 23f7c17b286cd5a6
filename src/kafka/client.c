/* client: librdkafka handle setup. librdkafka logs every refused connection;
 * a monitoring agent must not flood syslog when a cluster is down, so its
 * log lines go to the sink at debug level and the plugin reports state
 * changes itself; only a refused password or certificate (failure.c) is
 * logged at error level, by its cause. Round-trip times come from the
 * statistics JSON, of which only "brokers" -> "<name>" -> "nodeid" and "rtt" ->
 * "avg" are read. */
#include "client.h"
#include "../kml_str.h"
#include "failure.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KML_MAX_RTT_BROKERS 256

struct kml_client {
  rd_kafka_t *rk;
  char *name;
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
  if (kml_failure_note(c->failure, err, text, (double)time(NULL), 600, line,
                       sizeof(line)) == 0)
    return;
  snprintf(msg, sizeof(msg), "cluster %s: %s", c->name, line);
  c->log(3, msg, c->log_ud);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
  kml_client_t *c = rd_kafka_opaque(rk);
  if (c == NULL || c->log == NULL)
    return;
  log_cause(c, 0, buf);
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

static int set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err,
               size_t errlen) {
  char why[256];
  if (rd_kafka_conf_set(conf, k, v, why, sizeof(why)) == RD_KAFKA_CONF_OK)
    return 0;
  if (kml_str_is_secret_key(k))
    snprintf(err, errlen, "property \"%s\" refused (value hidden)", k);
  else
    snprintf(err, errlen, "property \"%s\" = \"%s\" refused: %s", k, v, why);
  return -1;
}

kml_client_t *kml_client_new(const kml_client_conf_t *cc, char *err,
                             size_t errlen) {
  kml_client_t *c = calloc(1, sizeof(*c));
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (c == NULL || conf == NULL) {
    snprintf(err, errlen, "out of memory");
    goto errout;
  }
  pthread_mutex_init(&c->lock, NULL);
  c->name = strdup(cc->name ? cc->name : "kafka");
  c->log = cc->log;
  c->log_ud = cc->log_ud;
  c->failure = kml_failure_new();
  if (c->name == NULL || c->failure == NULL) {
    snprintf(err, errlen, "out of memory");
    goto errout;
  }
  if (cc->brokers == NULL || cc->brokers[0] == '\0') {
    snprintf(err, errlen, "no brokers configured");
    goto errout;
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
      "log.connection.close",
      "false",
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
  if (set(conf, "bootstrap.servers", cc->brokers, err, errlen) != 0)
    goto errout;
  for (size_t i = 0; i < cc->n_props; i++)
    if (set(conf, cc->props[2 * i], cc->props[2 * i + 1], err, errlen) != 0)
      goto errout;
  rd_kafka_conf_set_opaque(conf, c);
  rd_kafka_conf_set_log_cb(conf, on_log);
  rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_stats_cb(conf, on_stats);

  char why[512];
  c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
  if (c->rk == NULL) {
    snprintf(err, errlen, "cannot create Kafka client: %s", why);
    goto errout;
  }
  return c; /* conf now belongs to rk */

errout:
  if (conf != NULL)
    rd_kafka_conf_destroy(conf);
  if (c != NULL) {
    free(c->name);
    kml_failure_destroy(c->failure);
    pthread_mutex_destroy(&c->lock);
    free(c);
  }
  return NULL;
}

void kml_client_destroy(kml_client_t *c) {
  if (c == NULL)
    return;
  if (c->rk != NULL) {
    /* A consumer that never subscribed has nothing to close; destroy without
     * waiting on a group leave. */
    rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
  free(c->name);
  kml_failure_destroy(c->failure);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

rd_kafka_t *kml_client_rk(kml_client_t *c) { return c->rk; }

const char *kml_client_name(const kml_client_t *c) { return c->name; }
