/* Unit tests for src/ml/multipeers.c: DBSCAN on its own, then blocks fed
 * synthetic populations of brokers with four values each, evaluated every
 * 10 s as the plugin's read callback does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/multipeers.h"
#include "ml/peer_groups.h"
#include "signals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D 4
static const double mean[D] = {1000, 2000, 5, 40};
static const char *const types[D] = {"kafka_messages_in", "kafka_replicated_in",
                                     "kafka_rtt", "kafka_leaders"};

/* ------------------------------------------------------------- dbscan */

static void dbscan_leaves_the_far_point_as_noise(void **state) {
  (void)state;
  kml_multipeers_rules_t r = kml_multipeers_rules_defaults();
  double z[6 * D] = {0};
  kml_sim_rng_t g = {1};
  for (int i = 0; i < 6 * D; i++)
    z[i] = 0.3 * kml_sim_gauss(&g);
  for (int j = 0; j < D; j++)
    z[5 * D + j] += 2; /* 2 on every value: distance about 4 */
  int label[6];
  double reach[6];
  assert_int_equal(kml_multipeers_dbscan(&r, z, 6, D, label, reach), 1);
  for (int i = 0; i < 5; i++)
    assert_int_equal(label[i], 0);
  assert_int_equal(label[5], -1);
  assert_true(reach[5] > r.eps);
}

static void one_far_value_alone_is_not_a_multi_value_outlier(void **state) {
  (void)state;
  kml_multipeers_rules_t r = kml_multipeers_rules_defaults();
  double z[5 * D] = {0};
  z[4 * D + 2] = 40; /* far on one value: the clip bounds it at 2 */
  int label[5];
  double reach[5];
  kml_multipeers_dbscan(&r, z, 5, D, label, reach);
  assert_int_equal(label[4], 0);
  assert_true(reach[4] <= r.eps);
}

static void two_groups_are_two_clusters_not_outliers(void **state) {
  (void)state;
  kml_multipeers_rules_t r = kml_multipeers_rules_defaults();
  double z[8 * D];
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < D; j++)
      z[i * D + j] = i < 4 ? 0 : 3; /* two racks of four brokers */
  int label[8];
  double reach[8];
  assert_int_equal(kml_multipeers_dbscan(&r, z, 8, D, label, reach), 2);
  for (int i = 0; i < 8; i++)
    assert_true(label[i] >= 0);
}

static void points_knowing_one_value_are_not_judged(void **state) {
  (void)state;
  kml_multipeers_rules_t r = kml_multipeers_rules_defaults();
  double z[4 * D] = {0};
  for (int j = 1; j < D; j++)
    z[3 * D + j] = NAN;
  int label[4];
  double reach[4];
  kml_multipeers_dbscan(&r, z, 4, D, label, reach);
  assert_int_equal(label[3], -2);
  assert_int_equal(label[0], 0);
}

/* ------------------------------------------------------------- blocks */

typedef struct {
  int n;           /* members */
  int off;         /* member off (-1 none) */
  double shift[D]; /* its offset in sds per value */
  double from, to; /* while it is off (seconds) */
  double sd;       /* noise as a share of the mean (0.2) */
} population_t;

static kml_multipeers_t *block(void) {
  kml_multipeers_cfg_t c = kml_multipeers_defaults();
  c.n_features = D;
  for (int j = 0; j < D; j++)
    snprintf(c.feature[j], sizeof(c.feature[j]), "%s", types[j]);
  return kml_multipeers_new(&c);
}

static double sample(const population_t *p, kml_sim_rng_t *g, int i, int j,
                     double t) {
  double common = 1 + 0.3 * sin(t / 3000.0); /* all members trend together */
  double v = mean[j] * common * (1 + p->sd * kml_sim_gauss(g));
  if (i == p->off && t >= p->from && t < p->to)
    v += p->shift[j] * p->sd * mean[j] * common;
  return v;
}

/* Run for secs; returns the first WARNING's time of member `who` (-1) and
 * counts WARNINGs of the others in *others; *multi gets that WARNING's
 * rule and *okay the time of its OKAY (-1). */
static double run(const population_t *p, uint64_t seed, double secs, int who,
                  int *others, int *multi, double *okay) {
  kml_multipeers_t *m = block();
  assert_non_null(m);
  kml_sim_rng_t g = {seed};
  double found = -1;
  *others = 0;
  *okay = -1;
  for (double t = 10; t <= secs; t += 10) {
    for (int i = 0; i < p->n; i++) {
      char pi[32];
      snprintf(pi, sizeof(pi), "broker-%d", i);
      for (int j = 0; j < D; j++) {
        const char *id[5] = {"c1", "kafka", pi, types[j], ""};
        double tt = t - 0.3 * kml_sim_uni(&g); /* draws in a fixed order */
        double v = sample(p, &g, i, j, t);
        assert_int_equal(kml_multipeers_feed(m, id, j, KML_DS_GAUGE, tt, v), 0);
      }
    }
    kml_multipeers_change_t *ch;
    long k = kml_multipeers_eval(m, t, 10, 86400, &ch);
    assert_true(k >= 0);
    for (long c = 0; c < k; c++) {
      int i = atoi(ch[c].id[2] + 7);
      if (i == who && ch[c].outlier && found < 0) {
        found = t;
        *multi = ch[c].multi;
      } else if (i == who && !ch[c].outlier && *okay < 0)
        *okay = t;
      else if (i != who && ch[c].outlier)
        (*others)++;
    }
    free(ch);
  }
  kml_multipeers_destroy(m);
  return found;
}

