/* Unit tests for src/ml/slots.c: values on the time grid, gaps held or
 * unknown, late values ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/slots.h"

#include <math.h>

static void values_land_in_their_slots(void **state) {
  (void)state;
  kml_slots_t s;
  kml_slots_init(&s);
  for (int i = 0; i < 40; i++)
    kml_slots_push(&s, 10, 1000 + 10 * i + 3.7, i);
  float w[KML_SLOTS];
  assert_int_equal(kml_slots_window(&s, kml_slots_of(1393.7, 10), 8, w), 8);
  for (int i = 0; i < 8; i++)
    assert_true(w[i] == 32 + i);
  /* a second value in the same slot replaces the first */
  kml_slots_push(&s, 10, 1399, 99);
  kml_slots_window(&s, 139, 1, w);
  assert_true(w[0] == 99);
  /* older than the newest slot: ignored */
  kml_slots_push(&s, 10, 1200, -5);
  kml_slots_window(&s, 120, 1, w);
  assert_true(w[0] == 20);
}

static void gaps_are_held_then_unknown(void **state) {
  (void)state;
  kml_slots_t s;
  kml_slots_init(&s);
  kml_slots_push(&s, 10, 100, 1);
  kml_slots_push(&s, 10, 130, 4); /* every 30 s on a 10 s grid */
  float w[KML_SLOTS];
  kml_slots_window(&s, 13, 4, w);
  assert_true(w[0] == 1 && w[1] == 1 && w[2] == 1 && w[3] == 4);
  kml_slots_push(&s, 10, 130 + 10 * (KML_SLOTS_HOLD + 2), 9); /* too long */
  kml_slots_window(&s, 13 + KML_SLOTS_HOLD + 2, 3, w);
  assert_true(isnan(w[0]) && isnan(w[1]) && w[2] == 9);
  /* after the newest value: held for KML_SLOTS_HOLD slots, then unknown */
  int64_t last = 13 + KML_SLOTS_HOLD + 2;
  kml_slots_window(&s, last + KML_SLOTS_HOLD, 1, w);
  assert_true(w[0] == 9);
  kml_slots_window(&s, last + KML_SLOTS_HOLD + 1, 1, w);
  assert_true(isnan(w[0]));
  /* a jump past the whole ring forgets it */
  kml_slots_push(&s, 10, 10 * (last + 100), 5);
  assert_int_equal(kml_slots_window(&s, last + 100, KML_SLOTS, w), 1);
}

static void bad_input_is_harmless(void **state) {
  (void)state;
  kml_slots_t s;
  kml_slots_init(&s);
  kml_slots_push(&s, 0, 100, 1);  /* no grid */
  kml_slots_push(&s, 10, NAN, 1); /* no time */
  float w[4];
  assert_int_equal(kml_slots_window(&s, 10, 4, w), 0);
  kml_slots_push(&s, 10, 100, INFINITY); /* unknown value */
  kml_slots_push(&s, 10, 110, 1e300);    /* beyond a float: unknown */
  assert_int_equal(kml_slots_window(&s, 11, 4, w), 0);
  assert_int_equal(kml_slots_of(1e300, 1e-300), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(values_land_in_their_slots),
      cmocka_unit_test(gaps_are_held_then_unknown),
      cmocka_unit_test(bad_input_is_harmless),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
