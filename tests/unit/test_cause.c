/* Unit tests for src/ml/cause.c and cause_text.c: incidents with a known
 * cause from src/cli/chain_sim.c are filed into a context as the plugin's
 * write path files them, then explained as its read callback does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "cli/chain_sim.h"
#include "ml/cause.h"
#include "signals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  kml_cause_t *c;
  double until; /* values after this time are not filed */
} feed_t;

static void file_values(void *ud, const char *const id[5], int n,
                        const char *const *ds, const double *v, double t) {
  feed_t *f = ud;
  if (t > f->until)
    return;
  for (int i = 0; i < n; i++)
    assert_int_equal(kml_cause_feed(f->c, id, ds[i], KML_DS_GAUGE, t, v[i]), 0);
}

typedef struct {
  kml_chainsim_truth_t truth;
  kml_cause_chain_t chain;
} case_t;

/* One incident explained at its notification time with method m. */
static void explain_incident(kml_chainsim_kind_t kind, uint64_t seed,
                             kml_xcorr_method_t m, case_t *out) {
  kml_chainsim_cfg_t sc = kml_chainsim_defaults();
  sc.kind = kind;
  kml_chainsim_truth_t truth;
  /* a first run finds the notification time, a second files up to it */
  kml_cause_cfg_t cc = kml_cause_defaults();
  cc.xcorr.method = m;
  if (getenv("KML_SPAN"))
    cc.xcorr.span = atoi(getenv("KML_SPAN"));
  if (getenv("KML_LAGS"))
    cc.xcorr.max_lag = atoi(getenv("KML_LAGS"));
  if (getenv("KML_FOLLOW"))
    cc.xcorr.max_follow = atoi(getenv("KML_FOLLOW"));
  char err[256];
  kml_cause_t *c = kml_cause_new(&cc, err, sizeof(err));
  assert_non_null(c);
  feed_t f = {c, -1};
  assert_int_equal(kml_chainsim_run(&sc, seed, file_values, &f, &truth), 0);
  f.until = truth.at;
  assert_int_equal(kml_chainsim_run(&sc, seed, file_values, &f, &truth), 0);
  kml_cause_trigger_t t = {.id = {"prod", "kafka", "", "kafka_lag", "total"},
                           .ds = "value",
                           .time = truth.at};
  snprintf(t.id[2], sizeof(t.id[2]), "%s", truth.group);
  assert_int_equal(kml_cause_explain(c, &t, 1, &out->chain), 1);
  out->truth = truth;
  kml_cause_destroy(c);
}

typedef struct {
  int cases, named, wrong, exact, leader, outlier, app, res;
} score_t;

static score_t score_method(kml_xcorr_method_t m, uint64_t from, int n) {
  score_t s = {0};
  for (uint64_t seed = from; seed < from + (uint64_t)n; seed++) {
    case_t k;
    explain_incident(KML_CHAINSIM_SLOW_BROKER, seed, m, &k);
    const kml_cause_chain_t *ch = &k.chain;
    int within = 1; /* every named partition is one that backed up */
    for (int i = 0; i < ch->n_part; i++)
      within &= kml_chainsim_backed(&k.truth, ch->part[i].ti);
    s.cases++;
    s.named += ch->parts_backed > 0;
    s.wrong += !within;
    s.exact += within && ch->parts_backed == k.truth.n_backed;
    s.leader += ch->n_leaders > 0 && ch->leader[0].id == k.truth.cause_broker;
    s.outlier += ch->n_leaders > 0 && ch->leader[0].outlier;
    s.app += kml_chainsim_names_broker(&k.truth, ch->best[0].m.key);
    s.res += kml_chainsim_names_host(&k.truth, ch->best[1].m.key);
    if (getenv("KML_CAUSE_VERBOSE")) {
      char msg[256];
      kml_cause_format(ch, msg, sizeof(msg));
      printf("seed %llu broker %d: %s\n", (unsigned long long)seed,
             k.truth.cause_broker, msg);
    }
  }
  return s;
}

/* The grading of an explanation: series of the cause broker and of its
 * host, partitions that back up. */
