/* Unit tests for src/kml_map.c: get/find, growth, sweeping by round (with
 * and without a keep predicate) and the backward-shift delete, checked
 * against a plain array model under many inserts and sweeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kml_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int v;
} val_t;

static void get_creates_zeroed_and_find_does_not_touch(void **state) {
  kml_map_t *m = kml_map_new(sizeof(val_t));
  int created;
  val_t *a = kml_map_get(m, "a", 1, &created);
  assert_non_null(a);
  assert_int_equal(created, 1);
  assert_int_equal(a->v, 0);
  a->v = 7;
  val_t *b = kml_map_get(m, "a", 2, &created);
  assert_int_equal(created, 0);
  assert_ptr_equal(a, b);
  assert_int_equal(((val_t *)kml_map_find(m, "a"))->v, 7);
  assert_null(kml_map_find(m, "b"));
  /* find does not touch: "a" was last touched in round 2 */
  assert_int_equal(kml_map_sweep(m, 3), 1);
  assert_int_equal(kml_map_size(m), 0);
  kml_map_destroy(m);
}

static void sum_swept(const char *key, void *value, void *ud) {
  (void)key;
  *(int *)ud += ((val_t *)value)->v;
}

static void sweep_each_shows_each_entry_before_removing_it(void **state) {
  (void)state;
  kml_map_t *m = kml_map_new(sizeof(val_t));
  int created, sum = 0;
  ((val_t *)kml_map_get(m, "old", 1, &created))->v = 7;
  ((val_t *)kml_map_get(m, "older", 0, &created))->v = 30;
  ((val_t *)kml_map_get(m, "new", 5, &created))->v = 100;
  assert_int_equal(kml_map_sweep_each(m, 3, sum_swept, &sum), 2);
  assert_int_equal(sum, 37); /* the two swept, with their last values */
  assert_null(kml_map_find(m, "old"));
  assert_int_equal(kml_map_size(m), 1);
  assert_int_equal(kml_map_sweep_each(m, 6, NULL, NULL), 1);
  kml_map_destroy(m);
}

static void grows_and_keeps_values(void **state) {
  kml_map_t *m = kml_map_new(sizeof(val_t));
  char key[32];
  int created;
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    ((val_t *)kml_map_get(m, key, 1, &created))->v = i;
  }
  assert_int_equal(kml_map_size(m), 5000);
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    val_t *v = kml_map_find(m, key);
    assert_non_null(v);
    assert_int_equal(v->v, i);
  }
  kml_map_destroy(m);
}

/* Backward shift: after deleting from the middle of probe chains, every
 * remaining key must still be found (a tombstone-free table loses keys
 * when an entry is not moved back into the hole). */
static void count_shown(const char *key, void *value, void *ud) {
  (void)key;
  (void)value;
  (*(int *)ud)++;
}

static void backward_shift_delete_keeps_chains_whole(void **state) {
  enum { N = 3000 };
  kml_map_t *m = kml_map_new(sizeof(val_t));
  static int alive[N];
  static uint64_t touched[N];
  char key[32];
  int created;
  srand(12345);
  for (uint64_t round = 1; round <= 60; round++) {
    for (int i = 0; i < N; i++) {
      /* touch a random two thirds of the keys each round */
      if (rand() % 3 == 0)
        continue;
      snprintf(key, sizeof(key), "key-%d", i);
      val_t *v = kml_map_get(m, key, round, &created);
      assert_non_null(v);
      assert_int_equal(created, !alive[i]);
      v->v = i;
      alive[i] = 1;
      touched[i] = round;
    }
    /* sweep what was not touched in the last two rounds */
    size_t expect = 0;
    for (int i = 0; i < N; i++)
      if (alive[i] && touched[i] + 1 < round) {
        alive[i] = 0;
        expect++;
      }
    /* the three sweeps share one loop; each takes its turn */
    int shown = 0;
    size_t swept = round % 3 == 0 ? kml_map_sweep(m, round - 1)
                   : round % 3 == 1
                       ? kml_map_sweep_keep(m, round - 1, NULL, NULL)
                       : kml_map_sweep_each(m, round - 1, count_shown, &shown);
    assert_int_equal(swept, expect);
    if (round % 3 == 2)
      assert_int_equal(shown, expect);
    size_t live = 0;
    for (int i = 0; i < N; i++) {
      snprintf(key, sizeof(key), "key-%d", i);
      val_t *v = kml_map_find(m, key);
      if (alive[i]) {
        assert_non_null(v);
        assert_int_equal(v->v, i);
        live++;
      } else {
        assert_null(v);
      }
    }
    assert_int_equal(kml_map_size(m), live);
  }
  kml_map_destroy(m);
}

static int keep_prefix_x(const char *key, void *ud) {
  (void)ud;
  return key[0] == 'x';
}

static void sweep_keep_spares_what_the_predicate_keeps(void **state) {
  kml_map_t *m = kml_map_new(sizeof(val_t));
  int created;
  kml_map_get(m, "x1", 1, &created);
  kml_map_get(m, "y1", 1, &created);
  kml_map_get(m, "y2", 5, &created);
  assert_int_equal(kml_map_sweep_keep(m, 5, keep_prefix_x, NULL), 1);
  assert_non_null(kml_map_find(m, "x1"));
  assert_null(kml_map_find(m, "y1"));
  assert_non_null(kml_map_find(m, "y2"));
  kml_map_destroy(m);
}

static void count_entries(const char *key, void *value, void *ud) {
  (void)key;
  (void)value;
  (*(int *)ud)++;
}

static void foreach_visits_each_entry_once(void **state) {
  kml_map_t *m = kml_map_new(sizeof(val_t));
  char key[32];
  int created, n = 0;
  for (int i = 0; i < 100; i++) {
    snprintf(key, sizeof(key), "%d", i);
    kml_map_get(m, key, 1, &created);
  }
  kml_map_foreach(m, count_entries, &n);
  assert_int_equal(n, 100);
  kml_map_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(get_creates_zeroed_and_find_does_not_touch),
      cmocka_unit_test(grows_and_keeps_values),
      cmocka_unit_test(sweep_each_shows_each_entry_before_removing_it),
      cmocka_unit_test(backward_shift_delete_keeps_chains_whole),
      cmocka_unit_test(sweep_keep_spares_what_the_predicate_keeps),
      cmocka_unit_test(foreach_visits_each_entry_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
