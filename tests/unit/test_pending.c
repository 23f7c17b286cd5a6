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
      cmocka_unit_test(one_series_stays_in_order_across_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