static void grading_against_the_truth(void **state) {
  (void)state;
  kml_chainsim_truth_t t = {.cause_broker = 2,
                            .cause_host = "kafka2",
                            .topic = "orders",
                            .backed = {1, 4},
                            .n_backed = 2};
  assert_true(
      kml_chainsim_names_broker(&t, "prod/kafka-broker-2/kafka_rtt/value"));
  assert_false(
      kml_chainsim_names_broker(&t, "prod/kafka-broker-21/kafka_rtt/value"));
  assert_true(kml_chainsim_names_host(&t, "kafka2/disk-sda/disk_io_time/io"));
  assert_false(kml_chainsim_names_host(&t, "kafka21/disk-sda/disk_io_time/io"));
  assert_true(kml_chainsim_backed(&t, "orders-4"));
  assert_false(kml_chainsim_backed(&t, "orders-2"));
  assert_false(kml_chainsim_backed(&t, "payments-1"));
  kml_chainsim_truth_t stall = {.cause_broker = -1};
  assert_false(
      kml_chainsim_names_broker(&stall, "prod/kafka-broker-1/kafka_rtt/value"));
}

/* Slow brokers over 40 seeds (the seeds the defaults were chosen on;
 * bench/cause.py measures others): when partitions are named they are
 * the broker's own, it is named as their leader and as an outlier; its
 * own series ranks first in the application scope and its host's first
 * among resources far more often than with plain Pearson on raw values,
 * and first differences (the older hint) do worst. */
static void slow_broker_chain_is_named(void **state) {
  (void)state;
  int n = getenv("KML_CAUSE_SEEDS") ? atoi(getenv("KML_CAUSE_SEEDS")) : 40;
  score_t s = score_method(KML_XCORR_DETREND, 1, n);
  score_t raw = score_method(KML_XCORR_RAW, 1, n);
  score_t diff = score_method(KML_XCORR_DIFF, 1, n);

  print_message("%d slow-broker incidents: partitions named in %d (%d "
                "exactly, %d with a wrong one); leader %d, outlier %d; "
                "precision@1 application %d, resource %d (first differences "
                "%d, %d; raw Pearson %d, %d)\n",
                s.cases, s.named, s.exact, s.wrong, s.leader, s.outlier, s.app,
                s.res, diff.app, diff.res, raw.app, raw.res);
  assert_int_equal(s.wrong, 0);
  assert_true(s.named >= s.cases * 8 / 10);
  assert_int_equal(s.exact, s.named);
  assert_int_equal(s.leader, s.named);
  assert_int_equal(s.outlier, s.named);
  assert_true(s.app >= s.cases * 3 / 4);
  assert_true(s.res >= s.cases * 3 / 4);
  assert_true(s.app >= raw.app + s.cases / 10);
  assert_true(s.res >= raw.res);
  assert_true(diff.app < s.app / 2 && diff.res < s.res / 2);
}

/* A group that stops: every partition backs up, which points at the
 * consumer; no leader stands out, and no broker or host series is named
 * (with the older fixed |r| >= 0.5 one was, in every one of these). */
static void stalled_group_is_consumer_side(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    case_t k;
    explain_incident(KML_CHAINSIM_STALL, seed, KML_XCORR_DETREND, &k);
    const kml_cause_chain_t *ch = &k.chain;
    assert_int_equal(ch->parts_seen, 8);
    assert_int_equal(ch->parts_backed, 8);
    for (int i = 0; i < ch->n_leaders; i++)
      assert_false(ch->leader[i].outlier);
    assert_true(ch->consumer_side);
    for (int i = 0; i < ch->n_best; i++)
      assert_string_equal(ch->best[i].m.key, "");
    char msg[256];
    kml_cause_format(ch, msg, sizeof(msg));
    assert_non_null(strstr(msg, "all 8 partitions backed up"));
    assert_null(strstr(msg, " r "));
  }
}

/* The message fits a notification whatever the names; the meta data
 * carries the numbers. */
