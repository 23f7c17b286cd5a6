/* list_gate: when to send ListConsumerGroups on the admin API path.
 *
 * librdkafka 2.0.2 sends it to every broker it ever learnt of (it never
 * forgets one) and waits for each. While one of them refuses connections,
 * its admin worker looks the broker up on every broker state change, and
 * each lookup schedules a connection that skips the reconnect backoff
 * (rd_kafka_broker_get_async() -> rd_kafka_broker_schedule_connection(),
 * whose RD_KAFKA_OP_CONNECT resets rkb_ts_reconnect): the refused connect
 * is itself a state change, so librdkafka reconnects in a tight loop
 * (thousands of connects a second, half a core) for as long as the request
 * lives, and the list does not complete anyway.
 *
 * So the gate stays shut while a broker that was once in the metadata is
 * missing from it now (the list cannot complete), and for RETRY seconds
 * after a list that did not complete (a broker still listed but down);
 * the caller uses its last complete list meanwhile. Without a list to fall
 * back on, the gate is always open.
 *
 * A broker missing from the metadata for GONE_S is taken as removed from
 * the cluster (a scale-down: stopped and unregistered; or dead for that
 * long, which KRaft's metadata does not tell apart): the gate forgets it
 * and names it in removed[], and the caller replaces its librdkafka handle,
 * since only a new handle forgets a broker. Without this, a broker removed
 * for good would keep the list frozen until collectd restarts. GONE_S is
 * longer than a rolling restart or a broker's JVM start (a broker back
 * before it changes nothing), and short enough that new groups are found
 * within the hour. Time is counted only while the metadata names some
 * broker: after a whole-cluster outage each broker gets GONE_S again.
 *
 * Pure state, no librdkafka; not thread-safe (one per client, used by the
 * collection of that client). */
#ifndef KML_KAFKA_LIST_GATE_H
#define KML_KAFKA_LIST_GATE_H

#include <stdint.h>

#define KML_LIST_GATE_IDS 256      /* broker ids remembered */
#define KML_LIST_GATE_RETRY_S 60.0 /* after a list that did not complete */
#define KML_LIST_GATE_GONE_S 600.0 /* missing that long: taken as removed */

typedef struct kml_list_gate {
  int32_t seen[KML_LIST_GATE_IDS];         /* broker ids in the metadata, not
                                              taken as removed since */
  double missing_since[KML_LIST_GATE_IDS]; /* per seen[]: monotonic s
                                              since when it is missing;
                                              < 0: in the metadata */
  int n_seen;
  double gone_s; /* 0: KML_LIST_GATE_GONE_S (tests set less) */
  int32_t removed[KML_LIST_GATE_IDS]; /* taken as removed by the last open */
  int n_removed;
  int renewed; /* brokers were removed: the next list is the new handle's */
  double shut_until; /* monotonic seconds; 0: open */
  int said_stale;    /* the caller logged that its list is stale */
} kml_list_gate_t;

/* Note the brokers of this collection's metadata (ids[0..n)) and say
 * whether to send ListConsumerGroups at monotonic time now: 1 yes, 0 use
 * the last complete list. have_list: a complete list is remembered.
 * Brokers missing for gone_s are forgotten and listed in removed[0..
 * n_removed) (empty on most calls): the caller must then ask with a new
 * librdkafka handle, the old one still knows them. */
int kml_list_gate_open(kml_list_gate_t *g, const int32_t *ids, int n,
                       int have_list, double now);

/* The gone time in seconds: gone_s, or KML_LIST_GATE_GONE_S when unset. */
double kml_list_gate_gone_s(const kml_list_gate_t *g);

/* The outcome of a list sent at now: complete (every broker answered) or
 * not. The first list of a handle renewed after a removal may fail while
 * the handle connects: it is sent again at the next collection, once (the
 * new handle knows only brokers in the metadata, none that refuses). */
void kml_list_gate_done(kml_list_gate_t *g, int complete, double now);

#endif
