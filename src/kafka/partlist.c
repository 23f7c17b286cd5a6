/* partlist: which partitions a notification is about, within its 256
 * bytes. Names are kept in one buffer separated by ", " with their end
 * offsets, so printing the first k of them is one copy; Kafka topic names
 * hold no ", " ([a-zA-Z0-9._-]), so the joined list reads unambiguously. */
#include "partlist.h"

#include <stdio.h>
#include <string.h>

void kml_partlist_clear(kml_partlist_t *l) { memset(l, 0, sizeof(*l)); }

/* Is topic one of the ", "-separated names of list? A scan, but of at
 * most sizeof(topics) bytes: its cost does not grow with the cluster
 * (bench_ops partlist: the same per partition added at 100 and at 5,000
 * topics), so a hashed set would save tens of nanoseconds per name, and
 * only in a notification's pass. */
static int has_topic(const char *list, const char *topic) {
  size_t n = strlen(topic);
  for (const char *p = list; *p != '\0';) {
    const char *end = strstr(p, ", ");
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, topic, n) == 0)
      return 1;
    if (end == NULL)
      break;
    p = end + 2;
  }
  return 0;
}

/* Append ", item" (or item when s is empty) to s if it fits whole. */
static int append(char *s, size_t size, const char *item) {
  size_t used = strlen(s), sep = used > 0 ? 2 : 0, n = strlen(item);
  if (used + sep + n >= size)
    return 0;
  memcpy(s + used, ", ", sep);
  memcpy(s + used + sep, item, n + 1);
  return 1;
}

void kml_partlist_add(kml_partlist_t *l, const char *topic, int32_t p) {
  l->total++;
  if (!has_topic(l->topics, topic))
    append(l->topics, sizeof(l->topics), topic);
  if (l->n_kept == KML_PARTLIST_KEEP || l->n_kept < l->total - 1)
    return; /* full: later names must not pass an earlier one left out */
  char name[300];
  snprintf(name, sizeof(name), "%s-%d", topic, (int)p);
  if (append(l->names, sizeof(l->names), name))
    l->ends[l->n_kept++] = (int)strlen(l->names);
}

int kml_partlist_print(const kml_partlist_t *l, char *out, size_t len,
                       int max_shown) {
  if (len == 0)
    return 0;
  out[0] = '\0';
  if (l->total == 0)
    return 0;
  char more[40];
  int k = max_shown < l->n_kept ? max_shown : l->n_kept;
  for (; k > 0; k--) {
    int rest = l->total - k;
    more[0] = '\0';
    if (rest > 0)
      snprintf(more, sizeof(more), " and %d more", rest);
    size_t names = (size_t)l->ends[k - 1];
    if (names + strlen(more) < len) {
      memcpy(out, l->names, names);
      memcpy(out + names, more, strlen(more) + 1);
      return k;
    }
  }
  /* Not even the first name fits whole: its start, marked as cut. */
  if (l->total > 1)
    snprintf(more, sizeof(more), "... and %d more", l->total - 1);
  else
    snprintf(more, sizeof(more), "...");
  size_t first = l->n_kept > 0 ? (size_t)l->ends[0] : 0;
  size_t m = strlen(more);
  if (m >= len) {
    snprintf(out, len, "%d partition(s)", l->total);
    return 0;
  }
  size_t room = len - 1 - m;
  size_t n = first < room ? first : room;
  memcpy(out, l->names, n);
  memcpy(out + n, more, m + 1);
  return 0;
}
