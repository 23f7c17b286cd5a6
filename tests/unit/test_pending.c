/* Unit tests for src/ml/pending.c: order kept, bounded with a count of
 * what was dropped, and one series' changes in order when several threads
 * push them under the series' lock (as the plugin's write threads do). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/pending.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void keeps_order_and_counts_drops(void **state) {
  (void)state;
  kml_pending_queue_t *q = kml_pending_new(4);
  assert_non_null(q);
  kml_pending_t e = {.kind = KML_PENDING_ANOMALY};
  for (int i = 0; i < 6; i++) {
    e.time = (uint64_t)i;
    assert_int_equal(kml_pending_push(q, &e), i < 4 ? 0 : -1);
  }
  kml_pending_t out[4];
  uint64_t dropped;
  assert_int_equal(kml_pending_take(q, out, &dropped), 4);
  assert_int_equal(dropped, 2);
  for (int i = 0; i < 4; i++)
    assert_int_equal(out[i].time, i);
  assert_int_equal(kml_pending_take(q, out, &dropped), 0);
  assert_int_equal(dropped, 0);
  kml_pending_destroy(q);
}

/* A reset ending more incidents than the capacity: each OKAY pushed with
 * kml_pending_push_grow is kept, in order, after what the write path
 * queued, and comes out cap at a time; the write path stays bounded by cap
 * meanwhile, and the queue keeps working once the backlog is out. */
static void grown_entries_all_come_out_in_batches(void **state) {
  (void)state;
  kml_pending_queue_t *q = kml_pending_new(4);
  assert_non_null(q);
  kml_pending_t e = {.kind = KML_PENDING_ANOMALY};
  uint64_t t = 0;
  for (int i = 0; i < 3; i++) {
    e.time = t++;
    assert_int_equal(kml_pending_push(q, &e), 0);
  }
  e.kind = KML_PENDING_RESET;
  for (int i = 0; i < 300; i++) {
    e.time = t++;
    assert_int_equal(kml_pending_push_grow(q, &e), 0);
  }
  assert_int_equal(kml_pending_count(q), 303);
  /* bounded pushes count only bounded entries: one more fits, then no */
  e.kind = KML_PENDING_ANOMALY;
  e.time = t++;
  assert_int_equal(kml_pending_push(q, &e), 0);
  assert_int_equal(kml_pending_push(q, &e), -1);
  kml_pending_t out[4];
  uint64_t dropped, want = 0;
  size_t got, total = 0, takes = 0;
  while ((got = kml_pending_take(q, out, &dropped)) > 0) {
    assert_true(got <= 4);
    assert_int_equal(dropped, takes == 0 ? 1 : 0);
    for (size_t i = 0; i < got; i++) {
      assert_int_equal(out[i].time, want);
      assert_int_equal(out[i].kind, want >= 3 && want < 303
                                        ? KML_PENDING_RESET
                                        : KML_PENDING_ANOMALY);
      want++;
    }
    total += got;
    takes++;
    /* the write path goes on between reads: bounded by what it queued */
    if (takes == 10) {
      e.time = 304; /* after the 304 queued before */
      assert_int_equal(kml_pending_push(q, &e), 0);
    }
  }
  assert_int_equal(total, 305);
  assert_int_equal(want, 305);
  assert_int_equal(kml_pending_count(q), 0);
  e.time = 7;
  for (int i = 0; i < 5; i++)
    assert_int_equal(kml_pending_push(q, &e), i < 4 ? 0 : -1);
  assert_int_equal(kml_pending_take(q, out, &dropped), 4);
  assert_int_equal(dropped, 1);
  kml_pending_destroy(q);
}

/* Four threads update one series in turn (its lock) and push the state
 * they produced before unlocking: the queue must show 0, 1, 2, ... */
static kml_pending_queue_t *shared_q;
static pthread_mutex_t series_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t series_state;

static void *writer(void *arg) {
  (void)arg;
  kml_pending_t e = {.kind = KML_PENDING_ANOMALY};
  for (int i = 0; i < 2000; i++) {
    pthread_mutex_lock(&series_lock);
    e.time = series_state++;
    kml_pending_push(shared_q, &e);
    pthread_mutex_unlock(&series_lock);
  }
  return NULL;
}

static void one_series_stays_in_order_across_threads(void **state) {
  (void)state;
  shared_q = kml_pending_new(8000);
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&th[i], NULL, writer, NULL);
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  kml_pending_t *out = malloc(8000 * sizeof(*out));
  uint64_t dropped;
  assert_int_equal(kml_pending_take(shared_q, out, &dropped), 8000);
  for (uint64_t i = 0; i < 8000; i++)
    assert_int_equal(out[i].time, i);
  free(out);
  kml_pending_destroy(shared_q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keeps_order_and_counts_drops),
      cmocka_unit_test(grown_entries_all_come_out_in_batches),
      cmocka_unit_test(one_series_stays_in_order_across_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
