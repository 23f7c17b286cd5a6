/* Unit tests for src/kafka/offsets_table.c: records applied in order give
 * the latest committed offset per (group, topic, partition), tombstones
 * delete, commits that do not move keep the "moved" time, group metadata
 * gives state, members and when an Empty group became empty, and export marks
 * as measured only the groups whose offsets-topic partition is in sync. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/offsets_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static kml_offsets_str_t S(const char *s) {
  return (kml_offsets_str_t){s, s ? strlen(s) : 0};
}

static void commit(kml_offsets_table_t *t, int part, const char *g,
                   const char *topic, int p, int64_t off, int64_t ms) {
  kml_offsets_record_t r = {.kind = KML_OREC_COMMIT,
                            .group = S(g),
                            .topic = S(topic),
                            .partition = p,
                            .offset = off,
                            .commit_ms = ms};
  assert_int_equal(kml_offsets_table_apply(t, &r, part), 0);
}

static void uncommit(kml_offsets_table_t *t, int part, const char *g,
                     const char *topic, int p) {
  kml_offsets_record_t r = {.kind = KML_OREC_COMMIT_DEL,
                            .group = S(g),
                            .topic = S(topic),
                            .partition = p};
  assert_int_equal(kml_offsets_table_apply(t, &r, part), 0);
}

static void meta_at(kml_offsets_table_t *t, int part, const char *g, int gen,
                    int members, uint64_t hash, int64_t state_ms) {
  kml_offsets_record_t r = {.kind = KML_OREC_GROUP,
                            .group = S(g),
                            .generation = gen,
                            .members = members,
                            .members_hash = hash,
                            .state_ms = state_ms};
  assert_int_equal(kml_offsets_table_apply(t, &r, part), 0);
}

static void meta(kml_offsets_table_t *t, int part, const char *g, int gen,
                 int members, uint64_t hash) {
  meta_at(t, part, g, gen, members, hash, -1);
}

/* A snapshot that knows topics "orders" (4 partitions) and "pay" (1). */
static kml_snapshot_t *snapshot(void) {
  kml_snapshot_t *s = kml_snapshot_new();
  s->topics = calloc(2, sizeof(*s->topics));
  const char *names[] = {"orders", "pay"};
  int parts[] = {4, 1};
  for (int i = 0; i < 2; i++) {
    s->topics[i].name = strdup(names[i]);
    s->topics[i].n_parts = parts[i];
    s->topics[i].parts = calloc(parts[i], sizeof(kml_partition_t));
    for (int p = 0; p < parts[i]; p++)
      s->topics[i].parts[p].id = p;
  }
  s->n_topics = 2;
  kml_snapshot_sort(s);
  return s;
}

static const kml_group_offset_t *find(const kml_group_t *g, const char *topic,
                                      int p) {
  for (int i = 0; i < g->n_offsets; i++)
    if (strcmp(g->offsets[i].topic, topic) == 0 && g->offsets[i].partition == p)
      return &g->offsets[i];
  return NULL;
}

