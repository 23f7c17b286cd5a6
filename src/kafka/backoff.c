/* backoff: see backoff.h. Exists so that a broker that does not answer is
 * not asked at every collection: a doubling wait, counted in collections,
 * capped, reset by an answer. */
#include "backoff.h"

int kml_backoff_due(const kml_backoff_t *b, uint64_t round) {
  return b->gap == 0 || round >= b->next;
}

void kml_backoff_failed(kml_backoff_t *b, uint64_t round, uint32_t cap) {
  if (cap < 1)
    cap = 1;
  /* doubling; past half the cap the next step is the cap (no overflow) */
  uint32_t gap = b->gap == 0 ? 1 : b->gap > cap / 2 ? cap : b->gap * 2;
  b->gap = gap > cap ? cap : gap;
  b->next = round + b->gap;
}

void kml_backoff_reset(kml_backoff_t *b) {
  b->gap = 0;
  b->next = 0;
}
