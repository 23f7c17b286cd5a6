/* offsets_table: the follower's memory of __consumer_offsets, applied one
 * decoded record at a time, exported into a snapshot at each collection.
 *
 * Two hash maps: groups by id, and offsets by an unambiguous key
 * "<length of group>:<group><topic>\x1f<partition>" (group ids may hold
 * any byte; topic names cannot hold \x1f). Each group counts its offsets
 * so that a group with neither metadata nor offsets is dropped. Export
 * walks the offsets once, so a collection costs O(offsets), independent
 * of how many records the topic held. */
#include "offsets_table.h"

#include "../kml_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int32_t part; /* partition of the offsets topic holding the group */
  int has_meta; /* a group metadata record was seen */
  int32_t generation;
  int32_t members;
  int64_t state_ms;      /* currentStateTimestamp of the last metadata; -1 */
  uint64_t members_hash; /* member ids, and the generation folded in */
  char *roster;          /* "id\0client id\0" per member; NULL none */
  int roster_n;          /* members in roster */
  int n_offsets;
  int filtered;  /* 0 not yet asked, 1 selected, 2 rejected */
  int export_ix; /* index in the snapshot during an export */
} group_t;

typedef struct {
  int64_t offset;
  int64_t commit_ms; /* latest commit */
  int64_t moved_ms;  /* latest commit that changed the offset */
} offset_t;

struct kml_offsets_table {
  kml_map_t *groups;  /* id -> group_t */
  kml_map_t *offsets; /* key() -> offset_t */
};

kml_offsets_table_t *kml_offsets_table_new(void) {
  kml_offsets_table_t *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  t->groups = kml_map_new(sizeof(group_t));
  t->offsets = kml_map_new(sizeof(offset_t));
  if (t->groups == NULL || t->offsets == NULL) {
    kml_offsets_table_destroy(t);
    return NULL;
  }
  return t;
}

static void free_roster(const char *id, void *value, void *ud) {
  group_t *g = value;
  (void)id;
  (void)ud;
  free(g->roster);
  g->roster = NULL;
  g->roster_n = 0;
}

void kml_offsets_table_destroy(kml_offsets_table_t *t) {
  if (t == NULL)
    return;
  if (t->groups != NULL)
    kml_map_foreach(t->groups, free_roster, NULL);
  kml_map_destroy(t->groups);
  kml_map_destroy(t->offsets);
  free(t);
}

int kml_offsets_table_groups(const kml_offsets_table_t *t) {
  return (int)kml_map_size(t->groups);
}

int kml_offsets_table_offsets(const kml_offsets_table_t *t) {
  return (int)kml_map_size(t->offsets);
}

/* NUL-terminated copy of a record string into buf; -1 when it does not fit
 * or holds a NUL (a C-string key could not tell it apart). */
static int cstr(char *buf, size_t len, kml_offsets_str_t s) {
  if (s.ptr == NULL || s.len >= len || memchr(s.ptr, 0, s.len) != NULL)
    return -1;
  memcpy(buf, s.ptr, s.len);
  buf[s.len] = '\0';
  return 0;
}

static int offset_key(char *buf, size_t len, const char *group,
                      const char *topic, int32_t partition) {
  int n = snprintf(buf, len, "%zu:%s%s\x1f%d", strlen(group), group, topic,
                   (int)partition);
  return n > 0 && (size_t)n < len ? 0 : -1;
}

static group_t *group_get(kml_offsets_table_t *t, const char *id,
                          int32_t part) {
  int created;
  group_t *g = kml_map_get(t->groups, id, 0, &created);
  if (g != NULL)
    g->part = part;
  return g;
}

/* Forget a group that has neither metadata nor offsets left. */
static void group_maybe_drop(kml_offsets_table_t *t, const char *id) {
  group_t *g = kml_map_find(t->groups, id);
  if (g != NULL && !g->has_meta && g->n_offsets <= 0) {
    free_roster(id, g, NULL);
    kml_map_remove(t->groups, id);
  }
}

/* The members' ids and client ids of a group metadata record, packed. */
typedef struct {
  char *buf;
  size_t len, cap;
  int n, failed;
} roster_t;

