/* Unit tests for src/kafka/known_groups.c: a group missing from a complete
 * list is read until lists have lacked it for KML_GROUP_GONE_S seconds; a
 * listed group is read; the result stays sorted. Times are given (a fake
 * monotonic clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <string.h>

#include "kafka/known_groups.h"

static char *abc[] = {"a", "b", "c"}, *ac[] = {"a", "c"}, *bd[] = {"b", "d"};

/* The known ids joined by ',' ("" when none). */
static const char *joined(const kml_known_groups_t *k) {
  static char buf[256];
  int n = 0;
  char *const *ids = kml_known_groups_ids(k, &n);
  buf[0] = '\0';
  for (int i = 0; ids != NULL && i < n; i++) {
    if (i > 0)
      strcat(buf, ",");
    strcat(buf, ids[i]);
  }
  return buf;
}

static void nothing_before_the_first_list(void **state) {
  (void)state;
  kml_known_groups_t k = {0};
  int n = 7;
  assert_null(kml_known_groups_ids(&k, &n));
  assert_int_equal(n, 0);
  assert_int_equal(kml_known_groups_take(&k, NULL, 0, 0), 0);
  assert_non_null(kml_known_groups_ids(&k, &n)); /* an empty list is known */
  assert_int_equal(n, 0);
  kml_known_groups_clear(&k);
}

static void a_group_missed_once_is_still_read(void **state) {
  (void)state;
  kml_known_groups_t k = {0};
  assert_int_equal(kml_known_groups_take(&k, abc, 3, 100), 0);
  assert_string_equal(joined(&k), "a,b,c");
  /* b's coordinator moves: one complete list lacks it */
  assert_int_equal(kml_known_groups_take(&k, ac, 2, 101), 0);
  assert_string_equal(joined(&k), "a,b,c");
  /* listed again: the clock restarts */
  assert_int_equal(kml_known_groups_take(&k, abc, 3, 102), 0);
  assert_int_equal(kml_known_groups_take(&k, ac, 2, 103), 0);
  assert_int_equal(
      kml_known_groups_take(&k, ac, 2, 103 + KML_GROUP_GONE_S - 0.5), 0);
  assert_string_equal(joined(&k), "a,b,c");
  kml_known_groups_clear(&k);
}

static void a_group_gone_for_good_is_forgotten(void **state) {
  (void)state;
  kml_known_groups_t k = {0};
  kml_known_groups_take(&k, abc, 3, 0);
  /* at a 10 s interval: the second list without b forgets it */
  kml_known_groups_take(&k, ac, 2, 10);
  assert_string_equal(joined(&k), "a,b,c");
  kml_known_groups_take(&k, ac, 2, 10 + KML_GROUP_GONE_S);
  assert_string_equal(joined(&k), "a,c");
  /* and it stays forgotten */
  kml_known_groups_take(&k, ac, 2, 100);
  assert_string_equal(joined(&k), "a,c");
  kml_known_groups_clear(&k);
}

static void new_and_missing_groups_merge_sorted(void **state) {
  (void)state;
  kml_known_groups_t k = {0};
  kml_known_groups_take(&k, ac, 2, 0);
  /* a and c missing, b and d new */
  kml_known_groups_take(&k, bd, 2, 1);
  assert_string_equal(joined(&k), "a,b,c,d");
  kml_known_groups_take(&k, bd, 2, 1 + KML_GROUP_GONE_S);
  assert_string_equal(joined(&k), "b,d");
  /* an empty complete list forgets everything, in time */
  kml_known_groups_take(&k, NULL, 0, 50);
  assert_string_equal(joined(&k), "b,d");
  kml_known_groups_take(&k, NULL, 0, 50 + KML_GROUP_GONE_S);
  assert_string_equal(joined(&k), "");
  kml_known_groups_clear(&k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(nothing_before_the_first_list),
      cmocka_unit_test(a_group_missed_once_is_still_read),
      cmocka_unit_test(a_group_gone_for_good_is_forgotten),
      cmocka_unit_test(new_and_missing_groups_merge_sorted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
