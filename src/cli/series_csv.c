/* series_csv: strict reader, because a backtest on silently misread data is
 * worse than none: every refused line is named with file and line number.
 * The whole input is parsed from memory (one read of the file), which is
 * also what the fuzzer drives; dates are checked field by field so that
 * Feb 31 is refused instead of becoming Mar 3. */
#define _GNU_SOURCE
#include "series_csv.h"

#include "kml_conf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CELLS 64
#define LAST_SECOND 253402300799.0 /* 9999-12-31 23:59:59 UTC */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long long)doe - 719468;
}

static unsigned days_in_month(long y, unsigned m) {
  static const unsigned dm[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

/* n digits at *p into *v; advances *p. 0, or -1. */
static int digits(const char **p, int n, long *v) {
  long x = 0;
  for (int i = 0; i < n; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9')
      return -1;
    x = 10 * x + (c - '0');
  }
  *p += n;
  *v = x;
  return 0;
}

static int parse_date(const char *s, double *t) {
  const char *p = s;
  long y, mo, d, h = 0, mi = 0, se = 0;
  if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
      digits(&p, 2, &d))
    return -1;
  double frac = 0;
  if (*p == ' ' || *p == 'T') {
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &se))
      return -1;
    if (*p == '.') { /* digits only: "0.5e999" must not become inf */
      p++;
      double scale = 0.1;
      if (*p < '0' || *p > '9')
        return -1;
      while (*p >= '0' && *p <= '9') {
        frac += (*p++ - '0') * scale;
        scale /= 10;
      }
    }
    if (*p == 'Z')
      p++;
  }
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p != '\0')
    return -1;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
      d > (long)days_in_month(y, (unsigned)mo) || h > 23 || mi > 59 || se > 59)
    return -2; /* well formed, but no such moment (Feb 31, 24:00, 1969) */
  *t = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 +
       h * 3600.0 + mi * 60.0 + se + frac;
  return 0;
}

int kml_csv_parse_time(const char *s, double *t) {
  while (*s == ' ' || *s == '\t')
    s++;
  if (strlen(s) >= 10 && s[4] == '-' && s[7] == '-')
    return parse_date(s, t);
  double v;
  if (kml_conf_parse_decimal(s, &v) != 0)
    return -1;
  if (!(v >= 0) || !(v <= LAST_SECOND))
    return -3;
  *t = v;
  return 0;
}

void kml_csv_free(kml_csv_series_t *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->stamp[i]);
  free(s->t);
  free(s->x);
  free(s->stamp);
  memset(s, 0, sizeof(*s));
}

/* Reader state: the input, the current line and the error buffer. */
typedef struct {
  const char *name, *buf;
  size_t len, pos;
  long lineno;
  char *line; /* NUL-terminated copy of the current line */
  size_t line_cap;
  char *err;
  size_t errlen;
  int tcol, vcol;
  size_t alloc;
} reader_t;

/* Next line into r->line (without its end); 0, 1 at the end, -1 on error. */
static int next_line(reader_t *r) {
  if (r->pos >= r->len)
    return 1;
  const char *start = r->buf + r->pos;
  size_t rest = r->len - r->pos, n = 0;
  while (n < rest && start[n] != '\n' && start[n] != '\r')
    n++;
  r->pos += n;
  if (n < rest) { /* LF, CR or CRLF */
    r->pos++;
    if (start[n] == '\r' && n + 1 < rest && start[n + 1] == '\n')
      r->pos++;
  }
  r->lineno++;
  if (memchr(start, '\0', n) != NULL) {
    snprintf(r->err, r->errlen,
             "%s:%ld: NUL byte inside the row (not a text file?)", r->name,
             r->lineno);
    return -1;
  }
  if (n + 1 > r->line_cap) {
    size_t cap = n + 1 < 256 ? 256 : n + 1;
    char *l = realloc(r->line, cap);
    if (l == NULL) {
      snprintf(r->err, r->errlen, "%s:%ld: out of memory", r->name, r->lineno);
      return -1;
    }
    r->line = l;
    r->line_cap = cap;
  }
  memcpy(r->line, start, n);
  r->line[n] = '\0';
  return 0;
}