/* One member 1.5 robust sd off on all four values, none of them an
 * outlier alone: found by the several-values rule within 15 minutes (2 to
 * 4 minutes typically), in populations of 3 to 30, over 20 seeds each; no
 * other member named. */
static void slightly_off_on_all_values_is_found(void **state) {
  (void)state;
  int sizes[] = {3, 6, 12, 30};
  for (int s = 0; s < 4; s++)
    for (uint64_t seed = 1; seed <= 20; seed++) {
      population_t p = {
          .n = sizes[s], .off = 1, .from = 600, .to = 1e9, .sd = 0.2};
      for (int j = 0; j < D; j++)
        p.shift[j] = j == 2 ? -1.5 : 1.5; /* mixed directions */
      int others, multi = -1;
      double okay;
      double t = run(&p, seed, 1600, 1, &others, &multi, &okay);
      if (t < 0 || t > 600 + 900 || others != 0 || multi != 1)
        fail_msg("n=%d seed=%llu: found at %g (multi %d), %d others", sizes[s],
                 (unsigned long long)seed, t, multi, others);
    }
}

/* The single-value rule, alone: a member 8 sd off on one value is named
 * at the same evaluations (WARNING and OKAY) as a single-value <Peers>
 * block on that value names it; 2.5 sd on one value is named by neither. */
static double single_block(const population_t *p, uint64_t seed, int j,
                           double secs, double *okay) {
  kml_peer_groups_cfg_t c = kml_peer_groups_defaults();
  kml_peer_groups_t *g = kml_peer_groups_new(&c);
  kml_sim_rng_t r = {seed};
  double found = -1;
  *okay = -1;
  for (double t = 10; t <= secs; t += 10) {
    for (int i = 0; i < p->n; i++) {
      char pi[32];
      snprintf(pi, sizeof(pi), "broker-%d", i);
      for (int f = 0; f < D; f++) {
        double tt = t - 0.3 * kml_sim_uni(&r);
        double v = sample(p, &r, i, f, t);
        const char *id[5] = {"c1", "kafka", pi, types[f], ""};
        if (f == j)
          kml_peer_groups_feed(g, id, "value", KML_DS_GAUGE, tt, v);
      }
    }
    kml_peer_change_t *ch;
    long k = kml_peer_groups_eval(g, t, 10, 86400, &ch);
    for (long c2 = 0; c2 < k; c2++) {
      if (ch[c2].outlier && found < 0 && atoi(ch[c2].id[2] + 7) == p->off)
        found = t;
      if (!ch[c2].outlier && *okay < 0 && atoi(ch[c2].id[2] + 7) == p->off)
        *okay = t;
    }
    free(ch);
  }
  kml_peer_groups_destroy(g);
  return found;
}

static void
off_on_one_value_is_judged_as_the_single_value_peers_do(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    population_t p = {.n = 6, .off = 2, .from = 900, .to = 1500, .sd = 0.2};
    p.shift[2] = 8;
    int others, multi = -1;
    double okay, okay1;
    double t = run(&p, seed, 2400, 2, &others, &multi, &okay);
    double t1 = single_block(&p, seed, 2, 2400, &okay1);
    if (t < 0 || t != t1 || okay != okay1 || multi != 0 || others != 0)
      fail_msg("seed %llu: multi block %g..%g (multi %d, %d others), single "
               "block %g..%g",
               (unsigned long long)seed, t, okay, multi, others, t1, okay1);
    p.shift[2] = 2.5;
    t = run(&p, seed, 2400, 2, &others, &multi, &okay);
    t1 = single_block(&p, seed, 2, 2400, &okay1);
    if (t >= 0 || t1 >= 0 || others != 0)
      fail_msg("seed %llu: 2.5 sd on one value named (%g, single %g)",
               (unsigned long long)seed, t, t1);
  }
}

/* Healthy populations (every member alike, trending together) over one
 * simulated hour each: no notification at all. */
static void healthy_populations_stay_quiet(void **state) {
  (void)state;
  int sizes[] = {3, 5, 10, 30};
  int seeds = getenv("KML_MULTIPEERS_SEEDS")
                  ? atoi(getenv("KML_MULTIPEERS_SEEDS"))
                  : 50;
  long evals = 0;
  for (int s = 0; s < 4; s++)
    for (uint64_t seed = 1; seed <= (uint64_t)seeds; seed++) {
      population_t p = {.n = sizes[s], .off = -1, .sd = 0.2};
      int others, multi;
      double okay;
      run(&p, 1000 + seed, 3600, -1, &others, &multi, &okay);
      evals += 360;
      if (others != 0)
        fail_msg("n=%d seed=%llu: %d notifications", sizes[s],
                 (unsigned long long)(1000 + seed), others);
    }
  print_message("%ld healthy evaluations, no notification\n", evals);
}