static void message_fits_and_meta_has_numbers(void **state) {
  (void)state;
  case_t k;
  explain_incident(KML_CHAINSIM_SLOW_BROKER, 3, KML_XCORR_DETREND, &k);
  kml_cause_chain_t ch = k.chain;
  char msg[256];
  kml_cause_format(&ch, msg, sizeof(msg));
  assert_true(strlen(msg) < 256);
  assert_non_null(strstr(msg, "backed up: orders-"));
  char lead[32];
  snprintf(lead, sizeof(lead), "leader broker %d", k.truth.cause_broker);
  assert_non_null(strstr(msg, lead));
  /* long names: still within the buffer, the first links kept */
  memset(ch.part[0].ti, 'x', sizeof(ch.part[0].ti) - 1);
  ch.part[0].ti[sizeof(ch.part[0].ti) - 1] = '\0';
  memset(ch.best[0].m.key, 'y', 700);
  ch.best[0].m.key[700] = '\0';
  char small[120];
  kml_cause_format(&ch, small, sizeof(small));
  assert_true(strlen(small) < sizeof(small));
  kml_cause_meta_t meta[KML_CAUSE_META];
  int n = kml_cause_meta(&k.chain, meta);
  int found = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(meta[i].key, "cause_leader") == 0) {
      assert_true(meta[i].is_number);
      assert_int_equal((int)meta[i].number, k.truth.cause_broker);
      found++;
    }
    if (strcmp(meta[i].key, "cause_partitions_backed") == 0 &&
        meta[i].number == k.chain.parts_backed)
      found++;
    if (strcmp(meta[i].key, "cause_application_r") == 0 &&
        fabs(meta[i].number) >= 0.5)
      found++;
  }
  assert_int_equal(found, 3);
}

static void bad_scope_regex_is_named(void **state) {
  (void)state;
  kml_cause_cfg_t cc = kml_cause_defaults();
  snprintf(cc.scope[1].plugin_re, sizeof(cc.scope[1].plugin_re), "(cpu");
  char err[256] = "";
  assert_null(kml_cause_new(&cc, err, sizeof(err)));
  assert_non_null(strstr(err, "Scope \"resource\" plugin \"(cpu\""));
  cc = kml_cause_defaults();
  snprintf(cc.effects_re, sizeof(cc.effects_re), "[");
  assert_null(kml_cause_new(&cc, err, sizeof(err)));
  assert_non_null(strstr(err, "Effects"));
}

/* Series outside the scopes cost nothing; idle ones expire; a trigger
 * that is not a group's or a partition's is not explained. */
static void scopes_expiry_and_unwanted_triggers(void **state) {
  (void)state;
  kml_cause_cfg_t cc = kml_cause_defaults();
  char err[256];
  kml_cause_t *c = kml_cause_new(&cc, err, sizeof(err));
  const char *app[5] = {"h", "kafka", "broker-1", "kafka_rtt", ""};
  const char *other[5] = {"h", "apache", "", "apache_requests", ""};
  assert_int_equal(kml_cause_feed(c, app, "value", KML_DS_GAUGE, 100, 1), 0);
  assert_int_equal(kml_cause_feed(c, other, "value", KML_DS_GAUGE, 100, 1), 0);
  assert_int_equal(kml_cause_size(c), 1);
  assert_int_equal(kml_cause_scope_of(c, "disk", "disk_io_time"), 1);
  assert_int_equal(kml_cause_expire(c, 200), 1);
  assert_int_equal(kml_cause_size(c), 0);
  kml_cause_trigger_t t = {
      .id = {"h", "cpu", "0", "cpu", "user"}, .ds = "value", .time = 100};
  kml_cause_chain_t ch;
  assert_int_equal(kml_cause_explain(c, &t, 1, &ch), 0);
  assert_false(ch.explained);
  char msg[64];
  kml_cause_format(&ch, msg, sizeof(msg));
  assert_string_equal(msg, "");
  const char *const want[5] = {"h", "kafka", "topic-a", "kafka_offset", "a-3"};
  assert_true(kml_cause_wants(want));
  const char *const nope[5] = {"h", "kafka", "topic-a", "kafka_retained", ""};
  assert_false(kml_cause_wants(nope));
  kml_cause_destroy(c);
}

/* A consumer that slows on one partition (measured on a real broker):
 * the others' lag moves from 0 to a few messages when it does, that one
 * grows by hundreds. Only it is named, with its leader, which is not an
 * outlier for a round-trip time back where it was before. */