static int blank(const char *l) { return l[strspn(l, " \t")] == '\0'; }

/* Split line at commas into cells (trimmed); returns the count. */
static int split(char *line, char **cells) {
  int nc = 0;
  for (char *tok = line, *next; tok != NULL && nc < MAX_CELLS; tok = next) {
    next = strchr(tok, ',');
    if (next != NULL)
      *next++ = '\0';
    while (*tok == ' ' || *tok == '\t')
      tok++;
    size_t k = strlen(tok);
    while (k > 0 && (tok[k - 1] == ' ' || tok[k - 1] == '\t'))
      tok[--k] = '\0';
    cells[nc++] = tok;
  }
  return nc;
}

static int parse_header(reader_t *r, const char *column) {
  char *cells[MAX_CELLS];
  char shown[48];
  snprintf(shown, sizeof(shown), "%s", r->line);
  int nc = split(r->line, cells);
  r->tcol = r->vcol = -1;
  for (int c = 0; c < nc; c++) {
    if (r->tcol < 0 && (strcasecmp(cells[c], "timestamp") == 0 ||
                        strcasecmp(cells[c], "time") == 0 ||
                        strcasecmp(cells[c], "epoch") == 0))
      r->tcol = c;
    else if (r->vcol < 0 && strcasecmp(cells[c], column) == 0)
      r->vcol = c;
  }
  if (r->tcol < 0 || r->vcol < 0) {
    snprintf(r->err, r->errlen,
             "%s:%ld: header must name the columns timestamp (or time, "
             "epoch) and %s, found \"%s\" (--column NAME picks the value "
             "column)",
             r->name, r->lineno, column, shown);
    return -2;
  }
  return 0;
}

static int parse_value(const char *vs, double *x) {
  if (*vs == '\0' || strcasecmp(vs, "nan") == 0) {
    *x = NAN;
    return 0;
  }
  return kml_conf_parse_decimal(vs, x);
}

static int append(reader_t *r, kml_csv_series_t *s, const char *stamp, double t,
                  double x) {
  if (s->n >= KML_CSV_MAX_ROWS) {
    snprintf(r->err, r->errlen, "%s:%ld: more than %lu rows; split the file",
             r->name, r->lineno, KML_CSV_MAX_ROWS);
    return -1;
  }
  if (s->n == r->alloc) {
    size_t alloc = r->alloc ? 2 * r->alloc : 1024;
    double *nt = realloc(s->t, alloc * sizeof(double));
    if (nt)
      s->t = nt;
    double *nx = realloc(s->x, alloc * sizeof(double));
    if (nx)
      s->x = nx;
    char **ns = realloc(s->stamp, alloc * sizeof(char *));
    if (ns)
      s->stamp = ns;
    if (!nt || !nx || !ns) {
      snprintf(r->err, r->errlen, "%s:%ld: out of memory", r->name, r->lineno);
      return -1;
    }
    r->alloc = alloc;
  }
  s->stamp[s->n] = strdup(stamp);
  if (s->stamp[s->n] == NULL) {
    snprintf(r->err, r->errlen, "%s:%ld: out of memory", r->name, r->lineno);
    return -1;
  }
  s->t[s->n] = t;
  s->x[s->n] = x;
  s->n++;
  return 0;
}

