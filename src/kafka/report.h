/* report: turn snapshots into values and state-change events.
 *
 * The plugin hands each snapshot of a cluster to its report object, which
 * remembers what it needs across intervals (previous offsets for rates,
 * alert states) and calls the sink once per value and once per event. No
 * collectd types here: the plugin maps kml_value_t / kml_event_t onto
 * value_list_t / notification_t. One report per cluster; not thread-safe. */
#ifndef KML_KAFKA_REPORT_H
#define KML_KAFKA_REPORT_H

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

typedef struct {
  int partition_detail;     /* per-partition values (cardinality!) */
  unsigned partition_types; /* which of them (KML_DETAIL_*); 0: all */
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

#endif