static void one_slow_partition(int n_brokers) {
  kml_cause_cfg_t cc = kml_cause_defaults();
  cc.step = 2;
  char err[256];
  kml_cause_t *c = kml_cause_new(&cc, err, sizeof(err));
  assert_non_null(c);
  static const int other[14] = {7, 7, 3, 4, 6, 2, 5, 3, 2, 0, 6, 4, 2, 4};
  double t = 1000;
  for (int s = 0; s < 40; s++, t += 2) {
    for (int p = 0; p < 4; p++) {
      char ti[16];
      snprintf(ti, sizeof(ti), "o-%d", p);
      const char *lag[5] = {"local", "kafka", "group-g", "kafka_lag", ti};
      const char *ld[5] = {"local", "kafka", "topic-o", "kafka_leader", ti};
      double v = s < 26 ? 0 : p == 2 ? 11.0 * (s - 25) : other[s - 26];
      assert_int_equal(kml_cause_feed(c, lag, "value", KML_DS_GAUGE, t, v), 0);
      assert_int_equal(
          kml_cause_feed(c, ld, "value", KML_DS_GAUGE, t, p == 2 ? 3 : 1), 0);
    }
    /* round-trip times of a loaded host: broker 3's jumps from 2 to 8 ms
     * for one statistics window (5 values) early on and again at the end;
     * it did not change beyond what it showed before */
    for (int b = 1; b <= n_brokers; b++) {
      char pi[16];
      snprintf(pi, sizeof(pi), "broker-%d", b);
      const char *rtt[5] = {"local", "kafka", pi, "kafka_rtt", ""};
      int high = b == 3 && ((s >= 10 && s < 15) || s >= 37);
      assert_int_equal(kml_cause_feed(c, rtt, "value", KML_DS_GAUGE, t,
                                      high ? 8 : 2 + 0.1 * b),
                       0);
    }
  }
  kml_cause_trigger_t tr = {
      .id = {"local", "kafka", "group-g", "kafka_lag", "o-2"},
      .ds = "value",
      .time = t - 2};
  kml_cause_chain_t ch;
  assert_int_equal(kml_cause_explain(c, &tr, 1, &ch), 1);
  assert_int_equal(ch.parts_seen, 4);
  assert_int_equal(ch.parts_backed, 1);
  assert_string_equal(ch.part[0].ti, "o-2");
  assert_int_equal(ch.n_leaders, 1);
  assert_int_equal(ch.leader[0].id, 3);
  assert_int_equal(ch.leader[0].brokers, n_brokers);
  if (n_brokers < 3) { /* too few to compare: said, not hidden */
    kml_cause_destroy(c);
    return;
  }
  assert_false(ch.leader[0].outlier);
  /* its leader in line: the consumer's backlog, nothing matched */
  assert_true(ch.consumer_side);
  char msg[256];
  kml_cause_format(&ch, msg, sizeof(msg));
  assert_non_null(strstr(msg, "consumer side"));
  kml_cause_destroy(c);
}

static void one_slow_partition_is_named_alone(void **state) {
  (void)state;
  one_slow_partition(3);
}

/* With one broker recorded there is nothing to compare its leader with;
 * the chain still counts it (kafka-ml explain says "1 broker recorded"). */
static void one_broker_is_counted_not_compared(void **state) {
  (void)state;
  one_slow_partition(1);
}

/* A group "billing" reading n_parts partitions of "orders" at one value a
 * minute for 40 minutes, 3 brokers' round-trip times around 2-3 ms. From
 * minute slow_from on, broker 2 is 10x slower and the partitions it leads
 * back up (70% of their rate a minute). leader_of(p): who leads p. Returns
 * the chain explained at the last value. */
