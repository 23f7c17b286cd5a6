/* cause_text: a chain (cause.h) in words for a notification's message,
 * and as meta data with the numbers. The message keeps the most telling
 * links when 256 bytes are short: partitions, then leaders, then the
 * matches. */
#include "cause.h"

#include "../kml_str.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* key without the chain's host (same cluster) and without "/value". */
static void short_key(const char *key, const char *host, char *out,
                      size_t len) {
  size_t hl = strlen(host);
  if (hl > 0 && strncmp(key, host, hl) == 0 && key[hl] == '/')
    key += hl + 1;
  kml_strlcpy(out, key, len);
  size_t n = strlen(out);
  if (n > 6 && strcmp(out + n - 6, "/value") == 0)
    out[n - 6] = '\0';
}

static void parts_text(const kml_cause_chain_t *ch, char *b, size_t len) {
  b[0] = '\0';
  if (!ch->group[0]) {
    if (ch->n_part > 0)
      snprintf(b, len, "partition %.100s", ch->part[0].ti);
    return;
  }
  if (ch->parts_seen == 0)
    return;
  if (ch->parts_backed == 0) {
    snprintf(b, len, "no partition of %d backed up", ch->parts_seen);
    return;
  }
  if (ch->parts_backed == ch->parts_seen && ch->parts_seen >= 2) {
    snprintf(b, len, "all %d partitions backed up%s", ch->parts_seen,
             ch->consumer_side ? " (consumer side)" : "");
    return;
  }
  size_t off = (size_t)snprintf(b, len, "backed up: ");
  for (int i = 0; i < ch->n_part && off < len; i++)
    off += (size_t)snprintf(b + off, len - off, "%s%.60s", i ? "," : "",
                            ch->part[i].ti);
  if (off < len && ch->parts_backed > ch->n_part)
    off += (size_t)snprintf(b + off, len - off, " (+%d)",
                            ch->parts_backed - ch->n_part);
  if (off < len)
    snprintf(b + off, len - off, " of %d", ch->parts_seen);
}

static void leaders_text(const kml_cause_chain_t *ch, char *b, size_t len) {
  b[0] = '\0';
  if (ch->n_leaders == 0)
    return;
  size_t off = (size_t)snprintf(b, len, "leader broker%s ",
                                ch->n_leaders > 1 ? "s" : "");
  for (int i = 0; i < ch->n_leaders && off < len; i++)
    off += (size_t)snprintf(b + off, len - off, "%s%d", i ? "," : "",
                            ch->leader[i].id);
  const __typeof__(ch->leader[0]) *l = &ch->leader[0];
  if (off >= len || l->brokers < 3)
    return;
  if (l->outlier && l->type[0] && fabs(l->z) >= 3.5)
    snprintf(b + off, len - off, " (broker %d outlier: %.40s z %.1f)", l->id,
             l->type, l->z);
  else if (l->outlier)
    snprintf(b + off, len - off,
             " (broker %d outlier on several values, distance %.1f)", l->id,
             l->multi);
  else
    snprintf(b + off, len - off, " (broker %d in line with its %d peers)",
             l->id, l->brokers - 1);
}

static void match_text(const kml_cause_chain_t *ch, int i, char *b,
                       size_t len) {
  b[0] = '\0';
  const kml_cause_match_t *m = &ch->best[i].m;
  if (!m->key[0])
    return;
  char k[KML_CAUSE_KEY];
  short_key(m->key, ch->host, k, sizeof(k));
  snprintf(b, len, "%s%.100s (r %.2f, lag %d)", i == 0 ? "like " : "", k, m->r,
           m->lag);
  if (i > 0) {
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%.20s: %s", ch->best[i].scope, b);
    kml_strlcpy(b, tmp, len);
  }
}

