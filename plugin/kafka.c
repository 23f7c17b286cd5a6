/**
 * collectd-kafka-ml - plugin/kafka.c
 * Copyright (C) 2026  collectd-kafka-ml authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The "kafka" read plugin: collectd glue around src/kafka. Each <Cluster>
 * block gets its own Kafka client and its own read callback (so one slow
 * cluster never delays another); a read collects one snapshot within the
 * block's Timeout and dispatches it with the identifier scheme
 *   host = cluster name, plugin = "kafka",
 *   plugin_instance = "cluster" | "broker-<id>" | "topic-<name>" |
 *"group-<id>", type from kafka.types.db, type_instance = "<topic>-<partition>"
 *or a name.
 **/

#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"
#include "collectd/core/utils/common/common.h"

#include "kafka/arrival.h"
#include "kafka/collect.h"
#include "kafka/report.h"
#include "kafka/sample.h"
#include "kml_clock.h"
#include "kml_conf.h"
#include "kml_str.h"
#include "oconfig_value.h"

#include <math.h>

#define KAFKA_LOG "kafka plugin: "

typedef struct {
  char name[DATA_MAX_NAME_LEN]; /* the host field of every value */
  char *brokers;
  char **props; /* key, value, ... */
  size_t n_props;
  cdtime_t interval;  /* 0 = global interval */
  double timeout;     /* seconds */
  bool timeout_given; /* Timeout is in the block (not the default) */
  kml_filter_t topics, groups;
  bool partition_detail;
  unsigned partition_types; /* KML_DETAIL_* bits; 0: every type */
  unsigned group_types;     /* KML_GDETAIL_* bits; 0: every type */
  bool groups_enabled;
  kml_offsets_source_t offsets_source;
  double lag_sla;       /* seconds; 0 = none */
  double ordering_skew; /* seconds; 0 = no ordering alert */
  double storm_window;  /* seconds rebalance storms are judged over; 0 off */
  int storm_min;        /* rebalances in the window a storm needs at least */
  kml_filter_t schema_topics; /* SchemaTopics: topics whose records are
                                 sampled (has_include set when given) */
  int schema_records, schema_bytes;
  double schema_learn;
  kml_sample_t *sampler;  /* NULL without SchemaTopics */
  kml_arrival_t *arrival; /* dates messages older than the lag history */
  double deadline_ms;     /* this read's end (kml_clock_mono_ms) */
  int arrival_broken;     /* its consumer could not be made: said once */
  int status_window;      /* collections for STALL/STOP/WARN */
  kml_client_t *client;
  kml_report_t *report; /* memory across reads: rates, states, events */
  double tail_s;        /* what report and dispatch took at the last read */
} cluster_t;

static cluster_t **clusters;
static size_t n_clusters;

static void cluster_free(void *p) {
  cluster_t *c = p;
  if (c == NULL)
    return;
  kml_sample_destroy(c->sampler); /* before its client */
  kml_arrival_destroy(c->arrival);
  kml_client_destroy(c->client);
  kml_report_destroy(c->report);
  for (size_t i = 0; i < 2 * c->n_props; i++)
    free(c->props[i]);
  free(c->props);
  free(c->brokers);
  kml_filter_free(&c->topics);
  kml_filter_free(&c->groups);
  kml_filter_free(&c->schema_topics);
  free(c);
}

static void client_log(int level, const char *msg, void *ud) {
  (void)ud;
  if (level <= LOG_ERR) {
    ERROR(KAFKA_LOG "%s", msg);
  } else if (level == LOG_WARNING) {
    WARNING(KAFKA_LOG "%s", msg);
  } else if (level <= LOG_INFO) {
    INFO(KAFKA_LOG "%s", msg);
  } else {
    DEBUG(KAFKA_LOG "%s", msg);
  }
}

/* ---------------------------------------------------------------- dispatch */

/* Does plugin_instance ("topic-<name>", "group-<id>") hold name as it is?
 * Then the kafka_name meta data would only repeat it: collectd's value
 * cache keeps a copy of every value list's meta data (about 180 bytes per
 * series, 16 MiB for 90,000 series), and dispatch copies it once more. */
static bool names_exactly(const char *plugin_instance, const char *name) {
  const char *dash = strchr(plugin_instance, '-');
  return dash != NULL && strcmp(dash + 1, name) == 0;
}

