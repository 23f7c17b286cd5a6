/* pending: see pending.h. An array and a count under one mutex: pushes are
 * rare (state changes, not values), so contention does not matter, and
 * take() copies the entries out so dispatching runs with no lock held. */
#include "pending.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct kml_pending_queue {
  pthread_mutex_t lock;
  kml_pending_t *v;
  size_t n, cap;
  uint64_t dropped;
};

kml_pending_queue_t *kml_pending_new(size_t cap) {
  kml_pending_queue_t *q = calloc(1, sizeof(*q));
  if (q == NULL || (q->v = calloc(cap ? cap : 1, sizeof(*q->v))) == NULL) {
    free(q);
    return NULL;
  }
  q->cap = cap;
  pthread_mutex_init(&q->lock, NULL);
  return q;
}

void kml_pending_destroy(kml_pending_queue_t *q) {
  if (q == NULL)
    return;
  pthread_mutex_destroy(&q->lock);
  free(q->v);
  free(q);
}

int kml_pending_push(kml_pending_queue_t *q, const kml_pending_t *e) {
  int rc = 0;
  pthread_mutex_lock(&q->lock);
  if (q->n < q->cap)
    q->v[q->n++] = *e;
  else {
    q->dropped++;
    rc = -1;
  }
  pthread_mutex_unlock(&q->lock);
  return rc;
}

size_t kml_pending_take(kml_pending_queue_t *q, kml_pending_t *out,
                        uint64_t *dropped) {
  pthread_mutex_lock(&q->lock);
  size_t n = q->n;
  memcpy(out, q->v, n * sizeof(*out));
  q->n = 0;
  *dropped = q->dropped;
  q->dropped = 0;
  pthread_mutex_unlock(&q->lock);
  return n;
}

size_t kml_pending_cap(const kml_pending_queue_t *q) { return q->cap; }
