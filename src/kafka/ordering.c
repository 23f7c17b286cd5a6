/* ordering: the spread of lag in seconds between the topics a consumer
 * group reads, the risk that it handles events out of order across
 * topics (see ordering.h). Partitions are folded into their topic by
 * keeping the largest lag (the topic's oldest unconsumed message); the
 * spread is the largest topic lag minus the smallest. */
#include "ordering.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kml_ordering_add(kml_ordering_acc_t *a, const char *topic, double lag_s) {
  int i = 0;
  /* Few topics per group: a linear search beats any index. */
  while (i < a->n && strcmp(a->v[i].topic, topic) != 0)
    i++;
  if (i == a->n) {
    if (a->n == a->cap) {
      int cap = a->cap ? 2 * a->cap : 4;
      kml_ordering_topic_t *v = realloc(a->v, sizeof(*v) * cap);
      if (v == NULL) {
        a->failed = 1;
        return;
      }
      a->v = v;
      a->cap = cap;
    }
    a->v[a->n++] = (kml_ordering_topic_t){.topic = topic, .lag_s = 0};
  }
  if (!isfinite(lag_s) || lag_s < 0)
    a->v[i].unknown = 1;
  else if (lag_s > a->v[i].lag_s)
    a->v[i].lag_s = lag_s;
}

void kml_ordering_reset(kml_ordering_acc_t *a) {
  a->n = 0;
  a->failed = 0;
}

void kml_ordering_clear(kml_ordering_acc_t *a) {
  free(a->v);
  *a = (kml_ordering_acc_t){0};
}

int kml_ordering_spread(const kml_ordering_acc_t *a,
                        kml_ordering_result_t *out) {
  if (a->failed || a->n < 2)
    return 0;
  int hi = 0, lo = 0;
  for (int i = 0; i < a->n; i++) {
    if (a->v[i].unknown)
      return 0;
    /* ties go to the first name in byte order: the same message each time */
    if (a->v[i].lag_s > a->v[hi].lag_s ||
        (a->v[i].lag_s == a->v[hi].lag_s &&
         strcmp(a->v[i].topic, a->v[hi].topic) < 0))
      hi = i;
    if (a->v[i].lag_s < a->v[lo].lag_s ||
        (a->v[i].lag_s == a->v[lo].lag_s &&
         strcmp(a->v[i].topic, a->v[lo].topic) < 0))
      lo = i;
  }
  if (hi == lo) /* every topic equally behind */
    lo = hi == 0 ? 1 : 0;
  *out = (kml_ordering_result_t){.spread = a->v[hi].lag_s - a->v[lo].lag_s,
                                 .behind = a->v[hi].topic,
                                 .ahead = a->v[lo].topic,
                                 .behind_s = a->v[hi].lag_s,
                                 .ahead_s = a->v[lo].lag_s,
                                 .topics = a->n};
  return 1;
}

kml_severity_t kml_ordering_verdict(const kml_ordering_result_t *r,
                                    double threshold, kml_severity_t now) {
  if (r->spread > threshold)
    return KML_SEV_WARNING;
  if (r->spread < threshold * KML_ORDERING_CLEAR)
    return KML_SEV_OKAY;
  return now;
}

void kml_ordering_event(const kml_ordering_result_t *r, const char *group,
                        double threshold, kml_severity_t sev, kml_event_t *ev) {
  ev->severity = sev;
  if (sev == KML_SEV_OKAY)
    snprintf(ev->message, sizeof(ev->message),
             "group %.70s reads its %d topics in step again: %.40s is %.1f s "
             "behind %.40s",
             group, r->topics, r->behind, r->spread, r->ahead);
  else
    snprintf(ev->message, sizeof(ev->message),
             "group %.70s: %.40s is %.1f s behind %.40s (skew over %.0f s): "
             "events may be handled out of order",
             group, r->behind, r->spread, r->ahead, threshold);
  ev->n_meta = 0;
  ev->meta[ev->n_meta++] = (kml_meta_t){.key = "group", .text = group};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "skew_seconds", .number = r->spread};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "threshold_seconds", .number = threshold};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "behind_topic", .text = r->behind};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "behind_lag_seconds", .number = r->behind_s};
  ev->meta[ev->n_meta++] = (kml_meta_t){.key = "ahead_topic", .text = r->ahead};
  ev->meta[ev->n_meta++] =
      (kml_meta_t){.key = "ahead_lag_seconds", .number = r->ahead_s};
  ev->meta[ev->n_meta++] = (kml_meta_t){.key = "topics", .number = r->topics};
}
