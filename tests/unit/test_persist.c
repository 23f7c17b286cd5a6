/* Unit tests for src/ml/persist.c and saver.c: state files round-trip,
 * are private (0600), and a truncated, torn, damaged, tampered (checksum
 * fixed up), foreign-version or special file never crashes, blocks or
 * loads a model that fails kml_model_check; each dropped model is counted
 * by reason. Files of format 3 (FNV-1a checksum) still load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kml_checksum.h"
#include "kml_hash.h"
#include "ml/model.h"
#include "ml/persist.h"
#include "ml/saver.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_SERIES 50
#define TAIL 16 /* u64 count, u64 checksum */

static char dir[64], path[128];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof(dir), "/tmp/kml-persist.XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  snprintf(path, sizeof(path), "%s/ml.state", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void init_cb(void *p, void *ud) {
  (void)ud;
  kml_model_init(p);
}

static kml_store_t *new_store(void) {
  kml_store_t *s =
      kml_store_new(1000, sizeof(kml_model_t), init_cb, NULL, NULL);
  assert_non_null(s);
  return s;
}

/* A store of N_SERIES models, each fed 300 values. */
static kml_store_t *filled_store(void) {
  kml_store_t *s = new_store();
  kml_model_cfg_t cfg = kml_model_defaults();
  kml_sim_rng_t r = {9};
  for (int k = 0; k < N_SERIES; k++) {
    char key[64];
    snprintf(key, sizeof(key), "host/plugin-%d/gauge/value", k);
    int created;
    kml_model_t *m = kml_store_acquire(s, key, 1, &created);
    for (int i = 0; i < 300; i++) {
      kml_output_t o;
      kml_model_update(m, &cfg, KML_DS_GAUGE, 1.7e9 + 60 * i,
                       k + kml_sim_gauss(&r), &o);
    }
    kml_store_release(s, m);
  }
  return s;
}

static const char *check(const void *p) { return kml_model_check(p); }

static long load(kml_store_t *s, kml_persist_stats_t *st, char *err) {
  return kml_persist_load(s, sizeof(kml_model_t), path, check, 2, st, err, 256);
}

static unsigned char *read_file(long *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  rewind(f);
  unsigned char *b = malloc(*len);
  assert_int_equal(fread(b, 1, *len, f), *len);
  fclose(f);
  return b;
}

static void write_file(const unsigned char *b, long len) {
  unlink(path);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, len, f), len);
  fclose(f);
}

/* The checksum of everything before it, as a writer of the header's
 * format would: FNV-1a up to format 3, XXH64 from format 4. */
static void fix_checksum(unsigned char *b, long len) {
  uint32_t fmt;
  memcpy(&fmt, b + 8, 4);
  uint64_t h =
      fmt <= 3 ? kml_hash_bytes(b, len - 8) : kml_checksum_bytes(b, len - 8);
  memcpy(b + len - 8, &h, 8);
}

/* Does loading the file refuse it whole, with why in the reason? */
static int refused(const char *why) {
  kml_store_t *s = new_store();
  kml_persist_stats_t ps;
  char err[256] = "";
  long n = load(s, &ps, err);
  size_t size = kml_store_size(s);
  kml_store_destroy(s);
  return n == -1 && size == 0 && strstr(err, why) != NULL;
}

static void round_trip_keeps_every_model_and_is_private(void **state) {
  (void)state;
  kml_store_t *a = filled_store();
  char err[256] = "";
  assert_int_equal(kml_persist_save(a, sizeof(kml_model_t), path, err, 256),
                   N_SERIES);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  kml_store_t *b = new_store();
  kml_persist_stats_t ps;
  assert_int_equal(load(b, &ps, err), N_SERIES);
  assert_int_equal(ps.dropped, 0);
  for (int k = 0; k < N_SERIES; k++) {
    char key[64];
    snprintf(key, sizeof(key), "host/plugin-%d/gauge/value", k);
    kml_model_t *ma = kml_store_find(a, key), *mb = kml_store_find(b, key);
    assert_non_null(ma);
    assert_non_null(mb);
    assert_memory_equal(ma, mb, sizeof(kml_model_t));
    assert_true(kml_model_valid(mb));
    kml_store_release(a, ma);
    kml_store_release(b, mb);
  }
  kml_store_destroy(a);
  kml_store_destroy(b);
}

