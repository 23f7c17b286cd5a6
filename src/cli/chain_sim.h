/* chain_sim: a Kafka cluster's series around one incident whose cause is
 * known, for measuring how well `explain` (src/ml/cause.h) names it.
 *
 * The cluster: brokers with their hosts, two topics whose partitions have
 * a leader and replicas, three consumer groups (two on the first topic,
 * one on the second), and the series the kafka plugin dispatches for them
 * (per broker round-trip time, messages in, replicated messages in,
 * leaders, replicas; per partition messages in and leader; per group and
 * partition lag; per group lag total and max, lag in seconds, consumption)
 * plus the resource series collectd's cpu, memory, disk, interface and
 * load plugins give for each broker's host.
 *
 * Incidents:
 *  - slow broker: one broker slows down (round-trip time up 4-20x, its
 *    host's disk busy 3-8x, 0-2 intervals before); consumers of the
 *    partitions it leads fetch 40-90% less, 0-2 intervals later, so those
 *    partitions back up; producers to it slow by 10%;
 *  - consumer stall: one group stops consuming every partition (no broker
 *    is the cause).
 * Normal operation around them misleads a naive matcher: production
 * trends up over the half hour, and a batch load ramps the second topic up
 * by 50-150% over 3-10 minutes starting up to 5 minutes before the
 * incident (its partitions' and topic's rates, the brokers' messages in,
 * their hosts' network and disk usage all ramp while the lag does), memory
 * and disk usage grow on every host, a host's cpu wanders, round-trip
 * times spike now and then, and half the incidents have an unrelated step
 * in another broker's replicated messages within the last ten minutes.
 * Deterministic for a seed. Not thread-safe (one run at a time per
 * caller-owned state). */
#ifndef KML_CLI_CHAIN_SIM_H
#define KML_CLI_CHAIN_SIM_H

#include <stdint.h>

typedef enum {
  KML_CHAINSIM_SLOW_BROKER = 0,
  KML_CHAINSIM_STALL = 1
} kml_chainsim_kind_t;

typedef struct {
  kml_chainsim_kind_t kind;
  int brokers;    /* 3..16 (5) */
  int partitions; /* per topic, 2..64 (8) */
  double step;    /* seconds between values (10) */
  int slots;      /* values per series (180) */
  double t0;      /* time of the first value */
} kml_chainsim_cfg_t;

typedef struct {
  kml_chainsim_kind_t kind;
  int cause_broker;    /* broker id, -1 for a stall */
  char cause_host[32]; /* its host, "" */
  char group[32];      /* the group that backs up: "group-<id>" */
  char topic[32];      /* its topic */
  int backed[64];      /* partitions of topic that back up */
  int n_backed;
  double onset; /* first interval of the incident */
  double at;    /* when the group's lag is first beyond its normal
                   range, plus 1-4 intervals: the notification */
} kml_chainsim_truth_t;

/* One value list: identifier, data source names and values, time. */
typedef void (*kml_chainsim_emit_fn)(void *ud, const char *const id[5], int n,
                                     const char *const *ds, const double *v,
                                     double t);

/* Defaults: slow broker, 5 brokers, 8 partitions, 10 s, 180 values,
 * t0 2026-01-01 00:00 UTC. */
kml_chainsim_cfg_t kml_chainsim_defaults(void);
/* Generate every series of one incident, value list by value list in time
 * order, through emit. 0, or -1 for a configuration out of range or out of
 * memory. */
int kml_chainsim_run(const kml_chainsim_cfg_t *c, uint64_t seed,
                     kml_chainsim_emit_fn emit, void *ud,
                     kml_chainsim_truth_t *truth);

/* Grading an explanation against the truth (test_cause.c, bench_cause.c).
 * Pure. */
/* 1 when the series key (kml_str_series_key) is of the cause broker (it
 * holds "/kafka-broker-<cause_broker>/"); 0 for a stall. */
int kml_chainsim_names_broker(const kml_chainsim_truth_t *t, const char *key);
/* 1 when the series key is of the cause broker's host. */
int kml_chainsim_names_host(const kml_chainsim_truth_t *t, const char *key);
/* 1 when the type instance ti ("<topic>-<partition>") is a partition that
 * backs up. */
int kml_chainsim_backed(const kml_chainsim_truth_t *t, const char *ti);

#endif