static int parse_row(reader_t *r, kml_csv_series_t *s, int strict,
                     long *prev_line) {
  char *cells[MAX_CELLS];
  int nc = split(r->line, cells);
  int need = (r->tcol > r->vcol ? r->tcol : r->vcol) + 1;
  if (nc < need) {
    snprintf(r->err, r->errlen, "%s:%ld: missing column (%d cells, need %d)",
             r->name, r->lineno, nc, need);
    return -1;
  }
  double t, x;
  int trc = kml_csv_parse_time(cells[r->tcol], &t);
  if (trc != 0) {
    snprintf(r->err, r->errlen, "%s:%ld: %s \"%.40s\"%s", r->name, r->lineno,
             trc == -2   ? "impossible date or time"
             : trc == -3 ? "timestamp out of range"
                         : "unparsable timestamp",
             cells[r->tcol],
             trc == -2
                 ? " (no such day, hour, minute or second; or before 1970)"
             : trc == -3
                 ? " (seconds since 1970, up to the year 9999: milliseconds?)"
                 : " (YYYY-MM-DD HH:MM:SS[.fraction] UTC, or seconds since "
                   "1970)");
    return -1;
  }
  if (parse_value(cells[r->vcol], &x) != 0) {
    snprintf(r->err, r->errlen,
             "%s:%ld: unparsable value \"%.40s\" (a finite decimal number, "
             "or empty for a gap)",
             r->name, r->lineno, cells[r->vcol]);
    return -1;
  }
  if (s->n > 0 && t <= s->t[s->n - 1]) {
    int before = t < s->t[s->n - 1];
    if (strict) {
      snprintf(r->err, r->errlen,
               "%s:%ld: timestamp \"%.40s\" is %s the one on line %ld: rows "
               "must be in strictly increasing time order (--strict)",
               r->name, r->lineno, cells[r->tcol],
               before ? "before" : "the same as", *prev_line);
      return -1;
    }
    if (before && s->first_unsorted == 0)
      s->first_unsorted = r->lineno;
    if (!before && s->first_duplicate == 0)
      s->first_duplicate = r->lineno;
  }
  *prev_line = r->lineno;
  return append(r, s, cells[r->tcol], t, x);
}

/* Stable sort by time: rows with equal timestamps keep their file order. */
static int cmp_row(const void *a, const void *b, void *ud) {
  const double *t = ud;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  if (t[i] != t[j])
    return t[i] < t[j] ? -1 : 1;
  return i < j ? -1 : (i > j);
}

static int sort_rows(kml_csv_series_t *s) {
  size_t *idx = malloc(s->n * sizeof(size_t));
  double *t = malloc(s->n * sizeof(double));
  double *x = malloc(s->n * sizeof(double));
  char **st = malloc(s->n * sizeof(char *));
  if (!idx || !t || !x || !st) {
    free(idx);
    free(t);
    free(x);
    free(st);
    return -1;
  }
  for (size_t i = 0; i < s->n; i++)
    idx[i] = i;
  qsort_r(idx, s->n, sizeof(size_t), cmp_row, s->t);
  for (size_t k = 0; k < s->n; k++) {
    size_t i = idx[k];
    s->reordered += i != k;
    t[k] = s->t[i];
    x[k] = s->x[i];
    st[k] = s->stamp[i];
  }
  free(idx);
  free(s->t);
  free(s->x);
  free(s->stamp);
  s->t = t;
  s->x = x;
  s->stamp = st;
  return 0;
}

int kml_csv_parse(const char *name, const char *buf, size_t len,
                  const kml_csv_opts_t *opts, kml_csv_series_t *s, char *err,
                  size_t errlen) {
  memset(s, 0, sizeof(*s));
  reader_t r = {
      .name = name, .buf = buf, .len = len, .err = err, .errlen = errlen};
  int strict = opts != NULL && opts->strict;
  const char *column = opts && opts->column ? opts->column : "value";
  if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
    r.pos = 3; /* UTF-8 byte order mark */
  int rc = 0, st, header = 0;
  long prev_line = 0;
  while ((st = next_line(&r)) == 0) {
    if (blank(r.line))
      continue;
    if (!header) {
      if ((rc = parse_header(&r, column)) != 0)
        goto out;
      header = 1;
    } else if ((rc = parse_row(&r, s, strict, &prev_line)) != 0)
      goto out;
  }
  rc = -1;
  if (st < 0)
    goto out;
  if (!header) {
    snprintf(err, errlen,
             "%s:%ld: empty file (expected a header naming timestamp and "
             "%s, then rows)",
             name, r.lineno > 0 ? r.lineno : 1, column);
    goto out;
  }
  if (s->n == 0) {
    snprintf(err, errlen, "%s:%ld: no data rows after the header", name,
             r.lineno);
    goto out;
  }
  if (s->first_unsorted && sort_rows(s) != 0) {
    snprintf(err, errlen, "%s:%ld: out of memory", name, r.lineno);
    goto out;
  }
  for (size_t i = 1; i < s->n; i++)
    s->duplicates += s->t[i] == s->t[i - 1];
  rc = 0;
out:
  free(r.line);
  return rc;
}

