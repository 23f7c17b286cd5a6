/* client: one librdkafka handle per configured cluster, set up for
 * monitoring (no group membership, no auto commit, read_uncommitted so
 * ListOffsets returns high-water marks). Properties from the configuration
 * pass through; the value of a refused property never reaches a log line.
 *
 * A client is used by one collection at a time (the plugin's read callback
 * for that cluster); librdkafka's own threads run in the background. */
#ifndef KML_KAFKA_CLIENT_H
#define KML_KAFKA_CLIENT_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* Log sink: level is syslog-like (3 error, 4 warning, 6 info, 7 debug). */
typedef void (*kml_log_fn)(int level, const char *msg, void *ud);

/* Where committed offsets come from (OffsetsSource in the configuration). */
typedef enum {
  KML_OFFSETS_AUTO = 0,  /* follow __consumer_offsets; the admin API when it
                            cannot be read (authorization) */
  KML_OFFSETS_TOPIC = 1, /* follow __consumer_offsets only */
  KML_OFFSETS_ADMIN = 2, /* ask the admin API, group by group */
} kml_offsets_source_t;

typedef struct {
  const char *name;         /* cluster name, used in messages and client.id */
  const char *brokers;      /* bootstrap.servers */
  const char *const *props; /* key, value, key, value, ... */
  size_t n_props;           /* number of pairs */
  kml_log_fn log;           /* may be NULL */
  void *log_ud;
  kml_offsets_source_t offsets_source;
} kml_client_conf_t;

typedef struct kml_client kml_client_t;

/* Create a client; NULL with a reason in err (a bad property names the key,
 * never its value). Caller frees with kml_client_destroy. */
kml_client_t *kml_client_new(const kml_client_conf_t *conf, char *err,
                             size_t errlen);
/* Destroy the handle; waits at most ~1 s for librdkafka to stop. */
void kml_client_destroy(kml_client_t *c);
/* The underlying handle, owned by c. */
rd_kafka_t *kml_client_rk(kml_client_t *c);
/* The configured bootstrap list, owned by c. */
const char *kml_client_brokers(const kml_client_t *c);
/* The brokers of the cluster's latest metadata ("host:port,...", copied):
 * the handles made from now on (the committed-offsets and record readers,
 * made during a read) bootstrap from them instead of the Brokers list.
 * librdkafka connects a new handle to one bootstrap address at random,
 * and one of the list that accepts and never answers (a hung load
 * balancer) cost that handle Timeout: the first collection's lag was
 * missing. An empty list is ignored. Same thread rules as c. */
void kml_client_learn_brokers(kml_client_t *c, const char *brokers);
/* The cause of the last connection failure librdkafka reported at or after
 * since (wall-clock seconds) in a few words ("cannot resolve the host
 * name", "connection refused", "authentication failed ..."): a static
 * string, "" when none is known. Thread-safe. */
const char *kml_client_last_failure(kml_client_t *c, double since);
/* The group.id of the handle that reads committed offsets through the admin
 * API. It is never joined and never committed to (client.c says why it
 * must exist). */
#define KML_CLIENT_MONITOR_GROUP "collectd-kafka-ml-monitor"
/* The handle for admin requests about consumer groups (ListConsumerGroups,
 * DescribeConsumerGroups, ListConsumerGroupOffsets): its configuration has
 * a group.id, so librdkafka's OffsetFetch error path cannot dereference a
 * missing group handle when a coordinator moves. Created on first use,
 * owned by c; NULL with the reason in err. Same thread rules as c. */
rd_kafka_t *kml_client_group_rk(kml_client_t *c, char *err, size_t errlen);
/* Retire the group handle (a broker was removed from the cluster: only a
 * new handle forgets it, list_gate.h); the next kml_client_group_rk()
 * makes a new one. The old handle is parked, not destroyed, while requests
 * sent through it may still be alive: a later kml_client_group_rk() (or
 * kml_client_destroy) destroys it once keep_s seconds have passed. Same
 * thread rules as c.
 *
 * Test hooks, read once by kml_client_new() from the environment, not
 * configuration: KML_TEST_BROKER_GONE_S replaces KML_LIST_GATE_GONE_S and
 * KML_TEST_GROUP_RK_PARK_S replaces keep_s, so that an integration test
 * sees a broker taken as removed, and its handle destroyed, within
 * seconds. */