/* Sink for src/kafka/report: one value or one notification at a time. */
static void emit_value(const kml_value_t *v, void *ud) {
  cluster_t *c = ud;
  value_list_t vl = VALUE_LIST_INIT;
  value_t val;
  if (v->is_counter)
    val.derive = (derive_t)v->value;
  else
    val.gauge = v->value;
  vl.values = &val;
  vl.values_len = 1;
  vl.time = DOUBLE_TO_CDTIME_T(v->time);
  if (c->interval > 0)
    vl.interval = c->interval;
  sstrncpy(vl.host, c->name, sizeof(vl.host));
  sstrncpy(vl.plugin, "kafka", sizeof(vl.plugin));
  sstrncpy(vl.plugin_instance, v->plugin_instance, sizeof(vl.plugin_instance));
  sstrncpy(vl.type, v->type, sizeof(vl.type));
  sstrncpy(vl.type_instance, v->type_instance, sizeof(vl.type_instance));
  if (v->raw_name != NULL && !names_exactly(v->plugin_instance, v->raw_name)) {
    /* Sanitized identifiers lose bytes; keep the real name for consumers. */
    vl.meta = meta_data_create();
    if (vl.meta != NULL)
      meta_data_add_string(vl.meta, "kafka_name", v->raw_name);
  }
  plugin_dispatch_values(&vl);
  if (vl.meta != NULL)
    meta_data_destroy(vl.meta);
}

static void emit_notification(const kml_event_t *e, void *ud) {
  cluster_t *c = ud;
  notification_t n = {
      .severity = e->severity == KML_SEV_FAILURE   ? NOTIF_FAILURE
                  : e->severity == KML_SEV_WARNING ? NOTIF_WARNING
                                                   : NOTIF_OKAY,
      .time = DOUBLE_TO_CDTIME_T(e->time),
  };
  sstrncpy(n.message, e->message, sizeof(n.message));
  sstrncpy(n.host, c->name, sizeof(n.host));
  sstrncpy(n.plugin, "kafka", sizeof(n.plugin));
  sstrncpy(n.plugin_instance, e->plugin_instance, sizeof(n.plugin_instance));
  sstrncpy(n.type, e->type, sizeof(n.type));
  sstrncpy(n.type_instance, e->type_instance, sizeof(n.type_instance));
  for (int i = 0; i < e->n_meta; i++) {
    if (e->meta[i].text != NULL)
      plugin_notification_meta_add_string(&n, e->meta[i].key, e->meta[i].text);
    else
      plugin_notification_meta_add_double(&n, e->meta[i].key,
                                          e->meta[i].number);
  }
  if (e->severity == KML_SEV_OKAY)
    INFO(KAFKA_LOG "cluster %s: %s", c->name, e->message);
  else
    WARNING(KAFKA_LOG "cluster %s: %s", c->name, e->message);
  plugin_dispatch_notification(&n);
  if (n.meta != NULL)
    plugin_notification_meta_free(n.meta);
}

static void report_log(int level, const char *msg, void *ud) {
  cluster_t *c = ud;
  if (level <= LOG_ERR) {
    ERROR(KAFKA_LOG "cluster %s: %s", c->name, msg);
  } else if (level == LOG_WARNING) {
    WARNING(KAFKA_LOG "cluster %s: %s", c->name, msg);
  } else {
    INFO(KAFKA_LOG "cluster %s: %s", c->name, msg);
  }
}

/* Sink for src/kafka/report: the arrival of records older than the lag
 * history, read within what is left of this read's Timeout. */
static void report_arrivals(kml_arrival_req_t *reqs, int n, void *ud) {
  cluster_t *c = ud;
  char err[512];
  if (kml_arrival_fetch(c->arrival, reqs, n, c->deadline_ms, err, sizeof(err)) <
          0 &&
      !c->arrival_broken) {
    c->arrival_broken = 1;
    WARNING(KAFKA_LOG "cluster %s: messages waiting since before the start "
                      "cannot be dated (%s): their lag in seconds counts "
                      "from the first collection",
            c->name, err);
  }
}

/* The collection's share of Timeout: the whole read callback (collection,
 * report, dispatch) must fit in it, so the time report and dispatch took
 * last time, doubled, is set aside (at least 20 ms, at most a quarter). */
static int collect_budget_ms(const cluster_t *c) {
  double reserve = 2 * c->tail_s;
  if (reserve < 0.02)
    reserve = 0.02;
  if (reserve > c->timeout / 4)
    reserve = c->timeout / 4;
  return (int)((c->timeout - reserve) * 1000);
}

