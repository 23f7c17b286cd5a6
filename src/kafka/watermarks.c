/* watermarks: low- and high-water marks of every selected partition.
 *
 * librdkafka 2.0 has no Admin ListOffsets, but rd_kafka_offsets_for_times()
 * sends one ListOffsets request per leader; the logical timestamps -1
 * (latest) and -2 (earliest) return the high-water mark and the log start
 * offset. rd_kafka_query_watermark_offsets() would cost a round trip per
 * partition, which big clusters cannot afford.
 *
 * rd_kafka_offsets_for_times() is all-or-nothing: one slow leader fails the
 * whole list. So the partitions are split by leader and each leader's list
 * is asked on a worker thread of its own (latest and earliest as two jobs),
 * all before one deadline: a hung broker costs only the partitions it
 * leads. Partitions without a leader are left out: asking for them would
 * wait for the whole timeout.
 *
 * A leader's list is further cut into chunks of CHUNK partitions, one job
 * (and one request) each: rd_kafka_offsets_for_times() is quadratic in the
 * size of its list (librdkafka 2.0.2 looks every partition up by a linear
 * scan, with a strcmp() of the topic, once when it groups the list by
 * leader and once when it copies the answers back), so one list of the
 * 3,300 partitions a leader of a 10,000-partition cluster leads costs 11
 * million comparisons, about 0.1 s of CPU per list. Chunks of CHUNK make
 * that linear (2 x partitions x CHUNK comparisons in all), for
 * 2 x ceil(partitions led / CHUNK) requests per leader.
 *
 * Every job has a thread of its own (up to MAX_WORKERS), so that all the
 * requests are in flight at once: a collection waits for the slowest
 * answer, not for rounds of them (84 requests for 10,000 partitions on 3
 * leaders). The threads only wait in librdkafka, on small stacks. */
#include "../kml_clock.h"
#include "collect.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORKERS 256
#define CHUNK 256 /* partitions per ListOffsets request */
#define STACK (256 * 1024)

typedef struct {
  int leader;      /* index into the sorted leader ids */
  int64_t logical; /* RD_KAFKA_OFFSET_END or RD_KAFKA_OFFSET_BEGINNING */
  kml_partition_t **parts;
  int n;
  rd_kafka_topic_partition_list_t *list;
  rd_kafka_resp_err_t err; /* the call's result */
} wm_job_t;

typedef struct {
  rd_kafka_t *rk;
  double deadline_ms;
  wm_job_t *jobs;
  int n_jobs, next;
  pthread_mutex_t lock;
} wm_pool_t;

static void run_job(rd_kafka_t *rk, wm_job_t *j, double deadline_ms) {
  int left = kml_clock_left_ms(deadline_ms);
  if (left < 1) {
    j->err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    return;
  }
  j->err = rd_kafka_offsets_for_times(rk, j->list, left);
}

static void *worker(void *arg) {
  wm_pool_t *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    int i = p->next < p->n_jobs ? p->next++ : -1;
    pthread_mutex_unlock(&p->lock);
    if (i < 0)
      return NULL;
    run_job(p->rk, &p->jobs[i], p->deadline_ms);
  }
}

/* Write one job's answers into its partitions; returns 1 when every
 * partition got a valid offset. */
static int take(wm_job_t *j) {
  int all = 1;
  for (int k = 0; k < j->n; k++) {
    kml_partition_t *kp = j->parts[k];
    const rd_kafka_topic_partition_t *r = &j->list->elems[k];
    if (j->err == RD_KAFKA_RESP_ERR_NO_ERROR && r->err == 0 && r->offset >= 0) {
      if (j->logical == RD_KAFKA_OFFSET_END)
        kp->high = r->offset;
      else
        kp->low = r->offset;
      continue;
    }
    all = 0;
    if (kp->err == 0)
      kp->err = j->err ? (int)j->err : (int)r->err;
  }
  return all;
}

