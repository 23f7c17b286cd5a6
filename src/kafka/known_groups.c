/* known_groups: a complete group list, with a grace for a group that one
 * list missed while its coordinator moved (known_groups.h says why). */
#include "known_groups.h"

#include <stdlib.h>
#include <string.h>

static void free_ids(char **ids, int n) {
  for (int i = 0; ids != NULL && i < n; i++)
    free(ids[i]);
  free(ids);
}

int kml_known_groups_take(kml_known_groups_t *k, char *const *listed, int n,
                          double now) {
  int cap = n + k->n;
  char **ids = calloc(cap > 0 ? cap : 1, sizeof(char *));
  double *since = calloc(cap > 0 ? cap : 1, sizeof(double));
  int m = 0, fail = ids == NULL || since == NULL;
  /* Merge the two sorted lists. */
  for (int i = 0, j = 0; !fail && (i < n || j < k->n);) {
    int c = i >= n ? 1 : j >= k->n ? -1 : strcmp(listed[i], k->ids[j]);
    if (c <= 0) { /* listed (again, or new) */
      since[m] = -1;
      fail = (ids[m++] = strdup(listed[i++])) == NULL;
      j += c == 0;
      continue;
    }
    double from = k->missing_since[j] < 0 ? now : k->missing_since[j];
    if (now - from < KML_GROUP_GONE_S) { /* missing, not for long yet */
      since[m] = from;
      fail = (ids[m++] = strdup(k->ids[j])) == NULL;
    }
    j++;
  }
  if (fail) {
    free_ids(ids, m);
    free(since);
    return -1;
  }
  kml_known_groups_clear(k);
  k->ids = ids;
  k->missing_since = since;
  k->n = m;
  k->have = 1;
  return 0;
}

char *const *kml_known_groups_ids(const kml_known_groups_t *k, int *n) {
  *n = k->have ? k->n : 0;
  return k->have ? k->ids : NULL;
}

void kml_known_groups_clear(kml_known_groups_t *k) {
  free_ids(k->ids, k->n);
  free(k->missing_since);
  *k = (kml_known_groups_t){0};
}
