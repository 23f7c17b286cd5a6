/* persist: see persist.h. Both directions stream through stdio with a
 * running checksum (kml_checksum; kml_hash for format 3): saving copies one
 * shard at a time under its lock (1/64 of the store) and writes it with no lock
 * held; loading never holds more than one record. Opening uses O_NOFOLLOW |
 * O_NONBLOCK and fstat, so a link, FIFO or device at the path is refused at
 * once instead of being followed or blocking collectd's init. */
#include "persist.h"
#include "../kml_checksum.h"
#include "../kml_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = {'K', 'M', 'L', 'S', 'T', 'A', 'T', 'E'};
#define HEAD_SIZE (sizeof(magic) + 4 + 4)
#define TAIL_SIZE (8 + 8)
/* ------------------------------------------------------------------ save */

typedef struct {
  unsigned char *buf; /* one shard's records */
  size_t len, cap;
  size_t payload_size;
  uint64_t count;
  int oom;
} shard_copy_t;

static void append(shard_copy_t *c, const void *p, size_t n) {
  if (c->oom)
    return;
  if (c->len + n > c->cap) {
    size_t cap = c->cap ? c->cap : 65536;
    while (cap < c->len + n)
      cap *= 2;
    unsigned char *b = realloc(c->buf, cap);
    if (b == NULL) {
      c->oom = 1;
      return;
    }
    c->buf = b;
    c->cap = cap;
  }
  memcpy(c->buf + c->len, p, n);
  c->len += n;
}

static void copy_series(const char *key, void *payload, void *ud) {
  shard_copy_t *c = ud;
  size_t kl = strlen(key);
  if (kl == 0 || kl > UINT16_MAX)
    return;
  uint16_t k16 = (uint16_t)kl;
  append(c, &k16, sizeof(k16));
  append(c, key, kl);
  append(c, payload, c->payload_size);
  c->count++;
}

typedef struct {
  FILE *f;
  kml_checksum_t sum;
  int failed; /* errno of the first failed write */
} out_t;

static void out_write(out_t *o, const void *p, size_t n) {
  if (o->failed || n == 0) /* an empty shard's buffer may still be NULL */
    return;
  kml_checksum_update(&o->sum, p, n);
  if (fwrite(p, 1, n, o->f) != n)
    o->failed = errno ? errno : EIO;
}

/* Create path 0600, never through a link, never blocking on a FIFO. */
static FILE *create_private(const char *path, char *err, size_t errlen) {
  int fd = open(
      path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
      0600);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fchmod(fd, 0600) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
    snprintf(err, errlen, "cannot create %s: not a regular file", path);
    close(fd);
    return NULL;
  }
  FILE *f = fdopen(fd, "wb");
  if (f == NULL) {
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    close(fd);
  }
  return f;
}

/* Header, every shard's records, trailer; returns the count or -1. */
static long write_all(kml_store_t *s, size_t payload_size, FILE *f,
                      const char *tmp, char *err, size_t errlen) {
  out_t o = {.f = f};
  kml_checksum_init(&o.sum);
  uint32_t fmt = KML_STATE_FORMAT, ps = (uint32_t)payload_size;
  out_write(&o, magic, sizeof(magic));
  out_write(&o, &fmt, sizeof(fmt));
  out_write(&o, &ps, sizeof(ps));
  shard_copy_t c = {.payload_size = payload_size};
  for (int i = 0; i < KML_STORE_SHARDS && !c.oom && !o.failed; i++) {
    c.len = 0;
    kml_store_foreach_shard(s, i, copy_series, &c);
    out_write(&o, c.buf, c.len);
  }
  free(c.buf);
  out_write(&o, &c.count, sizeof(c.count));
  uint64_t sum = kml_checksum_final(&o.sum);
  out_write(&o, &sum, sizeof(sum));
  if (c.oom) {
    snprintf(err, errlen, "out of memory writing %s", tmp);
    return -1;
  }
  if (o.failed || fflush(f) != 0 || fsync(fileno(f)) != 0) {
    snprintf(err, errlen, "cannot write %s: %s", tmp,
             strerror(o.failed ? o.failed : errno));
    return -1;
  }
  return (long)c.count;
}