static int kafka_read(user_data_t *ud) {
  cluster_t *c = ud->data;
  double t0 = kml_clock_mono();
  kml_collect_opts_t o = {
      .topics = &c->topics,
      .groups = &c->groups,
      .timeout_ms = collect_budget_ms(c),
      .groups_enabled = c->groups_enabled,
      .configs_enabled = 1,
  };
  kml_snapshot_t *s = kml_collect(c->client, &o);
  if (s == NULL) {
    ERROR(KAFKA_LOG "cluster %s: out of memory", c->name);
    return -1;
  }
  double t1 = kml_clock_mono();
  c->deadline_ms = (t0 + c->timeout) * 1000;
  kml_report_sink_t sink = {.value = emit_value,
                            .event = emit_notification,
                            .log = report_log,
                            .arrivals = c->arrival ? report_arrivals : NULL,
                            .ud = c};
  kml_report_run(c->report, s, &sink);
  if (c->sampler != NULL) { /* in what is left of Timeout */
    kml_sample_stats_t st;
    kml_sample_run(c->sampler, s, (t0 + c->timeout) * 1000, &sink, &st);
  }
  double t2 = kml_clock_mono();
  c->tail_s = t2 - t1;
  /* The whole callback, as collectd's read thread saw it (this value's own
   * dispatch aside). */
  emit_value(&(kml_value_t){.plugin_instance = "cluster",
                            .type = "kafka_read_seconds",
                            .type_instance = "",
                            .value = t2 - t0,
                            .time = s->started},
             c);
  kml_snapshot_free(s);
  /* Returning an error would make collectd back off this read; a down
   * cluster must keep being polled so recovery shows at the next interval. */
  return 0;
}

/* ------------------------------------------------------------------ config */

static int add_property(cluster_t *c, oconfig_item_t *ci) {
  if (ci->values_num != 2 || ci->values[0].type != OCONFIG_TYPE_STRING ||
      ci->values[1].type != OCONFIG_TYPE_STRING ||
      ci->values[0].value.string[0] == '\0') {
    ERROR(KAFKA_LOG "<Cluster \"%s\"> Property needs two strings: \"key\" "
                    "\"value\"",
          c->name);
    return -1;
  }
  char **p = realloc(c->props, sizeof(*p) * 2 * (c->n_props + 1));
  if (p == NULL)
    return -1;
  c->props = p;
  p[2 * c->n_props] = strdup(ci->values[0].value.string);
  p[2 * c->n_props + 1] = strdup(ci->values[1].value.string);
  c->n_props++;
  return p[2 * c->n_props - 2] && p[2 * c->n_props - 1] ? 0 : -1;
}

static int get_regex(cluster_t *c, kml_filter_t *f, int which,
                     oconfig_item_t *ci) {
  char err[256];
  kml_conf_value_t v = oconfig_value(ci);
  if (kml_conf_name(&v, 1023, NULL, err, sizeof(err)) != 0) {
    ERROR(KAFKA_LOG "<Cluster \"%s\"> %s %s", c->name, ci->key, err);
    return -1;
  }
  if (kml_filter_set(f, which, v.string, err, sizeof(err)) != 0) {
    ERROR(KAFKA_LOG "<Cluster \"%s\"> %s: %s", c->name, ci->key, err);
    return -1;
  }
  return 0;
}

/* OffsetsSource "auto" | "topic" | "admin" into *out; 0, or -1 with err. */
static int offsets_source(const kml_conf_value_t *v, kml_offsets_source_t *out,
                          char *err, size_t errlen) {
  static const char *const names[] = {"auto", "topic", "admin"};
  for (int i = 0; v->type == KML_CONF_STRING && i < 3; i++)
    if (strcasecmp(v->string, names[i]) == 0) {
      *out = (kml_offsets_source_t)i;
      return 0;
    }
  snprintf(err, errlen, "must be \"auto\", \"topic\" or \"admin\"");
  return -1;
}

/* The type names of ci (one or more strings) as bits: bit_of() of each,
 * or 0 with err naming what is wrong ("per-partition" types, of list). */
