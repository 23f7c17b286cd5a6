/* Unit tests for src/kafka/rebalance.c: the Poisson tail, storms against
 * a group's own history with an absolute floor, member churn (exact and
 * estimated), client ids in the message, and time rather than counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/rebalance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void poisson_tail(void **state) {
  assert_true(kml_rebalance_tail(0, 3.0) == 1.0);
  assert_true(fabs(kml_rebalance_tail(1, 0.5) - (1 - exp(-0.5))) < 1e-12);
  /* P(N >= 3 | 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125) */
  double want = 1 - exp(-0.5) * 1.625;
  assert_true(fabs(kml_rebalance_tail(3, 0.5) - want) < 1e-12);
  /* tiny tails keep their precision */
  double t = kml_rebalance_tail(20, 0.01);
  assert_true(t > 0 && t < 1e-50);
  /* around the mean of a large mean, about a half */
  double h = kml_rebalance_tail(100, 100);
  assert_true(h > 0.45 && h < 0.55);
  assert_true(kml_rebalance_tail(5, 0) == 0.0);
}

/* Members m0..m(n-1) named with prefix, client ids "client-<i % clients>". */
typedef struct {
  kml_member_t m[2000];
  char ids[2000][32], cids[2000][32];
} members_t;

static members_t *members_new(void) { return calloc(1, sizeof(members_t)); }

static void set_members(members_t *ms, const char *prefix, int first, int n,
                        const char *client) {
  for (int i = 0; i < n; i++) {
    snprintf(ms->ids[i], sizeof(ms->ids[i]), "%s-%d", prefix, first + i);
    snprintf(ms->cids[i], sizeof(ms->cids[i]), "%s", client);
    ms->m[i].id = ms->ids[i];
    ms->m[i].client_id = ms->cids[i];
  }
}

static void single_restart_is_not_a_storm(void **state) {
  kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
  kml_rebalance_t st = {0};
  kml_rebalance_verdict_t v;
  members_t *ms = members_new();
  double t = 1e9;
  set_members(ms, "a", 0, 3, "svc");
  kml_rebalance_observe(&st, &o, t, 0, ms->m, 3, &v);
  assert_int_equal(v.joined, 0); /* the first look is not a join */
  /* one consumer restarts: it leaves (one rebalance), comes back (one) */
  set_members(ms, "a", 0, 2, "svc");
  kml_rebalance_observe(&st, &o, t += 10, 1, ms->m, 2, &v);
  set_members(ms, "a", 0, 3, "svc");
  snprintf(ms->ids[2], sizeof(ms->ids[2]), "a-2-again");
  kml_rebalance_observe(&st, &o, t += 10, 1, ms->m, 3, &v);
  assert_int_equal(v.joined, 1);
  assert_int_equal(v.left, 1);
  assert_int_equal(v.rebalances, 2);
  assert_false(v.storm);
  assert_false(v.changed);
  free(ms);
}

/* A storm on a group quiet for two days: consumers "flappy" join and
 * leave every 30 s. */
static void storm_on_a_quiet_group_then_calm(void **state) {
  kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
  kml_rebalance_t st = {0};
  kml_rebalance_verdict_t v;
  members_t *ms = members_new();
  double t = 1e9;
  set_members(ms, "stable", 0, 4, "billing");
  for (int i = 0; i < 2 * 8640; i++) /* two days at 10 s */
    kml_rebalance_observe(&st, &o, t += 10, 0, ms->m, 4, &v);
  assert_false(v.storm);
  assert_true(v.usual_per_hour < 0.05);
  int warned_at = -1, gen = 0;
  for (int i = 0; i < 30; i++) { /* 5 min */
    int flap = i % 3 == 0;
    int n = 4;
    if (flap) {
      /* a new incarnation of the flappy consumer each time */
      set_members(ms, "stable", 0, 4, "billing");
      snprintf(ms->ids[4], sizeof(ms->ids[4]), "flappy-%d", gen++);
      snprintf(ms->cids[4], sizeof(ms->cids[4]), "flappy");
      ms->m[4] = (kml_member_t){.id = ms->ids[4], .client_id = ms->cids[4]};
      n = 5;
    }
    kml_rebalance_observe(&st, &o, t += 10, flap, ms->m, n, &v);
    if (v.storm && warned_at < 0) {
      warned_at = i;
      assert_true(v.changed);
    }
  }
  assert_true(warned_at >= 0);
  assert_true(warned_at <= 12); /* the 4th flap: floor 4 */
  assert_true(v.rebalances >= 4);
  assert_true(v.joined >= 4 && v.left >= 3);
  assert_true(v.per_hour == v.rebalances * 3600.0 / o.window);
  kml_rebalance_text_t txt;
  kml_event_t ev = {0};
  kml_rebalance_event(&v, &st, &o, "svc-billing", ms->m, 4, &txt, &ev);
  assert_int_equal(ev.severity, KML_SEV_WARNING);
  assert_non_null(strstr(ev.message, "rebalance storm"));
  assert_non_null(strstr(ev.message, "flappy"));
  assert_non_null(strstr(txt.clients, "billing x4"));
  assert_non_null(strstr(txt.joined, "flappy x"));
  assert_true(ev.n_meta <= KML_EVENT_META_MAX);
  assert_true(strlen(ev.message) < sizeof(ev.message));
  /* calm: the window (an hour) empties, OKAY once */
  set_members(ms, "stable", 0, 4, "billing");
  int changes = 0;
  for (int i = 0; i < 420; i++) {
    kml_rebalance_observe(&st, &o, t += 10, 0, ms->m, 4, &v);
    changes += v.changed;
  }
  assert_false(v.storm);
  assert_int_equal(changes, 1);
  kml_rebalance_event(&v, &st, &o, "svc-billing", ms->m, 4, &txt, &ev);
  assert_int_equal(ev.severity, KML_SEV_OKAY);
  assert_non_null(strstr(ev.message, "calmly"));
  free(ms);
}

