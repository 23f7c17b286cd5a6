/* series store: 64 shards chosen by the key hash; each shard has a chained
 * hash table that doubles when it gets full and an LRU list whose tail is
 * evicted when the shard holds its share of max_series. Locks are held only
 * while the caller updates one series. */
#include "series.h"
#include "../kml_hash.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define N_SHARDS KML_STORE_SHARDS

typedef struct node {
  struct node *chain;       /* next in hash bucket */
  struct node *prev, *next; /* LRU: head is most recent */
  uint64_t hash;
  double last_used;
  char *key;
  unsigned shard;
  /* payload follows, aligned for doubles */
  _Alignas(16) unsigned char payload[];
} node_t;

typedef struct {
  pthread_mutex_t lock;
  node_t **buckets;
  size_t n_buckets; /* power of two */
  size_t count;
  node_t *head, *tail;
} shard_t;

struct kml_store {
  shard_t shards[N_SHARDS];
  size_t per_shard_max;
  size_t payload_size;
  kml_payload_fn init, fini;
  void *ud;
  kml_visit_fn on_evict; /* kml_store_on_evict */
  void *evict_ud;
  uint64_t evicted; /* updated under a shard lock, read racily */
};

static node_t *node_of(const void *p) {
  return (node_t *)((unsigned char *)p - offsetof(node_t, payload));
}

kml_store_t *kml_store_new(size_t max_series, size_t payload_size,
                           kml_payload_fn init, kml_payload_fn fini, void *ud) {
  kml_store_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->per_shard_max = (max_series + N_SHARDS - 1) / N_SHARDS;
  if (s->per_shard_max == 0)
    s->per_shard_max = 1;
  s->payload_size = payload_size;
  s->init = init;
  s->fini = fini;
  s->ud = ud;
  for (int i = 0; i < N_SHARDS; i++) {
    pthread_mutex_init(&s->shards[i].lock, NULL);
    s->shards[i].n_buckets = 16;
    s->shards[i].buckets = calloc(16, sizeof(node_t *));
    if (s->shards[i].buckets == NULL) {
      kml_store_destroy(s);
      return NULL;
    }
  }
  return s;
}

static void lru_unlink(shard_t *sh, node_t *n) {
  if (n->prev)
    n->prev->next = n->next;
  else
    sh->head = n->next;
  if (n->next)
    n->next->prev = n->prev;
  else
    sh->tail = n->prev;
  n->prev = n->next = NULL;
}

static void lru_push(shard_t *sh, node_t *n) {
  n->prev = NULL;
  n->next = sh->head;
  if (sh->head)
    sh->head->prev = n;
  sh->head = n;
  if (sh->tail == NULL)
    sh->tail = n;
}

static void drop(kml_store_t *s, shard_t *sh, node_t *n) {
  node_t **pp = &sh->buckets[n->hash & (sh->n_buckets - 1)];
  while (*pp != n)
    pp = &(*pp)->chain;
  *pp = n->chain;
  lru_unlink(sh, n);
  sh->count--;
  if (s->fini)
    s->fini(n->payload, s->ud);
  free(n->key);
  free(n);
}

void kml_store_destroy(kml_store_t *s) {
  if (s == NULL)
    return;
  for (int i = 0; i < N_SHARDS; i++) {
    shard_t *sh = &s->shards[i];
    while (sh->head)
      drop(s, sh, sh->head);
    free(sh->buckets);
    pthread_mutex_destroy(&sh->lock);
  }
  free(s);
}

static void grow(shard_t *sh) {
  size_t nb = sh->n_buckets * 2;
  node_t **b = calloc(nb, sizeof(*b));
  if (b == NULL)
    return; /* longer chains, still correct */
  for (size_t i = 0; i < sh->n_buckets; i++) {
    node_t *n = sh->buckets[i];
    while (n) {
      node_t *next = n->chain;
      n->chain = b[n->hash & (nb - 1)];
      b[n->hash & (nb - 1)] = n;
      n = next;
    }
  }
  free(sh->buckets);
  sh->buckets = b;
  sh->n_buckets = nb;
}

