/* Unit tests for src/ml/series.c: lookup, LRU eviction, expiry, and
 * concurrent writers (run under ThreadSanitizer by tools/test --tsan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "ml/series.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  long count;
  int inited;
} payload_t;

static int finis;

static void init(void *p, void *ud) { ((payload_t *)p)->inited = 1; }
static void fini(void *p, void *ud) { finis++; }

static void acquire_creates_then_finds(void **state) {
  kml_store_t *s = kml_store_new(100, sizeof(payload_t), init, fini, NULL);
  assert_non_null(s);
  int created;
  payload_t *p = kml_store_acquire(s, "h/p/t/value", 1, &created);
  assert_non_null(p);
  assert_true(created);
  assert_int_equal(p->inited, 1);
  p->count = 41;
  assert_string_equal(kml_store_key(p), "h/p/t/value");
  kml_store_release(s, p);
  p = kml_store_acquire(s, "h/p/t/value", 2, &created);
  assert_false(created);
  assert_int_equal(p->count, 41);
  kml_store_release(s, p);
  assert_null(kml_store_find(s, "nope"));
  assert_int_equal(kml_store_size(s), 1);
  finis = 0;
  kml_store_destroy(s);
  assert_int_equal(finis, 1);
}

static void store_is_bounded_and_evicts_lru(void **state) {
  /* 64 shards: a bound of 64 means one series per shard. */
  kml_store_t *s = kml_store_new(64, sizeof(payload_t), NULL, NULL, NULL);
  char key[32];
  int created;
  for (int i = 0; i < 1000; i++) {
    snprintf(key, sizeof(key), "s%d", i);
    kml_store_release(s, kml_store_acquire(s, key, i, &created));
  }
  assert_true(kml_store_size(s) <= 64);
  assert_true(kml_store_evicted(s) >= 1000 - 64);
  /* The newest series is always kept. */
  payload_t *p = kml_store_find(s, "s999");
  assert_non_null(p);
  kml_store_release(s, p);
  kml_store_destroy(s);
}

static void expire_drops_idle_series(void **state) {
  kml_store_t *s = kml_store_new(1000, sizeof(payload_t), NULL, NULL, NULL);
  int created;
  kml_store_release(s, kml_store_acquire(s, "old", 10, &created));
  kml_store_release(s, kml_store_acquire(s, "new", 100, &created));
  assert_int_equal(kml_store_expire(s, 50), 1);
  assert_null(kml_store_find(s, "old"));
  payload_t *p = kml_store_find(s, "new");
  assert_non_null(p);
  kml_store_release(s, p);
  kml_store_destroy(s);
}

static void seen_before_drop(const char *key, void *payload, void *ud) {
  char *out = ud;
  snprintf(out + strlen(out), 64 - strlen(out), "%s:%ld ", key,
           ((payload_t *)payload)->count);
}

static void expire_each_shows_the_last_state_before_the_drop(void **state) {
  (void)state;
  kml_store_t *s = kml_store_new(1000, sizeof(payload_t), NULL, NULL, NULL);
  int created;
  payload_t *p = kml_store_acquire(s, "old", 10, &created);
  p->count = 7;
  kml_store_release(s, p);
  kml_store_release(s, kml_store_acquire(s, "new", 100, &created));
  char seen[64] = "";
  assert_int_equal(kml_store_expire_each(s, 50, seen_before_drop, seen), 1);
  assert_string_equal(seen, "old:7 ");
  assert_null(kml_store_find(s, "old"));
  assert_int_equal(kml_store_size(s), 1);
  kml_store_destroy(s);
}

typedef struct {
  int calls;
  long a_count; /* "a"'s payload when it was shown, -1 not shown */
} evicted_t;

static void seen_evicted(const char *key, void *payload, void *ud) {
  evicted_t *e = ud;
  e->calls++;
  if (strcmp(key, "a") == 0)
    e->a_count = ((payload_t *)payload)->count;
}

static void on_evict_shows_each_evicted_series_before_the_drop(void **state) {
  (void)state;
  /* 64 shards, one series each: new series evict the one of their shard */
  kml_store_t *s = kml_store_new(64, sizeof(payload_t), NULL, NULL, NULL);
  evicted_t e = {.a_count = -1};
  kml_store_on_evict(s, seen_evicted, &e);
  int created;
  payload_t *p = kml_store_acquire(s, "a", 1, &created);
  p->count = 7; /* say, an alert open */
  kml_store_release(s, p);
  char key[32];
  int i = 0;
  while ((p = kml_store_find(s, "a")) != NULL) {
    kml_store_release(s, p);
    snprintf(key, sizeof(key), "b%d", i++);
    kml_store_release(s, kml_store_acquire(s, key, 2 + i, &created));
  }
  /* "a" was shown with its last state, and every eviction once */
  assert_int_equal(e.a_count, 7);
  assert_true(e.calls >= 1);
  assert_int_equal((uint64_t)e.calls, kml_store_evicted(s));
  /* expiry and destruction are not evictions */
  int calls = e.calls;
  assert_true(kml_store_expire(s, 1e9) > 0);
  kml_store_release(s, kml_store_acquire(s, "c", 1e9, &created));
  kml_store_destroy(s);
  assert_int_equal(e.calls, calls);
}

typedef struct {
  kml_store_t *s;
  int id;
} worker_t;

static void *writer(void *arg) {
  worker_t *w = arg;
  char key[32];
  int created;
  for (int i = 0; i < 20000; i++) {
    snprintf(key, sizeof(key), "series-%d", i % 500);
    payload_t *p = kml_store_acquire(w->s, key, i, &created);
    p->count++;
    kml_store_release(w->s, p);
  }
  return NULL;
}

static void count_visit(const char *key, void *p, void *ud) {
  *(long *)ud += ((payload_t *)p)->count;
}

static void concurrent_writers_lose_no_update(void **state) {
  kml_store_t *s = kml_store_new(10000, sizeof(payload_t), NULL, NULL, NULL);
  pthread_t t[4];
  worker_t w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker_t){s, i};
    pthread_create(&t[i], NULL, writer, &w[i]);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  long total = 0;
  kml_store_foreach(s, count_visit, &total);
  assert_int_equal(total, 4 * 20000);
  assert_int_equal(kml_store_size(s), 500);
  kml_store_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(acquire_creates_then_finds),
      cmocka_unit_test(store_is_bounded_and_evicts_lru),
      cmocka_unit_test(expire_drops_idle_series),
      cmocka_unit_test(expire_each_shows_the_last_state_before_the_drop),
      cmocka_unit_test(on_evict_shows_each_evicted_series_before_the_drop),
      cmocka_unit_test(concurrent_writers_lose_no_update),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