static void truncated_file_loads_nothing(void **state) {
  (void)state;
  kml_store_t *a = filled_store();
  char err[256];
  kml_persist_save(a, sizeof(kml_model_t), path, err, 256);
  long len;
  unsigned char *b = read_file(&len);
  long cuts[] = {0, 7, 16, 17, 100, len / 2, len - 17, len - 9, len - 1};
  for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
    write_file(b, cuts[i]);
    kml_store_t *s = new_store();
    kml_persist_stats_t ps;
    err[0] = '\0';
    assert_int_equal(load(s, &ps, err), -1);
    assert_true(strstr(err, "corrupt") || strstr(err, "not a"));
    assert_int_equal(kml_store_size(s), 0);
    kml_store_destroy(s);
  }
  free(b);
  kml_store_destroy(a);
}

/* Format 4: the header says 4 and the checksum is XXH64 (kml_checksum)
 * of everything before it. */
static void saved_file_is_format_4_with_xxh64_checksum(void **state) {
  (void)state;
  kml_store_t *a = filled_store();
  char err[256];
  assert_int_equal(kml_persist_save(a, sizeof(kml_model_t), path, err, 256),
                   N_SERIES);
  long len;
  unsigned char *b = read_file(&len);
  uint32_t fmt, size;
  memcpy(&fmt, b + 8, 4);
  memcpy(&size, b + 12, 4);
  assert_int_equal(fmt, 4);
  assert_int_equal(size, sizeof(kml_model_t));
  uint64_t sum;
  memcpy(&sum, b + len - 8, 8);
  assert_true(sum == kml_checksum_bytes(b, len - 8));
  free(b);
  kml_store_destroy(a);
}

/* A file of format 3, as the writer before format 4 made it (the same
 * framing, the header's format 3 and an FNV-1a checksum), loads every
 * model as it was; its checksum is checked as FNV-1a, never as XXH64, and
 * a format-4 header with an FNV-1a checksum is refused. */
static void format_3_file_loads_identically(void **state) {
  (void)state;
  kml_store_t *a = filled_store();
  char err[256];
  kml_persist_save(a, sizeof(kml_model_t), path, err, 256);
  long len;
  unsigned char *b = read_file(&len);
  uint32_t three = 3, four = 4;
  memcpy(b + 8, &three, 4);
  uint64_t fnv = kml_hash_bytes(b, len - 8);
  memcpy(b + len - 8, &fnv, 8);
  write_file(b, len);
  kml_store_t *s = new_store();
  kml_persist_stats_t ps;
  assert_int_equal(load(s, &ps, err), N_SERIES);
  assert_int_equal(ps.dropped, 0);
  for (int k = 0; k < N_SERIES; k++) {
    char key[64];
    snprintf(key, sizeof(key), "host/plugin-%d/gauge/value", k);
    kml_model_t *ma = kml_store_find(a, key), *mb = kml_store_find(s, key);
    assert_non_null(mb);
    assert_memory_equal(ma, mb, sizeof(kml_model_t));
    kml_store_release(a, ma);
    kml_store_release(s, mb);
  }
  kml_store_destroy(s);
  b[len / 2] ^= 0x10; /* damage is caught by FNV-1a in format 3 */
  write_file(b, len);
  assert_true(refused("corrupt"));
  b[len / 2] ^= 0x10;
  uint64_t xxh = kml_checksum_bytes(b, len - 8);
  memcpy(b + len - 8, &xxh, 8); /* format 3 with an XXH64 checksum */
  write_file(b, len);
  assert_true(refused("corrupt"));
  memcpy(b + 8, &four, 4); /* format 4 with an FNV-1a checksum */
  fnv = kml_hash_bytes(b, len - 8);
  memcpy(b + len - 8, &fnv, 8);
  write_file(b, len);
  assert_true(refused("corrupt"));
  free(b);
  kml_store_destroy(a);
}