static void explain_slow_broker_2(uint64_t seed, int n_parts, int slow_from,
                                  int (*leader_of)(int p),
                                  kml_cause_chain_t *ch) {
  kml_cause_cfg_t cc = kml_cause_defaults();
  cc.step = 60;
  char err[256];
  kml_cause_t *c = kml_cause_new(&cc, err, sizeof(err));
  assert_non_null(c);
  kml_sim_rng_t r = {seed};
  double t = 60000, lag[8] = {0};
  assert_true(n_parts <= 8);
  for (int s = 0; s < 40; s++, t += 60) {
    int slow = s >= slow_from;
    for (int b = 1; b <= 3; b++) {
      char pi[16];
      snprintf(pi, sizeof(pi), "broker-%d", b);
      const char *rtt[5] = {"prod", "kafka", pi, "kafka_rtt", ""};
      double v = (2 + kml_sim_uni(&r)) * (slow && b == 2 ? 10 : 1);
      assert_int_equal(kml_cause_feed(c, rtt, "value", KML_DS_GAUGE, t, v), 0);
    }
    for (int p = 0; p < n_parts; p++) {
      char ti[16];
      snprintf(ti, sizeof(ti), "orders-%d", p);
      double rate = 100 * (1 + 0.05 * kml_sim_gauss(&r));
      if (slow && leader_of(p) == 2)
        lag[p] += rate * 0.7 * 60;
      const char *lg[5] = {"prod", "kafka", "group-billing", "kafka_lag", ti};
      const char *ld[5] = {"prod", "kafka", "topic-orders", "kafka_leader", ti};
      assert_int_equal(kml_cause_feed(c, lg, "value", KML_DS_GAUGE, t,
                                      lag[p] + rate * 0.5 * kml_sim_uni(&r)),
                       0);
      assert_int_equal(
          kml_cause_feed(c, ld, "value", KML_DS_GAUGE, t, leader_of(p)), 0);
    }
  }
  kml_cause_trigger_t tr = {
      .id = {"prod", "kafka", "group-billing", "kafka_lag_seconds", "max"},
      .ds = "value",
      .time = t - 60};
  assert_int_equal(kml_cause_explain(c, &tr, 1, ch), 1);
  kml_cause_destroy(c);
}

static int spread_over_3(int p) { return p % 3 + 1; }
static int all_on_2(int p) {
  (void)p;
  return 2;
}

/* At a backlog's first value (an anomaly is notified then) its slow
 * leader has one slow value: not yet an outlier (the median of its last
 * three is its verdict), but not in line either, so the backlog is not
 * called the consumer's and its round-trip time is named. */
static void first_slow_value_is_not_consumer_side(void **state) {
  (void)state;
  kml_cause_chain_t ch;
  explain_slow_broker_2(3, 6, 39, spread_over_3, &ch);
  assert_int_equal(ch.parts_backed, 2);
  assert_int_equal(ch.n_leaders, 1);
  assert_int_equal(ch.leader[0].id, 2);
  assert_true(ch.leader[0].recent);
  assert_false(ch.consumer_side);
  assert_string_equal(ch.best[0].m.key, "prod/kafka-broker-2/kafka_rtt/value");
}

/* One slow broker leading every partition of a group: all partitions
 * back up, and the backlog is still not called the consumer's, because
 * that leader stands out among its peers; its round-trip time is named. */
static void one_leader_of_all_is_not_consumer_side(void **state) {
  (void)state;
  kml_cause_chain_t ch;
  explain_slow_broker_2(5, 2, 34, all_on_2, &ch);
  assert_int_equal(ch.parts_seen, 2);
  assert_int_equal(ch.parts_backed, 2);
  assert_int_equal(ch.n_leaders, 1);
  assert_int_equal(ch.leader[0].id, 2);
  assert_true(ch.leader[0].outlier);
  assert_false(ch.consumer_side);
  assert_string_equal(ch.best[0].m.key, "prod/kafka-broker-2/kafka_rtt/value");
  char msg[512];
  kml_cause_format(&ch, msg, sizeof(msg));
  assert_null(strstr(msg, "consumer side"));
}

/* Leaders unknown (no kafka_leader series): the best match must be
 * unlikely among as many candidates. 300 wandering series and one that
 * steps with the backlog: with a fixed |r| >= 0.5 the best wanderer is
 * named when the stepping series is missing; with the family-wise rule
 * nothing is, and the stepping series is named when present. */
