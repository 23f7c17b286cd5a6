/* Unit tests for src/ml/peer_groups.c: populations split by GroupBy,
 * counters compared as rates, persistence before a WARNING, hysteresis
 * before an OKAY, members' own history as the floor of the spread (a
 * healthy group's saw-tooth lag around a median of 0 stays quiet for
 * hours), stale and idle members, and feeding from several threads while
 * the read side evaluates. Times are explicit: nothing waits on a clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/peer_groups.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HOST = 1u << 0, PLUGIN = 1u << 1, PI = 1u << 2, TYPE = 1u << 3 };

static void feed(kml_peer_groups_t *g, const char *host, const char *pi,
                 const char *type, const char *ti, kml_ds_kind_t k, double t,
                 double v) {
  const char *const id[KML_PEER_FIELDS] = {host, "kafka", pi, type, ti};
  assert_int_equal(kml_peer_groups_feed(g, id, "value", k, t, v), 0);
}

/* Evaluate; the changes are appended to all (may be NULL) and counted. */
static long eval(kml_peer_groups_t *g, double now, double interval,
                 kml_peer_change_t *all, long *n_all) {
  kml_peer_change_t *ch;
  long n = kml_peer_groups_eval(g, now, interval, 86400, &ch);
  assert_true(n >= 0);
  assert_true(n == 0 ? ch == NULL : ch != NULL);
  for (long i = 0; all != NULL && i < n; i++)
    all[(*n_all)++] = ch[i];
  free(ch);
  return n;
}

/* Five brokers at 2 s; broker 3 runs at 6000 from hot_from to hot_to. */
static void brokers(kml_peer_groups_t *g, double t, double hot_from,
                    double hot_to) {
  for (int b = 1; b <= 5; b++) {
    char pi[32];
    snprintf(pi, sizeof(pi), "broker-%d", b);
    double v = 1000 + 7 * b;
    if (b == 3 && t >= hot_from && t < hot_to)
      v = 6000;
    feed(g, "cluster", pi, "kafka_messages_in", "", KML_DS_GAUGE, t, v);
  }
}

static void warning_after_persist_then_okay(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.group_by = HOST | TYPE;
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  assert_non_null(g);
  kml_peer_change_t all[8];
  long n = 0;
  double warned = 0, okay = 0;
  for (double t = 1000; t < 1200; t += 2) {
    brokers(g, t, 1100, 1150);
    long before = n;
    eval(g, t, 2, all, &n);
    if (n > before && all[n - 1].outlier)
      warned = t;
    else if (n > before)
      okay = t;
  }
  assert_int_equal(n, 2);
  /* judged an outlier from t = 1100 on: the WARNING once it held 30 s */
  assert_true(warned == 1130);
  assert_string_equal(all[0].id[2], "broker-3");
  assert_string_equal(all[0].population, "cluster/kafka_messages_in");
  assert_int_equal(all[0].members, 5);
  assert_true(all[0].since == 1100 && all[0].z > 3.5);
  assert_true(all[0].population_summary.median == 1028);
  assert_true(all[0].value == 6000);
  /* back in line at 1150: OKAY at the first evaluation */
  assert_true(okay == 1150);
  assert_false(all[1].outlier);
  assert_string_equal(all[1].id[2], "broker-3");
  kml_peer_groups_destroy(g);
}

static void short_episodes_are_not_notified(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.group_by = HOST | TYPE;
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  long total = 0;
  /* 20 s hot every 100 s for an hour: each episode is shorter than
   * Persist */
  for (double t = 0; t < 3600; t += 2) {
    double phase = fmod(t, 100);
    brokers(g, t, t - phase + 50, t - phase + 70);
    total += eval(g, t, 2, NULL, NULL);
  }
  assert_int_equal(total, 0);
  kml_peer_groups_destroy(g);
  /* The same with Persist 0: every episode is a WARNING and an OKAY. */
  c.persist = 0;
  g = kml_peer_groups_new(&c);
  for (double t = 0; t < 3600; t += 2) {
    double phase = fmod(t, 100);
    brokers(g, t, t - phase + 50, t - phase + 70);
    total += eval(g, t, 2, NULL, NULL);
  }
  assert_int_equal(total, 72);
  kml_peer_groups_destroy(g);
}

