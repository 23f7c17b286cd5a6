/* pending: see pending.h. An array and a count under one mutex: pushes are
 * rare (state changes, not values), so contention does not matter, and
 * take() copies the entries out so dispatching runs with no lock held.
 * Entries live in v[head .. head + n); grown[] marks those pushed by
 * kml_pending_push_grow, which do not count against cap. The array holds
 * at least cap + n_grown entries, so a bounded push never allocates. */
#include "pending.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct kml_pending_queue {
  pthread_mutex_t lock;
  kml_pending_t *v;
  unsigned char *grown; /* 1: pushed by kml_pending_push_grow */
  size_t head, n, alloc, cap;
  size_t n_grown; /* entries in the queue with grown[] set */
  uint64_t dropped;
};

kml_pending_queue_t *kml_pending_new(size_t cap) {
  kml_pending_queue_t *q = calloc(1, sizeof(*q));
  size_t a = cap ? cap : 1;
  if (q == NULL || (q->v = calloc(a, sizeof(*q->v))) == NULL ||
      (q->grown = calloc(a, 1)) == NULL) {
    if (q != NULL)
      free(q->v);
    free(q);
    return NULL;
  }
  q->cap = cap;
  q->alloc = a;
  pthread_mutex_init(&q->lock, NULL);
  return q;
}

void kml_pending_destroy(kml_pending_queue_t *q) {
  if (q == NULL)
    return;
  pthread_mutex_destroy(&q->lock);
  free(q->v);
  free(q->grown);
  free(q);
}

/* Move the entries to the start of the array. */
static void compact(kml_pending_queue_t *q) {
  if (q->head == 0)
    return;
  memmove(q->v, q->v + q->head, q->n * sizeof(*q->v));
  memmove(q->grown, q->grown + q->head, q->n);
  q->head = 0;
}

static void append(kml_pending_queue_t *q, const kml_pending_t *e, int grown) {
  if (q->head + q->n == q->alloc)
    compact(q);
  q->v[q->head + q->n] = *e;
  q->grown[q->head + q->n] = (unsigned char)grown;
  q->n++;
  q->n_grown += grown != 0;
}

int kml_pending_push(kml_pending_queue_t *q, const kml_pending_t *e) {
  int rc = 0;
  pthread_mutex_lock(&q->lock);
  if (q->n - q->n_grown < q->cap)
    append(q, e, 0); /* n < cap + n_grown <= alloc: room after compact */
  else {
    q->dropped++;
    rc = -1;
  }
  pthread_mutex_unlock(&q->lock);
  return rc;
}

int kml_pending_push_grow(kml_pending_queue_t *q, const kml_pending_t *e) {
  int rc = 0;
  pthread_mutex_lock(&q->lock);
  /* keep alloc >= cap + n_grown (and room for this entry) */
  size_t need = q->cap + q->n_grown + 1;
  if (need < q->n + 1)
    need = q->n + 1;
  if (need > q->alloc) {
    size_t a = q->alloc * 2 > need ? q->alloc * 2 : need;
    compact(q);
    kml_pending_t *v = realloc(q->v, a * sizeof(*v));
    if (v != NULL)
      q->v = v;
    unsigned char *g = v != NULL ? realloc(q->grown, a) : NULL;
    if (g != NULL) {
      q->grown = g;
      q->alloc = a;
    } else
      rc = -1;
  }
  if (rc == 0)
    append(q, e, 1);
  pthread_mutex_unlock(&q->lock);
  return rc;
}

size_t kml_pending_take(kml_pending_queue_t *q, kml_pending_t *out,
                        uint64_t *dropped) {
  pthread_mutex_lock(&q->lock);
  size_t n = q->n < q->cap ? q->n : q->cap;
  memcpy(out, q->v + q->head, n * sizeof(*out));
  for (size_t i = 0; i < n; i++)
    q->n_grown -= q->grown[q->head + i];
  q->head += n;
  q->n -= n;
  if (q->n == 0) {
    q->head = 0;
    if (q->alloc > (q->cap ? q->cap : 1)) { /* give a backlog's room back */
      size_t a = q->cap ? q->cap : 1;
      kml_pending_t *v = realloc(q->v, a * sizeof(*v));
      if (v != NULL) { /* grown[] may stay longer than alloc */
        q->v = v;
        q->alloc = a;
        unsigned char *g = realloc(q->grown, a);
        if (g != NULL)
          q->grown = g;
      }
    }
  }
  *dropped = q->dropped;
  q->dropped = 0;
  pthread_mutex_unlock(&q->lock);
  return n;
}

size_t kml_pending_count(kml_pending_queue_t *q) {
  pthread_mutex_lock(&q->lock);
  size_t n = q->n;
  pthread_mutex_unlock(&q->lock);
  return n;
}

size_t kml_pending_cap(const kml_pending_queue_t *q) { return q->cap; }
