/* sources: see sources.h. A directory is walked once; collectd's day files
 * of one series (same directory, same name before the date) become one
 * source whose files sort by date, because the date is the name's end. */
#define _GNU_SOURCE
#include "sources.h"
#include "series_rrd.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

size_t kml_source_day_prefix(const char *name) {
  size_t n = strlen(name);
  if (n < 12) /* "x-YYYY-MM-DD" */
    return 0;
  const char *d = name + n - 11;
  static const char pat[] = "-dddd-dd-dd";
  for (int i = 0; i < 11; i++)
    if (pat[i] == 'd' ? !isdigit((unsigned char)d[i]) : d[i] != pat[i])
      return 0;
  return n - 11;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n > k && strcmp(s + n - k, suffix) == 0;
}

static int add(kml_sources_t *ss, kml_source_kind_t kind, const char *full,
               const char *rel) {
  if (ss->n == ss->cap) {
    size_t cap = ss->cap ? 2 * ss->cap : 64;
    kml_source_t *v = realloc(ss->v, cap * sizeof(*v));
    if (v == NULL)
      return -1;
    ss->v = v;
    ss->cap = cap;
  }
  kml_source_t *s = &ss->v[ss->n];
  memset(s, 0, sizeof(*s));
  s->kind = kind;
  s->files = malloc(sizeof(char *));
  s->rel = strdup(rel);
  if (s->files == NULL || s->rel == NULL ||
      (s->files[0] = strdup(full)) == NULL) {
    free(s->files);
    free(s->rel);
    return -1;
  }
  s->n_files = 1;
  ss->n++;
  return 0;
}

/* A file: its kind and the series' relative output path (rel_dir/name). */
static int add_file(kml_sources_t *ss, const char *full, const char *rel_dir,
                    const char *name) {
  char rel[8192];
  size_t day = kml_source_day_prefix(name);
  const char *sep = *rel_dir ? "/" : "";
  if (ends_with(name, ".csv")) {
    snprintf(rel, sizeof(rel), "%s%s%s", rel_dir, sep, name);
    return add(ss, KML_SOURCE_CSV, full, rel);
  }
  if (ends_with(name, ".rrd")) {
    snprintf(rel, sizeof(rel), "%s%s%.*s.csv", rel_dir, sep,
             (int)(strlen(name) - 4), name);
    return add(ss, KML_SOURCE_RRD, full, rel);
  }
  if (day > 0) {
    snprintf(rel, sizeof(rel), "%s%s%.*s.csv", rel_dir, sep, (int)day, name);
    return add(ss, KML_SOURCE_DAYS, full, rel);
  }
  return 1; /* not a series file */
}

/* A collectd file of the ml plugin's own values: a type "ml_*" in a plugin
 * directory "ml" or "ml-INSTANCE" (score, expected, band, forecast, eta,
 * series count), dispatched tagged so the plugin never models them. */
static int ml_derived(const char *dir_path, const char *name) {
  size_t n = strlen(dir_path);
  while (n > 1 && dir_path[n - 1] == '/')
    n--;
  size_t b = n;
  while (b > 0 && dir_path[b - 1] != '/')
    b--;
  const char *dir = dir_path + b; /* the directory's name, n - b bytes */
  if (!((n - b == 2 && strncmp(dir, "ml", 2) == 0) ||
        (n - b > 3 && strncmp(dir, "ml-", 3) == 0)))
    return 0;
  return strncmp(name, "ml_", 3) == 0 &&
         (kml_source_day_prefix(name) > 0 || ends_with(name, ".rrd"));
}

/* Count a skipped ml file once per series (its day files share a name
 * before the date); seen holds this directory's series names so far. */
static void count_derived(kml_sources_t *ss, char ***seen, size_t *n,
                          const char *name) {
  size_t day = kml_source_day_prefix(name);
  size_t len = day > 0 ? day : strlen(name);
  for (size_t i = 0; i < *n; i++)
    if (strlen((*seen)[i]) == len && strncmp((*seen)[i], name, len) == 0)
      return;
  char **v = realloc(*seen, (*n + 1) * sizeof(char *));
  if (v != NULL && (v[*n] = strndup(name, len)) != NULL)
    (*n)++;
  if (v != NULL)
    *seen = v;
  ss->derived++;
}

