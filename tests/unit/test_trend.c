/* Unit tests for src/ml/trend.c and the relearn rule it gates in model.c:
 * flat noise is rarely said to trend and a ramp always is, at any offset;
 * through the whole model at a 10 s interval, a step that then stays flat
 * is accepted at the relearn time, a steady ramp is not accepted while it
 * ramps, a ramp that ends is accepted once its end has been flat for the
 * trend window, a ramp that goes on keeps its incident open, and one that
 * never ends is accepted at the detector's memory (the bound). The trend
 * view: a slope counts only far beyond the steepest in memory, a run
 * learned when it ends outside an incident is normal afterwards, one from
 * the warm-up is never surprising, and a slow consumer whose lag grows
 * with the square of time is notified beside benign pauses, on a
 * series' third day too (the view's own rate) before its SLA. Seeded
 * generators, many seeds, outcomes only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/model.h"
#include "ml/trend.h"
#include "signals.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define T0 1400000000.0
#define DT 10.0 /* seconds between values */
#define WINDOW (KML_TREND_BUCKETS * KML_TREND_BUCKET) /* one hour */
#define SEEDS 20

/* Feed a trend tracker one value every DT seconds for `secs` seconds from
 * time t, value f(t) + sd * noise; returns the time after the last. */
static double feed(kml_trend_t *tr, kml_sim_rng_t *r, double t, double secs,
                   double (*f)(double), double sd) {
  for (double end = t + secs; t < end; t += DT)
    kml_trend_update(tr, t - DT, t, f(t) + sd * kml_sim_gauss(r), 5 * 86400, 1,
                     1);
  return t;
}

static double level(double t) { return 50; }
static double far_level(double t) { return 1e12; }
/* 20 noise sds an hour, at 1e12 with noise of 1e8 (the detector's scale
 * floor, 1e-3 of the level, is 1e9: nothing smaller is seen there) */
static double far_ramp(double t) { return 1e12 + 2e9 * (t - T0) / 3600; }
/* 25 an hour at 1e12: far below that floor, flat */
static double tiny_ramp(double t) { return 1e12 + 25 * (t - T0) / 3600; }
/* 5 noise sds an hour: a slow consumer's lag */
static double ramp(double t) { return 50 + 25 * (t - T0) / 3600; }

static void flat_noise_rarely_trends(void **state) {
  /* The t test's level is 5% per look; 200 seeds, each looked at once
   * after two hours, stay within twice that. */
  int moving = 0;
  for (int s = 0; s < 200; s++) {
    kml_trend_t tr;
    kml_trend_init(&tr);
    kml_sim_rng_t r = {(uint64_t)s + 1};
    feed(&tr, &r, T0, 2 * 3600, level, 5);
    moving += kml_trend_moving(&tr, NULL);
  }
  print_message("flat noise: %d of 200 said to trend\n", moving);
  assert_true(moving <= 20);
}

static void a_ramp_always_trends(void **state) {
  for (int s = 0; s < SEEDS; s++) {
    kml_trend_t tr;
    kml_trend_init(&tr);
    kml_sim_rng_t r = {(uint64_t)s + 1};
    feed(&tr, &r, T0, 2 * 3600, ramp, 5);
    double slope;
    assert_int_equal(kml_trend_moving(&tr, &slope), 1);
    assert_true(fabs(slope * 3600 - 25) < 5); /* per second */
  }
}

static void the_offset_does_not_matter(void **state) {
  /* bytes in the 1e12: means stored as floats of the values would round
   * changes of 1e8 to 6.6e4 steps; relative to the newest bucket they keep
   * their precision */
  int moving = 0, ramps = 0;
  for (int s = 0; s < 40; s++) {
    kml_trend_t tr;
    kml_trend_init(&tr);
    kml_sim_rng_t r = {(uint64_t)s + 1};
    feed(&tr, &r, T0, 2 * 3600, far_ramp, 1e8);
    ramps += kml_trend_moving(&tr, NULL);
    kml_trend_init(&tr);
    feed(&tr, &r, T0, 2 * 3600, far_level, 1e8);
    moving += kml_trend_moving(&tr, NULL);
    kml_trend_init(&tr);
    feed(&tr, &r, T0, 2 * 3600, tiny_ramp, 1);
    assert_int_equal(kml_trend_moving(&tr, NULL), 0);
  }
  assert_int_equal(ramps, 40);
  assert_true(moving <= 6);
}

