/* series_csv: strict reader, because a backtest on silently misread data is
 * worse than none: every refused line is named with file and line number. */
#define _GNU_SOURCE
#include "series_csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int kml_csv_parse_time(const char *s, double *t) {
  while (isspace((unsigned char)*s))
    s++;
  struct tm tm = {0};
  const char *end = strptime(s, "%Y-%m-%d", &tm);
  if (end != NULL && (*end == ' ' || *end == 'T')) {
    const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);
    if (e2 == NULL)
      return -1;
    double frac = 0;
    if (*e2 == '.') {
      char *fe;
      frac = strtod(e2, &fe);
      e2 = fe;
    }
    if (*e2 == 'Z')
      e2++;
    while (isspace((unsigned char)*e2))
      e2++;
    if (*e2 != '\0')
      return -1;
    *t = (double)timegm(&tm) + frac;
    return 0;
  }
  if (end != NULL && *end == '\0') {
    *t = (double)timegm(&tm);
    return 0;
  }
  char *e;
  errno = 0;
  double v = strtod(s, &e);
  while (isspace((unsigned char)*e))
    e++;
  if (e == s || *e != '\0' || errno != 0 || !isfinite(v))
    return -1;
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

static void chomp(char *l) {
  size_t n = strlen(l);
  while (n > 0 && (l[n - 1] == '\n' || l[n - 1] == '\r'))
    l[--n] = '\0';
}

int kml_csv_read(const char *path, kml_csv_series_t *s, char *err,
                 size_t errlen) {
  memset(s, 0, sizeof(*s));
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0, alloc = 0;
  long lineno = 0;
  int rc = -1;
  int tcol = 0, vcol = 1;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    chomp(line);
    if (line[0] == '\0')
      continue;
    if (lineno == 1) {
      /* Header: find "timestamp" and "value" columns, else take 0 and 1. */
      int col = 0, found_t = -1, found_v = -1;
      for (char *tok = line, *next; tok; tok = next, col++) {
        next = strchr(tok, ',');
        if (next)
          *next++ = '\0';
        if (strcasecmp(tok, "timestamp") == 0 || strcasecmp(tok, "time") == 0)
          found_t = col;
        else if (strcasecmp(tok, "value") == 0)
          found_v = col;
      }
      if (found_t < 0 || found_v < 0) {
        snprintf(err, errlen,
                 "%s:1: header must name the columns timestamp and value",
                 path);
        goto out;
      }
      tcol = found_t;
      vcol = found_v;
      continue;
    }
    char *cells[64];
    int nc = 0;
    for (char *tok = line, *next; tok && nc < 64; tok = next) {
      next = strchr(tok, ',');
      if (next)
        *next++ = '\0';
      cells[nc++] = tok;
    }
    if (nc <= tcol || nc <= vcol) {
      snprintf(err, errlen, "%s:%ld: missing column (%d cells, need %d)", path,
               lineno, nc, (tcol > vcol ? tcol : vcol) + 1);
      goto out;
    }
    double t, x;
    if (kml_csv_parse_time(cells[tcol], &t) != 0) {
      snprintf(err, errlen, "%s:%ld: unparsable timestamp \"%.40s\"", path,
               lineno, cells[tcol]);
      goto out;
    }
    char *e;
    const char *vs = cells[vcol];
    while (isspace((unsigned char)*vs))
      vs++;
    if (*vs == '\0' || strcasecmp(vs, "nan") == 0) {
      x = NAN;
    } else {
      x = strtod(vs, &e);
      while (isspace((unsigned char)*e))
        e++;
      if (e == vs || *e != '\0') {
        snprintf(err, errlen, "%s:%ld: unparsable value \"%.40s\"", path,
                 lineno, cells[vcol]);
        goto out;
      }
    }
    if (s->n == alloc) {
      alloc = alloc ? 2 * alloc : 1024;
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
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
      }
    }
    s->stamp[s->n] = strdup(cells[tcol]);
    s->t[s->n] = t;
    s->x[s->n] = x;
    s->n++;
  }
  if (lineno == 0) {
    snprintf(err, errlen, "%s: empty file", path);
    goto out;
  }
  if (s->n == 0) {
    snprintf(err, errlen, "%s: no data rows after the header", path);
    goto out;
  }
  rc = 0;
out:
  free(line);
  fclose(f);
  return rc;
}
