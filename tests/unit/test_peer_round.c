/* Unit tests for src/ml/peer_round.c: one evaluation of a peers block, with
 * a toy member (a population, a value, a time) and a toy rule (a value
 * above 100 is an outlier at once). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/peer_round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char population[8];
  double value, time;
  int outlier;
} member_t;

typedef struct {
  char population[8];
  double value;
  int outlier, members, gone;
} change_t;

typedef struct {
  double fresh_after;
  int no_room;   /* room refuses */
  size_t room;   /* room asked for */
  char seen[64]; /* populations judged, in order, with their sizes */
} block_t;

static int fresh(const void *m, void *ud) {
  return ((const member_t *)m)->time >= ((block_t *)ud)->fresh_after;
}

static const char *population(const void *m) {
  return ((const member_t *)m)->population;
}

static int order(const void *a, const void *b) {
  const member_t *x = *(void *const *)a, *y = *(void *const *)b;
  int c = strcmp(x->population, y->population);
  return c ? c : (x->value > y->value) - (x->value < y->value);
}

static int room(void *ud, size_t n) {
  block_t *b = ud;
  b->room = n;
  return b->no_room ? -1 : 0;
}

static void judge(void *const *v, int n, void *changes, long *n_changes,
                  void *ud) {
  block_t *b = ud;
  size_t l = strlen(b->seen);
  snprintf(b->seen + l, sizeof(b->seen) - l, "%s%d ",
           ((member_t *)v[0])->population, n);
  for (int k = 0; k < n; k++) {
    member_t *m = v[k];
    assert_string_equal(m->population, ((member_t *)v[0])->population);
    int outlier = m->value > 100;
    if (outlier == m->outlier)
      continue;
    m->outlier = outlier;
    change_t *c = (change_t *)changes + (*n_changes)++;
    memset(c, 0, sizeof(*c));
    strcpy(c->population, m->population);
    c->value = m->value;
    c->outlier = outlier;
    c->members = n;
  }
}

static int outlier(const void *m) { return ((const member_t *)m)->outlier; }

static void gone(void *m, void *change, void *ud) {
  (void)ud;
  member_t *mb = m;
  change_t *c = change;
  memset(c, 0, sizeof(*c));
  strcpy(c->population, mb->population);
  c->value = mb->value;
  c->gone = 1;
  mb->outlier = 0;
}

static const kml_peer_round_t rule = {
    .change_size = sizeof(change_t),
    .fresh = fresh,
    .population = population,
    .order = order,
    .room = room,
    .judge = judge,
    .outlier = outlier,
    .gone = gone,
};

static void put(kml_map_t *m, const char *key, const char *pop, double v,
                double t, uint64_t round) {
  int created;
  member_t *mb = kml_map_get(m, key, round, &created);
  assert_non_null(mb);
  strcpy(mb->population, pop);
  mb->value = v;
  mb->time = t;
}

/* Fresh members are judged by population, in order, each population once;
 * stale ones take no part. Room is made for every fresh member. */
static void populations_are_judged_together(void **state) {
  (void)state;
  kml_map_t *m = kml_map_new(sizeof(member_t));
  uint64_t round = 0;
  put(m, "1", "b", 1, 100, round);
  put(m, "2", "a", 2, 100, round);
  put(m, "3", "b", 300, 100, round);
  put(m, "4", "c", 4, 100, round);
  put(m, "5", "a", 500, 100, round);
  put(m, "6", "d", 600, 50, round); /* stale */
  block_t b = {.fresh_after = 70};
  void *ch;
  long n = kml_peer_round_eval(&rule, m, &round, 10, 3600, &b, &ch);
  assert_int_equal(n, 2);
  assert_string_equal(b.seen, "a2 b2 c1 ");
  assert_int_equal(b.room, 5);
  change_t *c = ch;
  assert_string_equal(c[0].population, "a");
  assert_true(c[0].value == 500 && c[0].outlier && c[0].members == 2);
  assert_string_equal(c[1].population, "b");
  assert_true(c[1].value == 300 && c[1].outlier && !c[1].gone);
  assert_int_equal(round, 1);
  free(ch);
  kml_map_destroy(m);
}

/* A member forgotten while an outlier gets its OKAY (gone), after the
 * judged members' changes; one forgotten in line goes silently. */
static void a_forgotten_outlier_gets_its_okay(void **state) {
  (void)state;
  kml_map_t *m = kml_map_new(sizeof(member_t));
  uint64_t round = 0;
  block_t b = {0};
  void *ch;
  put(m, "out", "a", 500, 0, round);
  put(m, "in", "a", 5, 0, round);
  assert_int_equal(kml_peer_round_eval(&rule, m, &round, 10, 20, &b, &ch), 1);
  free(ch);
  /* only "k" reports from now on: idle 20 s at 10 s is 2 + 3 evaluations */
  long okays = 0, at = 0;
  for (int i = 2; i <= 12; i++) {
    put(m, "k", "a", 1, i * 10, round);
    b.fresh_after = i * 10 - 30;
    b.seen[0] = '\0';
    long n = kml_peer_round_eval(&rule, m, &round, 10, 20, &b, &ch);
    change_t *c = ch;
    for (long k = 0; k < n; k++) {
      assert_true(c[k].gone && !c[k].outlier && c[k].value == 500);
      okays++;
      at = i;
    }
    free(ch);
  }
  assert_int_equal(okays, 1);
  assert_int_equal(at, 6);
  assert_int_equal(kml_map_size(m), 1);
  kml_map_destroy(m);
}

/* Out of memory before judging: nothing changed, the round not counted. */
static void no_room_changes_nothing(void **state) {
  (void)state;
  kml_map_t *m = kml_map_new(sizeof(member_t));
  uint64_t round = 7;
  put(m, "1", "a", 500, 100, round);
  block_t b = {.no_room = 1};
  void *ch = &b;
  assert_int_equal(kml_peer_round_eval(&rule, m, &round, 10, 20, &b, &ch), -1);
  assert_null(ch);
  assert_int_equal(round, 7);
  assert_string_equal(b.seen, "");
  assert_int_equal(((member_t *)kml_map_find(m, "1"))->outlier, 0);
  kml_map_destroy(m);
}

/* No fresh member: no room asked for, no change, the round counted. */
static void nobody_fresh(void **state) {
  (void)state;
  kml_map_t *m = kml_map_new(sizeof(member_t));
  uint64_t round = 0;
  put(m, "1", "a", 500, 0, round);
  block_t b = {.fresh_after = 100, .no_room = 1};
  void *ch = &b;
  assert_int_equal(kml_peer_round_eval(&rule, m, &round, 10, 20, &b, &ch), 0);
  assert_null(ch);
  assert_int_equal(b.room, 0);
  assert_int_equal(round, 1);
  kml_map_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(populations_are_judged_together),
      cmocka_unit_test(a_forgotten_outlier_gets_its_okay),
      cmocka_unit_test(no_room_changes_nothing),
      cmocka_unit_test(nobody_fresh),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