static unsigned detail_types(const oconfig_item_t *ci,
                             unsigned (*bit_of)(const char *), const char *what,
                             const char *list, char *err, size_t errlen) {
  unsigned types = 0;
  for (int i = 0; i < ci->values_num; i++) {
    unsigned bit = ci->values[i].type == OCONFIG_TYPE_STRING
                       ? bit_of(ci->values[i].value.string)
                       : 0;
    if (bit == 0) {
      char got[80] = "nothing";
      if (ci->values[i].type == OCONFIG_TYPE_STRING)
        ssnprintf(got, sizeof(got), "\"%.60s\"", ci->values[i].value.string);
      else if (ci->values[i].type == OCONFIG_TYPE_NUMBER)
        ssnprintf(got, sizeof(got), "%g", ci->values[i].value.number);
      ssnprintf(err, errlen, "must be true, false or %s types (%s), not %s",
                what, list, got);
      return 0;
    }
    types |= bit;
  }
  if (types == 0)
    ssnprintf(err, errlen, "must be true, false or %s types (%s)", what, list);
  return types;
}

/* PartitionDetail true | false | "kafka_lag" "kafka_offset" ...: all,
 * none, or only the per-partition types named. 0, or -1 with err. */
static int partition_detail(cluster_t *c, const oconfig_item_t *ci, char *err,
                            size_t errlen) {
  if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_BOOLEAN) {
    c->partition_detail = ci->values[0].value.boolean;
    c->partition_types = 0;
    return 0;
  }
  unsigned types = detail_types(ci, kml_report_detail_bit, "per-partition",
                                KML_DETAIL_TYPES, err, errlen);
  if (types == 0)
    return -1;
  c->partition_detail = true;
  c->partition_types = types;
  return 0;
}

/* GroupDetail true | false | "kafka_lag" "kafka_members" ...: every group
 * type, none, or only those named. 0, or -1 with err. */
static int group_detail(cluster_t *c, const oconfig_item_t *ci, char *err,
                        size_t errlen) {
  if (ci->values_num == 1 && ci->values[0].type == OCONFIG_TYPE_BOOLEAN) {
    c->group_types = ci->values[0].value.boolean ? 0 : KML_GDETAIL_NONE;
    return 0;
  }
  unsigned types = detail_types(ci, kml_report_group_detail_bit, "group",
                                KML_GDETAIL_TYPES, err, errlen);
  if (types == 0)
    return -1;
  c->group_types = types;
  return 0;
}

/* One scalar option of a <Cluster> block into c; 0, or -1 after logging an
 * error that names the option and the block. */
