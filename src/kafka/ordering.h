/* ordering: cross-topic ordering risk of a consumer group.
 *
 * A group that consumes `purchases` and `cancellations` can handle a
 * cancellation before its purchase when one topic falls behind the other.
 * The risk is the spread of lag in seconds between the topics a group
 * consumes: each topic's lag is its oldest unconsumed message's age (the
 * largest lag in seconds of its partitions), the spread is the most
 * behind topic's lag minus the least behind one's. Events on the least
 * behind topic are handled about `spread` seconds before events of the
 * same moment on the other.
 *
 * Unknown is not zero: a spread exists only when every partition of every
 * topic the group has commits on was measured this collection; one
 * unknown partition makes the spread unknown (not dispatched, no state
 * moves). A group with commits on a single topic has no spread.
 *
 * An accumulator holds one group's topics at a time (one owner, not
 * thread-safe); topic names are borrowed and must outlive its use until
 * it is reset. The verdict and the message are pure. */
#ifndef KML_KAFKA_ORDERING_H
#define KML_KAFKA_ORDERING_H

#include "report.h"

typedef struct {
  const char *topic; /* borrowed */
  double lag_s;      /* largest lag in seconds of its partitions */
  int unknown;       /* some partition's lag in seconds was not measured */
} kml_ordering_topic_t;

typedef struct {
  kml_ordering_topic_t *v;
  int n, cap;
  int failed; /* out of memory: the spread is unknown */
} kml_ordering_acc_t;

typedef struct {
  double spread;              /* seconds, >= 0 */
  const char *behind, *ahead; /* most and least behind topics (borrowed) */
  double behind_s, ahead_s;   /* their lags in seconds */
  int topics;                 /* topics the group has commits on */
} kml_ordering_result_t;

/* An alert raised at OrderingSkewSeconds clears once the spread is back
 * under this share of it, so a spread hovering at the threshold does not
 * page and clear at every collection. */
#define KML_ORDERING_CLEAR 0.8

/* Add one partition of topic with its lag in seconds (NAN: not measured).
 * A zeroed accumulator is empty. */
void kml_ordering_add(kml_ordering_acc_t *a, const char *topic, double lag_s);
/* Empty the accumulator for the next group, keeping its buffer: a report
 * that reuses one accumulator allocates only when a group reads more
 * topics than any before. */
void kml_ordering_reset(kml_ordering_acc_t *a);
/* Free what the accumulator holds; it is empty again. */
void kml_ordering_clear(kml_ordering_acc_t *a);
/* The spread, when measured: 1 and *out filled when at least two topics
 * were added and every partition of each was measured; else 0. Pure. */
int kml_ordering_spread(const kml_ordering_acc_t *a,
                        kml_ordering_result_t *out);
/* The severity for spread r against threshold (seconds, > 0) given the
 * severity the group's ordering alert has now: WARNING above the
 * threshold, OKAY under KML_ORDERING_CLEAR of it, unchanged in between.
 * Pure. */
kml_severity_t kml_ordering_verdict(const kml_ordering_result_t *r,
                                    double threshold, kml_severity_t now);
/* Message and meta data of the ordering event of group for verdict sev
 * into ev (type, plugin_instance and time are the caller's). The meta
 * texts point into r and group. Pure. */
void kml_ordering_event(const kml_ordering_result_t *r, const char *group,
                        double threshold, kml_severity_t sev, kml_event_t *ev);

#endif
