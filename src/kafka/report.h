/* report: turn snapshots into values and state-change events.
 *
 * The plugin hands each snapshot of a cluster to its report object, which
 * remembers what it needs across intervals (previous offsets for rates,
 * alert states) and calls the sink once per value and once per event. No
 * collectd types here: the plugin maps kml_value_t / kml_event_t onto
 * value_list_t / notification_t. One report per cluster; not thread-safe. */
#ifndef KML_KAFKA_REPORT_H
#define KML_KAFKA_REPORT_H

#include "arrival_plan.h"
#include "snapshot.h"

typedef struct {
  const char *plugin_instance; /* "cluster", "broker-1", "topic-x", ... */
  const char *type;            /* a type of kafka.types.db */
  const char *type_instance;   /* "" or "<topic>-<partition>" or a name */
  double value;
  int is_counter;       /* DERIVE type: value is a whole number */
  double time;          /* seconds since the epoch */
  const char *raw_name; /* unsanitized Kafka name, or NULL */
} kml_value_t;

typedef enum {
  KML_SEV_OKAY = 0,
  KML_SEV_WARNING = 1,
  KML_SEV_FAILURE = 2,
} kml_severity_t;

typedef struct {
  const char *key;
  const char *text; /* NULL: number holds the value */
  double number;
} kml_meta_t;

#define KML_EVENT_META_MAX 10

typedef struct {
  kml_severity_t severity;
  double time;
  char message[256];
  const char *plugin_instance, *type, *type_instance;
  kml_meta_t meta[KML_EVENT_META_MAX];
  int n_meta;
} kml_event_t;

typedef struct {
  void (*value)(const kml_value_t *v, void *ud);
  void (*event)(const kml_event_t *e, void *ud);
  /* A log line (level 3 error, 4 warning, 6 info), once per change. */
  void (*log)(int level, const char *msg, void *ud);
  /* Optional: answer the n requests (arrival_plan.h) before returning,
   * within the read's time (arrival.h does). The report asks, before it
   * computes lag in seconds, for the timestamps of the oldest unconsumed
   * messages that predate its history, once per partition and offset.
   * NULL: those messages are dated at the first collection (a lower
   * bound). */
  void (*arrivals)(kml_arrival_req_t *reqs, int n, void *ud);
  void *ud;
} kml_report_sink_t;

/* Per-partition types, as bits of kml_report_opts_t.partition_types. Each
 * is one series per partition (or per group and partition): on big
 * clusters they are most of what the plugin costs collectd (a value cache
 * entry of about 1 KiB and one dispatch per series and interval). */
#define KML_DETAIL_OFFSET (1u << 0)       /* kafka_offset */
#define KML_DETAIL_OFFSET_LOW (1u << 1)   /* kafka_offset_low */
#define KML_DETAIL_ISR (1u << 2)          /* kafka_isr */
#define KML_DETAIL_LEADER (1u << 3)       /* kafka_leader */
#define KML_DETAIL_COMMITTED (1u << 4)    /* kafka_committed */
#define KML_DETAIL_LAG (1u << 5)          /* kafka_lag */
#define KML_DETAIL_LAG_SECONDS (1u << 6)  /* kafka_lag_seconds */
#define KML_DETAIL_GROUP_STATUS (1u << 7) /* kafka_group_status */
#define KML_DETAIL_ALL 0xffu
#define KML_DETAIL_TYPES                                                       \
  "kafka_offset, kafka_offset_low, kafka_isr, kafka_leader, "                  \
  "kafka_committed, kafka_lag, kafka_lag_seconds, kafka_group_status"
/* The KML_DETAIL_* bit of a per-partition type name ("kafka_lag"), 0 when
 * the name is none of KML_DETAIL_TYPES. Pure. */
unsigned kml_report_detail_bit(const char *type);

/* Group types, as bits of kml_report_opts_t.group_types: one series per
 * group each (kafka_lag: two, its total and max). On clusters with
 * thousands of groups they are half of the plugin's series; the
 * notifications do not depend on them. */
#define KML_GDETAIL_STATE (1u << 0)           /* kafka_group_state */
#define KML_GDETAIL_MEMBERS (1u << 1)         /* kafka_members */
#define KML_GDETAIL_REBALANCES (1u << 2)      /* kafka_rebalances */
#define KML_GDETAIL_REBALANCE_RATE (1u << 3)  /* kafka_rebalance_rate */
#define KML_GDETAIL_EXPIRY_ETA (1u << 4)      /* kafka_expiry_eta */
#define KML_GDETAIL_LAG (1u << 5)             /* kafka_lag total, max */
#define KML_GDETAIL_LAG_SECONDS (1u << 6)     /* kafka_lag_seconds max */
#define KML_GDETAIL_STATUS (1u << 7)          /* kafka_group_status total */
#define KML_GDETAIL_LOST_MESSAGES (1u << 8)   /* kafka_lost_messages */
#define KML_GDETAIL_LOST_PARTITIONS (1u << 9) /* kafka_lost_partitions */
#define KML_GDETAIL_RETENTION_ETA (1u << 10)  /* kafka_retention_eta */
#define KML_GDETAIL_CONSUMED (1u << 11)       /* kafka_consumed */
#define KML_GDETAIL_ORDERING_SKEW (1u << 12)  /* kafka_ordering_skew */
#define KML_GDETAIL_ALL 0x1fffu
#define KML_GDETAIL_NONE (1u << 31) /* none of them (GroupDetail false) */
#define KML_GDETAIL_TYPES                                                      \
  "kafka_group_state, kafka_members, kafka_rebalances, "                       \
  "kafka_rebalance_rate, kafka_expiry_eta, kafka_lag, kafka_lag_seconds, "     \
  "kafka_group_status, kafka_lost_messages, kafka_lost_partitions, "           \
  "kafka_retention_eta, kafka_consumed, kafka_ordering_skew"
/* The KML_GDETAIL_* bit of a group type name ("kafka_members"), 0 when the
 * name is none of KML_GDETAIL_TYPES. Pure. */
unsigned kml_report_group_detail_bit(const char *type);

typedef struct {
  int partition_detail;     /* per-partition values (cardinality!) */
  unsigned partition_types; /* which of them (KML_DETAIL_*); 0: all */
  unsigned group_types;     /* per-group types (KML_GDETAIL_*); 0: all */
  double lag_sla_seconds;   /* WARNING above this lag in seconds; 0 = none */
  double ordering_skew_seconds; /* WARNING above this spread of lag in
                                   seconds between a group's topics; 0 =
                                   none (ordering.h) */
  int status_window;       /* collections a STALL/STOP/WARN verdict needs (5) */
  double rebalance_window; /* seconds rebalance storms are judged over
                              (rebalance.h); 0 = not judged */
  int rebalance_floor;     /* fewer in the window are never a storm */
} kml_report_opts_t;

typedef struct kml_report kml_report_t;

/* New report; NULL when out of memory. Free with kml_report_destroy. */
kml_report_t *kml_report_new(const kml_report_opts_t *o);
void kml_report_destroy(kml_report_t *r);
/* Emit the values of snapshot s and the events its changes cause. */
void kml_report_run(kml_report_t *r, const kml_snapshot_t *s,
                    const kml_report_sink_t *sink);
/* The group partitions whose partition memory the last run looked up to
 * decide on arrival lookups: only those whose oldest unconsumed message
 * predates the partition's history (0 when no partition's history misses
 * a message Kafka still holds: the pass is skipped). For tests and
 * benchmarks. */
int kml_report_arrival_looked(const kml_report_t *r);

#endif
