/* rebalance: rebalance storms of a consumer group.
 *
 * Every rebalance stops a whole group: a group that rebalances again and
 * again (consumers crashing in a loop, an autoscaler flapping, sessions
 * timing out under load) makes no progress while each of its consumers
 * looks alive. A storm is a rate of rebalances, in time units, that is
 * unlikely for this group: the rebalances within the last `window`
 * seconds are compared with the group's own rate before the window
 * (exponentially forgotten over `memory` seconds, starting from a prior of
 * one per hour weighted as one hour of history) by the Poisson tail
 * probability of seeing that many; and never fewer than `floor` in the
 * window, so one restarted consumer (a leave and a join) is not a storm.
 * The storm ends when the window holds at most floor/2 rebalances.
 *
 * Member churn (members that joined and left within the window) comes
 * from the member ids of successive descriptions: exact up to
 * KML_REBALANCE_MEMBERS members, above that estimated from the members
 * whose id hashes are the smallest (a uniform sample), scaled to the
 * group. The client ids of members that joined are kept (the first
 * KML_REBALANCE_CLIENTS distinct ones, with counts): in a storm they name
 * the consumers that keep coming back.
 *
 * The state is a fixed-size plain struct (no pointers), so it can live in
 * any per-group memory and be dropped with it. One owner per state, not
 * thread-safe; everything else is pure. */
#ifndef KML_KAFKA_REBALANCE_H
#define KML_KAFKA_REBALANCE_H

#include "report.h"
#include "snapshot.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
  double window; /* seconds the rate is measured over (3600) */
  int floor;     /* fewer rebalances in the window are never a storm (4) */
  double p;      /* a storm is less likely than this at the usual rate */
  double memory; /* seconds: time constant of the group's usual rate */
} kml_rebalance_opts_t;

/* Defaults: window 1 h, floor 4, p 1e-3, memory 1 day. */
#define KML_REBALANCE_OPTS_DEFAULT                                             \
  ((kml_rebalance_opts_t){                                                     \
      .window = 3600, .floor = 4, .p = 1e-3, .memory = 86400})

#define KML_REBALANCE_RING 32
#define KML_REBALANCE_MEMBERS 64
#define KML_REBALANCE_CLIENTS 6
#define KML_REBALANCE_CLIENT_LEN 48

typedef struct {
  double t;
  int rebalances, joined, left;
} kml_rebalance_obs_t;

typedef struct {
  char id[KML_REBALANCE_CLIENT_LEN];
  int n;
} kml_rebalance_client_t;

typedef struct {
  kml_rebalance_obs_t ring[KML_REBALANCE_RING]; /* in the window, oldest
                                                   first */
  int n;
  double hist;   /* rebalances before the window, decayed to hist_t */
  double hist_t; /* time hist was decayed to */
  double since;  /* first observation; 0 before */
  uint64_t members[KML_REBALANCE_MEMBERS]; /* smallest member id hashes */
  int n_members;                           /* entries in members[] */
  int members_total;                       /* members of that description */
  int have_members;                        /* members[] holds a description */
  kml_rebalance_client_t joined[KML_REBALANCE_CLIENTS];
  int n_joined;     /* distinct client ids in joined[] */
  int joined_other; /* joins of client ids beyond those */
  int storm;        /* 1 while a storm is reported */
} kml_rebalance_t;

typedef struct {
  int rebalances;        /* in the window */
  int joined, left;      /* member churn in the window; -1 unknown */
  double per_hour;       /* rebalances per hour over the window */
  double usual_per_hour; /* the group's own rate before the window */
  double p;              /* chance of as many at the usual rate */
  int storm;             /* verdict */
  int changed;           /* the verdict differs from the previous one */
} kml_rebalance_verdict_t;

/* Record one description of the group at time now (seconds): rebalanced
 * is the number of rebalances seen since the previous one; members (sorted
 * or not, n of them; NULL when the description did not list them) give
 * the churn. Fills *out and updates the storm state. */
void kml_rebalance_observe(kml_rebalance_t *st, const kml_rebalance_opts_t *o,
                           double now, int rebalanced,
                           const kml_member_t *members, int n,
                           kml_rebalance_verdict_t *out);

/* P(N >= n) for N Poisson with mean mu (>= 0). Pure. */
double kml_rebalance_tail(int n, double mu);

/* Texts the event's meta data points to; the caller keeps them alive
 * while the event is used. */
typedef struct {
  char clients[256]; /* the members' client ids, "a x3, b" */
  char joined[256];  /* client ids of members that joined in the window */
} kml_rebalance_text_t;

/* Message and meta data of the storm event (WARNING) or of its end
 * (OKAY) of group into ev, naming the members' client ids (members as
 * for kml_rebalance_observe, may be NULL). Type, plugin_instance and time
 * are the caller's. Pure apart from txt. */
void kml_rebalance_event(const kml_rebalance_verdict_t *v,
                         const kml_rebalance_t *st,
                         const kml_rebalance_opts_t *o, const char *group,
                         const kml_member_t *members, int n,
                         kml_rebalance_text_t *txt, kml_event_t *ev);

#endif
