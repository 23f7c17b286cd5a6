/* rebalance_cost: what a rebalance costs a consumer group in lag.
 *
 * During a rebalance every consumer of the group stops; production goes
 * on. A pause of `pause` seconds at production rate r adds r * pause
 * messages, and the oldest of them is `pause` seconds old when consumption
 * resumes. The consumers then drain the backlog with their spare capacity
 * c - r: in r * pause / (c - r) seconds, the lag in seconds falling
 * linearly from `pause` to 0 meanwhile (messages are consumed in order
 * at c while they arrived at r). At R rebalances an hour the group keeps
 * up only if it recovers from each before the next (pause + drain <=
 * 3600 / R), which is the same as its capacity over time,
 * c * (1 - R * pause / 3600), being at least r; otherwise the backlog
 * grows by the difference, without end: a storm.
 *
 * Pure arithmetic, thread-safe. */
#ifndef KML_CLI_REBALANCE_COST_H
#define KML_CLI_REBALANCE_COST_H

typedef struct {
  double messages;      /* backlog one rebalance adds */
  double lag_seconds;   /* lag in seconds it peaks at (the pause) */
  double drain_seconds; /* time to drain it; INFINITY without spare */
  double recovered;     /* pause + drain: back to normal after */
  /* at per_hour rebalances an hour (when > 0): */
  double paused_share;  /* share of the time consumption is paused */
  double capacity_left; /* msg/s consumed on average, pauses included */
  double growth;        /* msg/s the backlog grows by on average (> 0: no
                           end), else 0 */
  int keeps_up;         /* recovers from each before the next (growth 0) */
} kml_rebalance_cost_t;

/* Cost of rebalances pausing consumption for pause seconds (> 0) of a
 * group consuming at most capacity msg/s (> 0) a topic produced at rate
 * msg/s (>= 0), per_hour rebalances an hour (0: one alone). 0, or -1
 * when an argument is out of range. */
int kml_rebalance_cost(double rate, double capacity, double pause,
                       double per_hour, kml_rebalance_cost_t *out);

#endif