static node_t *lookup(shard_t *sh, uint64_t h, const char *key) {
  for (node_t *n = sh->buckets[h & (sh->n_buckets - 1)]; n; n = n->chain)
    if (n->hash == h && strcmp(n->key, key) == 0)
      return n;
  return NULL;
}

void *kml_store_acquire(kml_store_t *s, const char *key, double now,
                        int *created) {
  uint64_t h = kml_hash_str(key);
  shard_t *sh = &s->shards[(h >> 32) % N_SHARDS];
  pthread_mutex_lock(&sh->lock);
  node_t *n = lookup(sh, h, key);
  *created = 0;
  if (n == NULL) {
    n = calloc(1, sizeof(*n) + s->payload_size);
    if (n == NULL || (n->key = strdup(key)) == NULL) {
      free(n);
      pthread_mutex_unlock(&sh->lock);
      return NULL;
    }
    if (sh->count >= s->per_shard_max && sh->tail) {
      if (s->on_evict != NULL)
        s->on_evict(sh->tail->key, sh->tail->payload, s->evict_ud);
      drop(s, sh, sh->tail);
      __atomic_add_fetch(&s->evicted, 1, __ATOMIC_RELAXED);
    }
    n->hash = h;
    n->shard = (unsigned)(sh - s->shards);
    n->chain = sh->buckets[h & (sh->n_buckets - 1)];
    sh->buckets[h & (sh->n_buckets - 1)] = n;
    sh->count++;
    if (sh->count > sh->n_buckets)
      grow(sh);
    if (s->init)
      s->init(n->payload, s->ud);
    *created = 1;
  } else {
    lru_unlink(sh, n);
  }
  lru_push(sh, n);
  n->last_used = now;
  return n->payload;
}

void kml_store_on_evict(kml_store_t *s, kml_visit_fn fn, void *ud) {
  s->on_evict = fn;
  s->evict_ud = ud;
}

void *kml_store_find(kml_store_t *s, const char *key) {
  uint64_t h = kml_hash_str(key);
  shard_t *sh = &s->shards[(h >> 32) % N_SHARDS];
  pthread_mutex_lock(&sh->lock);
  node_t *n = lookup(sh, h, key);
  if (n == NULL) {
    pthread_mutex_unlock(&sh->lock);
    return NULL;
  }
  return n->payload;
}

void kml_store_release(kml_store_t *s, void *p) {
  pthread_mutex_unlock(&s->shards[node_of(p)->shard].lock);
}

const char *kml_store_key(const void *p) { return node_of(p)->key; }

size_t kml_store_expire(kml_store_t *s, double cutoff) {
  return kml_store_expire_each(s, cutoff, NULL, NULL);
}

size_t kml_store_expire_each(kml_store_t *s, double cutoff, kml_visit_fn fn,
                             void *ud) {
  size_t dropped = 0;
  for (int i = 0; i < N_SHARDS; i++) {
    shard_t *sh = &s->shards[i];
    pthread_mutex_lock(&sh->lock);
    while (sh->tail && sh->tail->last_used < cutoff) {
      if (fn != NULL)
        fn(sh->tail->key, sh->tail->payload, ud);
      drop(s, sh, sh->tail);
      dropped++;
    }
    pthread_mutex_unlock(&sh->lock);
  }
  return dropped;
}

void kml_store_foreach_shard(kml_store_t *s, int i, kml_visit_fn fn, void *ud) {
  shard_t *sh = &s->shards[i];
  pthread_mutex_lock(&sh->lock);
  for (node_t *n = sh->head; n; n = n->next)
    fn(n->key, n->payload, ud);
  pthread_mutex_unlock(&sh->lock);
}

void kml_store_foreach(kml_store_t *s, kml_visit_fn fn, void *ud) {
  for (int i = 0; i < N_SHARDS; i++)
    kml_store_foreach_shard(s, i, fn, ud);
}

size_t kml_store_size(kml_store_t *s) {
  size_t n = 0;
  for (int i = 0; i < N_SHARDS; i++) {
    pthread_mutex_lock(&s->shards[i].lock);
    n += s->shards[i].count;
    pthread_mutex_unlock(&s->shards[i].lock);
  }
  return n;
}

uint64_t kml_store_evicted(kml_store_t *s) {
  return __atomic_load_n(&s->evicted, __ATOMIC_RELAXED);
}