static void roster_put(roster_t *w, kml_offsets_str_t s) {
  size_t need = w->len + s.len + 1;
  if (w->failed || (s.ptr && memchr(s.ptr, 0, s.len))) {
    w->failed = 1;
    return;
  }
  if (need > w->cap) {
    size_t cap = need > 2 * w->cap ? need : 2 * w->cap;
    char *b = realloc(w->buf, cap);
    if (b == NULL) {
      w->failed = 1;
      return;
    }
    w->buf = b;
    w->cap = cap;
  }
  if (s.ptr != NULL)
    memcpy(w->buf + w->len, s.ptr, s.len);
  w->buf[w->len + (s.ptr ? s.len : 0)] = '\0';
  w->len += (s.ptr ? s.len : 0) + 1;
}

static void roster_member(kml_offsets_str_t id, kml_offsets_str_t client,
                          void *ud) {
  roster_t *w = ud;
  roster_put(w, id);
  roster_put(w, client);
  w->n++;
}

/* Keep the member list of a group metadata record (optional: a list that
 * cannot be kept leaves the group without one). */
static void take_roster(group_t *g, const kml_offsets_record_t *r) {
  roster_t w = {0};
  free_roster(NULL, g, NULL);
  if (kml_offsets_record_members(r, roster_member, &w) < 0 || w.failed) {
    free(w.buf);
    return;
  }
  g->roster = w.buf;
  g->roster_n = w.n;
}

static int apply_commit(kml_offsets_table_t *t, const kml_offsets_record_t *r,
                        const char *group, int32_t part) {
  char topic[256], key[1024];
  if (cstr(topic, sizeof(topic), r->topic) != 0 ||
      offset_key(key, sizeof(key), group, topic, r->partition) != 0)
    return -1;
  if (r->kind == KML_OREC_COMMIT_DEL) {
    group_t *g = kml_map_find(t->groups, group);
    if (kml_map_remove(t->offsets, key) && g != NULL)
      g->n_offsets--;
    group_maybe_drop(t, group);
    return 0;
  }
  group_t *g = group_get(t, group, part);
  int created;
  offset_t *o = g ? kml_map_get(t->offsets, key, 0, &created) : NULL;
  if (o == NULL)
    return -1;
  if (created) {
    g->n_offsets++;
    o->moved_ms = r->commit_ms;
  } else if (o->offset != r->offset) {
    o->moved_ms = r->commit_ms;
  }
  o->offset = r->offset;
  o->commit_ms = r->commit_ms;
  return 0;
}

int kml_offsets_table_apply(kml_offsets_table_t *t,
                            const kml_offsets_record_t *r, int32_t part) {
  char group[1024];
  if (r->kind == KML_OREC_BAD || r->kind == KML_OREC_SKIP)
    return 0;
  if (cstr(group, sizeof(group), r->group) != 0)
    return -1;
  switch (r->kind) {
  case KML_OREC_COMMIT:
  case KML_OREC_COMMIT_DEL:
    return apply_commit(t, r, group, part);
  case KML_OREC_GROUP: {
    group_t *g = group_get(t, group, part);
    if (g == NULL)
      return -1;
    g->has_meta = 1;
    g->generation = r->generation;
    g->members = r->members;
    g->state_ms = r->state_ms;
    take_roster(g, r);
    /* A new generation is a rebalance even with the same members. */
    g->members_hash =
        r->members > 0
            ? r->members_hash ^
                  ((uint64_t)(uint32_t)r->generation * 0x9e3779b97f4a7c15ULL)
            : 0;
    return 0;
  }
  case KML_OREC_GROUP_DEL: {
    group_t *g = kml_map_find(t->groups, group);
    if (g != NULL) {
      g->has_meta = 0;
      g->members = 0;
      g->members_hash = 0;
      free_roster(group, g, NULL);
    }
    group_maybe_drop(t, group);
    return 0;
  }
  default:
    return 0;
  }
}

/* ----------------------------------------------------------------- export */

typedef struct {
  kml_offsets_table_t *t;
  kml_snapshot_t *s;
  const kml_filter_t *filter;
  const unsigned char *in_sync;
  int n_parts;
  int n, cap, unsynced, failed;
} export_t;

static int selected(group_t *g, const char *id, const kml_filter_t *f) {
  if (g->filtered == 0)
    g->filtered = f == NULL || kml_filter_match(f, id) ? 1 : 2;
  return g->filtered == 1;
}

static int synced(const export_t *x, const group_t *g) {
  return g->part >= 0 && g->part < x->n_parts && x->in_sync[g->part];
}

/* The members of the group's latest metadata into the snapshot (optional:
 * out of memory leaves the list out). */
