/* cause: why did it back up? The chain behind a consumer group's lag
 * anomaly or a partition's peer outlier, in the words an operator checks
 * by hand:
 *   1. which of the group's partitions backed up (lag grown beyond its own
 *      noise over the window), or that all of them did (then the consumer,
 *      not a broker, is the suspect);
 *   2. their leaders (the topic's kafka_leader series of each partition);
 *   3. whether those brokers are outliers among the cluster's brokers, on
 *      each broker value the kafka plugin dispatches (robust z, peers.h)
 *      and on all of them at once (multipeers.h);
 *   4. the series that best matches the backlog's growth, per scope:
 *      application metrics (the kafka plugin's) and resource metrics (cpu,
 *      memory, disk, interface, ...) are ranked separately, because a
 *      resource series moves with everything and would drown the
 *      application's own signals. Matching is xcorr.h (detrended, small
 *      shifts tolerated, the cause moving first).
 *
 * Memory: the recent values of the series in the scopes, on a time grid
 * (slots.h: 32 floats, ~200 bytes a series with its rate state), in a
 * sharded store of its own (series.h) bounded by max_series. The write path
 * only files values (a regex test, a hash lookup, a few stores); the chain
 * is computed on demand in two scans of that store (the read callback's
 * work, never a write thread's).
 *
 * Kafka names (kafka plugin identifiers): a group is plugin_instance
 * "group-<id>" with per-partition kafka_lag type instances "<topic>-<n>";
 * a partition's leader is type kafka_leader with the same type instance;
 * brokers are plugin_instance "broker-<id>".
 *
 * Thread-safety: _feed and _explain may run concurrently from any thread
 * (the store's shard locks); _new/_destroy need no concurrent user. */
#ifndef KML_ML_CAUSE_H
#define KML_ML_CAUSE_H

#include "../kml_rate.h"
#include "xcorr.h"

#include <stddef.h>

#define KML_CAUSE_NAME 128 /* collectd's DATA_MAX_NAME_LEN */
#define KML_CAUSE_KEY (6 * KML_CAUSE_NAME)
#define KML_CAUSE_SCOPES 4
#define KML_CAUSE_PARTS 6   /* partitions named (all are counted) */
#define KML_CAUSE_LEADERS 4 /* leaders named */
#define KML_CAUSE_WINDOW 32 /* slots compared (slots.h) */

typedef struct {
  char name[32];
  char plugin_re[256]; /* regex on the plugin name */
  char type_re[256];   /* regex on the type; "" any */
} kml_cause_scope_t;

typedef struct {
  kml_cause_scope_t scope[KML_CAUSE_SCOPES];
  int n_scopes;
  char effects_re[512];     /* types never named as a cause (lags, ...) */
  char accumulates_re[256]; /* types that are backlogs (differenced) */
  double step;              /* seconds per slot (10) */
  size_t max_series;        /* series kept (50,000) */
  double min_r;             /* weakest |r| named as a match (0.5) */
  /* A best match is named only when unrelated series would reach its
   * |r| by chance with probability below alpha, given how many series and
   * shifts were compared (xcorr.h: kml_xcorr_p, kml_xcorr_family_p):
   * with hundreds of candidates some |r| above 0.5 is expected. 1: off. */
  double alpha;
  /* 1: no match is named when the backlog is the consumer's (every
   * partition backed up, or the backed-up partitions' leaders all in line
   * with their peers): the brokers and their hosts are not the cause, and
   * a best match among them is a coincidence (the other topic's batch
   * load, a ramp). 0: matches are named anyway. */
  int consumer_quiet;
  kml_xcorr_cfg_t xcorr;
} kml_cause_cfg_t;

/* One series that fired: a group's lag (anomaly) or one partition's lag
 * or offset rate (peer outlier), at the time of the value that fired. */
typedef struct {
  char id[5][KML_CAUSE_NAME]; /* host, plugin, plugin instance, type, ti */
  char ds[KML_CAUSE_NAME];
  double time;
} kml_cause_trigger_t;

typedef struct {
  char key[KML_CAUSE_KEY]; /* series key; "" none named */
  double r;                /* signed */
  int lag;                 /* slots the match moved before the backlog */
  double p;       /* chance of as good a best match among unrelated series */
  int candidates; /* series compared in the scope */
} kml_cause_match_t;