long kml_persist_save(kml_store_t *s, size_t payload_size, const char *path,
                      char *err, size_t errlen) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
    snprintf(err, errlen, "state file path too long");
    return -1;
  }
  FILE *f = create_private(tmp, err, errlen);
  if (f == NULL)
    return -1;
  long n = write_all(s, payload_size, f, tmp, err, errlen);
  if (fclose(f) != 0 && n >= 0) {
    snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    n = -1;
  }
  struct stat st;
  if (n >= 0 && lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s is not a regular file: not replaced", path);
    n = -1;
  }
  if (n >= 0 && rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
             strerror(errno));
    n = -1;
  }
  if (n < 0)
    unlink(tmp);
  return n;
}

/* ------------------------------------------------------------------ load */

/* A file being read, with the checksum of its format running. */
typedef struct {
  FILE *f;
  int fnv; /* format 3 */
  uint64_t hash;
  kml_checksum_t sum;
} in_t;

static int in_read(in_t *in, void *p, size_t n) {
  if (fread(p, 1, n, in->f) != n)
    return -1;
  if (in->fnv)
    in->hash = kml_hash_update(in->hash, p, n);
  else
    kml_checksum_update(&in->sum, p, n);
  return 0;
}

static uint64_t in_sum(const in_t *in) {
  return in->fnv ? kml_hash_final(in->hash) : kml_checksum_final(&in->sum);
}

static void count_reason(kml_persist_stats_t *st, const char *why) {
  st->dropped++;
  int i = 0;
  while (i < st->n_reasons && strcmp(st->reasons[i].why, why) != 0)
    i++;
  if (i == st->n_reasons) {
    if (i == KML_PERSIST_REASONS)
      i--;
    else {
      st->reasons[i].why = why;
      st->reasons[i].count = 0;
      st->n_reasons++;
    }
  }
  st->reasons[i].count++;
}

typedef struct {
  kml_store_t *s;
  size_t payload_size;
  int fnv; /* a file of format 3 */
  kml_payload_check_fn check;
  double now;
  kml_persist_stats_t *stats;
  char key[UINT16_MAX + 1];
  void *payload; /* aligned copy of one record's payload */
} loader_t;

static void load_record(loader_t *l, uint16_t kl) {
  const char *why = memchr(l->key, '\0', kl) ? "key" : NULL;
  if (why == NULL && l->check != NULL)
    why = l->check(l->payload);
  if (why != NULL) {
    count_reason(l->stats, why);
    return;
  }
  l->key[kl] = '\0';
  int created;
  void *p = kml_store_acquire(l->s, l->key, l->now, &created);
  if (p == NULL) {
    count_reason(l->stats, "out of memory");
    return;
  }
  memcpy(p, l->payload, l->payload_size);
  kml_store_release(l->s, p);
  l->stats->loaded++;
}

/* One pass over the records, which end at body_end. Pass 0 checks the
 * framing, count and checksum; pass 1 loads. Returns 0 or -1. */
static int read_records(loader_t *l, FILE *f, long body_end, int pass) {
  in_t in = {.f = f, .fnv = l->fnv, .hash = KML_HASH_INIT};
  kml_checksum_init(&in.sum);
  unsigned char head[HEAD_SIZE];
  if (fseek(f, 0, SEEK_SET) != 0 || in_read(&in, head, sizeof(head)) != 0)
    return -1;
  uint64_t records = 0, count, sum;
  long off = (long)HEAD_SIZE;
  while (off < body_end) {
    uint16_t kl;
    if (in_read(&in, &kl, sizeof(kl)) != 0 || kl == 0 ||
        off + 2 + kl + (long)l->payload_size > body_end ||
        in_read(&in, l->key, kl) != 0 ||
        in_read(&in, l->payload, l->payload_size) != 0)
      return -1;
    off += 2 + kl + (long)l->payload_size;
    records++;
    if (pass == 1)
      load_record(l, kl);
  }
  if (in_read(&in, &count, sizeof(count)) != 0)
    return -1;
  uint64_t expect = in_sum(&in);
  if (fread(&sum, 1, sizeof(sum), f) != sizeof(sum))
    return -1;
  return count == records && sum == expect ? 0 : -1;
}