/* Damage the checksum is there for, of files of format 4 and 3: a flipped
 * bit anywhere (header, records, count, checksum), two words swapped, a
 * zeroed block, and a torn file (the first half of a newer save over an
 * older one of the same length). Each is refused whole. */
static void damaged_and_torn_files_are_refused(void **state) {
  (void)state;
  kml_store_t *a = filled_store();
  char err[256];
  kml_persist_save(a, sizeof(kml_model_t), path, err, 256);
  long len, len2;
  unsigned char *old = read_file(&len);
  kml_model_cfg_t cfg = kml_model_defaults();
  for (int k = 0; k < N_SERIES; k++) { /* one value more each */
    char key[64];
    snprintf(key, sizeof(key), "host/plugin-%d/gauge/value", k);
    kml_model_t *m = kml_store_find(a, key);
    kml_output_t o;
    kml_model_update(m, &cfg, KML_DS_GAUGE, 1.7e9 + 60 * 300, k, &o);
    kml_store_release(a, m);
  }
  kml_persist_save(a, sizeof(kml_model_t), path, err, 256);
  unsigned char *cur = read_file(&len2);
  assert_int_equal(len2, len);
  unsigned char *b = malloc(len);
  for (uint32_t fmt = 3; fmt <= 4; fmt++) {
    memcpy(old + 8, &fmt, 4);
    memcpy(cur + 8, &fmt, 4);
    fix_checksum(old, len);
    fix_checksum(cur, len);
    memcpy(b, cur, len);
    write_file(b, len);
    kml_store_t *s = new_store();
    kml_persist_stats_t ps;
    assert_int_equal(load(s, &ps, err), N_SERIES); /* undamaged */
    kml_store_destroy(s);
    kml_sim_rng_t r = {5};
    for (int i = 0; i < 300; i++) { /* spread over the file, and its ends */
      long at =
          i < 40 ? (i < 20 ? i : len - 40 + i) : (long)(kml_sim_uni(&r) * len);
      b[at] ^= (unsigned char)(1u << (i % 8));
      write_file(b, len);
      /* the header's magic and format are refused by name */
      assert_true(refused(at < 8 ? "not a" : at < 16 ? "another" : "corrupt"));
      b[at] ^= (unsigned char)(1u << (i % 8));
    }
    for (long at = 16; at + 16 <= len - TAIL; at += len / 7) {
      unsigned char w[8];
      memcpy(w, b + at, 8);
      memcpy(b + at, b + at + 8, 8);
      memcpy(b + at + 8, w, 8);
      if (memcmp(b + at, b + at + 8, 8) != 0) {
        write_file(b, len);
        assert_true(refused("corrupt"));
      }
      memcpy(b, cur, len);
      memset(b + at, 0, 4096 < len - TAIL - at ? 4096 : len - TAIL - at);
      write_file(b, len);
      assert_true(refused("corrupt"));
      memcpy(b, cur, len);
    }
    memcpy(b + len / 2, old + len / 2, len - len / 2);
    write_file(b, len);
    assert_true(refused("corrupt"));
  }
  free(b);
  free(cur);
  free(old);
  kml_store_destroy(a);
}

/* Tampered records behind a valid checksum: every model that enters the
 * store passes kml_model_check, every other one is counted by reason. */
