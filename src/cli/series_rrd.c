/* series_rrd: see series_rrd.h. The dump is read line by line: rrdtool
 * writes one archive row per line with its time in a comment
 * ("<!-- 2024-01-01 00:00:00 UTC / 1704067200 --> <row><v>1e+00</v>...").
 * Parsing text keeps kafka-ml free of librrd, and the same parser is what
 * the tests drive with real files written by collectd. */
#define _GNU_SOURCE
#include "series_rrd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_DS 64
#define MAX_RRA 64

typedef struct {
  double res; /* seconds per row */
  size_t n, cap;
  double *t, *x;
} rra_t;

static int rra_push(rra_t *a, double t, double x) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 1024;
    double *nt = realloc(a->t, cap * sizeof(double));
    if (nt == NULL)
      return -1;
    a->t = nt;
    double *nx = realloc(a->x, cap * sizeof(double));
    if (nx == NULL)
      return -1;
    a->x = nx;
    a->cap = cap;
  }
  a->t[a->n] = t;
  a->x[a->n] = x;
  a->n++;
  return 0;
}

/* Text between <tag> and </tag> on line, trimmed, into out. */
static int tag_text(const char *line, const char *tag, char *out, size_t len) {
  char open[32];
  snprintf(open, sizeof(open), "<%s>", tag);
  const char *p = strstr(line, open);
  if (p == NULL)
    return -1;
  p += strlen(open);
  const char *e = strchr(p, '<');
  if (e == NULL)
    return -1;
  while (p < e && *p == ' ')
    p++;
  while (e > p && e[-1] == ' ')
    e--;
  snprintf(out, len, "%.*s", (int)(e - p), p);
  return 0;
}

/* The k-th <v> value of a row line. */
static int row_value(const char *line, int k, double *x) {
  const char *p = line;
  for (int i = 0; i <= k; i++) {
    p = strstr(p, "<v>");
    if (p == NULL)
      return -1;
    p += 3;
  }
  if (strncmp(p, "NaN", 3) == 0 || strncmp(p, "nan", 3) == 0) {
    *x = NAN;
    return 0;
  }
  char *e;
  double v = strtod(p, &e);
  if (e == p || *e != '<' || !isfinite(v))
    return -1;
  *x = v;
  return 0;
}

static int cmp_res(const void *a, const void *b) {
  double x = ((const rra_t *)a)->res, y = ((const rra_t *)b)->res;
  return x < y ? -1 : x > y;
}

static int stitch(rra_t *rra, int n_rra, kml_csv_series_t *s) {
  qsort(rra, (size_t)n_rra, sizeof(rra_t), cmp_res);
  /* from the finest archive back in time: each coarser one only before */
  size_t total = 0;
  double earliest = INFINITY;
  size_t *from = calloc((size_t)n_rra + 1, sizeof(size_t));
  size_t *to = calloc((size_t)n_rra + 1, sizeof(size_t));
  if (from == NULL || to == NULL) {
    free(from);
    free(to);
    return -1;
  }
  for (int k = 0; k < n_rra; k++) {
    size_t e = 0;
    while (e < rra[k].n && rra[k].t[e] < earliest)
      e++;
    to[k] = e;
    total += e;
    if (rra[k].n > 0 && rra[k].t[0] < earliest)
      earliest = rra[k].t[0];
  }
  s->t = malloc((total ? total : 1) * sizeof(double));
  s->x = malloc((total ? total : 1) * sizeof(double));
  s->stamp = calloc(total ? total : 1, sizeof(char *));
  if (!s->t || !s->x || !s->stamp) {
    free(from);
    free(to);
    return -1;
  }
  int started = 0;
  for (int k = n_rra - 1; k >= 0; k--) /* oldest (coarsest) first */
    for (size_t i = from[k]; i < to[k]; i++) {
      if (!started && isnan(rra[k].x[i]))
        continue; /* before the first value */
      double t = rra[k].t[i];
      if (!(t >= 0 && t <= 253402300799.0) || (s->n > 0 && t <= s->t[s->n - 1]))
        continue; /* rrdtool writes rows in order; anything else is dropped */
      started = 1;
      char buf[32];
      time_t tt = (time_t)rra[k].t[i];
      struct tm tm;
      gmtime_r(&tt, &tm);
      strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
      s->stamp[s->n] = strdup(buf);
      if (s->stamp[s->n] == NULL) {
        free(from);
        free(to);
        return -1;
      }
      s->t[s->n] = rra[k].t[i];
      s->x[s->n] = rra[k].x[i];
      s->n++;
    }
  free(from);
  free(to);
  return 0;
}

/* The column of data source ds (NULL: "value", or the only one) among the
 * n names the dump declares; -1 with the refusal in err. */