static int config_cluster_option(cluster_t *c, oconfig_item_t *child) {
  kml_conf_value_t v = oconfig_value(child);
  char err[512];
  const char *key = child->key;
  int rc = 0;
  if (strcasecmp("Brokers", key) == 0) {
    rc = kml_conf_name(&v, 65535, NULL, err, sizeof(err));
    if (rc == 0) {
      free(c->brokers);
      c->brokers = strdup(v.string);
      if (c->brokers == NULL)
        snprintf(err, sizeof(err), "could not be stored: out of memory");
      rc = c->brokers ? 0 : -1;
    }
  } else if (strcasecmp("Interval", key) == 0) {
    double d;
    rc = kml_conf_duration(&v, 0, 86400, KML_CONF_MIN_OPEN, &d, err,
                           sizeof(err));
    if (rc == 0)
      c->interval = DOUBLE_TO_CDTIME_T(d);
  } else if (strcasecmp("Timeout", key) == 0) {
    rc = kml_conf_duration(&v, 0, 600, KML_CONF_MIN_OPEN, &c->timeout, err,
                           sizeof(err));
    c->timeout_given = rc == 0;
  } else if (strcasecmp("PartitionDetail", key) == 0)
    rc = partition_detail(c, child, err, sizeof(err));
  else if (strcasecmp("GroupDetail", key) == 0)
    rc = group_detail(c, child, err, sizeof(err));
  else if (strcasecmp("Groups", key) == 0) {
    int b;
    rc = kml_conf_bool(&v, &b, err, sizeof(err));
    if (rc == 0)
      c->groups_enabled = b;
  } else if (strcasecmp("LagSLASeconds", key) == 0)
    rc = kml_conf_duration(&v, 0, 366 * 86400.0, 0, &c->lag_sla, err,
                           sizeof(err));
  else if (strcasecmp("OrderingSkewSeconds", key) == 0)
    rc = kml_conf_duration(&v, 0, 366 * 86400.0, 0, &c->ordering_skew, err,
                           sizeof(err));
  else if (strcasecmp("RebalanceStormWindow", key) == 0)
    rc = kml_conf_duration(&v, 0, 7 * 86400.0, 0, &c->storm_window, err,
                           sizeof(err));
  else if (strcasecmp("RebalanceStormMin", key) == 0) {
    long long n;
    rc = kml_conf_int(&v, 2, 100000, &n, err, sizeof(err));
    if (rc == 0)
      c->storm_min = (int)n;
  } else if (strcasecmp("SchemaRecords", key) == 0) {
    long long n;
    rc = kml_conf_int(&v, 1, 1000, &n, err, sizeof(err));
    if (rc == 0)
      c->schema_records = (int)n;
  } else if (strcasecmp("SchemaBytes", key) == 0) {
    long long n;
    rc = kml_conf_int(&v, 1024, 16 << 20, &n, err, sizeof(err));
    if (rc == 0)
      c->schema_bytes = (int)n;
  } else if (strcasecmp("SchemaLearn", key) == 0) {
    rc = kml_conf_duration(&v, 1, 7 * 86400.0, 0, &c->schema_learn, err,
                           sizeof(err));
  } else if (strcasecmp("StatusWindow", key) == 0) {
    long long w;
    rc = kml_conf_int(&v, 2, 10, &w, err, sizeof(err));
    if (rc == 0)
      c->status_window = (int)w;
  } else if (strcasecmp("OffsetsSource", key) == 0) {
    rc = offsets_source(&v, &c->offsets_source, err, sizeof(err));
  } else {
    snprintf(err, sizeof(err),
             "is not an option of <Cluster> (known: "
             "Brokers, Interval, Timeout, TopicsInclude, "
             "TopicsExclude, GroupsInclude, GroupsExclude, "
             "Property, PartitionDetail, GroupDetail, Groups, "
             "OffsetsSource, "
             "LagSLASeconds, StatusWindow, OrderingSkewSeconds, "
             "RebalanceStormWindow, RebalanceStormMin, SchemaTopics, "
             "SchemaRecords, SchemaBytes, SchemaLearn)");
    rc = -1;
  }
  if (rc != 0)
    ERROR(KAFKA_LOG "<Cluster \"%s\"> %s %s", c->name, key, err);
  return rc;
}

/* Options that hold one value: given twice, which one was meant? */
static const char *const single_options[] = {"Brokers",
                                             "Interval",
                                             "Timeout",
                                             "TopicsInclude",
                                             "TopicsExclude",
                                             "GroupsInclude",
                                             "GroupsExclude",
                                             "PartitionDetail",
                                             "GroupDetail",
                                             "Groups",
                                             "LagSLASeconds",
                                             "StatusWindow",
                                             "OffsetsSource",
                                             "OrderingSkewSeconds",
                                             "RebalanceStormWindow",
                                             "RebalanceStormMin",
                                             "SchemaTopics",
                                             "SchemaRecords",
                                             "SchemaBytes",
                                             "SchemaLearn"};
#define N_SINGLE (sizeof(single_options) / sizeof(single_options[0]))

static int config_cluster(oconfig_item_t *ci) {
  cluster_t *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return -1;
  c->timeout = 5.0;
  c->partition_detail = true;
  c->groups_enabled = true;
  c->status_window = 5;
  c->storm_window = 3600;
  c->storm_min = 4;
  c->schema_records = 10;
  c->schema_bytes = 65536;
  c->schema_learn = 300;
  char err[256];
  kml_conf_value_t name = oconfig_value(ci);
  if (kml_conf_name(&name, sizeof(c->name) - 1, "/", err, sizeof(err)) != 0) {
    /* the name becomes the host field of every value: it must fit whole */
    ERROR(KAFKA_LOG "<Cluster> name %s; e.g. <Cluster \"prod\">", err);
    goto errout;
  }
  sstrncpy(c->name, name.string, sizeof(c->name));
  int seen[N_SINGLE] = {0};
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *child = ci->children + i;
    int status;
    for (size_t k = 0; k < N_SINGLE; k++)
      if (strcasecmp(single_options[k], child->key) == 0 && seen[k]++) {
        ERROR(KAFKA_LOG "<Cluster \"%s\"> %s is given twice; keep one", c->name,
              child->key);
        goto errout;
      }
    if (strcasecmp("TopicsInclude", child->key) == 0)
      status = get_regex(c, &c->topics, 0, child);
    else if (strcasecmp("TopicsExclude", child->key) == 0)
      status = get_regex(c, &c->topics, 1, child);
    else if (strcasecmp("GroupsInclude", child->key) == 0)
      status = get_regex(c, &c->groups, 0, child);
    else if (strcasecmp("GroupsExclude", child->key) == 0)
      status = get_regex(c, &c->groups, 1, child);
    else if (strcasecmp("SchemaTopics", child->key) == 0)
      status = get_regex(c, &c->schema_topics, 0, child);
    else if (strcasecmp("Property", child->key) == 0)
      status = add_property(c, child);
    else
      status = config_cluster_option(c, child);
    if (status != 0)
      goto errout;
  }
  if (c->brokers == NULL) {
    ERROR(KAFKA_LOG "<Cluster \"%s\"> Brokers is required", c->name);
    goto errout;
  }
  for (size_t i = 0; i < n_clusters; i++)
    if (strcmp(clusters[i]->name, c->name) == 0) {
      ERROR(KAFKA_LOG "<Cluster \"%s\"> is configured twice", c->name);
      goto errout;
    }
  cluster_t **l = realloc(clusters, sizeof(*l) * (n_clusters + 1));
  if (l == NULL)
    goto errout;
  clusters = l;
  clusters[n_clusters++] = c;
  return 0;

