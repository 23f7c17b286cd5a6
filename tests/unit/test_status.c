/* Unit tests for src/kafka/status.c: the OK, WARN, STALL, STOP, REWIND and
 * ERR verdicts over a window of (committed offset, lag) observations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/status.h"

#include <string.h>

static kml_status_t feed(kml_status_window_t *w, const int64_t *committed,
                         const int64_t *lag, int n, int members, int window) {
  kml_status_t st = KML_STATUS_OK;
  for (int i = 0; i < n; i++)
    st = kml_status_update(w, committed[i], lag[i], members, window);
  return st;
}

static void stuck_with_members_is_stall(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  const int64_t c[] = {100, 100, 100, 100, 100};
  const int64_t l[] = {5, 7, 9, 11, 13};
  /* the window is not full before the fifth observation */
  assert_int_equal(feed(&w, c, l, 4, 1, 5), KML_STATUS_OK);
  assert_int_equal(kml_status_update(&w, 100, 13, 1, 5), KML_STATUS_STALL);
}

static void stuck_without_members_is_stop(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  const int64_t c[] = {100, 100, 100};
  const int64_t l[] = {5, 5, 5};
  assert_int_equal(feed(&w, c, l, 3, 0, 3), KML_STATUS_STOP);
}

static void moving_but_falling_behind_is_warn(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  const int64_t c[] = {100, 110, 120, 130, 140};
  const int64_t l[] = {10, 20, 30, 40, 50};
  assert_int_equal(feed(&w, c, l, 5, 1, 5), KML_STATUS_WARN);
}

static void moving_and_keeping_up_is_ok(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  const int64_t c[] = {100, 110, 120, 130, 140};
  const int64_t l[] = {10, 12, 9, 11, 10};
  assert_int_equal(feed(&w, c, l, 5, 1, 5), KML_STATUS_OK);
}

static void idle_partition_is_ok_however_long(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  for (int i = 0; i < 50; i++)
    assert_int_equal(kml_status_update(&w, 100, 0, 0, 5), KML_STATUS_OK);
}

static void a_zero_lag_in_the_window_is_not_a_stall(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  /* caught up, then new messages arrive: not stuck yet */
  const int64_t c[] = {100, 100, 100, 100, 100};
  const int64_t l[] = {0, 3, 5, 8, 9};
  assert_int_equal(feed(&w, c, l, 5, 1, 5), KML_STATUS_OK);
}

static void going_backwards_is_rewind(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  kml_status_update(&w, 100, 5, 1, 5);
  assert_int_equal(kml_status_update(&w, 50, 55, 1, 5), KML_STATUS_REWIND);
  /* the next observation that moves forward is judged normally */
  assert_int_equal(kml_status_update(&w, 60, 45, 1, 5), KML_STATUS_OK);
}

static void unknown_inputs_are_err(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  assert_int_equal(kml_status_update(&w, -1, 5, 1, 5), KML_STATUS_ERR);
  assert_int_equal(kml_status_update(&w, 5, -1, 1, 5), KML_STATUS_ERR);
  assert_int_equal(w.n, 0); /* nothing entered the window */
}

static void window_is_clamped(void **state) {
  kml_status_window_t w;
  memset(&w, 0, sizeof(w));
  /* window 1 acts as 2, window 99 as KML_STATUS_WINDOW */
  kml_status_update(&w, 100, 5, 0, 1);
  assert_int_equal(kml_status_update(&w, 100, 5, 0, 1), KML_STATUS_STOP);
  memset(&w, 0, sizeof(w));
  kml_status_t st = KML_STATUS_OK;
  for (int i = 0; i < KML_STATUS_WINDOW - 1; i++)
    st = kml_status_update(&w, 100, 5, 0, 99);
  assert_int_equal(st, KML_STATUS_OK);
  assert_int_equal(kml_status_update(&w, 100, 5, 0, 99), KML_STATUS_STOP);
}

static void names(void **state) {
  assert_string_equal(kml_status_name(KML_STATUS_OK), "OK");
  assert_string_equal(kml_status_name(KML_STATUS_STALL), "STALL");
  assert_string_equal(kml_status_name(KML_STATUS_REWIND), "REWIND");
  assert_string_equal(kml_status_name((kml_status_t)42), "?");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stuck_with_members_is_stall),
      cmocka_unit_test(stuck_without_members_is_stop),
      cmocka_unit_test(moving_but_falling_behind_is_warn),
      cmocka_unit_test(moving_and_keeping_up_is_ok),
      cmocka_unit_test(idle_partition_is_ok_however_long),
      cmocka_unit_test(a_zero_lag_in_the_window_is_not_a_stall),
      cmocka_unit_test(going_backwards_is_rewind),
      cmocka_unit_test(unknown_inputs_are_err),
      cmocka_unit_test(window_is_clamped),
      cmocka_unit_test(names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
