/* arrival_plan: see arrival_plan.h. A fixed array with a linear search:
 * at most KML_ARRIVAL_MAX entries, asked for only while a lagging group's
 * messages predate the plugin's history (mostly the first collection). */
#include "arrival_plan.h"

#include <string.h>

void kml_arrival_plan_init(kml_arrival_plan_t *p, int cap) {
  memset(p, 0, sizeof(*p));
  p->cap = cap < 1 ? 1 : cap > KML_ARRIVAL_MAX ? KML_ARRIVAL_MAX : cap;
}

int kml_arrival_plan_add(kml_arrival_plan_t *p, const char *topic,
                         int32_t partition, int64_t offset, int64_t high) {
  if (topic == NULL || offset < 0 || offset >= high)
    return -1;
  for (int i = 0; i < p->n; i++) {
    const kml_arrival_req_t *q = &p->reqs[i];
    if (q->partition == partition && q->offset == offset &&
        strcmp(q->topic, topic) == 0)
      return 0;
  }
  if (p->n >= p->cap) {
    p->waiting++;
    return -1;
  }
  p->reqs[p->n++] = (kml_arrival_req_t){
      .topic = topic, .partition = partition, .offset = offset, .high = high};
  return 1;
}
