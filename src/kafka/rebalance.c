/* rebalance: storms of rebalances in a consumer group (see rebalance.h).
 * Observations with a rebalance or churn enter a ring covering the
 * window; what leaves the window joins the group's history, a count
 * forgotten exponentially, whose exposure is forgotten the same way, so
 * the usual rate is (history + prior) / (exposure + prior time). A storm
 * is a window count of at least `floor` whose Poisson tail at the usual
 * rate is below `p`. */
#include "rebalance.h"

#include "../kml_hash.h"
#include "../kml_str.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prior: one rebalance per hour, weighted as one hour of history. */
#define PRIOR_EVENTS 1.0
#define PRIOR_SECONDS 3600.0

double kml_rebalance_tail(int n, double mu) {
  if (n <= 0)
    return 1.0;
  if (!(mu > 0))
    return 0.0;
  /* Sum the upper tail from its first term: no 1 - (almost 1). */
  double term = exp(-mu + n * log(mu) - lgamma(n + 1.0));
  double sum = 0;
  for (int k = n; k < n + 100000 && term > 0; k++) {
    sum += term;
    if (term < sum * 1e-17 && k > mu)
      break;
    term *= mu / (k + 1);
  }
  return sum > 1 ? 1 : sum;
}

static uint64_t member_hash(const kml_member_t *m) {
  return kml_hash_str(m->id ? m->id : "");
}

/* Fold what left the window into the history. */
static void forget_before(kml_rebalance_t *st, const kml_rebalance_opts_t *o,
                          double cut) {
  int k = 0;
  while (k < st->n && st->ring[k].t <= cut) {
    const kml_rebalance_obs_t *ob = &st->ring[k];
    if (ob->t > st->hist_t) {
      st->hist *= exp(-(ob->t - st->hist_t) / o->memory);
      st->hist_t = ob->t;
    }
    st->hist += ob->rebalances;
    k++;
  }
  if (k > 0) {
    memmove(st->ring, st->ring + k, sizeof(st->ring[0]) * (st->n - k));
    st->n -= k;
  }
  int churn = 0;
  for (int i = 0; i < st->n; i++)
    churn += st->ring[i].joined + st->ring[i].left;
  if (churn == 0) { /* a quiet window: the joined clients are old news */
    st->n_joined = 0;
    st->joined_other = 0;
  }
}

static void remember_join(kml_rebalance_t *st, const char *client) {
  client = client ? client : "";
  for (int i = 0; i < st->n_joined; i++)
    if (strncmp(st->joined[i].id, client, KML_REBALANCE_CLIENT_LEN - 1) == 0) {
      st->joined[i].n++;
      return;
    }
  if (st->n_joined == KML_REBALANCE_CLIENTS) {
    st->joined_other++;
    return;
  }
  kml_rebalance_client_t *c = &st->joined[st->n_joined++];
  snprintf(c->id, sizeof(c->id), "%s", client);
  c->n = 1;
}

static int in_sorted(const uint64_t *v, int n, uint64_t h) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (v[mid] < h)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && v[lo] == h;
}

/* Joined and left since the previous description, and the new member
 * sample into st. Exact while both descriptions fit the sample; beyond,
 * counted among hashes under the smaller sample's largest hash and scaled
 * by the group's size over the members under it. */