void kml_cause_format(const kml_cause_chain_t *ch, char *buf, size_t len) {
  if (len == 0)
    return;
  buf[0] = '\0';
  if (!ch->explained)
    return;
  char piece[3 + KML_CAUSE_SCOPES][256];
  int n = 0;
  parts_text(ch, piece[n++], sizeof(piece[0]));
  leaders_text(ch, piece[n++], sizeof(piece[0]));
  int named = 0;
  for (int i = 0; i < ch->n_best; i++) {
    match_text(ch, i, piece[n++], sizeof(piece[0]));
    named |= ch->best[i].m.key[0] != '\0';
  }
  /* the leaders in line: say whose backlog it is, and that no series was
   * named for that reason (parts_text already says it when all backed) */
  if (ch->consumer_side && !named &&
      !(ch->parts_backed == ch->parts_seen && ch->parts_seen >= 2))
    snprintf(piece[n++], sizeof(piece[0]), "consumer side");
  size_t off = 0;
  for (int i = 0; i < n; i++) {
    size_t pl = strlen(piece[i]);
    if (pl == 0)
      continue;
    size_t need = pl + (off ? 2 : 0);
    if (off + need >= len)
      continue; /* a later, shorter piece may still fit */
    off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "; " : "",
                            piece[i]);
  }
}

static kml_cause_meta_t *num(kml_cause_meta_t *o, int *n, const char *key,
                             double v) {
  if (*n >= KML_CAUSE_META || !isfinite(v))
    return NULL;
  kml_cause_meta_t *m = &o[(*n)++];
  kml_strlcpy(m->key, key, sizeof(m->key));
  m->is_number = 1;
  m->number = v;
  m->text[0] = '\0';
  return m;
}

static kml_cause_meta_t *text(kml_cause_meta_t *o, int *n, const char *key,
                              const char *v) {
  if (*n >= KML_CAUSE_META || v[0] == '\0')
    return NULL;
  kml_cause_meta_t *m = &o[(*n)++];
  kml_strlcpy(m->key, key, sizeof(m->key));
  m->is_number = 0;
  m->number = NAN;
  kml_strlcpy(m->text, v, sizeof(m->text));
  return m;
}

int kml_cause_meta(const kml_cause_chain_t *ch, kml_cause_meta_t *o) {
  int n = 0;
  if (!ch->explained)
    return 0;
  char b[KML_CAUSE_KEY];
  text(o, &n, "cause_group", ch->group);
  size_t off = 0;
  b[0] = '\0';
  for (int i = 0; i < ch->n_part && off < sizeof(b); i++)
    off += (size_t)snprintf(b + off, sizeof(b) - off, "%s%s", i ? "," : "",
                            ch->part[i].ti);
  text(o, &n, "cause_partitions", b);
  if (ch->group[0]) {
    num(o, &n, "cause_partitions_backed", ch->parts_backed);
    num(o, &n, "cause_partitions_seen", ch->parts_seen);
  }
  off = 0;
  b[0] = '\0';
  for (int i = 0; i < ch->n_leaders && off < sizeof(b); i++)
    off += (size_t)snprintf(b + off, sizeof(b) - off, "%s%d", i ? "," : "",
                            ch->leader[i].id);
  text(o, &n, "cause_leaders", b);
  if (ch->n_leaders > 0) {
    const __typeof__(ch->leader[0]) *l = &ch->leader[0];
    num(o, &n, "cause_leader", l->id);
    num(o, &n, "cause_leader_partitions", l->parts);
    if (l->brokers >= 3) {
      num(o, &n, "cause_leader_outlier", l->outlier);
      num(o, &n, "cause_leader_brokers", l->brokers);
      text(o, &n, "cause_leader_value", l->type);
      num(o, &n, "cause_leader_z", l->z);
      num(o, &n, "cause_leader_distance", l->multi);
    }
  }
  if (ch->group[0])
    num(o, &n, "cause_consumer_side", ch->consumer_side);
  text(o, &n, "cause_target", ch->target);
  for (int i = 0; i < ch->n_best; i++) {
    const kml_cause_match_t *m = &ch->best[i].m;
    if (!m->key[0])
      continue;
    char k[48];
    snprintf(k, sizeof(k), "cause_%.20s", ch->best[i].scope);
    text(o, &n, k, m->key);
    snprintf(k, sizeof(k), "cause_%.20s_r", ch->best[i].scope);
    num(o, &n, k, m->r);
    snprintf(k, sizeof(k), "cause_%.20s_lag", ch->best[i].scope);
    num(o, &n, k, m->lag);
    snprintf(k, sizeof(k), "cause_%.20s_p", ch->best[i].scope);
    num(o, &n, k, m->p);
  }
  return n;
}
