/* list_gate: keeps ListConsumerGroups from being sent when librdkafka 2.0.2
 * cannot complete it and would reconnect to a dead broker in a tight loop
 * while it waits (list_gate.h says how). */
#include "list_gate.h"

static int has(const int32_t *ids, int n, int32_t id) {
  for (int i = 0; i < n; i++)
    if (ids[i] == id)
      return 1;
  return 0;
}

double kml_list_gate_gone_s(const kml_list_gate_t *g) {
  return g->gone_s > 0 ? g->gone_s : KML_LIST_GATE_GONE_S;
}

int kml_list_gate_open(kml_list_gate_t *g, const int32_t *ids, int n,
                       int have_list, double now) {
  double gone_s = kml_list_gate_gone_s(g);
  int missing = 0, kept = 0;
  g->n_removed = 0;
  for (int i = 0; i < g->n_seen; i++) {
    int32_t id = g->seen[i];
    int listed = has(ids, n, id);
    /* an empty metadata says nothing: counting starts again after it */
    double since = n == 0 || listed          ? -1
                   : g->missing_since[i] < 0 ? now /* starts counting */
                                             : g->missing_since[i];
    if (since >= 0 && now - since >= gone_s) {
      g->removed[g->n_removed++] = id; /* forgotten */
      continue;
    }
    missing += !listed;
    g->missing_since[kept] = since;
    g->seen[kept++] = id;
  }
  g->n_seen = kept;
  if (g->n_removed > 0)
    g->renewed = 1;
  for (int i = 0; i < n; i++)
    if (!has(g->seen, g->n_seen, ids[i]) && g->n_seen < KML_LIST_GATE_IDS) {
      g->missing_since[g->n_seen] = -1;
      g->seen[g->n_seen++] = ids[i];
    }
  if (!have_list)
    return 1;
  return missing == 0 && now >= g->shut_until;
}

void kml_list_gate_done(kml_list_gate_t *g, int complete, double now) {
  g->shut_until = complete || g->renewed ? 0 : now + KML_LIST_GATE_RETRY_S;
  g->renewed = 0;
}