static void walk(kml_sources_t *ss, const char *root, const char *sub,
                 const struct stat *skip) {
  char path[4096];
  snprintf(path, sizeof(path), "%s%s%s", root, *sub ? "/" : "", sub);
  DIR *d = opendir(path);
  if (d == NULL)
    return;
  char **seen = NULL; /* ml series skipped in this directory */
  size_t n_seen = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char rel[4096], full[8192];
    snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", e->d_name);
    snprintf(full, sizeof(full), "%s/%s", root, rel);
    struct stat st;
    if (lstat(full, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      if (!(skip->st_dev == st.st_dev && skip->st_ino == st.st_ino))
        walk(ss, root, rel, skip);
    } else if (ml_derived(path, e->d_name)) {
      count_derived(ss, &seen, &n_seen, e->d_name);
    } else if (S_ISREG(st.st_mode) ||
               (S_ISLNK(st.st_mode) && stat(full, &st) == 0 &&
                S_ISREG(st.st_mode)))
      if (add_file(ss, full, sub, e->d_name) == 0)
        ss->v[ss->n - 1].found = 1;
  }
  closedir(d);
  for (size_t i = 0; i < n_seen; i++)
    free(seen[i]);
  free(seen);
}

static int cmp_source(const void *a, const void *b) {
  const kml_source_t *x = a, *y = b;
  int c = strcmp(x->rel, y->rel);
  return c ? c : strcmp(x->files[0], y->files[0]);
}

/* Day files of one series (adjacent after sorting) into one source. */
static void join_days(kml_sources_t *ss, size_t first) {
  size_t w = first;
  for (size_t i = first; i < ss->n; i++) {
    kml_source_t *prev = w > first ? &ss->v[w - 1] : NULL;
    kml_source_t *cur = &ss->v[i];
    if (prev && prev->kind == KML_SOURCE_DAYS && cur->kind == KML_SOURCE_DAYS &&
        strcmp(prev->rel, cur->rel) == 0) {
      char **f = realloc(prev->files, (prev->n_files + 1) * sizeof(char *));
      if (f != NULL) {
        prev->files = f;
        prev->files[prev->n_files++] = cur->files[0];
        free(cur->files);
        free(cur->rel);
        continue;
      }
    }
    ss->v[w++] = *cur;
  }
  ss->n = w;
}

int kml_sources_add(kml_sources_t *ss, const char *path, const char *skip_dir,
                    char *err, size_t errlen) {
  struct stat st, skip = {0};
  if (stat(path, &st) != 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  if (skip_dir == NULL || stat(skip_dir, &skip) != 0)
    memset(&skip, 0, sizeof(skip));
  size_t first = ss->n;
  if (!S_ISDIR(st.st_mode)) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int rc = add_file(ss, path, "", base);
    if (rc > 0) /* named otherwise: read as CSV */
      rc = add(ss, KML_SOURCE_CSV, path, base);
    if (rc < 0) {
      snprintf(err, errlen, "%s: out of memory", path);
      return -1;
    }
    return 0;
  }
  size_t derived = ss->derived;
  walk(ss, path, "", &skip);
  if (ss->n == first && ss->derived > derived) {
    snprintf(err, errlen,
             "%s: only the ml plugin's own values below it (plugin \"ml\", "
             "types ml_*), which it never models",
             path);
    return -1;
  }
  if (ss->n == first) {
    snprintf(err, errlen,
             "%s: no series below it (*.csv, *.rrd or collectd's "
             "TYPE-YYYY-MM-DD day files)",
             path);
    return -1;
  }
  qsort(ss->v + first, ss->n - first, sizeof(kml_source_t), cmp_source);
  join_days(ss, first);
  return 0;
}

void kml_sources_note_derived(const kml_sources_t *ss, const char *cmd,
                              FILE *f) {
  if (ss->derived > 0)
    fprintf(f,
            "kafka-ml %s: note: skipped %zu series of the ml plugin's own "
            "values (plugin \"ml\", types ml_*), which it never models\n",
            cmd, ss->derived);
}

void kml_sources_free(kml_sources_t *ss) {
  for (size_t i = 0; i < ss->n; i++) {
    for (size_t k = 0; k < ss->v[i].n_files; k++)
      free(ss->v[i].files[k]);
    free(ss->v[i].files);
    free(ss->v[i].rel);
  }
  free(ss->v);
  memset(ss, 0, sizeof(*ss));
}

int kml_source_read(const kml_source_t *src, const kml_csv_opts_t *opts,
                    kml_csv_series_t *s, char *err, size_t errlen) {
  if (src->kind == KML_SOURCE_RRD)
    return kml_rrd_read(src->files[0], opts ? opts->column : NULL, s, err,
                        errlen);
  return kml_csv_read_files(src->files, src->n_files, opts, s, err, errlen);
}