errout:
  if (c->name[0] != '\0')
    ERROR(KAFKA_LOG "<Cluster \"%s\"> disabled because of the error above",
          c->name);
  else
    ERROR(KAFKA_LOG "<Cluster> disabled because of the error above");
  cluster_free(c);
  return 0; /* the daemon and the other blocks keep running */
}

static int kafka_config(oconfig_item_t *ci) {
  for (int i = 0; i < ci->children_num; i++) {
    oconfig_item_t *child = ci->children + i;
    if (strcasecmp("Cluster", child->key) == 0)
      config_cluster(child);
    else
      ERROR(KAFKA_LOG "<Plugin kafka> %s is not an option here (expected "
                      "<Cluster \"name\"> blocks); ignored",
            child->key);
  }
  return 0;
}

/* Properties for the client: socket.timeout.ms and
 * socket.connection.setup.timeout.ms = Timeout first (a Property line may
 * override them), then the configured ones. A request still unanswered
 * after Timeout is of no use to any collection; timing it out makes
 * librdkafka drop the connection to a hung broker, which then stops being
 * chosen for metadata requests. A connection not set up within Timeout
 * (an address that drops the SYNs: no refusal ever comes) is given up with
 * "timed out" by then, so the unreachable notification, sent with the
 * second failed collection, names that cause (librdkafka's default, 30 s,
 * named it only after the notification had gone). buf holds both numbers
 * (len >= 32). Returns a new array of 2 * *n pointers into c and buf (free
 * the array only); NULL when out of memory. */
static const char **client_props(const cluster_t *c, char *buf, size_t len,
                                 size_t *n) {
  const char **p = calloc(2 * (c->n_props + 2), sizeof(*p));
  if (p == NULL)
    return NULL;
  double ms = c->timeout * 1000;
  int socket_ms = (int)(ms < 10 ? 10 : ms > 300000 ? 300000 : ms);
  /* librdkafka accepts 1000 ms and more for the connection setup */
  int setup_ms = socket_ms < 1000 ? 1000 : socket_ms;
  size_t half = len / 2;
  ssnprintf(buf, half, "%d", socket_ms);
  ssnprintf(buf + half, len - half, "%d", setup_ms);
  p[0] = "socket.timeout.ms";
  p[1] = buf;
  p[2] = "socket.connection.setup.timeout.ms";
  p[3] = buf + half;
  for (size_t i = 0; i < 2 * c->n_props; i++)
    p[4 + i] = c->props[i];
  *n = c->n_props + 2;
  return p;
}

/* Drop every configured block (nothing of them runs). */
static void drop_clusters(void) {
  for (size_t i = 0; i < n_clusters; i++)
    cluster_free(clusters[i]);
  free(clusters);
  clusters = NULL;
  n_clusters = 0;
}

/* collectd knows the plugin's types only from a TypesDB line that lists
 * kafka.types.db; without it each value of each read would be refused with
 * its own "Dataset not found" line. One error says what to add instead. */
