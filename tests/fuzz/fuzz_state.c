/* libFuzzer harness: the state loader (src/ml/persist.c) and the model
 * code that runs on what it loads. The input is turned into a state file
 * whose header and checksum are right (else every input would stop at the
 * checksum), written to a private temporary directory and loaded; every
 * series that loads is then fed ordinary and extreme values, so a model
 * the loader let through with impossible contents shows up here.
 *
 * Input: byte 0 flags, then records. Flag 1: frame the records (u16 key
 * length, key, one model of payload) so they always parse; else the bytes
 * are used as they are, with the record count from the flags byte. */
#include "kml_checksum.h"
#include "ml/model.h"
#include "ml/persist.h"
#include "ml/series.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[256];

static void model_init_cb(void *p, void *ud) {
  (void)ud;
  kml_model_init(p);
}

#if KML_STATE_FORMAT >= 2
#define HEAD_HAS_COUNT 0
static const char *check(const void *p) { return kml_model_check(p); }
#else
#define HEAD_HAS_COUNT 1
static int check(const void *p) { /* payloads may be unaligned here */
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return v == KML_MODEL_VERSION;
}
#endif

static void feed(const char *key, void *payload, void *ud) {
  (void)key;
  (void)ud;
  kml_model_t *m = payload;
  kml_model_cfg_t cfg = kml_model_defaults();
  cfg.threshold = 100;
  cfg.want_forecast = 1;
  static const double xs[] = {1, 2, 1e100, -1e300, 5e-324, 0, 3};
  kml_output_t o;
  double t = 1.7e9;
  for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
    kml_model_update(m, &cfg, (kml_ds_kind_t)(i % 2 ? KML_DS_GAUGE : 0),
                     t + 10 * i, xs[i], &o);
    if (!isfinite(o.score) && o.score == o.score)
      abort();
  }
  float win[KML_MODEL_WINDOW];
  kml_model_window(m, win);
}

/* Append framed records from data to buf (at most 64). */
static size_t frame(const uint8_t *data, size_t size, uint8_t *buf,
                    uint64_t *count) {
  size_t off = 0, len = 0;
  const size_t ps = sizeof(kml_model_t);
  *count = 0;
  while (off < size && *count < 64) {
    uint16_t kl = (uint16_t)(1 + data[off++] % 40);
    memcpy(buf + len, &kl, 2);
    len += 2;
    for (uint16_t i = 0; i < kl; i++) /* keys without NUL bytes */
      buf[len++] = (uint8_t)('a' + (off + i < size ? data[off + i] : i) % 26);
    off += kl;
    size_t take = off < size ? size - off : 0;
    if (take > ps)
      take = ps;
    memset(buf + len, 0, ps);
    if (take)
      memcpy(buf + len, data + off, take);
    len += ps;
    off += take;
    (*count)++;
  }
  return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 1 << 20)
    return 0;
  if (path[0] == '\0') {
    char dir[] = "/tmp/kml-fuzz-state.XXXXXX";
    if (mkdtemp(dir) == NULL)
      abort();
    snprintf(path, sizeof(path), "%s/state", dir);
  }
  const size_t ps = sizeof(kml_model_t);
  size_t cap = 64 + 64 * (2 + 40 + ps) + size;
  uint8_t *file = malloc(cap), *rec = malloc(cap);
  uint64_t count = data[0] >> 1;
  size_t rlen;
  if (data[0] & 1)
    rlen = frame(data + 1, size - 1, rec, &count);
  else {
    rlen = size - 1;
    memcpy(rec, data + 1, rlen);
  }
  uint32_t fmt = KML_STATE_FORMAT, ps32 = (uint32_t)ps;
  size_t len = 0;
  memcpy(file + len, "KMLSTATE", 8);
  len += 8;
  memcpy(file + len, &fmt, 4);
  len += 4;
  memcpy(file + len, &ps32, 4);
  len += 4;
  if (HEAD_HAS_COUNT) {
    memcpy(file + len, &count, 8);
    len += 8;
  }
  memcpy(file + len, rec, rlen);
  len += rlen;
  if (!HEAD_HAS_COUNT) {
    memcpy(file + len, &count, 8);
    len += 8;
  }
  uint64_t sum = kml_checksum_bytes(file, len);
  memcpy(file + len, &sum, 8);
  len += 8;
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(file, 1, len, f) != len || fclose(f) != 0)
    abort();
  kml_store_t *s = kml_store_new(1000, ps, model_init_cb, NULL, NULL);
  char err[512];
#if KML_STATE_FORMAT >= 2
  kml_persist_stats_t st;
  long n = kml_persist_load(s, ps, path, check, 1.7e9, &st, err, sizeof(err));
#else
  long n = kml_persist_load(s, ps, path, check, 1.7e9, err, sizeof(err));
#endif
  if (n > 0)
    kml_store_foreach(s, feed, NULL);
  if (n > (long)count)
    abort();
  kml_store_destroy(s);
  free(file);
  free(rec);
  return 0;
}
