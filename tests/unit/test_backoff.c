/* Unit tests for src/kafka/backoff.c: the wait after unanswered attempts
 * doubles from one collection up to the cap and an answer resets it.
 * Collections are counted by the test: no clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/backoff.h"

#include <string.h>

/* Collections in [1, until] at which a question that is never answered is
 * asked, written to at[]; returns how many. */
static int asked_rounds(kml_backoff_t *b, uint64_t from, uint64_t until,
                        uint32_t cap, uint64_t *at, int max) {
  int n = 0;
  for (uint64_t round = from; round <= until; round++)
    if (kml_backoff_due(b, round)) {
      assert_true(n < max);
      at[n++] = round;
      kml_backoff_failed(b, round, cap);
    }
  return n;
}

static void never_failed_is_due(void **state) {
  kml_backoff_t b;
  memset(&b, 0, sizeof(b));
  for (uint64_t round = 0; round < 5; round++)
    assert_true(kml_backoff_due(&b, round));
}

static void the_wait_doubles_up_to_the_cap(void **state) {
  kml_backoff_t b = {0};
  uint64_t at[64];
  int n = asked_rounds(&b, 1, 100, KML_BACKOFF_CAP, at, 64);
  /* waits 1, 2, 4, 8, 16, then 16 at a time */
  const uint64_t want[] = {1, 2, 4, 8, 16, 32, 48, 64, 80, 96};
  assert_int_equal(n, (int)(sizeof(want) / sizeof(want[0])));
  for (int i = 0; i < n; i++)
    assert_int_equal(at[i], want[i]);
  assert_int_equal(b.gap, KML_BACKOFF_CAP);
}

static void a_cap_that_is_not_a_power_of_two(void **state) {
  kml_backoff_t b = {0};
  uint64_t at[64];
  int n = asked_rounds(&b, 10, 60, 10, at, 64);
  const uint64_t want[] = {10, 11, 13, 17, 25, 35, 45, 55};
  assert_int_equal(n, (int)(sizeof(want) / sizeof(want[0])));
  for (int i = 0; i < n; i++)
    assert_int_equal(at[i], want[i]);
  /* a cap below 1 is one collection: asked at every one */
  kml_backoff_t c = {0};
  assert_int_equal(asked_rounds(&c, 1, 20, 0, at, 64), 20);
}

static void an_answer_resets_the_wait(void **state) {
  kml_backoff_t b = {0};
  for (uint64_t round = 1; round <= 40; round++)
    if (kml_backoff_due(&b, round))
      kml_backoff_failed(&b, round, KML_BACKOFF_CAP);
  assert_false(kml_backoff_due(&b, 41));
  kml_backoff_reset(&b);
  assert_true(kml_backoff_due(&b, 41));
  /* and a new failure starts again at one collection */
  kml_backoff_failed(&b, 41, KML_BACKOFF_CAP);
  assert_false(kml_backoff_due(&b, 41));
  assert_true(kml_backoff_due(&b, 42));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(never_failed_is_due),
      cmocka_unit_test(the_wait_doubles_up_to_the_cap),
      cmocka_unit_test(a_cap_that_is_not_a_power_of_two),
      cmocka_unit_test(an_answer_resets_the_wait),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
