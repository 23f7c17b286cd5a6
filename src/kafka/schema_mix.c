/* schema_mix: a topic's known record shapes and their mix over time, and
 * the notifications when a new one appears or the mix shifts (the rules
 * are in schema_mix.h). Counts are forgotten exponentially in time:
 * recent over 5 minutes, baseline over an hour. */
#include "schema_mix.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECENT_TAU 300.0   /* seconds: the recent mix */
#define BASE_TAU 3600.0    /* seconds: the baseline mix */
#define SEEN_SPAN 3600.0   /* a schema counts as seen this long */
#define CONFIRM 2          /* records a new schema needs */
#define CANDIDATE_TTL 3600 /* seconds a candidate waits for its CONFIRM */
#define SHIFT_TV 0.5       /* total variation distance of a shift */
#define STEADY_TV 0.25     /* ... and of a steady mix again */
#define MIN_RECENT 10.0    /* recent records a mix needs to be judged */
#define SETTLE 600.0       /* seconds without a new schema before OKAY */

typedef struct {
  int used;
  int learnt; /* a candidate first seen while learning: known silently */
  kml_schema_t shape; /* kind, id, fingerprint and (JSON) fields */
  double first, last; /* seen */
  double recent, base;
} entry_t;

struct kml_schema_mix {
  double learn, started, t;
  int begun; /* a record was added: started is set */
  entry_t known[KML_SCHEMA_KNOWN];
  entry_t cand[KML_SCHEMA_CANDIDATES];
  double other_recent, other_base;
  int records, unreadable;
  kml_severity_t state;
  double last_new;
};

kml_schema_mix_t *kml_schema_mix_new(double learn) {
  kml_schema_mix_t *m = calloc(1, sizeof(*m));
  if (m != NULL)
    m->learn = learn > 0 ? learn : 300;
  return m;
}

void kml_schema_mix_destroy(kml_schema_mix_t *m) { free(m); }

static int same(const kml_schema_t *a, const kml_schema_t *b) {
  if (a->kind != b->kind)
    return 0;
  return a->kind == KML_SCHEMA_WIRE ? a->id == b->id
                                    : a->fingerprint == b->fingerprint;
}

/* The same paths, kinds equal or one of them null. */
static int null_variant(const kml_schema_t *a, const kml_schema_t *b) {
  if (a->kind != KML_SCHEMA_JSON || b->kind != KML_SCHEMA_JSON ||
      a->n_fields != b->n_fields || a->more != b->more)
    return 0;
  for (int i = 0; i < a->n_fields; i++) {
    const kml_schema_field_t *x = &a->fields[i], *y = &b->fields[i];
    if (strcmp(x->path, y->path) != 0 ||
        (x->kind != y->kind && x->kind != KML_JSON_NULL &&
         y->kind != KML_JSON_NULL))
      return 0;
  }
  return 1;
}

static void decay(kml_schema_mix_t *m, double now) {
  double dt = now - m->t;
  if (!(dt > 0))
    return;
  double fr = exp(-dt / RECENT_TAU), fb = exp(-dt / BASE_TAU);
  for (int i = 0; i < KML_SCHEMA_KNOWN; i++) {
    m->known[i].recent *= fr;
    m->known[i].base *= fb;
  }
  m->other_recent *= fr;
  m->other_base *= fb;
  m->t = now;
}

/* A free slot of table (n entries), or the least recently seen. */
static entry_t *slot(entry_t *table, int n) {
  entry_t *e = &table[0];
  for (int i = 0; i < n; i++) {
    if (!table[i].used)
      return &table[i];
    if (table[i].last < e->last)
      e = &table[i];
  }
  return e;
}

static entry_t *find(entry_t *table, int n, const kml_schema_t *s) {
  for (int i = 0; i < n; i++)
    if (table[i].used && same(&table[i].shape, s))
      return &table[i];
  return NULL;
}