static int choose_column(const char *name, char names[][128], int n,
                         const char *ds, char *err, size_t errlen) {
  const char *want = ds ? ds : "value";
  for (int k = 0; k < n; k++)
    if (strcmp(names[k], want) == 0)
      return k;
  if (ds == NULL && n == 1)
    return 0;
  /* At most 8 names of at most 40 bytes: the refusal always fits one log
   * line, whatever the file declares. */
  char list[400] = "";
  for (int k = 0; k < n && k < 8; k++)
    snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.40s",
             k ? ", " : "", names[k]);
  if (n > 8)
    snprintf(list + strlen(list), sizeof(list) - strlen(list), " and %d more",
             n - 8);
  snprintf(err, errlen,
           "%s: no data source \"%s\" (it has: %s); choose one with --column",
           name, want, list);
  return -1;
}

/* Copy the line at p (cut to size - 1 bytes) into line; returns the start
 * of the next one. */
static const char *next_line(const char *p, const char *end, char *line,
                             size_t size) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
  snprintf(line, size, "%.*s", (int)(n < size ? n : size - 1), p);
  return p + n + (nl != NULL);
}

int kml_rrd_parse(const char *name, const char *buf, size_t len, const char *ds,
                  kml_csv_series_t *s, char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  char names[MAX_DS][128];
  int n_ds = 0, col = -1, n_rra = 0, in_ds = 0, in_db = 0, average = 0;
  double step = 0, pdp = 1;
  rra_t rra[MAX_RRA];
  memset(rra, 0, sizeof(rra));
  rra_t *cur = NULL;
  int rc = -1;
  long lineno = 0;
  const char *p = buf, *end = buf + len;
  char line[4096], text[120];
  while (p < end) {
    p = next_line(p, end, line, sizeof(line));
    lineno++;
    if (strstr(line, "<ds>"))
      in_ds = 1;
    else if (strstr(line, "</ds>"))
      in_ds = 0;
    if (in_ds && n_rra == 0 &&
        tag_text(line, "name", text, sizeof(text)) == 0 && n_ds < MAX_DS)
      snprintf(names[n_ds++], sizeof(names[0]), "%s", text);
    else if (tag_text(line, "step", text, sizeof(text)) == 0)
      step = atof(text);
    else if (tag_text(line, "cf", text, sizeof(text)) == 0)
      average = strcmp(text, "AVERAGE") == 0;
    else if (tag_text(line, "pdp_per_row", text, sizeof(text)) == 0)
      pdp = atof(text);
    else if (strstr(line, "<database>")) {
      in_db = 1;
      cur = NULL;
      if (average && n_rra < MAX_RRA) {
        cur = &rra[n_rra++];
        cur->res = step * pdp;
      }
      if (col < 0 &&
          (col = choose_column(name, names, n_ds, ds, err, errlen)) < 0) {
        rc = -2;
        goto out;
      }
    } else if (strstr(line, "</database>"))
      in_db = 0;
    else if (in_db && cur != NULL && strstr(line, "<row>")) {
      const char *slash = strstr(line, " / ");
      double t, x;
      if (slash == NULL || sscanf(slash + 3, "%lf", &t) != 1 ||
          row_value(line, col, &x) != 0) {
        snprintf(err, errlen,
                 "%s:%ld: unreadable archive row in the rrdtool "
                 "dump",
                 name, lineno);
        goto out;
      }
      if (rra_push(cur, t, x) != 0) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto out;
      }
    }
  }
  if (n_rra == 0) {
    snprintf(err, errlen, "%s: no AVERAGE archive in this RRD file", name);
    goto out;
  }
  if (stitch(rra, n_rra, s) != 0) {
    snprintf(err, errlen, "%s: out of memory", name);
    goto out;
  }
  if (s->n == 0) {
    snprintf(err, errlen, "%s: the archives hold no value yet", name);
    goto out;
  }
  rc = 0;
out:
  for (int k = 0; k < n_rra; k++) {
    free(rra[k].t);
    free(rra[k].x);
  }
  return rc;
}

int kml_rrd_read(const char *path, const char *ds, kml_csv_series_t *s,
                 char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  int fd[2];
  if (pipe(fd) != 0) {
    snprintf(err, errlen, "%s: pipe: %s", path, strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    snprintf(err, errlen, "%s: fork: %s", path, strerror(errno));
    return -1;
  }
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    execlp("rrdtool", "rrdtool", "dump", path, (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  size_t len = 0, cap = 1 << 20;
  char *buf = malloc(cap);
  ssize_t k;
  while (buf != NULL && (k = read(fd[0], buf + len, cap - len)) != 0) {
    if (k < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    len += (size_t)k;
    if (len == cap) {
      char *nb = cap < KML_CSV_MAX_BYTES ? realloc(buf, 2 * cap) : NULL;
      if (nb == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  close(fd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (buf == NULL || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    snprintf(err, errlen, "%s: `rrdtool dump` failed%s", path,
             WIFEXITED(st) && WEXITSTATUS(st) == 127
                 ? " (not installed? Debian package rrdtool)"
             : buf == NULL ? " (output too large)"
                           : "");
    free(buf);
    return -1;
  }
  int rc = kml_rrd_parse(path, buf, len, ds, s, err, errlen);
  free(buf);
  return rc;
}
