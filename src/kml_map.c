/* kml_map: open addressing with linear probing and tombstone-free deletion
 * (backward shift), so sweeping stale entries keeps probe chains short. */
#include "kml_map.h"
#include "kml_hash.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  char *key; /* NULL: empty slot */
  uint64_t hash;
  uint64_t round;
  void *value;
} slot_t;

struct kml_map {
  slot_t *slots;
  size_t cap; /* power of two */
  size_t count;
  size_t value_size;
};

kml_map_t *kml_map_new(size_t value_size) {
  kml_map_t *m = calloc(1, sizeof(*m));
  if (m == NULL)
    return NULL;
  m->cap = 64;
  m->value_size = value_size;
  m->slots = calloc(m->cap, sizeof(slot_t));
  if (m->slots == NULL) {
    free(m);
    return NULL;
  }
  return m;
}

void kml_map_destroy(kml_map_t *m) {
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) {
      free(m->slots[i].key);
      free(m->slots[i].value);
    }
  free(m->slots);
  free(m);
}

static size_t probe(const kml_map_t *m, const char *key, uint64_t h) {
  size_t i = h & (m->cap - 1);
  while (m->slots[i].key &&
         (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
    i = (i + 1) & (m->cap - 1);
  return i;
}

static int grow(kml_map_t *m) {
  size_t oc = m->cap;
  slot_t *old = m->slots;
  slot_t *s = calloc(oc * 2, sizeof(slot_t));
  if (s == NULL)
    return -1;
  m->slots = s;
  m->cap = oc * 2;
  for (size_t i = 0; i < oc; i++)
    if (old[i].key)
      m->slots[probe(m, old[i].key, old[i].hash)] = old[i];
  free(old);
  return 0;
}

void *kml_map_get(kml_map_t *m, const char *key, uint64_t round, int *created) {
  uint64_t h = kml_hash_str(key);
  *created = 0;
  size_t i = probe(m, key, h);
  if (m->slots[i].key == NULL) {
    if ((m->count + 1) * 4 > m->cap * 3) {
      if (grow(m) != 0)
        return NULL;
      i = probe(m, key, h);
    }
    char *k = strdup(key);
    void *v = calloc(1, m->value_size);
    if (k == NULL || v == NULL) {
      free(k);
      free(v);
      return NULL;
    }
    m->slots[i] = (slot_t){.key = k, .hash = h, .value = v};
    m->count++;
    *created = 1;
  }
  m->slots[i].round = round;
  return m->slots[i].value;
}

void *kml_map_find(const kml_map_t *m, const char *key) {
  size_t i = probe(m, key, kml_hash_str(key));
  return m->slots[i].key ? m->slots[i].value : NULL;
}

static void erase(kml_map_t *m, size_t i) {
  free(m->slots[i].key);
  free(m->slots[i].value);
  m->slots[i].key = NULL;
  m->count--;
  /* Backward shift: move later members of the chain into the hole. */
  size_t j = i;
  for (;;) {
    j = (j + 1) & (m->cap - 1);
    if (m->slots[j].key == NULL)
      return;
    size_t home = m->slots[j].hash & (m->cap - 1);
    /* Can slot j move to hole i? Only if home is not in (i, j]. */
    int between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!between) {
      m->slots[i] = m->slots[j];
      m->slots[j].key = NULL;
      i = j;
    }
  }
}

int kml_map_remove(kml_map_t *m, const char *key) {
  size_t i = probe(m, key, kml_hash_str(key));
  if (m->slots[i].key == NULL)
    return 0;
  erase(m, i);
  return 1;
}

/* The sweeps' one loop: remove entries last touched before round, but
 * those keep(key, ud) spares, each shown to fn(key, value, ud) first (keep
 * and fn may be NULL). Removing shifts entries back, so i is not advanced
 * past a removal. */
static size_t sweep(kml_map_t *m, uint64_t round,
                    int (*keep)(const char *key, void *ud),
                    void (*fn)(const char *key, void *value, void *ud),
                    void *ud) {
  size_t n = 0;
  for (size_t i = 0; i < m->cap;) {
    if (m->slots[i].key && m->slots[i].round < round &&
        (keep == NULL || !keep(m->slots[i].key, ud))) {
      if (fn != NULL)
        fn(m->slots[i].key, m->slots[i].value, ud);
      erase(m, i);
      n++;
      continue; /* a shifted entry may now sit at i */
    }
    i++;
  }
  return n;
}

size_t kml_map_sweep(kml_map_t *m, uint64_t round) {
  return sweep(m, round, NULL, NULL, NULL);
}

size_t kml_map_sweep_keep(kml_map_t *m, uint64_t round,
                          int (*keep)(const char *key, void *ud), void *ud) {
  return sweep(m, round, keep, NULL, ud);
}

size_t kml_map_sweep_each(kml_map_t *m, uint64_t round,
                          void (*fn)(const char *key, void *value, void *ud),
                          void *ud) {
  return sweep(m, round, NULL, fn, ud);
}

size_t kml_map_size(const kml_map_t *m) { return m->count; }

void kml_map_foreach(kml_map_t *m,
                     void (*fn)(const char *key, void *value, void *ud),
                     void *ud) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key)
      fn(m->slots[i].key, m->slots[i].value, ud);
}