static void flipped_bytes_with_fixed_checksum_are_caught(void **state) {
  (void)state;
  kml_store_t *a = filled_store();
  char err[256];
  kml_persist_save(a, sizeof(kml_model_t), path, err, 256);
  long len;
  unsigned char *orig = read_file(&len);
  unsigned char *b = malloc(len);
  kml_sim_rng_t r = {77};
  long dropped = 0, refused_files = 0;
  for (int round = 0; round < 400; round++) {
    memcpy(b, orig, len);
    int flips = 1 + (int)(kml_sim_uni(&r) * 8);
    for (int i = 0; i < flips; i++) {
      long at = 16 + (long)(kml_sim_uni(&r) * (len - 16 - TAIL));
      b[at] ^= (unsigned char)(1 + kml_sim_uni(&r) * 255);
    }
    fix_checksum(b, len);
    write_file(b, len);
    kml_store_t *s = new_store();
    kml_persist_stats_t ps;
    long n = load(s, &ps, err);
    if (n < 0) {
      refused_files++; /* a key length changed: framing no longer fits */
      assert_int_equal(kml_store_size(s), 0);
    } else {
      assert_int_equal(n + ps.dropped, N_SERIES);
      dropped += ps.dropped;
      long by_reason = 0;
      for (int i = 0; i < ps.n_reasons; i++)
        by_reason += ps.reasons[i].count;
      assert_int_equal(by_reason, ps.dropped);
    }
    for (int k = 0; k < N_SERIES; k++) {
      char key[64];
      snprintf(key, sizeof(key), "host/plugin-%d/gauge/value", k);
      kml_model_t *m = kml_store_find(s, key);
      if (m != NULL) {
        assert_null(kml_model_check(m));
        kml_store_release(s, m);
      }
    }
    kml_store_destroy(s);
  }
  print_message("# persist: 400 tampered files, %ld models dropped, %ld files "
                "refused\n",
                dropped, refused_files);
  assert_true(dropped > 0);
  free(b);
  free(orig);
  kml_store_destroy(a);
}

/* The out-of-range fields the loader used to trust, one at a time. */
static void spoil_version(kml_model_t *m) { m->version = 3; }
static void spoil_win_head(kml_model_t *m) { m->win_head = 200; }
static void spoil_win_n(kml_model_t *m) { m->win_n = 25; }
static void spoil_top(kml_model_t *m) { m->det.top[2] = 200; }
static void spoil_hist(kml_model_t *m) { m->det.hist[1][3] += 5; }
static void spoil_mean(kml_model_t *m) { m->det.mean_l = NAN; }
static void spoil_var(kml_model_t *m) { m->det.var_l = -1; }
static void spoil_alert(kml_model_t *m) { m->alert.state = 7; }
static void spoil_time(kml_model_t *m) { m->rate.last_time = 1e300; }
static void spoil_fc_var(kml_model_t *m) { m->fc.var_lead = -1; }
static void spoil_fc_day(kml_model_t *m) { m->fc.cell_exp = 127; }
static void spoil_fc_level(kml_model_t *m) { m->fc.level_hi = NAN; }
static void spoil_fc_dev(kml_model_t *m) { m->fc.dev = 3e38f; }
static void spoil_fc_dev_xx(kml_model_t *m) { m->fc.dev_xx = 3e38f; }
static void spoil_prof(kml_model_t *m) { m->det.bins_seen = 90; }
static void spoil_prof_codes(kml_model_t *m) { m->det.prof_codes += 1; }
static void spoil_prof_exp(kml_model_t *m) { m->det.prof_exp = -128; }

static void bad_fields_are_dropped_by_reason(void **state) {
  (void)state;
  struct {
    void (*spoil)(kml_model_t *);
    const char *why;
  } cases[] = {{spoil_version, "wrong version"},
               {spoil_win_head, "window index"},
               {spoil_win_n, "window index"},
               {spoil_top, "histogram"},
               {spoil_hist, "histogram"},
               {spoil_mean, "detector statistics"},
               {spoil_var, "detector statistics"},
               {spoil_alert, "alert state"},
               {spoil_time, "rate state"},
               {spoil_fc_var, "forecast error variance"},
               {spoil_fc_day, "forecast weekly scale"},
               {spoil_fc_level, "forecast level"},
               {spoil_fc_dev, "forecast state"},
               {spoil_fc_dev_xx, "forecast state"},
               {spoil_prof, "daily profile"},
               {spoil_prof_codes, "daily profile"},
               {spoil_prof_exp, "daily profile"}};
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    kml_store_t *a = filled_store();
    kml_model_t *m = kml_store_find(a, "host/plugin-3/gauge/value");
    cases[c].spoil(m);
    kml_store_release(a, m);
    char err[256];
    kml_persist_save(a, sizeof(kml_model_t), path, err, 256);
    kml_store_t *s = new_store();
    kml_persist_stats_t ps;
    assert_int_equal(load(s, &ps, err), N_SERIES - 1);
    assert_int_equal(ps.dropped, 1);
    assert_int_equal(ps.n_reasons, 1);
    assert_string_equal(ps.reasons[0].why, cases[c].why);
    assert_null(kml_store_find(s, "host/plugin-3/gauge/value"));
    kml_store_destroy(s);
    kml_store_destroy(a);
  }
}

