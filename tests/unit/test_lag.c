/* Unit tests for src/kafka/lag.c with a fake clock: idle gaps from seconds
 * to days before a burst, steady traffic, stopped consumers, unknown marks,
 * truncation, a ring that has thinned, and arrivals learnt from Kafka
 * seeding the ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/lag.h"

#include <math.h>
#include <string.h>

#define INTERVAL 10.0

/* A partition idle at mark 100 for `idle` seconds (observed every
 * INTERVAL), then 10 messages arriving `arrive` seconds after the last idle
 * observation; the consumer has committed 100. Returns the estimated age
 * at the collection `extra` intervals after the first one that sees the
 * burst, and the true age in *truth. */
static double burst_after_idle(double idle, double arrive, int extra,
                               double *truth) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  double t = 1e9; /* wall clock seconds */
  /* some history before the idle period */
  for (int i = 0; i < 5; i++, t += INTERVAL)
    kml_lag_observe(&r, t, 50 + 10 * i);
  double idle_start = t;
  for (; t <= idle_start + idle; t += INTERVAL)
    kml_lag_observe(&r, t, 100);
  double arrival = t - INTERVAL + arrive;
  for (int i = 0; i <= extra; i++, t += INTERVAL)
    kml_lag_observe(&r, t, 110);
  double now = t - INTERVAL;
  *truth = now - arrival;
  return kml_lag_seconds(&r, 100, now);
}

static void burst_after_idle_is_dated_by_its_arrival(void **state) {
  const double idles[] = {5, 60, 3600, 4 * 3600, 86400, 3 * 86400};
  for (size_t i = 0; i < sizeof(idles) / sizeof(idles[0]); i++) {
    for (double arrive = 0.5; arrive < INTERVAL; arrive += 3) {
      for (int extra = 0; extra < 3; extra++) {
        double truth, est = burst_after_idle(idles[i], arrive, extra, &truth);
        /* arrival is known within one collection interval */
        if (!(fabs(est - truth) <= INTERVAL))
          fail_msg("idle %.0f s, arrival +%.1f s: estimated %.1f s, true "
                   "%.1f s",
                   idles[i], arrive, est, truth);
      }
    }
  }
}

static void four_hours_idle_is_not_hours_old(void **state) {
  /* The case an operator saw: 14,277 s for a burst 6 s old. */
  double truth, est = burst_after_idle(4 * 3600, 4, 0, &truth);
  assert_true(fabs(truth - 6) < 1e-6);
  assert_true(est > 0 && est <= truth + INTERVAL);
}

static void steady_traffic_gives_the_consumer_delay(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  /* 100 messages/s, observed every 10 s for an hour; the consumer is at
   * the offset produced 30 s before the end. */
  double t0 = 1e9, t;
  for (t = t0; t <= t0 + 3600; t += INTERVAL)
    kml_lag_observe(&r, t, (int64_t)(100 * (t - t0)));
  double now = t - INTERVAL;
  int64_t committed = (int64_t)(100 * (now - t0 - 30));
  double est = kml_lag_seconds(&r, committed, now);
  assert_true(fabs(est - 30) <= 1.0);
  assert_true(r.n <= KML_LAG_RING);
}

static void caught_up_is_zero_however_long_idle(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  for (double t = 0; t < 7 * 86400; t += 60)
    kml_lag_observe(&r, 1e9 + t, 500);
  assert_int_equal(r.n, 1);
  assert_true(kml_lag_seconds(&r, 500, 1e9 + 7 * 86400) == 0);
  assert_true(kml_lag_seconds(&r, 600, 1e9 + 7 * 86400) == 0);
}

static void stopped_consumer_keeps_ageing(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  kml_lag_observe(&r, 1000, 10);
  kml_lag_observe(&r, 1010, 20); /* offsets 10..19 arrive in (1000, 1010] */
  for (double t = 1020; t < 5000; t += 10)
    kml_lag_observe(&r, t, 20); /* idle: nobody produces, nobody consumes */
  double a1 = kml_lag_seconds(&r, 10, 2000);
  double a2 = kml_lag_seconds(&r, 10, 3000);
  assert_true(fabs((a2 - a1) - 1000) < 1e-6);
  /* offset 10 is the first of ten messages of (1000, 1010]: 1001 */
  assert_true(fabs(a1 - (2000 - 1001)) < 1e-6);
}