/* A group that rebalances 30 times an hour all day (an autoscaler): its
 * usual pace is no storm, three times that pace is. */
static void busy_group_is_judged_by_its_own_history(void **state) {
  kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
  kml_rebalance_t st = {0};
  kml_rebalance_verdict_t v;
  double t = 1e9;
  int storms = 0;
  for (int i = 0; i < 2 * 8640; i++) { /* 2 days, one every 120 s */
    kml_rebalance_observe(&st, &o, t += 10, i % 12 == 0, NULL, 0, &v);
    storms += v.storm && v.changed && i > 8640;
  }
  assert_int_equal(storms, 0);
  assert_true(fabs(v.usual_per_hour - 30) < 3);
  assert_int_equal(v.joined, -1); /* members never listed */
  int warned = 0;
  for (int i = 0; i < 60; i++) { /* 10 min at one every 10 s */
    kml_rebalance_observe(&st, &o, t += 10, 1, NULL, 0, &v);
    warned |= v.storm;
  }
  assert_true(warned);
}

/* The same storm seen every second or every minute is the same storm. */
static void time_not_counts(void **state) {
  double steps[] = {1, 10, 60};
  for (int s = 0; s < 3; s++) {
    kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
    kml_rebalance_t st = {0};
    kml_rebalance_verdict_t v;
    double t = 1e9, step = steps[s];
    for (double x = 0; x < 86400; x += step)
      kml_rebalance_observe(&st, &o, t += step, 0, NULL, 0, &v);
    assert_false(v.storm);
    /* six rebalances, one a minute */
    double first = -1;
    for (double x = 0; x < 600; x += step) {
      int now = fmod(x, 60) < step;
      kml_rebalance_observe(&st, &o, t += step, now, NULL, 0, &v);
      if (v.storm && first < 0)
        first = x;
    }
    assert_true(first >= 180 && first <= 240); /* at the 4th */
  }
}

static void churn_of_a_big_group_is_estimated(void **state) {
  kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
  kml_rebalance_t st = {0};
  kml_rebalance_verdict_t v;
  members_t *ms = members_new();
  set_members(ms, "m", 0, 1000, "c");
  kml_rebalance_observe(&st, &o, 1e9, 0, ms->m, 1000, &v);
  /* 200 members replaced by new ones */
  set_members(ms, "m", 200, 1000, "c");
  kml_rebalance_observe(&st, &o, 1e9 + 10, 1, ms->m, 1000, &v);
  assert_true(v.joined >= 100 && v.joined <= 300);
  assert_true(v.left >= 100 && v.left <= 300);
  /* nothing changes: no churn is added */
  kml_rebalance_observe(&st, &o, 1e9 + 20, 0, ms->m, 1000, &v);
  int j = v.joined;
  kml_rebalance_observe(&st, &o, 1e9 + 30, 0, ms->m, 1000, &v);
  assert_int_equal(v.joined, j);
  free(ms);
}

static void a_long_storm_overflows_the_ring_without_losing_count(void **state) {
  kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
  kml_rebalance_t st = {0};
  kml_rebalance_verdict_t v;
  double t = 1e9;
  for (int i = 0; i < 100; i++) /* 100 s, one a second */
    kml_rebalance_observe(&st, &o, t += 1, 1, NULL, 0, &v);
  assert_int_equal(v.rebalances, 100);
  assert_true(v.storm);
  assert_true(st.n <= KML_REBALANCE_RING);
}

static void storm_message_lists_many_clients_within_bounds(void **state) {
  kml_rebalance_opts_t o = KML_REBALANCE_OPTS_DEFAULT;
  kml_rebalance_t st = {0};
  kml_rebalance_verdict_t v;
  members_t *ms = members_new();
  for (int i = 0; i < 50; i++) {
    snprintf(ms->ids[i], sizeof(ms->ids[i]), "m%d", i);
    snprintf(ms->cids[i], sizeof(ms->cids[i]), "a-rather-long-client-id-%02d",
             i);
    ms->m[i] = (kml_member_t){.id = ms->ids[i], .client_id = ms->cids[i]};
  }
  ms->m[7].client_id = NULL; /* out of memory in the snapshot */
  kml_rebalance_observe(&st, &o, 1e9, 1, ms->m, 50, &v);
  kml_rebalance_text_t txt;
  kml_event_t ev = {0};
  v.storm = 1;
  kml_rebalance_event(&v, &st, &o, "g", ms->m, 50, &txt, &ev);
  assert_true(strlen(txt.clients) < sizeof(txt.clients));
  assert_non_null(strstr(txt.clients, "more"));
  free(ms);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(poisson_tail),
      cmocka_unit_test(single_restart_is_not_a_storm),
      cmocka_unit_test(storm_on_a_quiet_group_then_calm),
      cmocka_unit_test(busy_group_is_judged_by_its_own_history),
      cmocka_unit_test(time_not_counts),
      cmocka_unit_test(churn_of_a_big_group_is_estimated),
      cmocka_unit_test(a_long_storm_overflows_the_ring_without_losing_count),
      cmocka_unit_test(storm_message_lists_many_clients_within_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