/* Open path for reading: a regular file, not through a link, never
 * blocking. Returns NULL with errno 0 and err set, or errno ENOENT. */
static FILE *open_regular(const char *path, long *size, char *err,
                          size_t errlen) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP)
      snprintf(err, errlen, "%s is a symbolic link: not followed", path);
    else
      snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
    errno = e == ENOENT ? ENOENT : 0;
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen,
             "%s is not a regular file (a FIFO, device or "
             "directory?): not read",
             path);
    close(fd);
    errno = 0;
    return NULL;
  }
  FILE *f = fdopen(fd, "rb");
  if (f == NULL) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    close(fd);
    errno = 0;
  }
  *size = (long)st.st_size;
  return f;
}

long kml_persist_load(kml_store_t *s, size_t payload_size, const char *path,
                      kml_payload_check_fn check, double now,
                      kml_persist_stats_t *stats, char *err, size_t errlen) {
  memset(stats, 0, sizeof(*stats));
  long size = 0;
  FILE *f = open_regular(path, &size, err, errlen);
  if (f == NULL) {
    stats->missing = errno == ENOENT;
    return errno == ENOENT ? 0 : -1;
  }
  long result = -1;
  unsigned char head[HEAD_SIZE];
  uint32_t fmt, ps;
  loader_t *l = NULL;
  if (size < (long)(HEAD_SIZE + TAIL_SIZE) ||
      fread(head, 1, sizeof(head), f) != sizeof(head) ||
      memcmp(head, magic, sizeof(magic)) != 0) {
    snprintf(err, errlen, "%s is not a collectd-kafka-ml state file", path);
    goto out;
  }
  memcpy(&fmt, head + 8, 4);
  memcpy(&ps, head + 12, 4);
  if ((fmt != KML_STATE_FORMAT && fmt != KML_STATE_FORMAT_FNV) ||
      ps != payload_size) {
    snprintf(err, errlen,
             "%s was written by another version (format %u, model %u bytes; "
             "this one: %u, %zu bytes)",
             path, fmt, ps, KML_STATE_FORMAT, payload_size);
    goto out;
  }
  l = calloc(1, sizeof(*l));
  if (l == NULL || (l->payload = malloc(payload_size)) == NULL) {
    snprintf(err, errlen, "out of memory reading %s", path);
    goto out;
  }
  *l = (loader_t){.s = s,
                  .payload_size = payload_size,
                  .fnv = fmt == KML_STATE_FORMAT_FNV,
                  .check = check,
                  .now = now,
                  .stats = stats,
                  .payload = l->payload};
  if (read_records(l, f, size - (long)TAIL_SIZE, 0) != 0) {
    snprintf(err, errlen, "%s is truncated or corrupt (framing or checksum)",
             path);
    goto out;
  }
  if (read_records(l, f, size - (long)TAIL_SIZE, 1) != 0) {
    snprintf(err, errlen, "%s changed while it was read", path);
    goto out;
  }
  result = stats->loaded;
out:
  if (l != NULL)
    free(l->payload);
  free(l);
  fclose(f);
  return result;
}

int kml_persist_check_dir(const char *path, char *err, size_t errlen) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    snprintf(dir, sizeof(dir), ".");
  else if (slash == path)
    snprintf(dir, sizeof(dir), "/");
  else
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
  struct stat st;
  if (stat(dir, &st) != 0) {
    snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "%s: not a directory", dir);
    return -1;
  }
  if (access(dir, W_OK | X_OK) != 0) {
    snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    return -1;
  }
  return 0;
}
