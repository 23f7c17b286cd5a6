/* bench_arrival: what dating messages older than the lag history costs a
 * collection and what it changes, on a real cluster, outside collectd.
 * One collection's snapshot goes through two reports: one without arrival
 * lookups (a plugin that dates such messages at its start) and one with
 * them (the plugin's way: arrival.h, within the same half of the timeout);
 * then a second collection through the second report, when nothing is
 * left to look up. Prints per report its wall time, the lookups it asked,
 * and the largest kafka_lag_seconds; then the ratios against
 * the collection itself, and (ratio_steady) the report with lookups
 * against the one without, run alternately on the second snapshot, when
 * nothing is left to look up.
 *
 *   bench_arrival BOOTSTRAP [TIMEOUT_S]                   (10) */
#include "kafka/arrival.h"
#include "kafka/collect.h"
#include "kafka/report.h"
#include "kml_clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  double lag_s_max; /* the largest kafka_lag_seconds */
  kml_arrival_t *arrival;
  double deadline_ms;
  int asked, found;
} sink_t;

static void on_value(const kml_value_t *v, void *ud) {
  sink_t *k = ud;
  if (strcmp(v->type, "kafka_lag_seconds") == 0 && !(v->value <= k->lag_s_max))
    k->lag_s_max = v->value; /* per partition and the groups' max */
}

static void on_event(const kml_event_t *e, void *ud) {
  (void)e;
  (void)ud;
}

static void on_arrivals(kml_arrival_req_t *reqs, int n, void *ud) {
  sink_t *k = ud;
  char err[512];
  if (kml_arrival_fetch(k->arrival, reqs, n, k->deadline_ms, err, sizeof(err)) <
      0)
    fprintf(stderr, "bench_arrival: %s\n", err);
  k->asked += n;
  for (int i = 0; i < n; i++)
    k->found += reqs[i].result == KML_ARRIVAL_FOUND;
}

/* Report s through r; returns the seconds it took. */
static double report(kml_report_t *r, const kml_snapshot_t *s, sink_t *k,
                     int lookups, double timeout_s) {
  k->lag_s_max = NAN;
  k->asked = k->found = 0;
  double t0 = kml_clock_mono();
  k->deadline_ms = t0 * 1000 + timeout_s * 500;
  kml_report_run(r, s,
                 &(kml_report_sink_t){.value = on_value,
                                      .event = on_event,
                                      .arrivals = lookups ? on_arrivals : NULL,
                                      .ud = k});
  return kml_clock_mono() - t0;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int all_measured(const kml_snapshot_t *s) {
  for (int i = 0; i < s->n_groups; i++)
    if ((s->groups[i].measured & KML_GROUP_ALL) != KML_GROUP_ALL)
      return 0;
  return s->n_groups > 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_arrival BOOTSTRAP [TIMEOUT_S]\n");
    return 2;
  }
  double timeout = argc > 2 ? atof(argv[2]) : 10;
  char err[512];
  kml_client_conf_t cc = {.name = "bench", .brokers = argv[1]};
  kml_client_t *c = kml_client_new(&cc, err, sizeof(err));
  if (c == NULL) {
    fprintf(stderr, "bench_arrival: %s\n", err);
    return 1;
  }
  kml_collect_opts_t o = {.groups_enabled = 1,
                          .configs_enabled = 1,
                          .timeout_ms = (int)(timeout * 1000)};
  kml_report_opts_t ro = {.partition_detail = 1, .status_window = 5};
  kml_report_t *without = kml_report_new(&ro), *with = kml_report_new(&ro);
  sink_t k = {.arrival = kml_arrival_new(c)};
  if (without == NULL || with == NULL || k.arrival == NULL) {
    fprintf(stderr, "bench_arrival: out of memory\n");
    return 1;
  }
  /* The committed offsets come from __consumer_offsets: the first
   * collections may not have read it to its end. */
  kml_snapshot_t *s = kml_collect(c, &o);
  for (int tries = 0; s != NULL && s->ok && !all_measured(s) && tries < 100;
       tries++) {
    kml_snapshot_free(s);
    s = kml_collect(c, &o);
  }
  if (s == NULL || !s->ok) {
    fprintf(stderr, "bench_arrival: %s\n", s ? s->error : "out of memory");
    return 1;
  }
  double collect_s = s->duration;
  double plain_s = report(without, s, &k, 0, timeout);
  double plain_lag = k.lag_s_max;
  double looked_s = report(with, s, &k, 1, timeout);
  printf("collection: %.3f s\n", collect_s);
  printf("first report without lookups: %.3f s, lag_seconds max %.1f s\n",
         plain_s, plain_lag);
  printf("first report with lookups: %.3f s, %d asked, %d found, "
         "lag_seconds max %.1f s\n",
         looked_s, k.asked, k.found, k.lag_s_max);
  kml_snapshot_free(s);
  s = kml_collect(c, &o);
  double next_collect_s = s ? s->duration : NAN;
  double next_s = s ? report(with, s, &k, 1, timeout) : NAN;
  printf("second collection: %.3f s; its report with lookups: %.3f s, %d "
         "asked, lag_seconds max %.1f s\n",
         next_collect_s, next_s, k.asked, k.lag_s_max);
  printf("extra_seconds_first %.3f\nratio_first %.2f\n", looked_s - plain_s,
         (collect_s + looked_s) / (collect_s + plain_s));
  /* Steady state: the second snapshot again and again, alternately through
   * the report with lookups (nothing left to ask: what is left is the
   * pass deciding so) and the one without; the median of each report's
   * own times (a shared machine preempts some of them). */
  if (s != NULL && s->ok) {
    enum { REPS = 301 };
    static double with_s[REPS], without_s[REPS];
    for (int i = 0; i < REPS; i++) {
      with_s[i] = report(with, s, &k, 1, timeout);
      without_s[i] = report(without, s, &k, 0, timeout);
    }
    qsort(with_s, REPS, sizeof(double), by_value);
    qsort(without_s, REPS, sizeof(double), by_value);
    int offsets = 0;
    for (int i = 0; i < s->n_groups; i++)
      offsets += s->groups[i].n_offsets;
    printf("steady report (%d groups, %d group partitions, median of %d): "
           "with lookups %.1f us (%d group partitions looked at), without "
           "%.1f us\nratio_steady %.3f\n",
           s->n_groups, offsets, REPS, with_s[REPS / 2] * 1e6,
           kml_report_arrival_looked(with), without_s[REPS / 2] * 1e6,
           with_s[REPS / 2] / without_s[REPS / 2]);
  }
  kml_snapshot_free(s);
  kml_report_destroy(without);
  kml_report_destroy(with);
  kml_arrival_destroy(k.arrival);
  kml_client_destroy(c);
  return 0;
}