static void churn(kml_rebalance_t *st, const kml_member_t *members, int n,
                  int *joined, int *left) {
  uint64_t cur[KML_REBALANCE_MEMBERS];
  int nc = 0;
  /* the KML_REBALANCE_MEMBERS smallest hashes: insertion into a sorted
   * array that drops its largest when full */
  for (int i = 0; i < n; i++) {
    uint64_t h = member_hash(&members[i]);
    if (nc == KML_REBALANCE_MEMBERS && h >= cur[nc - 1])
      continue;
    int j = nc < KML_REBALANCE_MEMBERS ? nc++ : nc - 1;
    while (j > 0 && cur[j - 1] > h) {
      cur[j] = cur[j - 1];
      j--;
    }
    cur[j] = h;
  }
  *joined = *left = 0;
  if (st->have_members) {
    uint64_t cut = UINT64_MAX;
    if (n > KML_REBALANCE_MEMBERS)
      cut = cur[nc - 1];
    if (st->members_total > KML_REBALANCE_MEMBERS &&
        st->members[st->n_members - 1] < cut)
      cut = st->members[st->n_members - 1];
    int j = 0, l = 0, under = 0;
    for (int i = 0; i < nc; i++)
      if (cur[i] <= cut) {
        under++;
        j += !in_sorted(st->members, st->n_members, cur[i]);
      }
    for (int i = 0; i < st->n_members; i++)
      if (st->members[i] <= cut)
        l += !in_sorted(cur, nc, st->members[i]);
    double scale = under > 0 && n > under ? (double)n / under : 1.0;
    *joined = (int)lround(j * scale);
    *left = (int)lround(l * scale);
    /* the client ids of the members that joined (those in the list) */
    for (int i = 0; i < n && j > 0; i++) {
      uint64_t h = member_hash(&members[i]);
      if (h <= cut && in_sorted(cur, nc, h) &&
          !in_sorted(st->members, st->n_members, h))
        remember_join(st, members[i].client_id);
    }
  }
  memcpy(st->members, cur, sizeof(cur[0]) * nc);
  st->n_members = nc;
  st->members_total = n;
  st->have_members = 1;
}

static void record(kml_rebalance_t *st, double now, int rebalanced, int joined,
                   int left) {
  if (rebalanced <= 0 && joined <= 0 && left <= 0)
    return;
  rebalanced = rebalanced > 0 ? rebalanced : 0;
  if (st->n == KML_REBALANCE_RING) {
    /* merge the two oldest: their events count a little longer */
    st->ring[1].rebalances += st->ring[0].rebalances;
    st->ring[1].joined += st->ring[0].joined;
    st->ring[1].left += st->ring[0].left;
    memmove(st->ring, st->ring + 1, sizeof(st->ring[0]) * (st->n - 1));
    st->n--;
  }
  st->ring[st->n++] = (kml_rebalance_obs_t){.t = now,
                                            .rebalances = rebalanced,
                                            .joined = joined > 0 ? joined : 0,
                                            .left = left > 0 ? left : 0};
}

void kml_rebalance_observe(kml_rebalance_t *st, const kml_rebalance_opts_t *o,
                           double now, int rebalanced,
                           const kml_member_t *members, int n,
                           kml_rebalance_verdict_t *out) {
  if (st->since == 0) {
    st->since = now;
    st->hist_t = now;
  }
  int joined = -1, left = -1;
  if (members != NULL)
    churn(st, members, n, &joined, &left);
  record(st, now, rebalanced, joined, left);
  forget_before(st, o, now - o->window);

  /* The usual rate: history and its exposure, both forgotten at the
   * same pace and both ending where the window starts. */
  double end = now - o->window;
  double hist = st->hist;
  if (end > st->hist_t)
    hist *= exp(-(end - st->hist_t) / o->memory);
  double exposure = 0;
  if (end > st->since)
    exposure = o->memory * (1 - exp(-(end - st->since) / o->memory));
  double rate = (hist + PRIOR_EVENTS) / (exposure + PRIOR_SECONDS);

  int count = 0, in = 0, out_ = 0;
  for (int i = 0; i < st->n; i++) {
    count += st->ring[i].rebalances;
    in += st->ring[i].joined;
    out_ += st->ring[i].left;
  }
  double p = kml_rebalance_tail(count, rate * o->window);
  int storm = st->storm;
  if (count >= o->floor && p < o->p)
    storm = 1;
  else if (count <= o->floor / 2)
    storm = 0;
  *out = (kml_rebalance_verdict_t){
      .rebalances = count,
      .joined = st->have_members ? in : -1,
      .left = st->have_members ? out_ : -1,
      .per_hour = count * 3600.0 / o->window,
      .usual_per_hour = rate * 3600.0,
      .p = p,
      .storm = storm,
      .changed = storm != st->storm,
  };
  st->storm = storm;
}

typedef struct {
  const char *id;
  int n;
} count_t;

