/* Unit tests for src/kafka/watermarks.c (and the admin options of
 * collect.c) without a broker: a client whose only bootstrap address
 * refuses connections. What a leader could not answer stays unknown (-1),
 * is marked per leader and per partition, and keeps the step incomplete;
 * partitions without a leader are not asked; a snapshot with no leader at
 * all is complete with nothing to ask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/collect.h"
#include "kml_clock.h"

#include <stdlib.h>
#include <string.h>

static kml_client_t *offline_client(void) {
  char err[512];
  /* port 1 on the loopback: nothing listens, connections are refused */
  kml_client_conf_t cc = {.name = "unit", .brokers = "127.0.0.1:1"};
  kml_client_t *c = kml_client_new(&cc, err, sizeof(err));
  assert_non_null(c);
  return c;
}

/* Two brokers; topic "t" with partitions led by 1, 2, 1 and none. */
static kml_snapshot_t *two_leaders(void) {
  kml_snapshot_t *s = kml_snapshot_new();
  s->brokers = calloc(2, sizeof(*s->brokers));
  for (int b = 0; b < 2; b++) {
    s->brokers[b].id = b + 1;
    s->brokers[b].host = strdup("127.0.0.1");
    s->brokers[b].port = 1;
  }
  s->n_brokers = 2;
  s->topics = calloc(1, sizeof(*s->topics));
  s->topics[0].name = strdup("t");
  s->topics[0].parts = calloc(4, sizeof(kml_partition_t));
  s->topics[0].n_parts = 4;
  const int32_t leaders[] = {1, 2, 1, -1};
  for (int p = 0; p < 4; p++) {
    kml_partition_t *kp = &s->topics[0].parts[p];
    kp->id = p;
    kp->leader = leaders[p];
    kp->low = kp->high = -1;
  }
  s->n_topics = 1;
  return s;
}

static void unanswered_leaders_leave_their_partitions_unknown(void **state) {
  kml_client_t *c = offline_client();
  kml_snapshot_t *s = two_leaders();
  int n =
      kml_collect_watermarks(kml_client_rk(c), s, kml_clock_mono_ms() + 300);
  assert_int_equal(n, 4); /* latest and earliest, per leader */
  for (int p = 0; p < 3; p++) {
    assert_true(s->topics[0].parts[p].high == -1);
    assert_true(s->topics[0].parts[p].low == -1);
    assert_int_not_equal(s->topics[0].parts[p].err, 0);
  }
  /* no leader: not asked, no error of its own */
  assert_int_equal(s->topics[0].parts[3].err, 0);
  assert_int_equal(s->brokers[0].watermarks, KML_ANSWER_FAILED);
  assert_int_equal(s->brokers[1].watermarks, KML_ANSWER_FAILED);
  assert_false(s->complete & KML_STEP_WATERMARKS);
  assert_int_equal(s->errors, 2); /* one per leader */
  assert_non_null(strstr(s->error, "ListOffsets to leader"));
  kml_snapshot_free(s);
  kml_client_destroy(c);
}

static void nothing_to_ask_is_complete(void **state) {
  kml_client_t *c = offline_client();
  kml_snapshot_t *s = two_leaders();
  for (int p = 0; p < 4; p++)
    s->topics[0].parts[p].leader = -1; /* every partition offline */
  assert_int_equal(
      kml_collect_watermarks(kml_client_rk(c), s, kml_clock_mono_ms() + 300),
      0);
  assert_true(s->complete & KML_STEP_WATERMARKS);
  assert_int_equal(s->brokers[0].watermarks, KML_ANSWER_NONE);
  assert_int_equal(s->errors, 0);
  kml_snapshot_free(s);
  kml_client_destroy(c);
}

static void past_deadline_asks_nothing(void **state) {
  kml_client_t *c = offline_client();
  kml_snapshot_t *s = two_leaders();
  kml_collect_watermarks(kml_client_rk(c), s, kml_clock_mono_ms() - 1000);
  for (int p = 0; p < 3; p++)
    assert_int_equal(s->topics[0].parts[p].err, RD_KAFKA_RESP_ERR__TIMED_OUT);
  kml_snapshot_free(s);
  kml_client_destroy(c);
}

static void admin_options_need_time_left(void **state) {
  kml_client_t *c = offline_client();
  char err[256] = "";
  rd_kafka_AdminOptions_t *o = kml_collect_admin_options(
      kml_client_rk(c), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
      kml_clock_mono_ms() - 5, err, sizeof(err));
  assert_null(o);
  assert_non_null(strstr(err, "no time left"));
  o = kml_collect_admin_options(kml_client_rk(c),
                                RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
                                kml_clock_mono_ms() + 5000, err, sizeof(err));
  assert_non_null(o);
  rd_kafka_AdminOptions_destroy(o);
  kml_client_destroy(c);
}

static void unreachable_cluster_is_not_ok(void **state) {
  kml_client_t *c = offline_client();
  kml_collect_opts_t o = {
      .groups_enabled = 1, .configs_enabled = 1, .timeout_ms = 300};
  kml_snapshot_t *s = kml_collect(c, &o);
  assert_non_null(s);
  assert_int_equal(s->ok, 0);
  assert_int_equal(s->complete, 0);
  assert_non_null(strstr(s->error, "metadata request failed"));
  assert_int_equal(s->n_topics, 0);
  kml_snapshot_free(s);
  kml_client_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(unanswered_leaders_leave_their_partitions_unknown),
      cmocka_unit_test(nothing_to_ask_is_complete),
      cmocka_unit_test(past_deadline_asks_nothing),
      cmocka_unit_test(admin_options_need_time_left),
      cmocka_unit_test(unreachable_cluster_is_not_ok),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
