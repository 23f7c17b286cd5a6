/* collect: one bounded collection of a cluster into a snapshot.
 *
 * Requests per collection grow with brokers and groups, never with
 * partitions: one Metadata request, one ListOffsets per leader for the
 * latest and one for the earliest offsets, DescribeConfigs for the selected
 * topics in one batch, ListGroups, DescribeGroups in batches and the
 * committed offsets of all groups pipelined on one queue. Committed offsets
 * are fetched before the high-water marks so that lag is never negative.
 * Each step records what it really measured (snapshot.h). */
#ifndef KML_KAFKA_COLLECT_H
#define KML_KAFKA_COLLECT_H

#include "client.h"
#include "filter.h"
#include "snapshot.h"

typedef struct {
  const kml_filter_t *topics; /* NULL selects all */
  const kml_filter_t *groups; /* NULL selects all */
  int groups_enabled;         /* consumer groups and committed offsets */
  int configs_enabled;        /* retention settings (DescribeConfigs) */
  int timeout_ms;             /* the whole collection's budget */
} kml_collect_opts_t;

/* Collect into a new snapshot (never NULL unless out of memory). When the
 * cluster does not answer, the snapshot has ok = 0 and error set. Returns
 * within about timeout_ms. The caller frees with kml_snapshot_free.
 * Not thread-safe for one client; different clients may run in parallel. */
kml_snapshot_t *kml_collect(kml_client_t *c, const kml_collect_opts_t *o);

/* Steps, exposed for tests and benchmarks; each returns the number of
 * requests it sent (or -1 when the step failed as a whole, reason in s) and
 * sets its kml_step_t bit in s->complete when it measured everything.
 * deadline_ms is a kml_clock_mono_ms() value. */
int kml_collect_metadata(rd_kafka_t *rk, kml_snapshot_t *s,
                         const kml_filter_t *topics, int timeout_ms);
/* ListOffsets per leader (latest and earliest, in chunks of 256
 * partitions: watermarks.c says why), in parallel: a slow leader
 * costs its own partitions only. Touches only partitions' low/high/err,
 * brokers' watermarks and the counters. */
int kml_collect_watermarks(rd_kafka_t *rk, kml_snapshot_t *s,
                           double deadline_ms);
int kml_collect_groups(kml_client_t *c, kml_snapshot_t *s,
                       const kml_filter_t *groups, int timeout_ms);
/* Settings read by earlier collections (configs.c), kept by the client:
 * asked again every KML_CONFIGS_REFRESH_S seconds, and for topics new to
 * it. One owner, not thread-safe. */
#define KML_CONFIGS_REFRESH_S 300.0
typedef struct kml_configs kml_configs_t;
kml_configs_t *kml_configs_new(void); /* NULL when out of memory */
void kml_configs_destroy(kml_configs_t *k);
/* Fills topics' retention/min_isr fields and offsets_retention_s from k,
 * asking the cluster first when k is due for a refresh or lacks a selected
 * topic. Touches nothing else in s, so it may run beside the other steps;
 * adds what it could not learn to *errors (0 after the call: every setting
 * is known; KML_STEP_CONFIGS is the caller's to set). Returns the requests
 * sent (0 most of the time). */
int kml_collect_configs(rd_kafka_t *rk, kml_configs_t *k, kml_snapshot_t *s,
                        double deadline_ms, int *errors);

/* Admin options for op whose request timeout ends shortly before
 * deadline_ms (a tenth of what is left, at least 50 ms, earlier). NULL, with
 * the reason in err, when no time is left or librdkafka refuses the timeout:
 * send nothing then, or librdkafka would wait its own default (60 s) instead.
 * The caller destroys the options. */
rd_kafka_AdminOptions_t *kml_collect_admin_options(rd_kafka_t *rk,
                                                   rd_kafka_admin_op_t op,
                                                   double deadline_ms,
                                                   char *err, size_t errlen);

#endif