/* Write state file b (len bytes) with its header's format and payload
 * size replaced, and check that loading it into s refuses the whole file
 * with a message containing why. */
static void assert_refused(kml_store_t *s, unsigned char *b, long len,
                           uint32_t format, uint32_t size, const char *why) {
  char err[256];
  kml_persist_stats_t ps;
  memcpy(b + 8, &format, 4);
  memcpy(b + 12, &size, 4);
  fix_checksum(b, len);
  write_file(b, len);
  assert_int_equal(load(s, &ps, err), -1);
  assert_non_null(strstr(err, why));
  assert_int_equal(kml_store_size(s), 0);
}

static void other_format_version_is_refused(void **state) {
  (void)state;
  kml_store_t *a = filled_store();
  char err[256];
  kml_persist_save(a, sizeof(kml_model_t), path, err, 256);
  long len;
  unsigned char *b = read_file(&len);
  uint32_t size = sizeof(kml_model_t);
  kml_store_t *s = new_store();
  assert_refused(s, b, len, 1, size, "another version");
  /* a payload size of another build too */
  assert_refused(s, b, len, KML_STATE_FORMAT, size + 8, "another version");
  /* model version 11 (1,416 bytes: a float daily profile) is never read
   * as 16-bit codes, though version 16 has 1,416 bytes too: its state
   * format was 2, and the whole file is refused, a fresh start */
  assert_refused(s, b, len, 2, 1416, "format 2, model 1416 bytes");
  /* nor version 13's 4-bit weekly cells (1,360 bytes) as 8-bit ones */
  assert_refused(s, b, len, KML_STATE_FORMAT, 1360, "model 1360 bytes");
  /* nor version 14's 8-bit cells of 4 h (1,376 bytes) */
  assert_refused(s, b, len, KML_STATE_FORMAT, 1376, "model 1376 bytes");
  /* nor version 15's (1,400 bytes) */
  assert_refused(s, b, len, KML_STATE_FORMAT, 1400, "model 1400 bytes");
  free(b);
  kml_store_destroy(s);
  kml_store_destroy(a);
}

/* A FIFO with no writer would block a plain open() forever. */
static void fifo_at_the_path_is_refused_without_blocking(void **state) {
  (void)state;
  unlink(path);
  assert_int_equal(mkfifo(path, 0600), 0);
  kml_store_t *s = new_store();
  kml_persist_stats_t ps;
  char err[256] = "";
  alarm(20); /* a hang fails the test instead of the whole run */
  assert_int_equal(load(s, &ps, err), -1);
  assert_non_null(strstr(err, "not a regular file"));
  /* saving does not replace it either, and a FIFO at PATH.tmp does not
   * block the writer */
  kml_store_t *a = filled_store();
  assert_int_equal(kml_persist_save(a, sizeof(kml_model_t), path, err, 256),
                   -1);
  assert_non_null(strstr(err, "not a regular file"));
  char tmp[160];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  unlink(path);
  assert_int_equal(mkfifo(tmp, 0600), 0);
  assert_int_equal(kml_persist_save(a, sizeof(kml_model_t), path, err, 256),
                   -1);
  alarm(0);
  unlink(tmp);
  kml_store_destroy(a);
  kml_store_destroy(s);
}

