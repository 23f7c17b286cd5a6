/* snapshot: ownership and look-ups for the per-collection data. Topics and
 * groups are kept sorted so look-ups by name are O(log n) on big clusters. */
#include "snapshot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

kml_snapshot_t *kml_snapshot_new(void) {
  kml_snapshot_t *s = calloc(1, sizeof(*s));
  if (s != NULL)
    s->offsets_retention_s = -1;
  return s;
}

void kml_snapshot_free(kml_snapshot_t *s) {
  if (s == NULL)
    return;
  for (int i = 0; i < s->n_brokers; i++)
    free(s->brokers[i].host);
  free(s->brokers);
  for (int i = 0; i < s->n_topics; i++) {
    kml_topic_t *t = &s->topics[i];
    for (int p = 0; p < t->n_parts; p++) {
      free(t->parts[p].replicas);
      free(t->parts[p].isr);
    }
    free(t->parts);
    free(t->name);
  }
  free(s->topics);
  for (int i = 0; i < s->n_groups; i++) {
    kml_group_t *g = &s->groups[i];
    for (int o = 0; o < g->n_offsets; o++)
      free(g->offsets[o].topic);
    free(g->offsets);
    for (int m = 0; m < g->n_member_list; m++) {
      free(g->member_list[m].id);
      free(g->member_list[m].client_id);
    }
    free(g->member_list);
    free(g->id);
  }
  free(s->groups);
  free(s);
}

static int topic_cmp(const void *a, const void *b) {
  return strcmp(((const kml_topic_t *)a)->name, ((const kml_topic_t *)b)->name);
}

static int group_cmp(const void *a, const void *b) {
  return strcmp(((const kml_group_t *)a)->id, ((const kml_group_t *)b)->id);
}

static int part_cmp(const void *a, const void *b) {
  int32_t x = ((const kml_partition_t *)a)->id;
  int32_t y = ((const kml_partition_t *)b)->id;
  return (x > y) - (x < y);
}

static int goff_cmp(const void *a, const void *b) {
  const kml_group_offset_t *x = a, *y = b;
  int c = strcmp(x->topic, y->topic);
  if (c != 0)
    return c;
  return (x->partition > y->partition) - (x->partition < y->partition);
}

static int broker_cmp(const void *a, const void *b) {
  int32_t x = ((const kml_broker_t *)a)->id;
  int32_t y = ((const kml_broker_t *)b)->id;
  return (x > y) - (x < y);
}

void kml_snapshot_sort(kml_snapshot_t *s) {
  if (s->n_brokers > 1)
    qsort(s->brokers, s->n_brokers, sizeof(*s->brokers), broker_cmp);
  if (s->n_topics > 1)
    qsort(s->topics, s->n_topics, sizeof(*s->topics), topic_cmp);
  for (int i = 0; i < s->n_topics; i++)
    if (s->topics[i].n_parts > 1)
      qsort(s->topics[i].parts, s->topics[i].n_parts,
            sizeof(*s->topics[i].parts), part_cmp);
  if (s->n_groups > 1)
    qsort(s->groups, s->n_groups, sizeof(*s->groups), group_cmp);
  for (int i = 0; i < s->n_groups; i++)
    if (s->groups[i].n_offsets > 1)
      qsort(s->groups[i].offsets, s->groups[i].n_offsets,
            sizeof(*s->groups[i].offsets), goff_cmp);
}

const kml_topic_t *kml_snapshot_topic(const kml_snapshot_t *s,
                                      const char *name) {
  kml_topic_t key = {.name = (char *)name};
  if (s->n_topics == 0) /* bsearch must not see a NULL array */
    return NULL;
  return bsearch(&key, s->topics, s->n_topics, sizeof(*s->topics), topic_cmp);
}

const kml_group_t *kml_snapshot_group(const kml_snapshot_t *s, const char *id) {
  kml_group_t key = {.id = (char *)id};
  if (s->n_groups == 0)
    return NULL;
  return bsearch(&key, s->groups, s->n_groups, sizeof(*s->groups), group_cmp);
}

const kml_partition_t *kml_topic_partition(const kml_topic_t *t, int32_t id) {
  kml_partition_t key = {.id = id};
  if (t->n_parts == 0)
    return NULL;
  return bsearch(&key, t->parts, t->n_parts, sizeof(*t->parts), part_cmp);
}

const kml_broker_t *kml_snapshot_broker(const kml_snapshot_t *s, int32_t id) {
  kml_broker_t key = {.id = id};
  if (s->n_brokers == 0)
    return NULL;
  return bsearch(&key, s->brokers, s->n_brokers, sizeof(*s->brokers),
                 broker_cmp);
}

int kml_group_measured(const kml_group_t *g) {
  return (g->measured & KML_GROUP_ALL) == KML_GROUP_ALL;
}

const char *kml_group_state_str(kml_group_state_t st) {
  static const char *const names[] = {
      "Unknown", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead",
      "Empty"};
  return st >= KML_GROUP_UNKNOWN && st <= KML_GROUP_EMPTY ? names[st]
                                                          : "Unknown";
}

int kml_group_state_rebalancing(kml_group_state_t st) {
  return st == KML_GROUP_PREPARING_REBALANCE ||
         st == KML_GROUP_COMPLETING_REBALANCE;
}
