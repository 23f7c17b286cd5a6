/* bench_collect: one kafka plugin collection (metadata, configs, groups and
 * committed offsets, watermarks) of a real cluster, outside collectd, as
 * the read callback does it, then the report built from it (every value
 * and event handed to a sink that only counts them: the plugin's own share
 * of the callback, collectd's dispatch aside). Prints per collection the
 * wall time of both and the Kafka requests, and the process's peak
 * resident memory.
 *
 * With "arrivals" the sink also dates messages older than the lag history
 * as the plugin does (arrival.h, within what is left of TIMEOUT_S): the
 * report's arrivals pass runs at every collection, as in collectd. The
 * report's time is then its own, the reads of Kafka apart (printed on
 * their own, with the lookups asked).
 *
 *   bench_collect BOOTSTRAP [COLLECTIONS] [TIMEOUT_S] [arrivals] (5 30) */
#include "kafka/arrival.h"
#include "kafka/collect.h"
#include "kafka/report.h"
#include "kml_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long status_kib(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, key, strlen(key)) == 0)
      v = atol(line + strlen(key));
  if (f)
    fclose(f);
  return v;
}

typedef struct {
  long values, events;
  kml_arrival_t *arrival; /* NULL: no arrival lookups */
  double deadline_ms;
  int asked, found, rounds;
  double read_s; /* in kml_arrival_fetch */
} sink_t;

static void count_value(const kml_value_t *v, void *ud) {
  (void)v;
  ((sink_t *)ud)->values++;
}

static void count_event(const kml_event_t *e, void *ud) {
  (void)e;
  ((sink_t *)ud)->events++;
}

static void read_arrivals(kml_arrival_req_t *reqs, int n, void *ud) {
  sink_t *k = ud;
  char err[512];
  double t0 = kml_clock_mono();
  int rounds =
      kml_arrival_fetch(k->arrival, reqs, n, k->deadline_ms, err, sizeof(err));
  if (rounds < 0)
    fprintf(stderr, "bench_collect: %s\n", err);
  else
    k->rounds += rounds;
  k->read_s += kml_clock_mono() - t0;
  k->asked += n;
  for (int i = 0; i < n; i++)
    k->found += reqs[i].result == KML_ARRIVAL_FOUND;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_collect BOOTSTRAP [COLLECTIONS] "
                    "[TIMEOUT_S] [arrivals]\n");
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 5;
  int timeout = argc > 3 ? atoi(argv[3]) : 30;
  int arrivals = argc > 4 && strcmp(argv[4], "arrivals") == 0;
  char err[512];
  kml_client_conf_t cc = {.name = "bench", .brokers = argv[1]};
  kml_client_t *c = kml_client_new(&cc, err, sizeof(err));
  if (c == NULL) {
    fprintf(stderr, "bench_collect: %s\n", err);
    return 1;
  }
  kml_collect_opts_t o = {
      .groups_enabled = 1, .configs_enabled = 1, .timeout_ms = timeout * 1000};
  kml_report_t *r = kml_report_new(
      &(kml_report_opts_t){.partition_detail = 1, .status_window = 5});
  kml_arrival_t *arrival = arrivals ? kml_arrival_new(c) : NULL;
  if (r == NULL || (arrivals && arrival == NULL)) {
    fprintf(stderr, "bench_collect: out of memory\n");
    return 1;
  }
  double best = 1e9, sum = 0, report_best = 1e9, report_sum = 0;
  double read_sum = 0;
  long asked = 0;
  for (int i = 0; i < n; i++) {
    double start = kml_clock_mono();
    kml_snapshot_t *s = kml_collect(c, &o);
    sink_t k = {.arrival = arrival, .deadline_ms = (start + timeout) * 1000};
    double t0 = kml_clock_mono();
    kml_report_run(
        r, s,
        &(kml_report_sink_t){.value = count_value,
                             .event = count_event,
                             .arrivals = arrivals ? read_arrivals : NULL,
                             .ud = &k});
    double report_s = kml_clock_mono() - t0 - k.read_s;
    read_sum += k.read_s;
    asked += k.asked;
    if (report_s < report_best)
      report_best = report_s;
    report_sum += report_s;
    int parts = 0, offs = 0;
    for (int t = 0; t < s->n_topics; t++)
      parts += s->topics[t].n_parts;
    for (int g = 0; g < s->n_groups; g++)
      offs += s->groups[g].n_offsets;
    printf("collection %d: %.3f s, %d requests, %d brokers, %d topics, %d "
           "partitions, %d groups, %d committed offsets, %d errors%s%s; "
           "report %.3f s, %ld values, %ld events; steps: metadata %.3f s, "
           "groups %.3f s, watermarks %.3f s\n",
           i + 1, s->duration, s->requests, s->n_brokers, s->n_topics, parts,
           s->n_groups, offs, s->errors, s->error[0] ? ": " : "", s->error,
           report_s, k.values, k.events, s->metadata_s, s->groups_s,
           s->watermarks_s);
    if (arrivals)
      printf("  arrivals: %d group partitions older than their history, %d "
             "asked, %d found, %d reading rounds, %.3f s reading\n",
             kml_report_arrival_looked(r), k.asked, k.found, k.rounds,
             k.read_s);
    if (s->duration < best)
      best = s->duration;
    sum += s->duration;
    kml_snapshot_free(s);
  }
  printf("best_seconds %.3f\nmean_seconds %.3f\nreport_best_seconds "
         "%.6f\nreport_mean_seconds %.6f\npeak_rss_mib %.1f\n",
         best, sum / n, report_best, report_sum / n,
         status_kib("VmHWM:") / 1024.0);
  if (arrivals)
    printf("arrivals_asked %ld\narrivals_read_seconds %.3f\n", asked, read_sum);
  kml_report_destroy(r);
  kml_arrival_destroy(arrival);
  kml_client_destroy(c);
  return 0;
}