static void hysteresis_keeps_a_member_near_the_line(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.group_by = HOST | TYPE;
  c.persist = 10;
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  kml_peer_change_t all[4];
  long n = 0;
  double t = 0;
  /* the median is ~1021, the floor ~102: z = 0.6745 * d / 102 */
  double levels[] = {6000, 1021 + 300, 1021 + 100};
  long expect[] = {1, 1, 2}; /* z 2.0: still an outlier; 0.66: OKAY */
  for (int phase = 0; phase < 3; phase++)
    for (int k = 0; k < 20; k++, t += 2) {
      for (int b = 1; b <= 5; b++) {
        char pi[32];
        snprintf(pi, sizeof(pi), "broker-%d", b);
        double v = b == 3 ? levels[phase] : 1000 + 7 * b;
        feed(g, "c", pi, "kafka_messages_in", "", KML_DS_GAUGE, t, v);
      }
      eval(g, t, 2, all, &n);
      if (k == 19)
        assert_int_equal(n, expect[phase]);
    }
  assert_false(all[1].outlier);
  kml_peer_groups_destroy(g);
}

static void group_by_separates_populations(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.group_by = HOST | PI | TYPE; /* partitions of each topic apart */
  c.persist = 0;
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  kml_peer_change_t all[8];
  long n = 0;
  /* topic a: partitions near 100; topic b: near 1000. Together partition
   * b-0 would look odd; per topic nothing is. Then a-2 runs hot. */
  for (double t = 0; t < 40; t += 2) {
    for (int p = 0; p < 4; p++) {
      char ti[16];
      snprintf(ti, sizeof(ti), "a-%d", p);
      feed(g, "h", "topic-a", "kafka_messages_in", ti, KML_DS_GAUGE, t,
           p == 2 && t >= 20 ? 900 : 100 + p);
      snprintf(ti, sizeof(ti), "b-%d", p);
      feed(g, "h", "topic-b", "kafka_messages_in", ti, KML_DS_GAUGE, t,
           1000 + p);
    }
    feed(g, "h", "topic-c", "kafka_messages_in", "c-0", KML_DS_GAUGE, t, 5);
    eval(g, t, 2, all, &n);
  }
  assert_int_equal(n, 1);
  assert_string_equal(all[0].id[4], "a-2");
  assert_string_equal(all[0].population, "h/topic-a/kafka_messages_in");
  assert_int_equal(all[0].members, 4);
  assert_int_equal(kml_peer_groups_size(g), 9);
  kml_peer_groups_destroy(g);
}

static void counters_are_compared_as_rates(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.group_by = HOST | PI | TYPE;
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  kml_peer_change_t all[4];
  long n = 0;
  /* offsets of 6 partitions, far apart in value, equal in rate (50/s);
   * partition 4 speeds up to 400/s at t = 100 */
  double off[6] = {1e6, 5e3, 7e7, 0, 123456, 42};
  for (double t = 0; t < 200; t += 2) {
    for (int p = 0; p < 6; p++) {
      char ti[16];
      snprintf(ti, sizeof(ti), "orders-%d", p);
      off[p] += 2 * (p == 4 && t >= 100 ? 400 : 50);
      feed(g, "h", "topic-orders", "kafka_offset", ti, KML_DS_DERIVE, t,
           off[p]);
    }
    eval(g, t, 2, all, &n);
  }
  assert_int_equal(n, 1);
  assert_string_equal(all[0].id[4], "orders-4");
  assert_true(fabs(all[0].value - 400) < 1e-6);
  assert_true(fabs(all[0].population_summary.median - 50) < 1e-6);
  kml_peer_groups_destroy(g);
}

/* A deterministic generator for the saw-tooth tests. */
static double uniform(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0;
}

/* Lag of 6 partitions of a healthy group over `hours` at 2 s: messages
 * arrive at random (0-4 per interval and partition), the consumer commits
 * every 5 s on average and catches up; now and then a batch of 10-30
 * messages lands on one partition and is consumed within a few seconds.
 * Returns the notifications a block with configuration c sends. */