int kml_csv_read(const char *path, const kml_csv_opts_t *opts,
                 kml_csv_series_t *s, char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: not a regular file", path);
    close(fd);
    return -1;
  }
  if ((unsigned long long)st.st_size > KML_CSV_MAX_BYTES) {
    snprintf(err, errlen,
             "%s: %lld bytes; at most %lu are read (split the "
             "file)",
             path, (long long)st.st_size, KML_CSV_MAX_BYTES);
    close(fd);
    return -1;
  }
  size_t size = (size_t)st.st_size;
  char *buf = malloc(size ? size : 1);
  size_t got = 0;
  while (buf != NULL && got < size) {
    ssize_t k = read(fd, buf + got, size - got);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      break;
    got += (size_t)k;
  }
  close(fd);
  if (buf == NULL || got != size) {
    snprintf(err, errlen, "%s: cannot read: %s", path,
             buf ? "short read" : "out of memory");
    free(buf);
    return -1;
  }
  int rc = kml_csv_parse(path, buf, size, opts, s, err, errlen);
  free(buf);
  return rc;
}

int kml_csv_read_files(char *const *paths, size_t n, const kml_csv_opts_t *opts,
                       kml_csv_series_t *s, char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  for (size_t f = 0; f < n; f++) {
    kml_csv_series_t one;
    int rc = kml_csv_read(paths[f], opts, &one, err, errlen);
    if (rc != 0) {
      kml_csv_free(&one);
      return rc;
    }
    if (s->n + one.n > KML_CSV_MAX_ROWS) {
      snprintf(err, errlen, "%s: more than %lu rows in all; replay fewer days",
               paths[f], KML_CSV_MAX_ROWS);
      kml_csv_free(&one);
      return -1;
    }
    double *t = realloc(s->t, (s->n + one.n) * sizeof(double));
    if (t)
      s->t = t;
    double *x = realloc(s->x, (s->n + one.n) * sizeof(double));
    if (x)
      s->x = x;
    char **st = realloc(s->stamp, (s->n + one.n) * sizeof(char *));
    if (st)
      s->stamp = st;
    if (!t || !x || !st) {
      snprintf(err, errlen, "%s: out of memory", paths[f]);
      kml_csv_free(&one);
      return -1;
    }
    int unsorted = s->n > 0 && one.t[0] < s->t[s->n - 1];
    memcpy(s->t + s->n, one.t, one.n * sizeof(double));
    memcpy(s->x + s->n, one.x, one.n * sizeof(double));
    memcpy(s->stamp + s->n, one.stamp, one.n * sizeof(char *));
    s->n += one.n;
    s->reordered += one.reordered;
    s->duplicates += one.duplicates;
    if (one.first_unsorted && !s->first_unsorted)
      s->first_unsorted = one.first_unsorted;
    if (one.first_duplicate && !s->first_duplicate)
      s->first_duplicate = one.first_duplicate;
    free(one.t);
    free(one.x);
    free(one.stamp); /* the strings moved to s */
    if (unsorted) {
      if (opts != NULL && opts->strict) {
        snprintf(err, errlen,
                 "%s:2: starts before the end of the file before it "
                 "(--strict)",
                 paths[f]);
        return -1;
      }
      size_t before = s->reordered;
      s->reordered = 0;
      if (sort_rows(s) != 0) {
        snprintf(err, errlen, "%s: out of memory", paths[f]);
        return -1;
      }
      s->reordered += before;
      if (!s->first_unsorted)
        s->first_unsorted = 2;
    }
  }
  /* recount repeats across file boundaries */
  s->duplicates = 0;
  for (size_t i = 1; i < s->n; i++)
    s->duplicates += s->t[i] == s->t[i - 1];
  return 0;
}
