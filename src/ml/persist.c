/* persist: see persist.h. The whole file is read and checked (magic,
 * format, payload size, checksum) before anything enters the store, so a
 * corrupt file can only cause a warning and a fresh start. */
#include "persist.h"
#include "../kml_hash.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char magic[8] = {'K', 'M', 'L', 'S', 'T', 'A', 'T', 'E'};

typedef struct {
  unsigned char *buf;
  size_t len, cap;
  size_t payload_size;
  uint64_t count;
  int oom;
} wbuf_t;

static void put(wbuf_t *w, const void *p, size_t n) {
  if (w->oom)
    return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 65536;
    while (cap < w->len + n)
      cap *= 2;
    unsigned char *b = realloc(w->buf, cap);
    if (b == NULL) {
      w->oom = 1;
      return;
    }
    w->buf = b;
    w->cap = cap;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static void visit(const char *key, void *payload, void *ud) {
  wbuf_t *w = ud;
  size_t kl = strlen(key);
  if (kl > UINT16_MAX)
    return;
  uint16_t k16 = (uint16_t)kl;
  put(w, &k16, sizeof(k16));
  put(w, key, kl);
  put(w, payload, w->payload_size);
  w->count++;
}

long kml_persist_save(kml_store_t *s, size_t payload_size, const char *path,
                      char *err, size_t errlen) {
  wbuf_t w = {.payload_size = payload_size};
  uint32_t fmt = KML_STATE_FORMAT, ps = (uint32_t)payload_size;
  uint64_t count = 0;
  put(&w, magic, sizeof(magic));
  put(&w, &fmt, sizeof(fmt));
  put(&w, &ps, sizeof(ps));
  size_t count_at = w.len;
  put(&w, &count, sizeof(count));
  kml_store_foreach(s, visit, &w);
  if (w.oom) {
    free(w.buf);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(w.buf + count_at, &w.count, sizeof(w.count));
  uint64_t sum = kml_hash_bytes(w.buf, w.len);
  put(&w, &sum, sizeof(sum));

  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (f == NULL) {
    snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    free(w.buf);
    return -1;
  }
  int ok = fwrite(w.buf, 1, w.len, f) == w.len && fflush(f) == 0 &&
           fsync(fileno(f)) == 0;
  ok = (fclose(f) == 0) && ok;
  free(w.buf);
  if (!ok || rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return (long)w.count;
}

long kml_persist_load(kml_store_t *s, size_t payload_size, const char *path,
                      kml_payload_valid_fn valid, double now, char *err,
                      size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    if (errno == ENOENT)
      return 0;
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  unsigned char *buf = NULL;
  size_t len = 0, cap = 0, n;
  unsigned char chunk[65536];
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if (len + n > cap) {
      cap = cap ? cap * 2 : 1 << 20;
      while (cap < len + n)
        cap *= 2;
      unsigned char *b = realloc(buf, cap);
      if (b == NULL) {
        free(buf);
        fclose(f);
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
      }
      buf = b;
    }
    memcpy(buf + len, chunk, n);
    len += n;
  }
  fclose(f);

  long loaded = -1;
  const size_t head = sizeof(magic) + 4 + 4 + 8;
  uint32_t fmt, ps;
  uint64_t count, sum;
  if (len < head + 8 || memcmp(buf, magic, sizeof(magic)) != 0) {
    snprintf(err, errlen, "%s is not a collectd-kafka-ml state file", path);
    goto out;
  }
  memcpy(&fmt, buf + 8, 4);
  memcpy(&ps, buf + 12, 4);
  memcpy(&count, buf + 16, 8);
  memcpy(&sum, buf + len - 8, 8);
  if (fmt != KML_STATE_FORMAT || ps != payload_size) {
    snprintf(err, errlen,
             "%s was written by another version (format %u, model %u bytes; "
             "this one: %u, %zu bytes)",
             path, fmt, ps, KML_STATE_FORMAT, payload_size);
    goto out;
  }
  if (kml_hash_bytes(buf, len - 8) != sum) {
    snprintf(err, errlen, "%s is corrupt (checksum mismatch)", path);
    goto out;
  }
  /* Walk once to check the framing, then load. */
  for (int pass = 0; pass < 2; pass++) {
    size_t off = head;
    for (uint64_t i = 0; i < count; i++) {
      uint16_t kl;
      if (off + 2 > len - 8)
        goto truncated;
      memcpy(&kl, buf + off, 2);
      off += 2;
      if (off + kl + payload_size > len - 8)
        goto truncated;
      if (pass == 1 && (valid == NULL || valid(buf + off + kl))) {
        char key[65536];
        memcpy(key, buf + off, kl);
        key[kl] = '\0';
        int created;
        void *p = kml_store_acquire(s, key, now, &created);
        if (p != NULL) {
          memcpy(p, buf + off + kl, payload_size);
          kml_store_release(s, p);
          loaded++;
        }
      }
      off += kl + payload_size;
    }
    if (pass == 0 && off != len - 8)
      goto truncated;
    if (pass == 0)
      loaded = 0;
  }
  goto out;
truncated:
  snprintf(err, errlen, "%s is truncated or corrupt", path);
  loaded = -1;
out:
  free(buf);
  return loaded;
}