static int count_cmp(const void *a, const void *b) {
  const count_t *x = a, *y = b;
  if (x->n != y->n)
    return y->n - x->n;
  return strcmp(x->id, y->id);
}

/* "a x3, b, c" from counted names, most frequent first, within len. */
static void list_counts(char *out, size_t len, count_t *c, int n, int other) {
  qsort(c, n, sizeof(*c), count_cmp);
  size_t used = 0;
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    char item[128];
    if (c[i].n > 1)
      snprintf(item, sizeof(item), "%s%.60s x%d", i ? ", " : "", c[i].id,
               c[i].n);
    else
      snprintf(item, sizeof(item), "%s%.60s", i ? ", " : "", c[i].id);
    if (used + strlen(item) + 16 >= len) {
      int rest = 0;
      for (int k = i; k < n; k++)
        rest += c[k].n;
      snprintf(out + used, len - used, ", +%d more", rest + other);
      return;
    }
    memcpy(out + used, item, strlen(item) + 1);
    used += strlen(item);
  }
  if (other > 0)
    snprintf(out + used, len - used, "%s+%d more", n ? ", " : "", other);
}

/* The members' distinct client ids with counts. */
static void client_list(char *out, size_t len, const kml_member_t *members,
                        int n) {
  count_t c[32];
  int nc = 0, other = 0;
  for (int i = 0; i < n; i++) {
    const char *id = members[i].client_id ? members[i].client_id : "";
    int k = 0;
    while (k < nc && strcmp(c[k].id, id) != 0)
      k++;
    if (k < nc)
      c[k].n++;
    else if (nc < (int)(sizeof(c) / sizeof(c[0])))
      c[nc++] = (count_t){.id = id, .n = 1};
    else
      other++;
  }
  list_counts(out, len, c, nc, other);
}

void kml_rebalance_event(const kml_rebalance_verdict_t *v,
                         const kml_rebalance_t *st,
                         const kml_rebalance_opts_t *o, const char *group,
                         const kml_member_t *members, int n,
                         kml_rebalance_text_t *txt, kml_event_t *ev) {
  client_list(txt->clients, sizeof(txt->clients), members, members ? n : 0);
  count_t j[KML_REBALANCE_CLIENTS];
  for (int i = 0; i < st->n_joined; i++)
    j[i] = (count_t){.id = st->joined[i].id, .n = st->joined[i].n};
  list_counts(txt->joined, sizeof(txt->joined), j, st->n_joined,
              st->joined_other);
  ev->severity = v->storm ? KML_SEV_WARNING : KML_SEV_OKAY;
  char span[32];
  kml_str_duration(span, sizeof(span), o->window);
  char churn[64] = "";
  if (v->joined >= 0)
    snprintf(churn, sizeof(churn), "; %d joined, %d left", v->joined, v->left);
  if (v->storm)
    snprintf(ev->message, sizeof(ev->message),
             "group %.60s: rebalance storm, %d rebalances in %s "
             "(%.0f/h, usually %.2g/h)%s; clients: %.60s",
             group, v->rebalances, span, v->per_hour, v->usual_per_hour, churn,
             txt->joined[0] ? txt->joined : txt->clients);
  else
    snprintf(ev->message, sizeof(ev->message),
             "group %.60s rebalances calmly again: %d in %s%s", group,
             v->rebalances, span, churn);
  ev->n_meta = 0;
  ev->meta[ev->n_meta++] = (kml_meta_t){.key = "group", .text = group};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "rebalances", .number = v->rebalances};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "rebalances_per_hour", .number = v->per_hour};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "usual_per_hour", .number = v->usual_per_hour};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "window_seconds", .number = o->window};
  if (v->joined >= 0) {
    ev->meta[ev->n_meta++] =
        (kml_meta_t){.key = "members_joined", .number = v->joined};
    ev->meta[ev->n_meta++] =
        (kml_meta_t){.key = "members_left", .number = v->left};
  }
  if (members != NULL)
    ev->meta[ev->n_meta++] =
        (kml_meta_t){.key = "client_ids", .text = txt->clients};
  if (txt->joined[0])
    ev->meta[ev->n_meta++] =
        (kml_meta_t){.key = "joined_client_ids", .text = txt->joined};
}