static void a_constant_is_flat_and_history_is_needed(void **state) {
  kml_trend_t tr;
  kml_trend_init(&tr);
  kml_sim_rng_t r = {1};
  /* under an hour: not enough buckets to say */
  double t = feed(&tr, &r, T0, 2700, ramp, 0);
  assert_int_equal(kml_trend_moving(&tr, NULL), 0);
  kml_trend_init(&tr);
  feed(&tr, &r, T0, 3 * 3600, level, 0);
  assert_int_equal(kml_trend_moving(&tr, NULL), 0);
  /* a gap of a whole bucket starts the history again */
  kml_trend_init(&tr);
  t = feed(&tr, &r, T0, 2 * 3600, ramp, 0);
  assert_int_equal(kml_trend_moving(&tr, NULL), 1);
  kml_trend_update(&tr, t, t + 2 * KML_TREND_BUCKET, 60, 5 * 86400, 1, 1);
  assert_int_equal(kml_trend_moving(&tr, NULL), 0);
  assert_null(kml_trend_check(&tr));
}

static void check_finds_damaged_state(void **state) {
  kml_trend_t tr;
  kml_trend_init(&tr);
  assert_null(kml_trend_check(&tr));
  tr.full = KML_TREND_BUCKETS + 1;
  assert_non_null(kml_trend_check(&tr));
  kml_trend_init(&tr);
  tr.dir = 3;
  assert_non_null(kml_trend_check(&tr));
  kml_trend_init(&tr);
  tr.cur = 1; /* a mean with no value in the bucket */
  assert_non_null(kml_trend_check(&tr));
  kml_trend_init(&tr);
  tr.mean[0] = NAN;
  assert_non_null(kml_trend_check(&tr));
  kml_trend_init(&tr);
  tr.mean[3] = 1; /* beyond the buckets held */
  assert_non_null(kml_trend_check(&tr));
}

/* ---- the relearn rule through the whole model, at a 10 s interval ---- */

#define WARM (2 * 86400.0) /* two days of normal lag before the incident */

typedef struct {
  double ramp_for; /* seconds the ramp lasts (0: a step) */
  double slope;    /* per hour */
  double jump;     /* step at the incident's start */
} incident_t;

static double lag(const incident_t *c, double since) {
  if (since < 0)
    return 0;
  return c->jump + c->slope * fmin(since, c->ramp_for) / 3600;
}

/* Notifications after the incident starts (WARM after T0), as seconds
 * after its start: the first WARNING/FAILURE in *warn (-1 none), the first
 * OKAY in *okay (-1 none) and whether that OKAY accepted a new level. */
static void replay(const kml_model_cfg_t *cfg, const incident_t *c,
                   uint64_t seed, double secs, double *warn, double *okay,
                   int *relearned) {
  kml_model_t *m = malloc(sizeof(*m));
  kml_model_init(m);
  kml_sim_rng_t r = {seed};
  *warn = *okay = -1;
  *relearned = 0;
  for (double t = T0; t < T0 + WARM + secs; t += DT) {
    double since = t - (T0 + WARM);
    double x = 10 + 2 * kml_sim_gauss(&r) + lag(c, since);
    kml_output_t o;
    kml_model_update(m, cfg, KML_DS_GAUGE, t, x, &o);
    if (!o.alert_changed || since < 0)
      continue;
    if (o.alert != KML_ALERT_OKAY && *warn < 0)
      *warn = since;
    if (o.alert == KML_ALERT_OKAY && *warn >= 0 && *okay < 0) {
      *okay = since;
      *relearned = o.relearned;
    }
  }
  free(m);
}

