/* bench_ops: drives the operators' detectors of the kafka and ports
 * plugins (src/kafka/ordering.c, src/kafka/rebalance.c, src/net/ports.c)
 * over recorded series, for bench/ops.py, and times them.
 *
 *   bench_ops ordering THRESHOLD      stdin "t lag_a lag_b" (seconds; nan
 *                                     unknown) -> "t SEVERITY spread"
 *   bench_ops storm WINDOW FLOOR      stdin "t rebalances" -> "t SEVERITY
 *                                     count per_hour usual_per_hour"
 *   bench_ops ports SOCKETS ROUNDS    time a scan of a table of SOCKETS
 *                                     sockets: "ns_per_socket N bytes B"
 *   bench_ops schema ROUNDS           time the classifier on a JSON record
 *                                     (collectd's write_kafka format) and a
 *                                     wire-format one: ns per record
 *   bench_ops partlist TOPICS ROUNDS  time the names list of a notification
 *                                     (src/kafka/partlist.c) filled with 4
 *                                     partitions of each of TOPICS topics,
 *                                     topic by topic (as the report walks a
 *                                     snapshot) and partition by partition:
 *                                     ns per partition added
 *
 * Events are printed when the state changes, as the plugins send them.
 * The last line is "cpu_ns_per_step X" (CPU time per input line). */
#define _GNU_SOURCE
#include "kafka/ordering.h"
#include "kafka/partlist.h"
#include "kafka/rebalance.h"
#include "kafka/schema.h"
#include "net/ports.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const char *sev(kml_severity_t s) {
  return s == KML_SEV_OKAY      ? "OKAY"
         : s == KML_SEV_WARNING ? "WARNING"
                                : "FAILURE";
}

static int ordering(double threshold) {
  char line[256];
  kml_severity_t state = KML_SEV_OKAY;
  long n = 0;
  double spent = 0;
  while (fgets(line, sizeof(line), stdin)) {
    double t, a, b;
    if (sscanf(line, "%lf %lf %lf", &t, &a, &b) != 3)
      continue;
    double t0 = cpu_ns();
    kml_ordering_acc_t acc = {0};
    kml_ordering_add(&acc, "a", a);
    kml_ordering_add(&acc, "b", b);
    kml_ordering_result_t r;
    int measured = kml_ordering_spread(&acc, &r);
    kml_ordering_clear(&acc);
    kml_severity_t s =
        measured ? kml_ordering_verdict(&r, threshold, state) : state;
    spent += cpu_ns() - t0;
    n++;
    if (s != state)
      printf("%.0f %s %.3f\n", t, sev(s), r.spread);
    state = s;
  }
  printf("cpu_ns_per_step %.1f\n", n ? spent / n : 0);
  return 0;
}

static int storm(double window, int floor) {
  char line[256];
  kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
  o.window = window;
  o.floor = floor;
  kml_rebalance_t *st = calloc(1, sizeof(*st));
  long n = 0;
  double spent = 0;
  while (fgets(line, sizeof(line), stdin)) {
    double t;
    int k;
    if (sscanf(line, "%lf %d", &t, &k) != 2)
      continue;
    double t0 = cpu_ns();
    kml_rebalance_verdict_t v;
    kml_rebalance_observe(st, &o, t, k, NULL, 0, &v);
    spent += cpu_ns() - t0;
    n++;
    if (v.changed)
      printf("%.0f %s %d %.1f %.3f\n", t, v.storm ? "WARNING" : "OKAY",
             v.rebalances, v.per_hour, v.usual_per_hour);
  }
  printf("cpu_ns_per_step %.1f\n", n ? spent / n : 0);
  free(st);
  return 0;
}