static long healthy_lag(kml_peer_groups_cfg_t c, double hours) {
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  uint64_t rng = 7;
  double lag[6] = {0};
  long total = 0;
  for (double t = 0; t < hours * 3600; t += 2) {
    for (int p = 0; p < 6; p++) {
      lag[p] += floor(uniform(&rng) * 5);
      if (uniform(&rng) < 0.01)
        lag[p] += 10 + floor(uniform(&rng) * 20);
      if (uniform(&rng) < 0.4) /* a commit: caught up */
        lag[p] = floor(uniform(&rng) * 2);
      char ti[16];
      snprintf(ti, sizeof(ti), "clicks-%d", p);
      feed(g, "h", "group-svc", "kafka_lag", ti, KML_DS_GAUGE, t, lag[p]);
    }
    total += eval(g, t, 2, NULL, NULL);
  }
  kml_peer_groups_destroy(g);
  return total;
}

static void healthy_lag_around_zero_stays_quiet(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.group_by = HOST | PI | TYPE;
  assert_int_equal(healthy_lag(c, 3), 0);
  /* Without the history floors and persistence the same hours page
   * again and again (the rule these replaced). */
  c.rules.step_floor = 0;
  c.persist = 0;
  long old = healthy_lag(c, 3);
  print_message("# healthy lag, 3 h of 6 partitions at 2 s: 0 "
                "notifications; %ld without the history floor and Persist\n",
                old);
  assert_true(old > 100);
}

static void stale_members_leave_and_idle_ones_are_forgotten(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.group_by = HOST | TYPE;
  c.persist = 0;
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  kml_peer_change_t all[4];
  long n = 0;
  /* an empty block evaluates to nothing */
  assert_int_equal(eval(g, 0, 2, all, &n), 0);
  for (double t = 0; t < 20; t += 2) {
    brokers(g, t, 0, 0);
    eval(g, t, 2, all, &n);
  }
  /* broker 3's last value was hot, then it stopped reporting: once older
   * than 3 intervals it takes no part, so it is never named */
  feed(g, "cluster", "broker-3", "kafka_messages_in", "", KML_DS_GAUGE, 20,
       6000);
  for (double t = 22; t < 60; t += 2) {
    for (int b = 1; b <= 5; b++) {
      char pi[32];
      snprintf(pi, sizeof(pi), "broker-%d", b);
      if (b != 3)
        feed(g, "cluster", pi, "kafka_messages_in", "", KML_DS_GAUGE, t, 1000);
    }
    if (t > 26)
      eval(g, t, 2, all, &n);
  }
  assert_int_equal(n, 0);
  assert_int_equal(kml_peer_groups_size(g), 5);
  /* idle 10 s at a 2 s interval: forgotten after 5 + 3 evaluations */
  kml_peer_change_t *ch;
  for (int i = 0; i < 10; i++) {
    assert_true(kml_peer_groups_eval(g, 100 + 2 * i, 2, 10, &ch) >= 0);
    free(ch);
  }
  assert_int_equal(kml_peer_groups_size(g), 0);
  kml_peer_groups_destroy(g);
}

/* An outlier that stops reporting takes no part in evaluations and keeps
 * its WARNING; once forgotten (idle) it gets its OKAY, or the alert would
 * stay up for a member that no longer exists. */
