/* bench_ingest: cost of the ml plugin's write path per value, outside
 * collectd: series-store lookup + rate conversion + all models, for many
 * series, as the plugin does it (one value of one series at a time, keys
 * built per value). Prints ns per value and resident memory per series.
 *
 *   bench_ingest [SERIES] [ROUNDS] [THREADS] [forecast] [save]
 *                                                   (100000 20 1)
 * Default: the plugin's default Match (anomaly model; the forecaster
 * learns but is not evaluated); "forecast" also evaluates the forecast at
 * the horizon for every value, as Models "forecast" with DerivedValues.
 * "save" then saves the store SAVES times as StateFile does every
 * StateInterval (kml_persist_save to a private temporary directory, on
 * this thread) and prints the median CPU and wall time per series: the
 * CPU includes the kernel's share of write and fsync, not the disk's.
 * Values are 10 s apart. Every series is first fed past the models'
 * warm-up (untimed; shortened to 10 min, see main), so the timed rounds
 * score, calibrate and alert as a model in steady state does; ROUNDS timed
 * values per series follow. */
#include "kml_clock.h"
#include "kml_str.h"
#include "ml/model.h"
#include "ml/persist.h"
#include "ml/series.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static kml_store_t *store;
static kml_model_cfg_t cfg;
static long n_series, rounds;
/* identifier fields per series, made before timing: in collectd they
 * arrive ready in the value list */
static char (*fields)[3][32];
static int n_threads;
static long scored; /* series whose last timed value was scored */

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, "VmRSS:", 6) == 0)
      v = atol(line + 6);
  if (f)
    fclose(f);
  return v;
}

static void init_cb(void *p, void *ud) { kml_model_init(p); }

typedef struct {
  int id;
  long r0, r1; /* rounds */
} job_t;

static void *feed(void *arg) {
  job_t *j = arg;
  char key[640];
  uint64_t x = 88172645463325252ULL + j->id;
  for (long r = j->r0; r < j->r1; r++)
    for (long s = j->id; s < n_series; s += n_threads) {
      /* as the plugin does per value: identifier fields -> key */
      kml_str_series_key(key, sizeof(key), fields[s][0], "kafka", fields[s][1],
                         "kafka_lag", fields[s][2], "value");
      int created;
      kml_model_t *m = kml_store_acquire(store, key, 1e9 + r * 10, &created);
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      double v = 100 + (double)(x % 1000) / 100.0;
      kml_output_t o;
      kml_model_update(m, &cfg, KML_DS_GAUGE, 1.4e9 + r * 10, v, &o);
      kml_store_release(store, m);
      if (r == j->r1 - 1 && o.warm)
        __atomic_add_fetch(&scored, 1, __ATOMIC_RELAXED);
    }
  return NULL;
}

#define SAVES 5

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double thread_cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The state save of the whole store, SAVES times: median CPU and wall
 * time per series saved, and the file's bytes per series. Every series in
 * the store must be written (a small store may have evicted a few of
 * n_series: a shard holds 1/64 of twice n_series). Returns 0 or -1. */
static int time_saves(void) {
  long held = (long)kml_store_size(store);
  char dir[] = "/tmp/kml-bench-save.XXXXXX", path[64], err[512];
  if (mkdtemp(dir) == NULL)
    return -1;
  snprintf(path, sizeof(path), "%s/ml.state", dir);
  double cpu[SAVES], wall[SAVES];
  long n = -1;
  for (int i = 0; i < SAVES; i++) {
    double c0 = thread_cpu(), w0 = kml_clock_mono();
    n = kml_persist_save(store, sizeof(kml_model_t), path, err, sizeof(err));
    wall[i] = kml_clock_mono() - w0;
    cpu[i] = thread_cpu() - c0;
    if (n != held) {
      fprintf(stderr, "save: %ld series of %ld: %s\n", n, held, err);
      break;
    }
  }
  FILE *f = fopen(path, "rb");
  long bytes = -1;
  if (f != NULL && fseek(f, 0, SEEK_END) == 0)
    bytes = ftell(f);
  if (f != NULL)
    fclose(f);
  unlink(path);
  rmdir(dir);
  if (n != held)
    return -1;
  qsort(cpu, SAVES, sizeof(double), cmp_double);
  qsort(wall, SAVES, sizeof(double), cmp_double);
  printf("state_format %u\n", KML_STATE_FORMAT);
  printf("saved_series %ld\n", n);
  printf("state_bytes_per_series %.0f\n", (double)bytes / n);
  printf("save_cpu_ns_per_series %.1f (of %d saves: %.1f-%.1f)\n",
         cpu[SAVES / 2] / n * 1e9, SAVES, cpu[0] / n * 1e9,
         cpu[SAVES - 1] / n * 1e9);
  printf("save_wall_ns_per_series %.1f\n", wall[SAVES / 2] / n * 1e9);
  return 0;
}

static double run(long r0, long r1) {
  pthread_t t[64];
  job_t j[64];
  double t0 = kml_clock_mono();
  for (int i = 0; i < n_threads; i++) {
    j[i] = (job_t){i, r0, r1};
    pthread_create(&t[i], NULL, feed, &j[i]);
  }
  for (int i = 0; i < n_threads; i++)
    pthread_join(t[i], NULL);
  return kml_clock_mono() - t0;
}

int main(int argc, char **argv) {
  n_series = argc > 1 ? atol(argv[1]) : 100000;
  rounds = argc > 2 ? atol(argv[2]) : 20;
  n_threads = argc > 3 ? atoi(argv[3]) : 1;
  if (n_threads < 1 || n_threads > 64)
    n_threads = 1;
  cfg = kml_model_defaults();
  int save = 0;
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "forecast") == 0)
      cfg.want_forecast = 1;
    else if (strcmp(argv[i], "save") == 0)
      save = 1;
  }
  /* The default warm-up is a day (8,640 values at 10 s per series); the
   * path a value takes after it is the same whatever its length, so the
   * bench shortens it to ten minutes to keep 100k series quick to set up. */
  cfg.detector.warmup = 600;
  fields = calloc(n_series, sizeof(*fields));
  for (long s = 0; s < n_series; s++) {
    snprintf(fields[s][0], 32, "host%ld", s % 50);
    snprintf(fields[s][1], 32, "group-svc%ld", s % 1000);
    snprintf(fields[s][2], 32, "orders-%ld", s);
  }
  long rss0 = rss_kib();
  store = kml_store_new(n_series * 2, sizeof(kml_model_t), init_cb, NULL, NULL);
  /* Create every series and feed it past the warm-up, untimed. */
  long warm = kml_model_warmup_values(&cfg, 10) + 1;
  run(0, warm);
  long rss1 = rss_kib();
  scored = 0;
  double secs = run(warm, warm + rounds);
  double values = (double)n_series * rounds;
  printf("series %ld, values %.0f, threads %d\n", n_series, values, n_threads);
  printf("warmup_values %ld\n", warm);
  printf("scored_share %.3f\n", (double)scored / n_series);
  printf("ns_per_value %.1f\n", secs / values * 1e9);
  printf("values_per_second %.0f\n", values / secs);
  printf("model_bytes %zu\n", sizeof(kml_model_t));
  printf("rss_mib_per_100k_series %.1f\n",
         (rss1 - rss0) / 1024.0 * 100000.0 / n_series);
  int rc = save ? time_saves() : 0;
  kml_store_destroy(store);
  return rc == 0 ? 0 : 1;
}