static void latest_commit_wins_and_tombstones_delete(void **state) {
  kml_offsets_table_t *t = kml_offsets_table_new();
  commit(t, 3, "svc-a", "orders", 0, 10, 1000);
  commit(t, 3, "svc-a", "orders", 0, 15, 2000);
  commit(t, 3, "svc-a", "orders", 0, 15, 3000); /* arrives, does not move */
  commit(t, 3, "svc-a", "orders", 1, 7, 3000);
  commit(t, 3, "svc-a", "gone-topic", 0, 7, 3000);
  commit(t, 3, "svc-a", "pay", 0, 99, 3000);
  uncommit(t, 3, "svc-a", "pay", 0);
  assert_int_equal(kml_offsets_table_groups(t), 1);
  assert_int_equal(kml_offsets_table_offsets(t), 3);

  unsigned char sync[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  kml_snapshot_t *s = snapshot();
  assert_int_equal(kml_offsets_table_export(t, s, NULL, sync, 8), 0);
  assert_int_equal(s->n_groups, 1);
  const kml_group_t *g = kml_snapshot_group(s, "svc-a");
  assert_non_null(g);
  assert_true(kml_group_measured(g));
  assert_int_equal(g->state, KML_GROUP_EMPTY); /* commits only: "simple" */
  assert_int_equal(g->n_offsets, 2); /* a topic not in the snapshot is left */
  const kml_group_offset_t *o = find(g, "orders", 0);
  assert_non_null(o);
  assert_int_equal(o->committed, 15);
  assert_true(o->commit_time == 3.0);
  assert_true(o->moved_time == 2.0);
  assert_null(find(g, "pay", 0));
  kml_snapshot_free(s);

  /* every offset deleted and no metadata: the group is gone */
  uncommit(t, 3, "svc-a", "orders", 0);
  uncommit(t, 3, "svc-a", "orders", 1);
  uncommit(t, 3, "svc-a", "gone-topic", 0);
  uncommit(t, 3, "svc-a", "orders", 3); /* deleting nothing is fine */
  assert_int_equal(kml_offsets_table_groups(t), 0);
  assert_int_equal(kml_offsets_table_offsets(t), 0);
  kml_offsets_table_destroy(t);
}

static void metadata_gives_state_members_and_rebalances(void **state) {
  kml_offsets_table_t *t = kml_offsets_table_new();
  meta(t, 1, "svc-b", 5, 2, 0xabc);
  commit(t, 1, "svc-b", "orders", 2, 40, 1000);
  unsigned char sync[2] = {1, 1};
  kml_snapshot_t *s = snapshot();
  kml_offsets_table_export(t, s, NULL, sync, 2);
  const kml_group_t *g = kml_snapshot_group(s, "svc-b");
  assert_int_equal(g->state, KML_GROUP_STABLE);
  assert_int_equal(g->members, 2);
  assert_true(g->empty_since == 0);
  uint64_t h5 = g->members_hash;
  kml_snapshot_free(s);

  /* the same members in a new generation: a rebalance, a new hash */
  meta(t, 1, "svc-b", 6, 2, 0xabc);
  s = snapshot();
  kml_offsets_table_export(t, s, NULL, sync, 2);
  g = kml_snapshot_group(s, "svc-b");
  assert_true(g->members_hash != h5);
  kml_snapshot_free(s);

  /* everyone left: Empty, offsets kept; the coordinator's stamp of that
   * moment is when the offsets start aging toward expiry */
  meta_at(t, 1, "svc-b", 7, 0, 0, 1700000000500);
  s = snapshot();
  kml_offsets_table_export(t, s, NULL, sync, 2);
  g = kml_snapshot_group(s, "svc-b");
  assert_int_equal(g->state, KML_GROUP_EMPTY);
  assert_int_equal(g->members, 0);
  assert_int_equal(g->n_offsets, 1);
  assert_true(g->empty_since == 1700000000.5);
  kml_snapshot_free(s);

  /* a member joins again: not empty, no time */
  meta_at(t, 1, "svc-b", 8, 1, 0x1, 1700000900000);
  s = snapshot();
  kml_offsets_table_export(t, s, NULL, sync, 2);
  g = kml_snapshot_group(s, "svc-b");
  assert_int_equal(g->state, KML_GROUP_STABLE);
  assert_true(g->empty_since == 0);
  kml_snapshot_free(s);

  /* group removed: metadata tombstone, then its offsets' tombstones */
  kml_offsets_record_t del = {.kind = KML_OREC_GROUP_DEL, .group = S("svc-b")};
  kml_offsets_table_apply(t, &del, 1);
  assert_int_equal(kml_offsets_table_groups(t), 1); /* offsets remain */
  uncommit(t, 1, "svc-b", "orders", 2);
  assert_int_equal(kml_offsets_table_groups(t), 0);
  kml_offsets_table_destroy(t);
}

static void only_groups_of_partitions_in_sync_are_measured(void **state) {
  kml_offsets_table_t *t = kml_offsets_table_new();
  commit(t, 0, "svc-synced", "orders", 0, 1, 1000);
  commit(t, 1, "svc-behind", "orders", 0, 2, 1000);
  commit(t, 1, "batch-x", "orders", 0, 3, 1000);
  unsigned char sync[2] = {1, 0};
  kml_filter_t f = {0};
  char err[128];
  assert_int_equal(kml_filter_set(&f, 0, "^svc-", err, sizeof(err)), 0);
  kml_snapshot_t *s = snapshot();
  /* one selected group is behind */
  assert_int_equal(kml_offsets_table_export(t, s, &f, sync, 2), 1);
  assert_int_equal(s->n_groups, 2); /* batch-x is filtered out */
  const kml_group_t *a = kml_snapshot_group(s, "svc-synced");
  const kml_group_t *b = kml_snapshot_group(s, "svc-behind");
  assert_true(kml_group_measured(a));
  assert_int_equal(a->n_offsets, 1);
  assert_false(kml_group_measured(b));
  assert_int_equal(b->n_offsets, 0); /* nothing half-read is handed out */
  assert_int_equal(b->state, KML_GROUP_UNKNOWN);
  kml_snapshot_free(s);
  kml_filter_free(&f);
  kml_offsets_table_destroy(t);
}

static void odd_group_ids_stay_distinct(void **state) {
  kml_offsets_table_t *t = kml_offsets_table_new();
  /* ids that would collide in a naive "group/topic" key */
  commit(t, 0, "a\x1forders", "x", 0, 1, 1);
  commit(t, 0, "a", "orders\x1fx", 0, 2, 1);
  commit(t, 0, "g/with spaces:3", "orders", 3, 5, 1);
  assert_int_equal(kml_offsets_table_offsets(t), 3);
  assert_int_equal(kml_offsets_table_groups(t), 3);
  /* a NUL inside a group id cannot be stored as a C string: refused */
  kml_offsets_record_t r = {.kind = KML_OREC_COMMIT,
                            .group = {"nu\0l", 4},
                            .topic = S("orders"),
                            .offset = 1};
  assert_int_equal(kml_offsets_table_apply(t, &r, 0), -1);
  unsigned char sync[1] = {1};
  kml_snapshot_t *s = snapshot();
  kml_offsets_table_export(t, s, NULL, sync, 1);
  const kml_group_t *g = kml_snapshot_group(s, "g/with spaces:3");
  assert_non_null(g);
  assert_int_equal(g->n_offsets, 1);
  assert_int_equal(g->offsets[0].committed, 5);
  kml_snapshot_free(s);
  kml_offsets_table_destroy(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(latest_commit_wins_and_tombstones_delete),
      cmocka_unit_test(metadata_gives_state_members_and_rebalances),
      cmocka_unit_test(only_groups_of_partitions_in_sync_are_measured),
      cmocka_unit_test(odd_group_ids_stay_distinct),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