static void a_settled_step_is_accepted_at_the_relearn_time(void **state) {
  kml_model_cfg_t cfg = kml_model_defaults();
  incident_t step = {.jump = 30};
  int at_once = 0;
  for (int s = 0; s < SEEDS; s++) {
    double warn, okay;
    int relearned;
    replay(&cfg, &step, (uint64_t)s + 1, 6 * 3600, &warn, &okay, &relearned);
    assert_true(warn >= 0 && warn < 60);
    assert_int_equal(relearned, 1);
    /* at the relearn time, or a bucket later when the flat means happen
     * to look like a slope (5% per look); never a window later */
    assert_true(okay - warn >= cfg.relearn);
    assert_true(okay - warn < cfg.relearn + WINDOW);
    at_once += okay - warn <= cfg.relearn + DT;
  }
  print_message("step: %d of %d accepted at the relearn time\n", at_once,
                SEEDS);
  assert_true(at_once >= SEEDS * 3 / 4);
}

static void a_ramp_is_not_accepted_while_it_ramps(void **state) {
  /* A jump of 15 noise sds (so the incident is notified at once: how soon
   * a pure ramp is noticed is the detector's business, not this rule's),
   * then 30 sds an hour for 10 hours (a slow consumer: 60 s of lag more
   * every hour), then flat: the incident stays open while it ramps and
   * ends once the ramp ended, within the trend window and a bucket: its
   * new level accepted, or back to normal when the flat end no longer
   * surprises (the detector's long mean and variance follow a ramp) */
  kml_model_cfg_t cfg = kml_model_defaults();
  incident_t slow = {.ramp_for = 10 * 3600, .slope = 60, .jump = 30};
  int accepted = 0, notified = 0;
  for (int s = 0; s < SEEDS; s++) {
    double warn, okay;
    int relearned;
    replay(&cfg, &slow, (uint64_t)s + 1, 14 * 3600, &warn, &okay, &relearned);
    /* a false notification in the two days before may hold the incident
     * back by the refractory time: such a seed tells nothing */
    if (warn < 0)
      continue;
    notified++;
    assert_true(warn < 3 * 3600);
    if (s == 0)
      print_message("ramp: notified %.0f s after it began, accepted %.0f s "
                    "after it ended\n",
                    warn, okay - slow.ramp_for);
    assert_true(okay >= slow.ramp_for);
    assert_true(okay <= slow.ramp_for + WINDOW + KML_TREND_BUCKET);
    accepted += relearned != 0;
  }
  print_message("ramp: %d of %d notified, %d ended by accepting the new "
                "level\n",
                notified, SEEDS, accepted);
  assert_true(notified >= SEEDS - 2);
}

static void a_ramp_that_goes_on_keeps_its_incident_open(void **state) {
  /* 30 hours of ramp: no OKAY while the lag keeps rising */
  kml_model_cfg_t cfg = kml_model_defaults();
  incident_t forever = {.ramp_for = 1e9, .slope = 60, .jump = 30};
  for (int s = 0; s < SEEDS / 4; s++) {
    double warn, okay;
    int relearned;
    replay(&cfg, &forever, (uint64_t)s + 1, 30 * 3600, &warn, &okay,
           &relearned);
    assert_true(warn >= 0 && warn < 60);
    assert_true(okay < 0);
  }
}

static void a_ramp_that_never_ends_is_accepted_at_the_bound(void **state) {
  /* the bound is the detector's memory (5 days by default; 1 day here) */
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.detector.memory = 86400;
  incident_t forever = {.ramp_for = 1e9, .slope = 60, .jump = 30};
  for (int s = 0; s < SEEDS / 4; s++) {
    double warn, okay;
    int relearned;
    replay(&cfg, &forever, (uint64_t)s + 1, 30 * 3600, &warn, &okay,
           &relearned);
    assert_true(warn >= 0 && warn < 60);
    assert_true(okay - warn >= cfg.detector.memory - DT);
    assert_true(okay - warn <= cfg.detector.memory + DT);
    /* and its OKAY says the series still moves */
    assert_int_equal(relearned, 2);
  }
}

/* ---- the trend view: a slope far beyond the steepest in memory ---- */

#define MEMORY (5 * 86400.0)