static void unknown_marks_are_not_sightings(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  kml_lag_observe(&r, 100, 50);
  /* the leader hangs: three collections without a mark */
  kml_lag_observe(&r, 110, -1);
  kml_lag_observe(&r, 120, -1);
  kml_lag_observe(&r, 130, -1);
  kml_lag_observe(&r, 140, 60);
  assert_int_equal(r.n, 2);
  assert_true(r.last[0] == 100); /* not moved by the unknown collections */
  /* offset 50 arrived somewhere in (100, 140]: the estimate stays inside */
  double age = kml_lag_seconds(&r, 50, 150);
  assert_true(age >= 10 && age <= 50);
}

static void smaller_mark_voids_history(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  kml_lag_observe(&r, 100, 1000);
  kml_lag_observe(&r, 110, 2000);
  kml_lag_observe(&r, 120, 5); /* topic re-created */
  assert_int_equal(r.n, 1);
  assert_true(r.high[0] == 5 && r.first[0] == 120);
  /* before the ring: a lower bound from its first sighting */
  assert_true(kml_lag_seconds(&r, 0, 130) == 10);
}

static void older_than_the_ring_is_a_lower_bound(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  kml_lag_observe(&r, 500, 100); /* plugin started: 100 already there */
  kml_lag_observe(&r, 510, 100);
  assert_true(kml_lag_seconds(&r, 40, 520) == 20);
  assert_true(isnan(kml_lag_seconds(&r, -1, 520)));
  kml_lag_ring_t empty;
  memset(&empty, 0, sizeof(empty));
  assert_true(isnan(kml_lag_seconds(&empty, 0, 520)));
}

static void thinning_keeps_bounds_and_order(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  /* one message per collection for 1000 collections: the ring thins */
  for (int i = 0; i < 1000; i++)
    kml_lag_observe(&r, 1000 + 10.0 * i, i + 1);
  assert_true(r.n <= KML_LAG_RING && r.n > KML_LAG_RING / 2);
  for (int i = 1; i < r.n; i++) {
    assert_true(r.high[i] > r.high[i - 1]);
    assert_true(r.first[i] > r.last[i - 1]);
  }
  /* the newest entries keep full resolution */
  double now = 1000 + 10.0 * 999;
  assert_true(fabs(kml_lag_seconds(&r, 995, now) - 40) <= 10);
  /* a far older offset is still dated between its neighbours' sightings */
  double age = kml_lag_seconds(&r, 100, now);
  double truth = now - (1000 + 10.0 * 100);
  assert_true(age >= truth - 10 * 1000 / KML_LAG_RING * 4 &&
              age <= truth + 10 * 1000 / KML_LAG_RING * 4);
}

static void wall_clock_stepping_back_keeps_order(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  kml_lag_observe(&r, 1000, 10);
  kml_lag_observe(&r, 990, 20); /* NTP stepped the clock back */
  assert_true(r.first[1] >= r.last[0]);
}

/* The ring's entries are ordered by mark and by time. */
static void assert_ordered(const kml_lag_ring_t *r) {
  for (int i = 1; i < r->n; i++) {
    assert_true(r->high[i] > r->high[i - 1]);
    assert_true(r->first[i] >= r->last[i - 1]);
  }
  for (int i = 0; i < r->n; i++)
    assert_true(r->first[i] <= r->last[i]);
}

static void seeded_arrival_dates_messages_older_than_the_ring(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  /* Plugin starts at 10000 with 14,000 messages waiting; the consumer
   * committed offset 1000, which arrived 600 s before the start. */
  kml_lag_observe(&r, 10000, 15000);
  assert_true(kml_lag_wants_arrival(&r, 1000));
  assert_true(kml_lag_seconds(&r, 1000, 10000) == 0); /* the lower bound */
  kml_lag_seed(&r, 1000, 9400);
  assert_ordered(&r);
  assert_false(kml_lag_wants_arrival(&r, 1000)); /* asked once */
  assert_true(fabs(kml_lag_seconds(&r, 1000, 10010) - 610) < 1e-6);
  /* another group between the seed and the ring's start: interpolated
   * for now, but it is still asked for */
  assert_true(kml_lag_wants_arrival(&r, 8000));
  kml_lag_seed(&r, 8000, 9800);
  assert_ordered(&r);
  assert_true(fabs(kml_lag_seconds(&r, 8000, 10010) - 210) < 1e-6);
  assert_true(fabs(kml_lag_seconds(&r, 1000, 10010) - 610) < 1e-6);
  /* observations go on as before */
  kml_lag_observe(&r, 10010, 15100);
  assert_ordered(&r);
  assert_true(fabs(kml_lag_seconds(&r, 1000, 10020) - 620) < 1e-6);
}

