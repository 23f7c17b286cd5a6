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
 * Pure state, no librdkafka; not thread-safe (one per client, used by the
 * collection of that client). */
#ifndef KML_KAFKA_LIST_GATE_H
#define KML_KAFKA_LIST_GATE_H

#include <stdint.h>

#define KML_LIST_GATE_IDS 256      /* broker ids remembered */
#define KML_LIST_GATE_RETRY_S 60.0 /* after a list that did not complete */

typedef struct kml_list_gate {
  int32_t seen[KML_LIST_GATE_IDS]; /* broker ids ever in the metadata */
  int n_seen;
  double shut_until; /* monotonic seconds; 0: open */
  int said_stale;    /* the caller logged that its list is stale */
} kml_list_gate_t;

/* Note the brokers of this collection's metadata (ids[0..n)) and say
 * whether to send ListConsumerGroups at monotonic time now: 1 yes, 0 use
 * the last complete list. have_list: a complete list is remembered. */
int kml_list_gate_open(kml_list_gate_t *g, const int32_t *ids, int n,
                       int have_list, double now);

/* The outcome of a list sent at now: complete (every broker answered) or
 * not. */
void kml_list_gate_done(kml_list_gate_t *g, int complete, double now);

#endif