/* Feed f plus noise from t for secs seconds; learn and warm as given. */
static double feed_view(kml_trend_t *tr, kml_sim_rng_t *r, double t,
                        double secs, double slope, double sd, int learn,
                        int warm) {
  for (double end = t + secs, t1 = t; t < end; t += DT)
    kml_trend_update(tr, t - DT, t,
                     50 + slope * (t - t1) / 3600 + sd * kml_sim_gauss(r),
                     MEMORY, learn, warm);
  return t;
}

static void a_slope_counts_only_far_beyond_the_record(void **state) {
  for (uint64_t seed = 1; seed <= SEEDS; seed++) {
    kml_trend_t tr;
    kml_trend_init(&tr);
    kml_sim_rng_t r = {seed};
    /* two days of noise (sd 1): the record is the steepest noise slope */
    double t = feed_view(&tr, &r, T0, 2 * 86400, 0, 1, 1, 1);
    assert_true(tr.record[0] > 0 || tr.record[1] > 0);
    double seen = 2 * 86400;
    assert_true(kml_trend_surprise(&tr, seen) == 0);
    /* a ramp about as steep as the steepest noise in an hour: nothing */
    kml_trend_t same = tr;
    feed_view(&same, &r, t, 3 * 3600, 0.5, 1, 1, 1);
    assert_true(kml_trend_surprise(&same, seen) < 8);
    /* a ramp of 50 noise sds an hour: far beyond, more and more rare than
     * the record (a rank of 2 / (n + 1), n = 48 windows: 4.6 bits) */
    kml_trend_t steep = tr;
    double t2 = feed_view(&steep, &r, t, 2 * 3600, 50, 1, 0, 1);
    double g2 = kml_trend_surprise(&steep, seen);
    assert_true(g2 > 20);
    /* learned (it ended outside an incident), the same ramp again is not
     * surprising; while nothing is learned (an incident), it still is */
    kml_trend_t learned = steep, held = steep;
    double t3 = feed_view(&learned, &r, t2, 2 * 3600, 0, 1, 1, 1);
    feed_view(&held, &r, t2, 2 * 3600, 0, 1, 0, 1);
    feed_view(&learned, &r, t3, 2 * 3600, 50, 1, 1, 1);
    feed_view(&held, &r, t3, 2 * 3600, 50, 1, 0, 1);
    assert_true(kml_trend_surprise(&learned, seen) == 0);
    assert_true(kml_trend_surprise(&held, seen) > 20);
    assert_null(kml_trend_check(&steep));
  }
}

static void a_trend_from_the_warm_up_is_the_series_own(void **state) {
  kml_trend_t tr;
  kml_trend_init(&tr);
  kml_sim_rng_t r = {3};
  /* a steady ramp from the first value: its run began in the warm-up */
  double t = feed_view(&tr, &r, T0, 86400, 20, 1, 1, 0);
  feed_view(&tr, &r, t, 2 * 86400, 20, 1, 1, 1);
  assert_true(kml_trend_surprise(&tr, 3 * 86400) == 0);
}

/* Lag in seconds of a healthy consumer at 10 s: a daily swing, noise and
 * benign pauses (every 10 min to 2 h, 10 to 60 s long, lag rising with the
 * clock), then from `start` a slow consumer's backlog: production grows,
 * so the lag grows with the square of time (5 s after an hour, 20 s
 * after two, as `kafka-ml simulate` makes it). */
typedef struct {
  kml_sim_rng_t r;
  double pause_at, pause_len;
} consumer_t;

static double consumer_lag(consumer_t *c, double t, double start) {
  double x = 2 * (1 + 0.6 * daily(t)) + fabs(0.5 * kml_sim_gauss(&c->r));
  if (t >= c->pause_at) {
    double e = t - c->pause_at;
    if (e < c->pause_len) {
      x += 10 + e;
    } else {
      c->pause_at = t + 600 + 7200 * kml_sim_uni(&c->r);
      c->pause_len = 10 + 50 * kml_sim_uni(&c->r);
    }
  }
  double since = t - start;
  return since > 0 ? x + 5 * pow(since / 3600, 2) : x;
}

