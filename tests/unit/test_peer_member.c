/* Unit tests for src/ml/peer_member.c: the per-value state both peers
 * blocks keep, their populations, persistence and forgetting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/peer_member.h"

#include <math.h>
#include <string.h>

/* The first values are a plain mean; later ones weigh by time. */
static void ewma_starts_as_a_plain_mean(void **state) {
  (void)state;
  double mean = 0;
  uint32_t n = 0;
  kml_peer_member_ewma(&mean, &n, 10, 0, 3600);
  kml_peer_member_ewma(&mean, &n, 20, 1, 3600);
  kml_peer_member_ewma(&mean, &n, 30, 1, 3600);
  assert_true(fabs(mean - 20) < 1e-9);
  for (int i = 0; i < 100000; i++)
    kml_peer_member_ewma(&mean, &n, 100, 10, 60);
  assert_true(fabs(mean - 100) < 1e-6);
  assert_int_equal(n, 100003);
}

/* A frozen member keeps its value current but learns no history. */
static void history_learns_unless_frozen(void **state) {
  (void)state;
  kml_peer_member_t m = {0};
  kml_peer_member_learn(&m, 10, 5, 3600, 0);
  kml_peer_member_learn(&m, 20, 7, 3600, 0);
  assert_true(m.have);
  assert_true(fabs(m.typ_abs - 6) < 1e-9 && fabs(m.typ_step - 2) < 1e-9);
  assert_int_equal(m.n_abs, 2);
  assert_int_equal(m.n_step, 1);
  kml_peer_member_learn(&m, 30, 1000, 3600, 1);
  assert_true(m.value == 1000 && m.time == 30);
  assert_true(fabs(m.typ_abs - 6) < 1e-9 && fabs(m.typ_step - 2) < 1e-9);
  kml_peer_member_learn(&m, 40, 1e308, 3600, 0); /* stays finite */
  assert_true(isfinite(m.typ_abs) && isfinite(m.typ_step));
}

static void population_joins_the_chosen_fields(void **state) {
  (void)state;
  const char *const id[5] = {"h", "kafka", "broker-1", "kafka_rtt", ""};
  char pop[64];
  kml_peer_member_population(pop, sizeof(pop), 1u << 0 | 1u << 1 | 1u << 3, id);
  assert_string_equal(pop, "h/kafka/kafka_rtt");
  kml_peer_member_population(pop, sizeof(pop), 0, id);
  assert_string_equal(pop, "");
  char small[6];
  kml_peer_member_population(small, sizeof(small), 0x1f, id);
  assert_string_equal(small, "h/kaf");
}

/* A verdict persists from the first evaluation that judged it; one
 * evaluation not judged starts over. */
static void persistence_starts_over(void **state) {
  (void)state;
  double since = 0;
  assert_false(kml_peer_member_persists(&since, 1, 100, 30));
  assert_true(since == 100);
  assert_false(kml_peer_member_persists(&since, 1, 120, 30));
  assert_false(kml_peer_member_persists(&since, 0, 125, 30));
  assert_true(since == 0);
  assert_false(kml_peer_member_persists(&since, 1, 130, 30));
  assert_true(kml_peer_member_persists(&since, 1, 160, 30));
  double now_or_never = 0; /* persist 0: at the first evaluation */
  assert_true(kml_peer_member_persists(&now_or_never, 1, 7, 0));
}

typedef struct {
  int calls;
  uint64_t round; /* the evaluation that forgot it */
  int value;      /* its last value */
} gone_t;

static uint64_t sweep_round;

static void gone(const char *key, void *member, void *ud) {
  gone_t *g = ud;
  assert_string_equal(key, "a");
  g->calls++;
  g->round = sweep_round;
  g->value = *(int *)member;
}

/* Members not touched for idle seconds of evaluations are forgotten, each
 * shown (its last state) to the caller first. */
static void idle_members_are_forgotten(void **state) {
  (void)state;
  kml_map_t *m = kml_map_new(sizeof(int));
  uint64_t round = 0;
  int created;
  *(int *)kml_map_get(m, "a", round, &created) = 42; /* say, an outlier */
  assert_non_null(kml_map_get(m, "b", round, &created));
  gone_t g = {0};
  for (int i = 0; i < 20; i++) {
    assert_non_null(kml_map_get(m, "b", round, &created));
    sweep_round = round + 1;
    /* 10 + 3 evaluations */
    kml_peer_member_sweep(m, &round, 100, 10, gone, &g);
  }
  assert_int_equal(round, 20);
  assert_int_equal(kml_map_size(m), 1);
  assert_int_equal(g.calls, 1);
  assert_int_equal(g.round, 14);
  assert_int_equal(g.value, 42);
  kml_map_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ewma_starts_as_a_plain_mean),
      cmocka_unit_test(history_learns_unless_frozen),
      cmocka_unit_test(population_joins_the_chosen_fields),
      cmocka_unit_test(persistence_starts_over),
      cmocka_unit_test(idle_members_are_forgotten),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