static void an_outlier_forgotten_gets_its_okay(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.group_by = HOST | TYPE;
  c.persist = 0;
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  kml_peer_change_t *ch;
  long n;
  for (double t = 0; t < 20; t += 2) {
    brokers(g, t, 10, 1e9);
    n = kml_peer_groups_eval(g, t, 2, 10, &ch);
    assert_int_equal(n, t == 10 ? 1 : 0); /* the WARNING at 10 */
    if (n > 0)
      assert_true(ch[0].outlier && !ch[0].gone);
    free(ch);
  }
  /* broker 3 stops; the others go on. Idle 10 s at 2 s: forgotten after
   * 5 + 3 evaluations without a value */
  int okays = 0;
  double okay_at = 0;
  for (double t = 20; t < 60; t += 2) {
    for (int b = 1; b <= 5; b++) {
      char pi[32];
      snprintf(pi, sizeof(pi), "broker-%d", b);
      if (b != 3)
        feed(g, "cluster", pi, "kafka_messages_in", "", KML_DS_GAUGE, t,
             1000 + 7 * b);
    }
    n = kml_peer_groups_eval(g, t, 2, 10, &ch);
    assert_true(n >= 0);
    for (long i = 0; i < n; i++) {
      assert_false(ch[i].outlier);
      assert_true(ch[i].gone);
      assert_string_equal(ch[i].id[2], "broker-3");
      assert_string_equal(ch[i].population, "cluster/kafka_messages_in");
      assert_true(ch[i].value == 6000 && ch[i].since == 10);
      okays++;
      okay_at = t;
    }
    free(ch);
  }
  assert_int_equal(okays, 1);
  assert_true(okay_at == 34);
  assert_int_equal(kml_peer_groups_size(g), 4);
  kml_peer_groups_destroy(g);
}

static void extreme_values_keep_history_finite(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  c.persist = 0;
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  const double xs[] = {1e308, -1e308, 5e-324, 0, NAN, INFINITY, -INFINITY, 1};
  long n = 0;
  for (int i = 0; i < 64; i++) {
    for (int m = 0; m < 4; m++) {
      char pi[8];
      snprintf(pi, sizeof(pi), "b-%d", m);
      feed(g, "h", pi, "t", "", KML_DS_GAUGE, i, xs[(i + m) % 8]);
    }
    kml_peer_change_t *ch;
    long k = kml_peer_groups_eval(g, i, 1, 86400, &ch);
    assert_true(k >= 0);
    for (long j = 0; j < k; j++) {
      assert_true(isfinite(ch[j].z) && isfinite(ch[j].value));
      assert_true(isfinite(ch[j].population_summary.mad));
      n++;
    }
    free(ch);
  }
  assert_true(n > 0); /* the extremes do make outliers */
  kml_peer_groups_destroy(g);
}

/* Write threads feed while the read side evaluates (run under TSan by
 * tools/test). */
static kml_peer_groups_t *shared;
static void *writer(void *arg) {
  int w = (int)(intptr_t)arg;
  for (int i = 0; i < 2000; i++) {
    char pi[32];
    snprintf(pi, sizeof(pi), "broker-%d", w * 10 + i % 10);
    const char *const id[KML_PEER_FIELDS] = {"h", "kafka", pi, "t", ""};
    kml_peer_groups_feed(shared, id, "value", KML_DS_GAUGE, 1 + i / 10,
                         100 + (i % 7));
  }
  return NULL;
}

static void feeding_threads_and_an_evaluator(void **state) {
  (void)state;
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  shared = kml_peer_groups_new(&c);
  pthread_t th[4];
  for (int w = 0; w < 4; w++)
    pthread_create(&th[w], NULL, writer, (void *)(intptr_t)w);
  for (int i = 0; i < 200; i++) {
    kml_peer_change_t *ch;
    assert_true(kml_peer_groups_eval(shared, 1 + i, 1, 86400, &ch) >= 0);
    free(ch);
  }
  for (int w = 0; w < 4; w++)
    pthread_join(th[w], NULL);
  assert_int_equal(kml_peer_groups_size(shared), 40);
  kml_peer_groups_destroy(shared);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(warning_after_persist_then_okay),
      cmocka_unit_test(short_episodes_are_not_notified),
      cmocka_unit_test(hysteresis_keeps_a_member_near_the_line),
      cmocka_unit_test(group_by_separates_populations),
      cmocka_unit_test(counters_are_compared_as_rates),
      cmocka_unit_test(healthy_lag_around_zero_stays_quiet),
      cmocka_unit_test(stale_members_leave_and_idle_ones_are_forgotten),
      cmocka_unit_test(an_outlier_forgotten_gets_its_okay),
      cmocka_unit_test(extreme_values_keep_history_finite),
      cmocka_unit_test(feeding_threads_and_an_evaluator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