static int ports(int sockets, int rounds) {
  size_t cap = 256 + (size_t)sockets * 160;
  char *t = malloc(cap);
  size_t n = (size_t)snprintf(
      t, cap, "  sl  local_address rem_address   st tx_queue rx_queue\n");
  for (int i = 0; i < sockets; i++)
    n += (size_t)snprintf(t + n, cap - n,
                          "%6d: 0A00000A:%04X %08X:2384 01 00000000:00000000 "
                          "00:00000000 00000000     0        0 %d 1\n",
                          i, 32768 + i % 28232, 0x0500000A + (i % 7 << 24),
                          100000 + i);
  double best = INFINITY;
  for (int r = 0; r < rounds; r++) {
    double t0 = cpu_ns();
    kml_ports_t *p = kml_ports_new(32768, 60999, 16);
    kml_ports_scan(p, t, n, 0);
    kml_ports_summary_t s;
    kml_ports_summary(p, &s);
    kml_ports_destroy(p);
    double dt = cpu_ns() - t0;
    best = dt < best ? dt : best;
  }
  printf("ns_per_socket %.1f sockets %d bytes %zu\n", best / sockets, sockets,
         n);
  free(t);
  return 0;
}

static int schema(int rounds) {
  static const char json[] =
      "[{\"values\":[0.42],\"dstypes\":[\"gauge\"],\"dsnames\":"
      "[\"value\"],\"time\":1795700000.123,\"interval\":10.000,"
      "\"host\":\"prod-eu\",\"plugin\":\"kafka\",\"plugin_instance\":"
      "\"group-svc-billing\",\"type\":\"kafka_lag_seconds\","
      "\"type_instance\":\"max\",\"meta\":{\"kafka_name\":"
      "\"svc-billing\"}}]";
  static const unsigned char wire[64] = {0, 0, 0, 0, 7};
  kml_schema_t s;
  double t0 = cpu_ns();
  for (int i = 0; i < rounds; i++)
    kml_schema_classify(json, sizeof(json) - 1, &s);
  double t1 = cpu_ns();
  for (int i = 0; i < rounds; i++)
    kml_schema_classify(wire, sizeof(wire), &s);
  double t2 = cpu_ns();
  printf("json_ns_per_record %.0f (%zu bytes) wire_ns_per_record %.1f\n",
         (t1 - t0) / rounds, sizeof(json) - 1, (t2 - t1) / rounds);
  return 0;
}

/* ns per kml_partlist_add of TOPICS x 4 partitions, ROUNDS lists. */
static double partlist_fill(char (*names)[48], int topics, int rounds,
                            int by_topic) {
  kml_partlist_t l;
  double t0 = cpu_ns();
  for (int r = 0; r < rounds; r++) {
    kml_partlist_clear(&l);
    for (int i = 0; i < topics * 4; i++)
      kml_partlist_add(&l, names[by_topic ? i / 4 : i % topics],
                       by_topic ? i % 4 : i / topics);
  }
  return (cpu_ns() - t0) / ((double)rounds * topics * 4);
}

static int partlist(int topics, int rounds) {
  char(*names)[48] = calloc(topics > 0 ? topics : 1, sizeof(*names));
  if (names == NULL)
    return 1;
  for (int i = 0; i < topics; i++)
    snprintf(names[i], sizeof(names[i]), "svc.orders-events.%05d", i);
  double grouped = partlist_fill(names, topics, rounds, 1);
  double mixed = partlist_fill(names, topics, rounds, 0);
  printf("ns_per_partition topic_by_topic %.1f partition_by_partition %.1f "
         "(%d topics)\n",
         grouped, mixed, topics);
  free(names);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "ordering") == 0)
    return ordering(atof(argv[2]));
  if (argc == 4 && strcmp(argv[1], "storm") == 0)
    return storm(atof(argv[2]), atoi(argv[3]));
  if (argc == 4 && strcmp(argv[1], "ports") == 0)
    return ports(atoi(argv[2]), atoi(argv[3]));
  if (argc == 3 && strcmp(argv[1], "schema") == 0)
    return schema(atoi(argv[2]));
  if (argc == 4 && strcmp(argv[1], "partlist") == 0)
    return partlist(atoi(argv[2]), atoi(argv[3]));
  fprintf(stderr, "usage: bench_ops ordering THRESHOLD | storm WINDOW FLOOR "
                  "| ports SOCKETS ROUNDS | schema ROUNDS "
                  "| partlist TOPICS ROUNDS\n");
  return 2;
}