typedef struct {
  int explained; /* 0: the trigger is not about a group or partition */
  char host[KML_CAUSE_NAME];
  char group[KML_CAUSE_NAME]; /* plugin instance "group-<id>", or "" */
  int parts_seen;             /* the group's partitions with a window */
  int parts_backed;           /* of those, backed up */
  int consumer_side;          /* 1: every partition backed up, or the leaders of
                                 those that did are in line with their peers */
  struct {
    char ti[KML_CAUSE_NAME]; /* "<topic>-<n>" */
    double growth;           /* lag added over the window */
    int leader;              /* broker id, -1 unknown */
  } part[KML_CAUSE_PARTS];   /* largest growth first */
  int n_part;                /* entries in part[] */
  int n_leaders;
  struct {
    int id;
    int parts;   /* backed-up partitions it leads */
    int brokers; /* brokers it was compared with (itself included) */
    int outlier; /* 1: an outlier among them */
    int recent;  /* 1: its latest value alone stands out among them */
    double z;    /* its largest robust |z| (signed) */
    char type[KML_CAUSE_NAME]; /* on which value */
    double multi;              /* multipeers.h distance, NAN unknown */
  } leader[KML_CAUSE_LEADERS]; /* most backed-up partitions first */
  char target[KML_CAUSE_KEY];  /* what the matches were measured against */
  int n_best;
  struct {
    char scope[32];
    kml_cause_match_t m;
  } best[KML_CAUSE_SCOPES];
} kml_cause_chain_t;

typedef struct kml_cause kml_cause_t;

/* Defaults: scopes "application" (plugin ^kafka$) and "resource" (cpu,
 * memory, disk, interface, load, swap, vmem, df, processes, tcpconns,
 * ports); effects: the group-side kafka types; accumulates: kafka_lag and
 * kafka_lag_seconds; step 10 s; 50,000 series; min_r 0.5; alpha 0.1;
 * consumer_quiet 1; xcorr defaults. Pure. */
kml_cause_cfg_t kml_cause_defaults(void);
/* New, empty context with a copy of *c; NULL with a reason in err (a bad
 * regex names the option) or when out of memory. */
kml_cause_t *kml_cause_new(const kml_cause_cfg_t *c, char *err, size_t errlen);
void kml_cause_destroy(kml_cause_t *c);

/* Index of the scope of a series (plugin, type), -1 none. Thread-safe. */
int kml_cause_scope_of(const kml_cause_t *c, const char *plugin,
                       const char *type);
/* File one sample (raw value of kind k at time t) of data source ds of the
 * series id[0..4]. Series outside every scope are ignored (return 0).
 * Returns 0, or -1 out of memory. Thread-safe; cheap. */
int kml_cause_feed(kml_cause_t *c, const char *const id[5], const char *ds,
                   kml_ds_kind_t k, double t, double raw);
/* Forget series not fed since cutoff. Returns how many. Thread-safe. */
size_t kml_cause_expire(kml_cause_t *c, double cutoff);
/* Series held. */
size_t kml_cause_size(kml_cause_t *c);

/* 1 when a trigger with this identifier can be explained (a kafka group's
 * series, or a partition's series of a group or topic). Pure. */
int kml_cause_wants(const char *const id[5]);
/* The chains of n triggers, out[n], in two scans of the store. Returns
 * how many were explained. Thread-safe. */
size_t kml_cause_explain(kml_cause_t *c, const kml_cause_trigger_t *t, size_t n,
                         kml_cause_chain_t *out);

/* The chain in at most len-1 bytes for a notification's message, most
 * telling parts first ("backed up: t-3,t-7 of 12 (leader 2, outlier on
 * kafka_rtt z 8.1); like broker-2/kafka_rtt r=0.91 lag 1; resource:
 * ..."); "" when nothing was explained. Pure. */
void kml_cause_format(const kml_cause_chain_t *ch, char *buf, size_t len);

/* The chain as notification meta data: name, and either a number or a
 * string. */
typedef struct {
  char key[48];
  int is_number;
  double number;
  char text[KML_CAUSE_KEY];
} kml_cause_meta_t;
/* 14 fixed keys and 4 per scope (name, r, lag, p) */
#define KML_CAUSE_META (14 + 4 * KML_CAUSE_SCOPES)
/* Fill out[KML_CAUSE_META]; returns how many. Pure. */
int kml_cause_meta(const kml_cause_chain_t *ch, kml_cause_meta_t *out);

#endif