static void export_roster(kml_group_t *sg, const group_t *g) {
  if (g->roster == NULL)
    return;
  sg->member_list = calloc(g->roster_n ? g->roster_n : 1, sizeof(kml_member_t));
  if (sg->member_list == NULL)
    return;
  const char *p = g->roster;
  for (int i = 0; i < g->roster_n; i++) {
    kml_member_t *m = &sg->member_list[sg->n_member_list++];
    m->id = strdup(p);
    p += strlen(p) + 1;
    m->client_id = strdup(p);
    p += strlen(p) + 1;
  }
}

static void add_group(const char *id, void *value, void *ud) {
  export_t *x = ud;
  group_t *g = value;
  g->export_ix = -1;
  if (!selected(g, id, x->filter))
    return;
  if (x->n == x->cap) {
    int cap = x->cap ? 2 * x->cap : 64;
    kml_group_t *l = realloc(x->s->groups, sizeof(*l) * cap);
    if (l == NULL) {
      x->failed = 1;
      return;
    }
    x->s->groups = l;
    x->cap = cap;
  }
  kml_group_t *sg = &x->s->groups[x->n];
  memset(sg, 0, sizeof(*sg));
  if ((sg->id = strdup(id)) == NULL) {
    x->failed = 1;
    return;
  }
  if (!synced(x, g)) {
    x->unsynced++;
    sg->state = KML_GROUP_UNKNOWN;
  } else {
    sg->measured = KML_GROUP_ALL;
    sg->state = g->members > 0 ? KML_GROUP_STABLE : KML_GROUP_EMPTY;
    /* The coordinator stamps the metadata it writes when the group
     * becomes Empty: its offsets expire that long after (Kafka 2.1+). */
    if (g->has_meta && g->members == 0 && g->state_ms > 0)
      sg->empty_since = g->state_ms / 1e3;
    sg->members = g->members;
    sg->members_hash = g->members_hash;
    if (g->has_meta) {
      sg->measured |= KML_GROUP_GENERATION;
      sg->generation = g->generation;
    }
    export_roster(sg, g);
    if (g->n_offsets > 0) {
      sg->offsets = calloc(g->n_offsets, sizeof(*sg->offsets));
      if (sg->offsets == NULL)
        x->failed = 1;
    }
  }
  g->export_ix = x->n++;
}

/* Split an offsets key back into group, topic and partition. */
static int parse_key(const char *key, char *group, size_t glen, char *topic,
                     size_t tlen, int32_t *partition) {
  char *end;
  unsigned long n = strtoul(key, &end, 10);
  if (*end != ':' || n >= glen)
    return -1;
  const char *p = end + 1;
  memcpy(group, p, n);
  group[n] = '\0';
  p += n;
  const char *sep = strchr(p, '\x1f');
  if (sep == NULL || (size_t)(sep - p) >= tlen)
    return -1;
  memcpy(topic, p, sep - p);
  topic[sep - p] = '\0';
  *partition = (int32_t)strtol(sep + 1, NULL, 10);
  return 0;
}

static void add_offset(const char *key, void *value, void *ud) {
  export_t *x = ud;
  const offset_t *o = value;
  char group[1024], topic[256];
  int32_t partition;
  if (parse_key(key, group, sizeof(group), topic, sizeof(topic), &partition))
    return;
  const group_t *g = kml_map_find(x->t->groups, group);
  if (g == NULL || g->export_ix < 0)
    return;
  kml_group_t *sg = &x->s->groups[g->export_ix];
  /* Only topics in the snapshot: a filtered-out or deleted topic has no
   * high-water mark to compare with. */
  if (sg->offsets == NULL || sg->n_offsets >= g->n_offsets ||
      kml_snapshot_topic(x->s, topic) == NULL)
    return;
  kml_group_offset_t *go = &sg->offsets[sg->n_offsets];
  if ((go->topic = strdup(topic)) == NULL) {
    x->failed = 1;
    return;
  }
  go->partition = partition;
  go->committed = o->offset >= 0 ? o->offset : -1;
  go->commit_time = o->commit_ms / 1e3;
  go->moved_time = o->moved_ms / 1e3;
  sg->n_offsets++;
}

int kml_offsets_table_export(kml_offsets_table_t *t, kml_snapshot_t *s,
                             const kml_filter_t *filter,
                             const unsigned char *in_sync, int n_parts) {
  export_t x = {
      .t = t, .s = s, .filter = filter, .in_sync = in_sync, .n_parts = n_parts};
  kml_map_foreach(t->groups, add_group, &x);
  s->n_groups = x.n;
  if (!x.failed)
    kml_map_foreach(t->offsets, add_offset, &x);
  kml_snapshot_sort(s);
  return x.failed ? -1 : x.unsynced;
}
