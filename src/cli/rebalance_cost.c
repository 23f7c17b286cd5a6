/* rebalance_cost: the lag a rebalance adds and the time to drain it (the
 * model is in rebalance_cost.h). */
#include "rebalance_cost.h"

#include <math.h>

int kml_rebalance_cost(double rate, double capacity, double pause,
                       double per_hour, kml_rebalance_cost_t *out) {
  if (!(rate >= 0) || !(capacity > 0) || !(pause > 0) || !(per_hour >= 0) ||
      !isfinite(rate) || !isfinite(capacity) || !isfinite(pause) ||
      !isfinite(per_hour))
    return -1;
  kml_rebalance_cost_t c = {.messages = rate * pause, .lag_seconds = pause};
  double spare = capacity - rate;
  if (rate == 0)
    c.drain_seconds = 0;
  else if (spare > 0)
    c.drain_seconds = c.messages / spare;
  else
    c.drain_seconds = INFINITY;
  c.recovered = pause + c.drain_seconds;
  c.keeps_up = isfinite(c.recovered);
  c.paused_share = 0;
  c.capacity_left = capacity;
  if (per_hour > 0) {
    double between = 3600 / per_hour;
    c.paused_share = pause >= between ? 1 : pause / between;
    c.capacity_left = capacity * (1 - c.paused_share);
    c.keeps_up = c.recovered <= between || rate == 0;
    if (c.capacity_left < rate)
      c.growth = rate - c.capacity_left;
  }
  *out = c;
  return 0;
}