void kml_schema_mix_add(kml_schema_mix_t *m, const kml_schema_t *s,
                        double now) {
  if (!m->begun) {
    m->begun = 1;
    m->started = now;
    m->t = now;
  }
  decay(m, now);
  m->records++;
  if (s->kind == KML_SCHEMA_EMPTY)
    return; /* a tombstone has no shape */
  if (s->kind == KML_SCHEMA_OTHER) {
    m->unreadable++;
    m->other_recent += 1;
    m->other_base += 1;
    return;
  }
  entry_t *e = find(m->known, KML_SCHEMA_KNOWN, s);
  if (e != NULL) {
    e->recent += 1;
    e->base += 1;
    e->last = now;
    return;
  }
  e = find(m->cand, KML_SCHEMA_CANDIDATES, s);
  if (e == NULL) {
    e = slot(m->cand, KML_SCHEMA_CANDIDATES);
    *e = (entry_t){.used = 1,
                   .learnt = now - m->started < m->learn,
                   .shape = *s,
                   .first = now};
  }
  e->recent += 1; /* a candidate's records, not forgotten */
  e->last = now;
}

static void describe(const kml_schema_t *s, char *out, size_t len) {
  if (s->kind == KML_SCHEMA_WIRE)
    snprintf(out, len, "id %u", (unsigned)s->id);
  else if (s->kind == KML_SCHEMA_JSON)
    snprintf(out, len, "json %08x", (unsigned)(s->fingerprint >> 32));
  else
    snprintf(out, len, "unreadable");
}

/* The known schema with the largest baseline, of kind k when one exists. */
static const entry_t *usual(const kml_schema_mix_t *m, kml_schema_kind_t k) {
  const entry_t *best = NULL, *any = NULL;
  for (int i = 0; i < KML_SCHEMA_KNOWN; i++) {
    const entry_t *e = &m->known[i];
    if (!e->used)
      continue;
    if (any == NULL || e->base > any->base)
      any = e;
    if (e->shape.kind == k && (best == NULL || e->base > best->base))
      best = e;
  }
  return best ? best : any;
}

/* A confirmed candidate: known from now on; a WARNING unless it is a
 * null-variant of a known JSON shape. */
static void confirm(kml_schema_mix_t *m, entry_t *c, double now,
                    const char *topic, kml_schema_round_t *out) {
  int variant = 0;
  for (int i = 0; i < KML_SCHEMA_KNOWN; i++)
    variant |= m->known[i].used && null_variant(&m->known[i].shape, &c->shape);
  variant |= c->learnt; /* there from the start */
  const entry_t *was = usual(m, c->shape.kind);
  if (!variant && out->n_events < KML_SCHEMA_EVENTS) {
    kml_schema_event_t *ev = &out->events[out->n_events++];
    char now_s[64], was_s[64] = "none", fields[256] = "";
    describe(&c->shape, now_s, sizeof(now_s));
    if (was != NULL)
      describe(&was->shape, was_s, sizeof(was_s));
    if (c->shape.kind == KML_SCHEMA_JSON && was != NULL &&
        was->shape.kind == KML_SCHEMA_JSON)
      kml_schema_diff(&was->shape, &c->shape, fields, sizeof(fields));
    ev->severity = KML_SEV_WARNING;
    if (fields[0] != '\0')
      snprintf(ev->message, sizeof(ev->message),
               "topic %.60s: new record shape: %.120s (beside %.20s)", topic,
               fields, was_s);
    else
      snprintf(ev->message, sizeof(ev->message),
               "topic %.60s: new schema %.30s (was %.30s)", topic, now_s,
               was_s);
    memcpy(ev->new_schema, now_s, sizeof(now_s));
    memcpy(ev->old_schema, was_s, sizeof(was_s));
    memcpy(ev->fields, fields, sizeof(fields));
    m->state = KML_SEV_WARNING;
    m->last_new = now;
  }
  entry_t *k = slot(m->known, KML_SCHEMA_KNOWN);
  *k = *c;
  k->base = c->recent;
  c->used = 0;
}

typedef struct {
  char name[64];
  double recent, base; /* shares */
} share_t;

static int by_change(const void *a, const void *b) {
  const share_t *x = a, *y = b;
  double dx = fabs(x->recent - x->base), dy = fabs(y->recent - y->base);
  return dx < dy ? 1 : dx > dy ? -1 : strcmp(x->name, y->name);
}

static int by_recent(const void *a, const void *b) {
  const share_t *x = a, *y = b;
  return x->recent < y->recent   ? 1
         : x->recent > y->recent ? -1
                                 : strcmp(x->name, y->name);
}

/* Shares of the recent and baseline mixes; returns the total variation
 * distance between them, or -1 when there are too few recent records. */