static int types_known(void) {
  if (plugin_get_ds("kafka_up") != NULL)
    return 1;
  ERROR(KAFKA_LOG "collectd does not know the type kafka_up: its TypesDB "
                  "line does not list kafka.types.db. Add it, e.g. "
                  "TypesDB \"/usr/share/collectd/types.db\" \"%s\" "
                  "(a TypesDB line replaces collectd's default list). "
                  "Nothing is collected until then.",
        KML_PKG_TYPES_DB);
  return 0;
}

/* A read of a cluster that does not answer takes Timeout: longer than the
 * interval, every such read runs past it (collectd warns at each one).
 * Said once, when the block sets either. */
static void check_timeout(const cluster_t *c) {
  double interval =
      CDTIME_T_TO_DOUBLE(c->interval > 0 ? c->interval : plugin_get_interval());
  if ((c->timeout_given || c->interval > 0) && interval > 0 &&
      c->timeout > interval)
    WARNING(KAFKA_LOG "<Cluster \"%s\"> Timeout %g s is longer than its "
                      "Interval %g s: a read of a cluster that does not answer "
                      "runs past its interval every time; set Timeout below "
                      "Interval",
            c->name, c->timeout, interval);
}

/* Clients are created at init, after collectd forked: librdkafka threads do
 * not survive a fork. A cluster whose client cannot be made is logged and
 * left out; the others run. */
static int kafka_init(void) {
  size_t started = 0;
  if (n_clusters > 0 && !types_known()) {
    drop_clusters();
    return 0;
  }
  for (size_t i = 0; i < n_clusters; i++) {
    cluster_t *c = clusters[i];
    check_timeout(c);
    char err[512], timeouts[32];
    size_t n_props = 0;
    const char **props = client_props(c, timeouts, sizeof(timeouts), &n_props);
    kml_client_conf_t cc = {
        .name = c->name,
        .brokers = c->brokers,
        .props = props,
        .n_props = n_props,
        .log = client_log,
        .offsets_source = c->offsets_source,
    };
    if (props != NULL)
      c->client = kml_client_new(&cc, err, sizeof(err));
    else
      snprintf(err, sizeof(err), "out of memory");
    free(props);
    c->report = kml_report_new(
        &(kml_report_opts_t){.partition_detail = c->partition_detail,
                             .partition_types = c->partition_types,
                             .group_types = c->group_types,
                             .lag_sla_seconds = c->lag_sla,
                             .ordering_skew_seconds = c->ordering_skew,
                             .rebalance_window = c->storm_window,
                             .rebalance_floor = c->storm_min,
                             .status_window = c->status_window});
    if (c->client != NULL && c->schema_topics.has_include)
      c->sampler = kml_sample_new(
          c->client, &(kml_sample_opts_t){.topics = &c->schema_topics,
                                          .records = c->schema_records,
                                          .bytes = c->schema_bytes,
                                          .learn = c->schema_learn});
    if (c->client != NULL)
      c->arrival = kml_arrival_new(c->client);
    if (c->client == NULL || c->report == NULL || c->arrival == NULL ||
        (c->schema_topics.has_include && c->sampler == NULL)) {
      ERROR(KAFKA_LOG "cluster %s disabled: %s", c->name,
            c->client ? "out of memory" : err);
      cluster_free(c);
      clusters[i] = NULL;
      continue;
    }
    char cb_name[DATA_MAX_NAME_LEN + 8];
    ssnprintf(cb_name, sizeof(cb_name), "kafka/%s", c->name);
    /* collectd 5.12 calls free_func on the user data of a registration
     * it refuses (plugin_register_complex_read: calloc failure, or a read
     * callback of the same name already registered): c is freed on
     * failure, so it is neither freed again nor read here (its name is in
     * cb_name). */
    int rc = plugin_register_complex_read(
        "kafka", cb_name, kafka_read, c->interval,
        &(user_data_t){.data = c, .free_func = cluster_free});
    if (rc != 0)
      ERROR(KAFKA_LOG "cluster %s: registering the read callback failed",
            cb_name + strlen("kafka/"));
    else
      started++;
    clusters[i] = NULL; /* owned by collectd's read list now */
  }
  free(clusters);
  clusters = NULL;
  n_clusters = 0;
  if (started == 0)
    WARNING(KAFKA_LOG "no usable <Cluster> block: nothing to collect");
  return 0;
}

void module_register(void) {
  plugin_register_complex_config("kafka", kafka_config);
  plugin_register_init("kafka", kafka_init);
}
