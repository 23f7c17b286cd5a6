/* output: see output.h. mkstemp gives O_CREAT|O_EXCL, so a symlink or any
 * other file planted at the temporary name makes the open fail instead of
 * being followed; rename(2) replaces a symlink at the destination itself,
 * never its target. Inputs are compared by device and inode, which also
 * catches hard links and "./data.csv" versus "data.csv". */
#define _GNU_SOURCE
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kml_cli_inputs_add(kml_cli_inputs_t *in, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return -1;
  if (in->n == in->cap) {
    size_t cap = in->cap ? 2 * in->cap : 16;
    dev_t *d = realloc(in->dev, cap * sizeof(*d));
    if (d == NULL)
      return -1;
    in->dev = d;
    ino_t *i = realloc(in->ino, cap * sizeof(*i));
    if (i == NULL)
      return -1;
    in->ino = i;
    in->cap = cap;
  }
  in->dev[in->n] = st.st_dev;
  in->ino[in->n] = st.st_ino;
  in->n++;
  return 0;
}

int kml_cli_inputs_has(const kml_cli_inputs_t *in, const char *path) {
  struct stat st;
  if (in == NULL || lstat(path, &st) != 0)
    return 0;
  for (size_t k = 0; k < in->n; k++)
    if (in->dev[k] == st.st_dev && in->ino[k] == st.st_ino)
      return 1;
  return 0;
}

void kml_cli_inputs_free(kml_cli_inputs_t *in) {
  free(in->dev);
  free(in->ino);
  memset(in, 0, sizeof(*in));
}

int kml_cli_mkdirs(const char *path) {
  char tmp[4096];
  if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static mode_t file_mode(void) {
  mode_t m = umask(022);
  umask(m);
  return 0666 & ~m;
}

int kml_cli_out_open(kml_cli_out_t *o, const char *path,
                     const kml_cli_inputs_t *in, char *err, size_t errlen) {
  memset(o, 0, sizeof(*o));
  o->fd = -1;
  if (snprintf(o->path, sizeof(o->path), "%s", path) >= (int)sizeof(o->path) ||
      snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path) >=
          (int)sizeof(o->tmp)) {
    snprintf(err, errlen, "%.200s...: path too long", path);
    return -1;
  }
  if (kml_cli_inputs_has(in, path)) {
    snprintf(err, errlen,
             "%s: is one of the inputs; refusing to overwrite it (choose "
             "another output)",
             path);
    return -1;
  }
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "%s: is a directory", path);
    return -1;
  }
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) {
    *slash = '\0';
    if (kml_cli_mkdirs(dir) != 0) {
      snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
      return -1;
    }
  }
  o->fd = mkostemp(o->tmp, O_CLOEXEC);
  if (o->fd < 0 || fchmod(o->fd, file_mode()) != 0 ||
      (o->f = fdopen(o->fd, "w")) == NULL) {
    snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    if (o->fd >= 0) {
      close(o->fd);
      unlink(o->tmp);
    }
    o->fd = -1;
    return -1;
  }
  return 0;
}

int kml_cli_out_commit(kml_cli_out_t *o, char *err, size_t errlen) {
  int bad = ferror(o->f) || fflush(o->f) != 0;
  int e = errno;
  if (fclose(o->f) != 0 && !bad) {
    bad = 1;
    e = errno;
  }
  o->f = NULL;
  if (!bad && rename(o->tmp, o->path) != 0) {
    bad = 1;
    e = errno;
  }
  if (bad) {
    unlink(o->tmp);
    snprintf(err, errlen, "%s: writing failed: %s", o->path, strerror(e));
    return -1;
  }
  return 0;
}

void kml_cli_out_abort(kml_cli_out_t *o) {
  if (o->f != NULL)
    fclose(o->f);
  o->f = NULL;
  if (o->tmp[0] != '\0')
    unlink(o->tmp);
}