/* Unknown values: NaN samples are refused, a member that lacks values is
 * judged on those it has, stale values take no part. */
static void unknown_values_are_left_out(void **state) {
  (void)state;
  kml_multipeers_t *m = block();
  kml_sim_rng_t g = {5};
  for (double t = 10; t <= 1200; t += 10) {
    for (int i = 0; i < 5; i++) {
      char pi[32];
      snprintf(pi, sizeof(pi), "broker-%d", i);
      for (int j = 0; j < D; j++) {
        const char *id[5] = {"c1", "kafka", pi, types[j], ""};
        double v = mean[j] * (1 + 0.2 * kml_sim_gauss(&g));
        if (i == 4 && j > 0)
          continue; /* knows one value only */
        if (i == 3)
          v = NAN;
        if (i == 2 && t > 300)
          continue; /* stale */
        kml_multipeers_feed(m, id, j, KML_DS_GAUGE, t, v);
      }
    }
    kml_multipeers_change_t *ch;
    long k = kml_multipeers_eval(m, t, 10, 86400, &ch);
    assert_int_equal(k, 0);
    free(ch);
  }
  assert_int_equal(kml_multipeers_size(m), 5);
  kml_multipeers_destroy(m);
}

/* A member named an outlier that stops reporting keeps its WARNING while
 * it takes no part; once forgotten (idle 60 s at 10 s: 6 + 3 evaluations
 * without a value) it gets its OKAY, gone, with its last values. */
static void an_outlier_forgotten_gets_its_okay(void **state) {
  (void)state;
  kml_multipeers_t *m = block();
  population_t p = {.n = 6, .off = 1, .from = 300, .to = 1e9, .sd = 0.2};
  p.shift[0] = 8; /* the single-value rule names it */
  kml_sim_rng_t g = {3};
  double warned = -1, gone = -1, last = NAN;
  int changes = 0;
  for (double t = 10; t <= 1000; t += 10) {
    for (int i = 0; i < p.n; i++) {
      char pi[32];
      snprintf(pi, sizeof(pi), "broker-%d", i);
      for (int j = 0; j < D; j++) {
        const char *id[5] = {"c1", "kafka", pi, types[j], ""};
        double v = sample(&p, &g, i, j, t);
        if (i == 1 && t > 600)
          continue; /* stopped */
        if (i == 1 && j == 0)
          last = v;
        kml_multipeers_feed(m, id, j, KML_DS_GAUGE, t, v);
      }
    }
    kml_multipeers_change_t *ch;
    long k = kml_multipeers_eval(m, t, 10, 60, &ch);
    assert_true(k >= 0);
    for (long c = 0; c < k; c++) {
      changes++;
      assert_string_equal(ch[c].id[2], "broker-1");
      if (ch[c].outlier && warned < 0)
        warned = t;
      if (ch[c].gone) {
        assert_false(ch[c].outlier);
        assert_true(ch[c].value[0] == last && isnan(ch[c].z[0]));
        assert_true(ch[c].since > 0 && ch[c].since <= warned);
        gone = t;
      }
    }
    free(ch);
  }
  assert_true(warned >= 300 && warned < 600);
  assert_true(gone == 600 + 9 * 10); /* its last value at 600 */
  assert_int_equal(changes, 2);
  assert_int_equal(kml_multipeers_size(m), 5);
  kml_multipeers_destroy(m);
}

static void features_are_named_by_type_and_data_source(void **state) {
  (void)state;
  kml_multipeers_cfg_t c = kml_multipeers_defaults();
  c.n_features = 2;
  snprintf(c.feature[0], sizeof(c.feature[0]), "kafka_rtt");
  snprintf(c.feature[1], sizeof(c.feature[1]), "if_octets.rx");
  kml_multipeers_t *m = kml_multipeers_new(&c);
  assert_int_equal(kml_multipeers_feature(m, "kafka_rtt", "value"), 0);
  assert_int_equal(kml_multipeers_feature(m, "if_octets", "rx"), 1);
  assert_int_equal(kml_multipeers_feature(m, "if_octets", "tx"), -1);
  assert_int_equal(kml_multipeers_feature(m, "kafka_rt", "value"), -1);
  kml_multipeers_destroy(m);
  c.n_features = 0;
  assert_null(kml_multipeers_new(&c));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dbscan_leaves_the_far_point_as_noise),
      cmocka_unit_test(one_far_value_alone_is_not_a_multi_value_outlier),
      cmocka_unit_test(two_groups_are_two_clusters_not_outliers),
      cmocka_unit_test(points_knowing_one_value_are_not_judged),
      cmocka_unit_test(slightly_off_on_all_values_is_found),
      cmocka_unit_test(off_on_one_value_is_judged_as_the_single_value_peers_do),
      cmocka_unit_test(healthy_populations_stay_quiet),
      cmocka_unit_test(unknown_values_are_left_out),
      cmocka_unit_test(an_outlier_forgotten_gets_its_okay),
      cmocka_unit_test(features_are_named_by_type_and_data_source),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
