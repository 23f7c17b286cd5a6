/* collect: run the collection steps in order within one deadline. Each step
 * gets what is left of the budget, so a slow or dead broker costs at most
 * the configured timeout and never blocks collectd's read thread longer. */
#include "collect.h"

#include <stdio.h>
#include <sys/time.h>
#include <time.h>

double kml_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int left_ms(double t0, int budget) {
  int left = budget - (int)(kml_now_ms() - t0);
  return left > 1 ? left : 1;
}

kml_snapshot_t *kml_collect(kml_client_t *c, const kml_collect_opts_t *o) {
  kml_snapshot_t *s = kml_snapshot_new();
  if (s == NULL)
    return NULL;
  rd_kafka_t *rk = kml_client_rk(c);
  /* Serve librdkafka's callbacks (statistics with round-trip times, error
   * events): they wait on the main queue until the application polls. */
  rd_kafka_poll(rk, 0);
  double t0 = kml_now_ms();
  s->started = wall_now();

  int n = kml_collect_metadata(rk, s, o->topics, o->timeout_ms);
  if (n < 0)
    goto done; /* s->error says why; ok stays 0 */
  s->ok = 1;
  s->requests += n;
  kml_snapshot_sort(s);
  for (int i = 0; i < s->n_brokers; i++)
    s->brokers[i].rtt_avg_ms = kml_client_broker_rtt(c, s->brokers[i].id);

  if (o->configs_enabled)
    s->requests += kml_collect_configs(rk, s, left_ms(t0, o->timeout_ms));
  /* Committed offsets before high-water marks: lag is never negative. */
  if (o->groups_enabled) {
    int g = kml_collect_groups(rk, s, o->groups, left_ms(t0, o->timeout_ms));
    s->requests += g > 0 ? g : 0;
  }
  s->requests += kml_collect_watermarks(rk, s, left_ms(t0, o->timeout_ms));
  kml_snapshot_sort(s);

done:
  s->duration = (kml_now_ms() - t0) / 1e3;
  return s;
}