static void a_slow_consumer_is_notified(void **state) {
  /* The backlog's rise is soon steeper than any hour of the healthy lag,
   * whose pauses teach the level views that lag 70 s is normal: each
   * seed is notified within 4 h of the start, none before. */
  kml_model_cfg_t cfg = kml_model_defaults();
  kml_model_t *m = malloc(sizeof(*m));
  int found = 0, early = 0;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    kml_model_init(m);
    consumer_t c = {.r = {seed}, .pause_at = T0 + 3600, .pause_len = 30};
    double start = T0 + 3 * 86400 + 977 * seed, first = -1;
    for (double t = T0; t < start + 6 * 3600; t += DT) {
      kml_output_t o;
      kml_model_update(m, &cfg, KML_DS_GAUGE, t, consumer_lag(&c, t, start),
                       &o);
      if (!o.alert_changed || o.alert == KML_ALERT_OKAY)
        continue;
      if (t < start)
        early++;
      else if (first < 0)
        first = t - start;
    }
    print_message("slow consumer (seed %d): notified %.0f s after it began\n",
                  (int)seed, first);
    found += first >= 0 && first <= 4 * 3600;
  }
  free(m);
  assert_int_equal(early, 0);
  assert_int_equal(found, 10);
}

static void
a_young_series_slow_consumer_is_notified_before_its_sla(void **state) {
  /* On a series' third day the tail holds a few cluster maxima and is
   * slow to believe the trend view's surprise: the trend view's own rate
   * (windows an hour apart, trend.h) pages it. 20 seeds, each notified
   * within 4 h of the start, as on the fourth day (above), and so before
   * its lag reaches 300 s (the simulator's SLA, about 7.5 h after the
   * start); none before the start. The tail alone: 14 of 20 within 4 h,
   * one never. */
  kml_model_cfg_t cfg = kml_model_defaults();
  kml_model_t *m = malloc(sizeof(*m));
  int found = 0, early = 0;
  for (uint64_t seed = 1; seed <= SEEDS; seed++) {
    kml_model_init(m);
    consumer_t c = {.r = {seed + 100}, .pause_at = T0 + 3600, .pause_len = 30};
    double start = T0 + 2 * 86400 + 2531 * seed, first = -1, breach = -1;
    for (double t = T0; t < start + 9 * 3600; t += DT) {
      kml_output_t o;
      double x = consumer_lag(&c, t, start);
      if (breach < 0 && t > start && x >= 300)
        breach = t - start;
      kml_model_update(m, &cfg, KML_DS_GAUGE, t, x, &o);
      if (!o.alert_changed || o.alert == KML_ALERT_OKAY)
        continue;
      if (t < start)
        early++;
      else if (first < 0)
        first = t - start;
    }
    print_message("young slow consumer (seed %d): notified %.0f s after it "
                  "began, breach at %.0f s\n",
                  (int)seed, first, breach);
    found += first >= 0 && first <= 4 * 3600 && first < breach;
  }
  free(m);
  assert_int_equal(early, 0);
  assert_int_equal(found, SEEDS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(flat_noise_rarely_trends),
      cmocka_unit_test(a_ramp_always_trends),
      cmocka_unit_test(the_offset_does_not_matter),
      cmocka_unit_test(a_constant_is_flat_and_history_is_needed),
      cmocka_unit_test(check_finds_damaged_state),
      cmocka_unit_test(a_settled_step_is_accepted_at_the_relearn_time),
      cmocka_unit_test(a_ramp_is_not_accepted_while_it_ramps),
      cmocka_unit_test(a_ramp_that_goes_on_keeps_its_incident_open),
      cmocka_unit_test(a_ramp_that_never_ends_is_accepted_at_the_bound),
      cmocka_unit_test(a_slope_counts_only_far_beyond_the_record),
      cmocka_unit_test(a_trend_from_the_warm_up_is_the_series_own),
      cmocka_unit_test(a_slow_consumer_is_notified),
      cmocka_unit_test(a_young_series_slow_consumer_is_notified_before_its_sla),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