static void caught_up_past_the_ring_start_needs_nothing(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  assert_false(kml_lag_wants_arrival(&r, 5)); /* empty ring */
  kml_lag_observe(&r, 100, 50);
  kml_lag_observe(&r, 110, 80);
  assert_false(kml_lag_wants_arrival(&r, 50));
  assert_false(kml_lag_wants_arrival(&r, 60));
  assert_false(kml_lag_wants_arrival(&r, -1));
  assert_true(kml_lag_wants_arrival(&r, 49));
  /* a seed past the first observed mark is ignored */
  kml_lag_seed(&r, 60, 50);
  assert_int_equal(r.n, 2);
  /* the message right before the first mark: that entry is dated */
  kml_lag_seed(&r, 49, 70);
  assert_int_equal(r.n, 2);
  assert_true(r.first[0] == 70 && r.last[0] == 100);
  assert_false(kml_lag_wants_arrival(&r, 49));
  assert_true(fabs(kml_lag_seconds(&r, 49, 120) - 50) < 1e-6);
}

static void seeds_keep_the_ring_ordered(void **state) {
  kml_lag_ring_t r;
  memset(&r, 0, sizeof(r));
  kml_lag_observe(&r, 1000, 500);
  /* a record dated after the ring's start (skewed CreateTime) cannot
   * have arrived after the mark past it was seen */
  kml_lag_seed(&r, 100, 5000);
  assert_ordered(&r);
  assert_true(r.first[0] == 1000);
  /* out-of-order CreateTimes: the later offset is dated no earlier */
  kml_lag_seed(&r, 300, 900);
  kml_lag_seed(&r, 200, 950);
  assert_ordered(&r);
  assert_int_equal(r.n, 4);
  assert_true(kml_lag_seconds(&r, 200, 1000) <= kml_lag_seconds(&r, 100, 1000));
  /* a full ring makes room and stays ordered */
  for (int i = 1; i < 200; i++)
    kml_lag_observe(&r, 1000 + 10.0 * i, 500 + i);
  assert_int_equal(r.n >= KML_LAG_RING / 2, 1);
  while (r.n < KML_LAG_RING)
    kml_lag_observe(&r, 1000 + 10.0 * (200 + r.n), 1000 + r.n);
  kml_lag_seed(&r, 50, 800);
  assert_ordered(&r);
  assert_true(r.n <= KML_LAG_RING);
  assert_true(fabs(kml_lag_seconds(&r, 50, 3000) - 2200) < 1e-6);
  /* a void ring (topic re-created) forgets its first mark too */
  kml_lag_observe(&r, 9000, 3);
  assert_false(kml_lag_wants_arrival(&r, 50));
  assert_true(kml_lag_wants_arrival(&r, 2));
}

static void record_timestamps_are_clamped(void **state) {
  double now = 1e9;
  assert_true(kml_lag_clamp_arrival(now - 600, now, 86400) == now - 600);
  assert_true(kml_lag_clamp_arrival(now + 3600, now, 86400) == now);
  assert_true(kml_lag_clamp_arrival(1, now, 86400) == now - 86400);
  assert_true(kml_lag_clamp_arrival(1, now, -1) == 1); /* no retention */
  assert_true(isnan(kml_lag_clamp_arrival(-0.001, now, 86400)));
  assert_true(isnan(kml_lag_clamp_arrival(0, now, 86400)));
  assert_true(isnan(kml_lag_clamp_arrival(NAN, now, 86400)));
}

static void lag_in_messages(void **state) {
  assert_int_equal(kml_lag_messages(100, 40), 60);
  assert_int_equal(kml_lag_messages(100, 100), 0);
  assert_int_equal(kml_lag_messages(100, 120), 0); /* race with truncation */
  assert_int_equal(kml_lag_messages(100, -1), -1);
  assert_int_equal(kml_lag_messages(-1, 5), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(burst_after_idle_is_dated_by_its_arrival),
      cmocka_unit_test(four_hours_idle_is_not_hours_old),
      cmocka_unit_test(steady_traffic_gives_the_consumer_delay),
      cmocka_unit_test(caught_up_is_zero_however_long_idle),
      cmocka_unit_test(stopped_consumer_keeps_ageing),
      cmocka_unit_test(unknown_marks_are_not_sightings),
      cmocka_unit_test(smaller_mark_voids_history),
      cmocka_unit_test(older_than_the_ring_is_a_lower_bound),
      cmocka_unit_test(thinning_keeps_bounds_and_order),
      cmocka_unit_test(wall_clock_stepping_back_keeps_order),
      cmocka_unit_test(lag_in_messages),
      cmocka_unit_test(seeded_arrival_dates_messages_older_than_the_ring),
      cmocka_unit_test(caught_up_past_the_ring_start_needs_nothing),
      cmocka_unit_test(seeds_keep_the_ring_ordered),
      cmocka_unit_test(record_timestamps_are_clamped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