static void symlink_is_not_followed(void **state) {
  (void)state;
  kml_store_t *a = filled_store();
  char err[256], real[160];
  snprintf(real, sizeof(real), "%s/real.state", dir);
  kml_persist_save(a, sizeof(kml_model_t), real, err, 256);
  unlink(path);
  assert_int_equal(symlink(real, path), 0);
  kml_store_t *s = new_store();
  kml_persist_stats_t ps;
  assert_int_equal(load(s, &ps, err), -1);
  assert_non_null(strstr(err, "symbolic link"));
  unlink(path);
  kml_store_destroy(s);
  kml_store_destroy(a);
}

static void missing_file_is_a_fresh_start(void **state) {
  (void)state;
  unlink(path);
  kml_store_t *s = new_store();
  kml_persist_stats_t ps;
  char err[256];
  assert_int_equal(load(s, &ps, err), 0);
  assert_int_equal(ps.missing, 1);
  kml_store_destroy(s);
  /* a file that exists, even empty of series, is not "missing" */
  kml_store_t *a = new_store();
  assert_int_equal(kml_persist_save(a, sizeof(kml_model_t), path, err, 256), 0);
  s = new_store();
  assert_int_equal(load(s, &ps, err), 0);
  assert_int_equal(ps.missing, 0);
  kml_store_destroy(s);
  kml_store_destroy(a);
  unlink(path);
}

/* Where a state file cannot be saved is known before the first save. */
static void unwritable_directory_is_reported(void **state) {
  (void)state;
  char err[256] = "";
  assert_int_equal(kml_persist_check_dir(path, err, sizeof(err)), 0);
  char p[200];
  snprintf(p, sizeof(p), "%s/missing/ml.state", dir);
  assert_int_equal(kml_persist_check_dir(p, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "/missing: No such file or directory"));
  snprintf(p, sizeof(p), "%s/ml.state/x", dir); /* a file, not a dir */
  int fd = open(path, O_WRONLY | O_CREAT, 0600);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(kml_persist_check_dir(p, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "ml.state: not a directory"));
  unlink(path);
  if (geteuid() != 0) { /* root may write anywhere */
    char ro[160], q[200];
    snprintf(ro, sizeof(ro), "%s/ro", dir);
    assert_int_equal(mkdir(ro, 0500), 0);
    snprintf(q, sizeof(q), "%s/ml.state", ro);
    assert_int_equal(kml_persist_check_dir(q, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Permission denied"));
    rmdir(ro);
  }
}

static void saver_thread_writes_on_request(void **state) {
  (void)state;
  unlink(path);
  kml_store_t *a = filled_store();
  kml_saver_t *sv = kml_saver_new(a, sizeof(kml_model_t), path);
  assert_non_null(sv);
  kml_saver_request(sv);
  long n = -2;
  double secs;
  char err[256];
  for (int i = 0; i < 20000 && !kml_saver_result(sv, &n, &secs, err, 256); i++)
    usleep(1000);
  assert_int_equal(n, N_SERIES);
  kml_saver_destroy(sv);
  kml_store_t *b = new_store();
  kml_persist_stats_t ps;
  assert_int_equal(load(b, &ps, err), N_SERIES);
  kml_store_destroy(b);
  kml_store_destroy(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip_keeps_every_model_and_is_private),
      cmocka_unit_test(truncated_file_loads_nothing),
      cmocka_unit_test(saved_file_is_format_4_with_xxh64_checksum),
      cmocka_unit_test(format_3_file_loads_identically),
      cmocka_unit_test(damaged_and_torn_files_are_refused),
      cmocka_unit_test(flipped_bytes_with_fixed_checksum_are_caught),
      cmocka_unit_test(bad_fields_are_dropped_by_reason),
      cmocka_unit_test(other_format_version_is_refused),
      cmocka_unit_test(fifo_at_the_path_is_refused_without_blocking),
      cmocka_unit_test(symlink_is_not_followed),
      cmocka_unit_test(missing_file_is_a_fresh_start),
      cmocka_unit_test(unwritable_directory_is_reported),
      cmocka_unit_test(saver_thread_writes_on_request),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