void kml_client_renew_group_rk(kml_client_t *c, double keep_s);
/* A new consumer handle on the same cluster and properties: extra
 * key/value pairs (NULL-terminated) go before the configured properties,
 * forced ones after them. The caller owns it (rd_kafka_destroy). */
rd_kafka_t *kml_client_new_handle(kml_client_t *c, const char *const *extra,
                                  const char *const *forced, char *err,
                                  size_t errlen);
/* A consumer handle that reads records without a group (sample.c,
 * arrival.c): an empty group.id (no group handle, no group request, no
 * commit), partition EOF reported, nothing committed or stored, fetches of
 * at most `bytes` bytes per partition, client.id client_id. The readers
 * start many partitions on one queue, and librdkafka 2.0.2 counts its
 * prefetch bounds on that queue, not per partition: a partition found
 * over them leaves its leader's fetch list until the broker thread looks
 * again, about a second later. So the record count never binds
 * (librdkafka's ceiling) and a partition is fetched while the queue holds
 * less than 16 MiB of values, or twice `bytes` when that is more (what a
 * round fetches at once, with room for a response not yet drained; the
 * queue is drained as it fills: a ceiling, not a size). A response
 * carries at most half of that bound (fetch.max.bytes): the broker
 * thread queues a whole response before it decides the next fetch, and
 * one of librdkafka's default 50 MiB filled the queue and held back the
 * partitions left out of it. The caller owns it. */
rd_kafka_t *kml_client_new_reader(kml_client_t *c, const char *client_id,
                                  int bytes, char *err, size_t errlen);
/* Take a complete, filtered, sorted list of group ids (copied) into the
 * groups to read, so that a collection whose ListConsumerGroups fails (one
 * broker down is enough: it asks every broker) can still read the groups
 * it knows; a group the list misses is read for a while longer
 * (known_groups.h: a coordinator move hides it from one list). Returns -1
 * when out of memory (the old list stays). Same thread rules as c. */
int kml_client_remember_groups(kml_client_t *c, char *const *ids, int n);
/* The groups to read (owned by c, valid until the next remember); NULL
 * and *n = 0 before the first complete list. */
char *const *kml_client_known_groups(const kml_client_t *c, int *n);
struct kml_list_gate;
/* When to send ListConsumerGroups (list_gate.h), owned by c; same thread
 * rules as c. */
struct kml_list_gate *kml_client_list_gate(kml_client_t *c);
/* The configured source of committed offsets. */
kml_offsets_source_t kml_client_offsets_source(const kml_client_t *c);
struct kml_offsets_topic;
/* The __consumer_offsets follower, started on first use; NULL when the
 * source is the admin API, after kml_client_drop_follower(), or when it
 * cannot be created (reason in err). Owned by c; same thread rules. */
struct kml_offsets_topic *kml_client_follower(kml_client_t *c, char *err,
                                              size_t errlen);
/* Stop following for good (the topic cannot be read): the admin API from
 * now on. */
void kml_client_drop_follower(kml_client_t *c);
struct kml_configs;
/* The topic settings read so far (collect.h), owned by c; same thread
 * rules as c. */
struct kml_configs *kml_client_configs(kml_client_t *c);
/* Send a line to the client's log sink (if any). Thread-safe if the sink is. */
void kml_client_log(const kml_client_t *c, int level, const char *msg);
/* Cluster name given at creation, owned by c. */
const char *kml_client_name(const kml_client_t *c);
/* Average round-trip time in ms to broker id from the latest statistics,
 * NaN when unknown. Thread-safe (statistics arrive on librdkafka's thread). */
double kml_client_broker_rtt(kml_client_t *c, int32_t id);

#endif