static double mix(const kml_schema_mix_t *m, share_t *sh, int *n) {
  double r = m->other_recent, b = m->other_base;
  for (int i = 0; i < KML_SCHEMA_KNOWN; i++)
    if (m->known[i].used) {
      r += m->known[i].recent;
      b += m->known[i].base;
    }
  *n = 0;
  if (r < MIN_RECENT || !(b > 0))
    return -1;
  double tv = 0;
  for (int i = 0; i <= KML_SCHEMA_KNOWN; i++) {
    const entry_t *e = i < KML_SCHEMA_KNOWN ? &m->known[i] : NULL;
    if (e != NULL && !e->used)
      continue;
    share_t *s = &sh[(*n)++];
    s->recent = (e ? e->recent : m->other_recent) / r;
    s->base = (e ? e->base : m->other_base) / b;
    if (e != NULL)
      describe(&e->shape, s->name, sizeof(s->name));
    else
      snprintf(s->name, sizeof(s->name), "unreadable");
    tv += fabs(s->recent - s->base) / 2;
  }
  return tv;
}

void kml_schema_mix_round(kml_schema_mix_t *m, double now, const char *topic,
                          kml_schema_round_t *out) {
  memset(out, 0, sizeof(*out));
  out->records = m->records;
  out->unreadable = m->unreadable;
  out->sampled = m->records > 0;
  m->records = m->unreadable = 0;
  if (!m->begun) {
    out->state = m->state;
    return;
  }
  decay(m, now);
  for (int i = 0; i < KML_SCHEMA_CANDIDATES; i++) {
    entry_t *c = &m->cand[i];
    if (c->used && c->recent >= CONFIRM)
      confirm(m, c, now, topic, out);
    else if (c->used && now - c->first > CANDIDATE_TTL)
      c->used = 0; /* seen once: noise, or bytes that look like an id */
  }
  share_t sh[KML_SCHEMA_KNOWN + 1];
  int n;
  double tv = mix(m, sh, &n);
  int learning = now - m->started < m->learn;
  if (tv > SHIFT_TV && m->state == KML_SEV_OKAY && !learning &&
      out->n_events < KML_SCHEMA_EVENTS) {
    qsort(sh, n, sizeof(sh[0]), by_change);
    kml_schema_event_t *ev = &out->events[out->n_events++];
    ev->severity = KML_SEV_WARNING;
    snprintf(ev->old_schema, sizeof(ev->old_schema), "%s", sh[0].name);
    snprintf(ev->new_schema, sizeof(ev->new_schema), "%s",
             n > 1 ? sh[1].name : "");
    snprintf(ev->message, sizeof(ev->message),
             "topic %.60s: the mix of schemas shifted: %.30s %.0f%% (was "
             "%.0f%%)%s%.30s%s",
             topic, sh[0].name, 100 * sh[0].recent, 100 * sh[0].base,
             n > 1 ? ", " : "", n > 1 ? sh[1].name : "", n > 1 ? "" : "");
    if (n > 1) {
      size_t len = strlen(ev->message);
      snprintf(ev->message + len, sizeof(ev->message) - len,
               " %.0f%% (was %.0f%%)", 100 * sh[1].recent, 100 * sh[1].base);
    }
    m->state = KML_SEV_WARNING;
  } else if (m->state == KML_SEV_WARNING && tv >= 0 && tv < STEADY_TV &&
             now - m->last_new >= SETTLE && out->n_events < KML_SCHEMA_EVENTS) {
    qsort(sh, n, sizeof(sh[0]), by_recent);
    kml_schema_event_t *ev = &out->events[out->n_events++];
    ev->severity = KML_SEV_OKAY;
    snprintf(ev->message, sizeof(ev->message),
             "topic %.60s: schemas steady again: %.30s %.0f%%%s%.30s", topic,
             sh[0].name, 100 * sh[0].recent, n > 1 ? ", " : "",
             n > 1 ? sh[1].name : "");
    if (n > 1) {
      size_t len = strlen(ev->message);
      snprintf(ev->message + len, sizeof(ev->message) - len, " %.0f%%",
               100 * sh[1].recent);
    }
    m->state = KML_SEV_OKAY;
  }
  for (int i = 0; i < KML_SCHEMA_KNOWN; i++)
    out->schemas += m->known[i].used && now - m->known[i].last <= SEEN_SPAN;
  out->state = m->state;
}