static int id_cmp(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* Distinct leaders of the selected partitions, sorted; their number. */
static int leaders_of(const kml_snapshot_t *s, int32_t **out) {
  int n = 0;
  for (int i = 0; i < s->n_topics; i++)
    n += s->topics[i].n_parts;
  int32_t *ids = malloc(sizeof(*ids) * (n > 0 ? n : 1));
  if (ids == NULL)
    return -1;
  int k = 0;
  for (int i = 0; i < s->n_topics; i++)
    for (int p = 0; p < s->topics[i].n_parts; p++)
      if (s->topics[i].parts[p].leader >= 0)
        ids[k++] = s->topics[i].parts[p].leader;
  qsort(ids, k, sizeof(*ids), id_cmp);
  int u = 0;
  for (int i = 0; i < k; i++)
    if (u == 0 || ids[u - 1] != ids[i])
      ids[u++] = ids[i];
  *out = ids;
  return u;
}

static void free_jobs(wm_job_t *jobs, int n) {
  for (int i = 0; i < n; i++) {
    free(jobs[i].parts);
    if (jobs[i].list != NULL)
      rd_kafka_topic_partition_list_destroy(jobs[i].list);
  }
  free(jobs);
}

/* The index of id in the sorted leader ids, as a pointer; NULL when id
 * leads nothing asked (or is -1, no leader). */
static const int32_t *leader_of(const int32_t *leaders, int n_leaders,
                                int32_t id) {
  return id >= 0 ? bsearch(&id, leaders, n_leaders, sizeof(id), id_cmp) : NULL;
}

/* Jobs of CHUNK partitions of one leader, two per chunk (latest,
 * earliest), each with a list of its own. *n_jobs gets their number.
 * NULL when out of memory. */
static wm_job_t *make_jobs(kml_snapshot_t *s, const int32_t *leaders,
                           int n_leaders, int *n_jobs) {
  int *count = calloc(n_leaders, sizeof(*count));
  int *first = calloc(n_leaders, sizeof(*first)); /* first job of leader */
  int *fill = calloc(n_leaders, sizeof(*fill));   /* partitions placed */
  wm_job_t *jobs = NULL;
  int n = 0;
  if (count == NULL || first == NULL || fill == NULL)
    goto out;
  for (int i = 0; i < s->n_topics; i++)
    for (int p = 0; p < s->topics[i].n_parts; p++) {
      const int32_t *f =
          leader_of(leaders, n_leaders, s->topics[i].parts[p].leader);
      if (f != NULL)
        count[f - leaders]++;
    }
  for (int l = 0; l < n_leaders; l++) {
    first[l] = n;
    n += 2 * ((count[l] + CHUNK - 1) / CHUNK);
  }
  jobs = calloc(n > 0 ? n : 1, sizeof(*jobs));
  if (jobs == NULL)
    goto out;
  for (int l = 0; l < n_leaders; l++)
    for (int j = first[l]; j < first[l] + 2 * ((count[l] + CHUNK - 1) / CHUNK);
         j++) {
      int size = count[l] - CHUNK * ((j - first[l]) / 2);
      size = size < CHUNK ? size : CHUNK;
      jobs[j].leader = l;
      jobs[j].logical = (j - first[l]) % 2 == 0 ? RD_KAFKA_OFFSET_END
                                                : RD_KAFKA_OFFSET_BEGINNING;
      jobs[j].parts = malloc(sizeof(*jobs[j].parts) * size);
      jobs[j].list = rd_kafka_topic_partition_list_new(size);
      if (jobs[j].parts == NULL || jobs[j].list == NULL) {
        *n_jobs = n;
        free_jobs(jobs, n);
        jobs = NULL;
        goto out;
      }
    }
  for (int i = 0; i < s->n_topics; i++)
    for (int p = 0; p < s->topics[i].n_parts; p++) {
      kml_partition_t *kp = &s->topics[i].parts[p];
      const int32_t *f = leader_of(leaders, n_leaders, kp->leader);
      if (f == NULL)
        continue;
      int l = (int)(f - leaders);
      int j = first[l] + 2 * (fill[l]++ / CHUNK);
      for (int k = 0; k < 2; k++) {
        wm_job_t *job = &jobs[j + k];
        job->parts[job->n++] = kp;
        rd_kafka_topic_partition_list_add(job->list, s->topics[i].name, kp->id)
            ->offset = job->logical;
      }
    }
  *n_jobs = n;
out:
  free(count);
  free(first);
  free(fill);
  return jobs;
}

/* Run every job before deadline_ms, each on a thread of its own up to
 * MAX_WORKERS (the caller's thread takes one; what no thread could be
 * made for, the started threads and the caller take in turn). */
static void run_all(rd_kafka_t *rk, wm_job_t *jobs, int n, double deadline) {
  wm_pool_t p = {.rk = rk, .deadline_ms = deadline, .jobs = jobs, .n_jobs = n};
  pthread_mutex_init(&p.lock, NULL);
  pthread_attr_t attr;
  int have_attr = pthread_attr_init(&attr) == 0;
  if (have_attr)
    pthread_attr_setstacksize(&attr, STACK); /* the default stays if refused */
  pthread_t th[MAX_WORKERS];
  int started = 0;
  while (started < n - 1 && started < MAX_WORKERS &&
         pthread_create(&th[started], have_attr ? &attr : NULL, worker, &p) ==
             0)
    started++;
  if (have_attr)
    pthread_attr_destroy(&attr);
  worker(&p); /* this thread helps too; alone when none started */
  for (int i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  pthread_mutex_destroy(&p.lock);
}

int kml_collect_watermarks(rd_kafka_t *rk, kml_snapshot_t *s,
                           double deadline_ms) {
  int32_t *leaders = NULL;
  int n_leaders = leaders_of(s, &leaders);
  if (n_leaders <= 0) {
    free(leaders);
    if (n_leaders == 0)
      s->complete |= KML_STEP_WATERMARKS; /* nothing to ask */
    return 0;
  }
  int n_jobs = 0;
  wm_job_t *jobs = make_jobs(s, leaders, n_leaders, &n_jobs);
  unsigned char *ok = malloc(n_leaders);
  rd_kafka_resp_err_t *why = calloc(n_leaders, sizeof(*why));
  if (jobs == NULL || ok == NULL || why == NULL) {
    free_jobs(jobs, jobs ? n_jobs : 0);
    free(leaders);
    free(ok);
    free(why);
    s->errors++;
    return 0;
  }
  run_all(rk, jobs, n_jobs, deadline_ms);

  memset(ok, 1, n_leaders);
  for (int j = 0; j < n_jobs; j++)
    if (!take(&jobs[j])) {
      ok[jobs[j].leader] = 0;
      if (why[jobs[j].leader] == 0)
        why[jobs[j].leader] = jobs[j].err;
    }
  int all = 1;
  for (int l = 0; l < n_leaders; l++) {
    all &= ok[l];
    for (int b = 0; b < s->n_brokers; b++)
      if (s->brokers[b].id == leaders[l])
        s->brokers[b].watermarks = ok[l] ? KML_ANSWER_OK : KML_ANSWER_FAILED;
    if (ok[l])
      continue;
    s->errors++;
    if (s->error[0] == '\0')
      snprintf(s->error, sizeof(s->error),
               "ListOffsets to leader %d failed: %s", (int)leaders[l],
               why[l] ? rd_kafka_err2str(why[l]) : "partition errors");
  }
  if (all)
    s->complete |= KML_STEP_WATERMARKS;
  free_jobs(jobs, n_jobs);
  free(leaders);
  free(ok);
  free(why);
  return n_jobs;
}