static void feed_wanderers(kml_cause_t *c, int with_cause) {
  kml_sim_rng_t r = {11};
  double walk[300] = {0}, lag = 0;
  for (int s = 0; s < 40; s++) {
    double t = 1000 + 10.0 * s;
    lag += s >= 28 ? 500 + 50 * kml_sim_gauss(&r) : 0;
    const char *lg[5] = {"h", "kafka", "group-g", "kafka_lag", "t-0"};
    const char *lg1[5] = {"h", "kafka", "group-g", "kafka_lag", "t-1"};
    assert_int_equal(kml_cause_feed(c, lg, "value", KML_DS_GAUGE, t,
                                    lag + 20 * kml_sim_uni(&r)),
                     0);
    assert_int_equal(
        kml_cause_feed(c, lg1, "value", KML_DS_GAUGE, t, 20 * kml_sim_uni(&r)),
        0);
    for (int k = 0; k < 300; k++) {
      char pi[32];
      snprintf(pi, sizeof(pi), "topic-w%d", k);
      const char *id[5] = {"h", "kafka", pi, "kafka_messages_in", ""};
      walk[k] += kml_sim_gauss(&r);
      assert_int_equal(
          kml_cause_feed(c, id, "value", KML_DS_GAUGE, t, 100 + walk[k]), 0);
    }
    if (with_cause) {
      const char *id[5] = {"h", "kafka", "broker-9", "kafka_rtt", ""};
      assert_int_equal(
          kml_cause_feed(c, id, "value", KML_DS_GAUGE, t,
                         (s >= 28 ? 20 : 2) + 0.3 * kml_sim_gauss(&r)),
          0);
    }
  }
}

static void chance_matches_are_not_named(void **state) {
  (void)state;
  kml_cause_trigger_t tr = {.id = {"h", "kafka", "group-g", "kafka_lag", "t-0"},
                            .ds = "value",
                            .time = 1000 + 10.0 * 39};
  kml_cause_chain_t ch;
  char err[256];
  for (int with_cause = 0; with_cause < 2; with_cause++) {
    kml_cause_cfg_t cc = kml_cause_defaults();
    cc.alpha = 1; /* the fixed threshold alone */
    kml_cause_t *c = kml_cause_new(&cc, err, sizeof(err));
    feed_wanderers(c, with_cause);
    assert_int_equal(kml_cause_explain(c, &tr, 1, &ch), 1);
    kml_cause_destroy(c);
    assert_int_equal(ch.parts_backed, 1);
    assert_int_equal(ch.n_leaders, 0);
    assert_false(ch.consumer_side);
    const kml_cause_match_t *fixed = &ch.best[0].m;
    print_message("fixed |r| >= 0.5, %s: %s r %.2f chance %.3f among %d\n",
                  with_cause ? "with the cause" : "unrelated only", fixed->key,
                  fixed->r, fixed->p, fixed->candidates);
    assert_true(fixed->key[0] != '\0');
    cc = kml_cause_defaults();
    c = kml_cause_new(&cc, err, sizeof(err));
    feed_wanderers(c, with_cause);
    assert_int_equal(kml_cause_explain(c, &tr, 1, &ch), 1);
    kml_cause_destroy(c);
    const kml_cause_match_t *m = &ch.best[0].m;
    if (with_cause) {
      assert_string_equal(m->key, "h/kafka-broker-9/kafka_rtt/value");
      assert_true(m->p < cc.alpha);
      assert_int_equal(m->candidates, 301);
    } else
      assert_string_equal(m->key, "");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(grading_against_the_truth),
      cmocka_unit_test(slow_broker_chain_is_named),
      cmocka_unit_test(stalled_group_is_consumer_side),
      cmocka_unit_test(one_slow_partition_is_named_alone),
      cmocka_unit_test(one_broker_is_counted_not_compared),
      cmocka_unit_test(chance_matches_are_not_named),
      cmocka_unit_test(first_slow_value_is_not_consumer_side),
      cmocka_unit_test(one_leader_of_all_is_not_consumer_side),
      cmocka_unit_test(message_fits_and_meta_has_numbers),
      cmocka_unit_test(bad_scope_regex_is_named),
      cmocka_unit_test(scopes_expiry_and_unwanted_triggers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
