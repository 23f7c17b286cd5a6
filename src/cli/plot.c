/* plot: draw a replayed series with gnuplot: the value, the expected band,
 * the threshold and the forecast above, notifications marked and labelled
 * by severity; the anomaly score below. The result is read here, cut to
 * --from/--to and reduced to at most MAX_BINS time bins (each keeps the
 * mean, the lowest and the highest value, the widest band and the highest
 * score), so seven months stay readable; notifications are never binned
 * away. Axes end where the data ends; the y range follows the values and
 * the threshold, not a band that blew up. PNG (pngcairo) and/or SVG. */
#define _GNU_SOURCE
#include "cli.h"
#include "output.h"
#include "series_csv.h"

#include "kml_conf.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BINS 600
#define MAX_MARKS 2000

enum {
  C_T,
  C_VALUE,
  C_SCORE,
  C_EXP,
  C_LOW,
  C_UP,
  C_ALERT,
  C_FC,
  C_NOTE,
  N_COL
};
static const char *const col_names[N_COL] = {
    "timestamp", "value", "anomaly_score", "expected",    "lower",
    "upper",     "alert", "forecast",      "notification"};

typedef struct {
  double t0, t1;                    /* bin start, end */
  double sum, lo, hi, low, up, exp; /* value mean parts, band, expected */
  double score, score_sum, fc;
  int n, n_band, n_fc, n_score;
} bin_t;

typedef struct {
  double t, v;
  char label[24]; /* WARNING, FAILURE, OKAY, forecast WARNING, ... */
} mark_t;

typedef struct {
  bin_t *bins;
  size_t n_bins;
  mark_t *marks;
  size_t n_marks;
  double first, last, vmin, vmax, vmin_pos;
  int has_fc;
  size_t n_sev[3]; /* marks per severity: OKAY, WARNING, FAILURE */
  int high_score;  /* some score >= 0.99 */
} plot_data_t;

void kml_cli_plot_usage(FILE *f) {
  fprintf(
      f,
      "usage: kafka-ml plot RESULT.csv [-o OUT.png] [--svg OUT.svg] [options]\n"
      "Draw a result of `kafka-ml replay` with gnuplot (Debian: "
      "gnuplot-nox): value\n"
      "(line, with its range where values are binned), expected band, "
      "threshold,\n"
      "forecast, notifications marked and labelled by severity; the anomaly "
      "score\n"
      "below. Long results are reduced to %d time bins; notifications are "
      "kept.\n"
      "  -o, --output FILE   PNG to write (default: ./plot.png when no --svg "
      "is given)\n"
      "      --svg FILE      SVG to write\n"
      "      --title TEXT    title (default: the result's file name)\n"
      "      --from TIME     start (YYYY-MM-DD[ HH:MM:SS] UTC or epoch "
      "seconds;\n"
      "                      default: the first row)\n"
      "      --to TIME       end (default: the last row)\n"
      "      --threshold X   draw the threshold X (as given to replay)\n"
      "      --horizon SECS  the replay's forecast horizon (1800): the "
      "forecast made\n"
      "                      that long before is drawn at the time it is "
      "for\n"
      "Images are written to a temporary file and renamed into place: never "
      "through\n"
      "a symlink, never over the input. The paths written are printed on "
      "stderr.\n",
      MAX_BINS);
}

static int plot_time_arg(const char *name, const char *arg, double *t,
                         char *err, size_t errlen) {
  if (kml_csv_parse_time(arg, t) == 0)
    return 0;
  snprintf(err, errlen,
           "%s must be YYYY-MM-DD[ HH:MM:SS] (UTC) or epoch seconds, not "
           "\"%.40s\"",
           name, arg);
  return -1;
}

static int plot_option(void *ctx, int c, const char *arg, char *err,
                       size_t errlen) {
  kml_plot_opts_t *o = ctx;
  switch (c) {
  case 'o':
    o->png = arg;
    return 0;
  case 's':
    o->svg = arg;
    return 0;
  case 't':
    o->title = arg;
    return 0;
  case 'F':
  case 'U':
    return plot_time_arg(c == 'F' ? "--from" : "--to", arg,
                         c == 'F' ? &o->from : &o->to, err, errlen);
  case 'T':
    return kml_cli_number_arg("--threshold", arg, -INFINITY, INFINITY, 0,
                              &o->threshold, err, errlen);
  case 'H':
    return kml_cli_duration_arg("--horizon", arg, 0, 30 * 86400.0, 0,
                                &o->horizon, err, errlen);
  }
  snprintf(err, errlen, "unknown option -%c", c);
  return -1;
}

int kml_cli_plot_parse(int argc, char **argv, kml_plot_opts_t *o, char *err,
                       size_t errlen) {
  *o = (kml_plot_opts_t){
      .from = -INFINITY, .to = INFINITY, .threshold = NAN, .horizon = 1800};
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"svg", required_argument, 0, 's'},
                                       {"title", required_argument, 0, 't'},
                                       {"from", required_argument, 0, 'F'},
                                       {"to", required_argument, 0, 'U'},
                                       {"threshold", required_argument, 0, 'T'},
                                       {"horizon", required_argument, 0, 'H'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int verdict =
      kml_cli_getopt(argc, argv, "o:h", opts, plot_option, o, err, errlen);
  if (verdict != KML_CLI_OK)
    return verdict;
  if (optind != argc - 1) {
    snprintf(err, errlen, "exactly one RESULT.csv is needed (got %d)",
             argc - optind);
    return KML_CLI_USAGE;
  }
  if (!(o->from < o->to)) {
    snprintf(err, errlen, "--from must be before --to");
    return KML_CLI_USAGE;
  }
  o->in = argv[optind];
  const char *names[] = {o->in, o->png, o->svg, o->title};
  for (int i = 0; i < 4; i++)
    if (names[i] != NULL &&
        (strpbrk(names[i], "'\n\r\\") != NULL || names[i][0] == '\0')) {
      snprintf(err, errlen,
               "file names and titles must be non-empty and hold no ', \\ "
               "or line breaks");
      return KML_CLI_USAGE;
    }
  if (o->png == NULL && o->svg == NULL)
    o->png = "plot.png";
  if (o->title == NULL) {
    const char *slash = strrchr(o->in, '/');
    o->title = slash ? slash + 1 : o->in;
  }
  return KML_CLI_OK;
}

/* ------------------------------------------------------------- reading */

static double cell_num(const char *s) {
  double d;
  return kml_conf_parse_decimal(s, &d) == 0 ? d : NAN;
}

typedef struct {
  double t, v, score, exp, low, up, fc;
  int alert;
  char note[24];
} row_t;

/* Split line at commas into cells (at most N_COL + 8). */
static int split(char *line, char **cells, int max) {
  int n = 0;
  for (char *tok = line, *next; tok != NULL && n < max; tok = next) {
    next = strchr(tok, ',');
    if (next != NULL)
      *next++ = '\0';
    cells[n++] = tok;
  }
  return n;
}

/* Read the rows of a replay result inside [from, to]; 0, or 2 after a
 * message naming file and line. */
static int load_rows(const kml_plot_opts_t *o, row_t **rows, size_t *n) {
  FILE *f = fopen(o->in, "r");
  if (f == NULL) {
    fprintf(stderr, "kafka-ml plot: %s: cannot open: %s\n", o->in,
            strerror(errno));
    return 2;
  }
  char *line = NULL, *cells[N_COL + 8];
  size_t cap = 0, alloc = 0;
  int col[N_COL], rc = 2;
  long lineno = 0;
  *rows = NULL;
  *n = 0;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    line[strcspn(line, "\r\n")] = '\0';
    int nc = split(line, cells, N_COL + 8);
    if (lineno == 1) {
      for (int k = 0; k < N_COL; k++) {
        col[k] = -1;
        for (int i = 0; i < nc; i++)
          if (strcmp(cells[i], col_names[k]) == 0)
            col[k] = i;
      }
      if (col[C_T] != 0 || col[C_VALUE] < 0 || col[C_SCORE] < 0 ||
          col[C_LOW] < 0 || col[C_UP] < 0 || col[C_ALERT] < 0) {
        fprintf(stderr,
                "kafka-ml plot: %s:1: not a replay result (expected the "
                "header timestamp,value,anomaly_score,expected,lower,upper,"
                "alert,...)\n",
                o->in);
        goto out;
      }
      continue;
    }
    if (nc <= col[C_ALERT])
      continue; /* a torn last line */
    row_t r = {0};
    if (kml_csv_parse_time(cells[0], &r.t) != 0) {
      fprintf(stderr, "kafka-ml plot: %s:%ld: unparsable timestamp\n", o->in,
              lineno);
      goto out;
    }
    if (r.t < o->from || r.t > o->to)
      continue;
    r.v = cell_num(cells[col[C_VALUE]]);
    r.score = cell_num(cells[col[C_SCORE]]);
    r.exp = col[C_EXP] >= 0 ? cell_num(cells[col[C_EXP]]) : NAN;
    r.low = cell_num(cells[col[C_LOW]]);
    r.up = cell_num(cells[col[C_UP]]);
    r.fc = col[C_FC] >= 0 && col[C_FC] < nc ? cell_num(cells[col[C_FC]]) : NAN;
    r.alert = cells[col[C_ALERT]][0] == '1';
    if (col[C_NOTE] >= 0 && col[C_NOTE] < nc)
      snprintf(r.note, sizeof(r.note), "%s", cells[col[C_NOTE]]);
    else if (r.alert)
      snprintf(r.note, sizeof(r.note), "alert");
    if (*n == alloc) {
      alloc = alloc ? 2 * alloc : 4096;
      row_t *nr = realloc(*rows, alloc * sizeof(row_t));
      if (nr == NULL) {
        fprintf(stderr, "kafka-ml plot: out of memory\n");
        goto out;
      }
      *rows = nr;
    }
    (*rows)[(*n)++] = r;
  }
  if (*n == 0) {
    fprintf(stderr, "kafka-ml plot: %s:%ld: no rows%s\n", o->in, lineno,
            isfinite(o->from) || isfinite(o->to) ? " between --from and --to"
                                                 : "");
    goto out;
  }
  rc = 0;
out:
  free(line);
  fclose(f);
  return rc;
}

/* ------------------------------------------------------------- binning */

static void bin_rows(const row_t *r, size_t n, double horizon, plot_data_t *d) {
  d->first = r[0].t;
  d->last = r[n - 1].t;
  double span = d->last - d->first;
  size_t nb = n < MAX_BINS ? n : MAX_BINS;
  d->bins = calloc(nb, sizeof(bin_t));
  d->marks = calloc(MAX_MARKS, sizeof(mark_t));
  d->vmin = d->vmin_pos = INFINITY;
  d->vmax = -INFINITY;
  if (d->bins == NULL || d->marks == NULL)
    return;
  for (size_t b = 0; b < nb; b++) {
    d->bins[b].lo = d->bins[b].low = INFINITY;
    d->bins[b].hi = d->bins[b].up = -INFINITY;
  }
  d->n_bins = nb;
  for (size_t i = 0; i < n; i++) {
    size_t b = n <= MAX_BINS || span <= 0
                   ? i
                   : (size_t)fmin((double)(nb - 1),
                                  floor((r[i].t - d->first) / span * nb));
    bin_t *x = &d->bins[b];
    if (x->n + x->n_band == 0)
      x->t0 = r[i].t;
    x->t1 = r[i].t;
    if (isfinite(r[i].v)) {
      x->sum += r[i].v;
      x->lo = fmin(x->lo, r[i].v);
      x->hi = fmax(x->hi, r[i].v);
      x->n++;
      d->vmin = fmin(d->vmin, r[i].v);
      d->vmax = fmax(d->vmax, r[i].v);
      if (r[i].v > 0)
        d->vmin_pos = fmin(d->vmin_pos, r[i].v);
    }
    if (isfinite(r[i].low) && isfinite(r[i].up)) {
      x->low = fmin(x->low, r[i].low);
      x->up = fmax(x->up, r[i].up);
      x->exp += isfinite(r[i].exp) ? r[i].exp : 0;
      x->n_band++;
    }
    if (isfinite(r[i].score)) {
      x->score = fmax(x->score, r[i].score);
      d->high_score |= r[i].score >= 0.99;
      x->score_sum += r[i].score;
      x->n_score++;
    }
    if (isfinite(r[i].fc)) {
      /* made horizon earlier for this time: drawn where it points */
      size_t fb = b;
      x = &d->bins[fb];
      x->fc = fmax(x->n_fc ? x->fc : -INFINITY, r[i].fc);
      x->n_fc++;
      d->has_fc = 1;
    }
    if (r[i].note[0] != '\0' && d->n_marks < MAX_MARKS) {
      mark_t *m = &d->marks[d->n_marks++];
      m->t = r[i].t;
      m->v = isfinite(r[i].v) ? r[i].v : NAN;
      snprintf(m->label, sizeof(m->label), "%s", r[i].note);
      d->n_sev[strstr(m->label, "FAILURE") ? 2
               : strstr(m->label, "OKAY") && !strstr(m->label, "WARNING")
                   ? 0
                   : 1]++;
    }
  }
  (void)horizon;
}

/* Write the bins and marks as whitespace-separated columns for gnuplot. */
static int write_data(const plot_data_t *d, double horizon, const char *bins,
                      const char *marks) {
  FILE *f = fopen(bins, "w");
  if (f == NULL)
    return -1;
  for (size_t b = 0; b < d->n_bins; b++) {
    const bin_t *x = &d->bins[b];
    if (x->n + x->n_band + x->n_fc == 0)
      continue;
    double tm = (x->t0 + x->t1) / 2;
    fprintf(f, "%.3f ", tm);
    if (x->n)
      fprintf(f, "%.10g %.10g %.10g ", x->sum / x->n, x->lo, x->hi);
    else
      fprintf(f, "NaN NaN NaN ");
    if (x->n_band)
      fprintf(f, "%.10g %.10g %.10g ", x->low, x->up, x->exp / x->n_band);
    else
      fprintf(f, "NaN NaN NaN ");
    fprintf(f, "%.6f ", x->score);
    if (x->n_fc)
      fprintf(f, "%.3f %.10g ", tm + horizon, x->fc);
    else
      fprintf(f, "NaN NaN ");
    fprintf(f, "%.6f\n", x->n_score ? x->score_sum / x->n_score : 0.0);
  }
  int bad = fclose(f) != 0;
  f = fopen(marks, "w");
  if (f == NULL)
    return -1;
  for (size_t i = 0; i < d->n_marks; i++) {
    const mark_t *m = &d->marks[i];
    const char *l = m->label;
    int sev = strstr(l, "FAILURE") ? 2 : strstr(l, "WARNING") ? 1 : 0;
    if (strcmp(l, "alert") == 0)
      sev = 1;
    char lab[24];
    snprintf(lab, sizeof(lab), "%s", l);
    for (char *p = lab; *p; p++)
      if (*p == ' ' || *p == ';')
        *p = '_';
    fprintf(f, "%.3f %.10g %d %s\n", m->t, isfinite(m->v) ? m->v : 0.0, sev,
            lab);
  }
  return (fclose(f) != 0 || bad) ? -1 : 0;
}

/* ---------------------------------------------------------------- drawing */

static void x_format(FILE *g, double span) {
  if (span > 60 * 86400.0)
    fprintf(g, "set format x '%%Y-%%m-%%d'\nset xtics rotate by -30\n");
  else if (span > 2 * 86400.0)
    fprintf(g, "set format x \"%%m-%%d\\n%%H:%%M\"\n");
  else
    fprintf(g, "set format x \"%%H:%%M\\n%%m-%%d\"\n");
}

static void script(FILE *g, const char *term, const kml_plot_opts_t *o,
                   const plot_data_t *d, const char *bins, const char *marks) {
  double lo = d->vmin, hi = d->vmax;
  if (isfinite(o->threshold)) {
    lo = fmin(lo, o->threshold);
    hi = fmax(hi, o->threshold);
  }
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  double pad = 0.08 * (hi - lo);
  /* Values over several decades (a lag that ran away past its threshold):
   * a log axis keeps the threshold and the breach readable. */
  double floor_v = isfinite(o->threshold) && o->threshold > 0
                       ? o->threshold / 20
                       : d->vmin_pos;
  int logy =
      d->vmin >= 0 && floor_v > 0 && isfinite(floor_v) && hi / floor_v > 200;
  int labels = d->n_marks <= 40;
  char a[32], b[32];
  time_t ta = (time_t)d->first, tb = (time_t)d->last;
  struct tm tm;
  strftime(a, sizeof(a), "%Y-%m-%d %H:%M", gmtime_r(&ta, &tm));
  strftime(b, sizeof(b), "%Y-%m-%d %H:%M", gmtime_r(&tb, &tm));
  fprintf(g, "set terminal %s size 1400,800 font ',10'\n", term);
  fprintf(g,
          "set datafile missing 'NaN'\n"
          "set xdata time\nset timefmt '%%s'\n"
          "set xrange ['%.3f':'%.3f']\n"
          "set key top left opaque box\nset grid\n"
          "set termoption noenhanced\n"
          "set lmargin 12\nset rmargin 4\n"
          "set multiplot\n"
          "set size 1,0.70\nset origin 0,0.30\n"
          "set tmargin 3\nset bmargin 1\nset format x ''\n"
          "set title '%s   (%s .. %s UTC)'\n"
          "set ylabel 'value%s'\n",
          d->first, d->last, o->title, a, b, logy ? " (log scale)" : "");
  if (logy)
    fprintf(g, "set logscale y\nset yrange [%.10g:%.10g]\n", floor_v, hi * 1.5);
  else
    fprintf(g, "set yrange [%.10g:%.10g]\n", lo - pad, hi + pad);
  if (isfinite(o->threshold))
    fprintf(g,
            "set arrow 1 from graph 0, first %.10g to graph 1, first %.10g "
            "nohead lc rgb '#cc0000' dt 2 lw 1.5\n"
            "set label 1 'threshold %g' at graph 0.995, first %.10g right "
            "offset 0,0.7 tc rgb '#cc0000'\n",
            o->threshold, o->threshold, o->threshold, o->threshold);
  fprintf(g,
          "plot '%s' using 1:5:6 with filledcurves lc rgb '#cfe2f3' "
          "title 'expected band', "
          "'' using 1:7 with lines lc rgb '#3d85c6' dt 2 title 'expected', "
          "'' using 1:3:4 with filledcurves lc rgb '#bbbbbb' fs "
          "transparent solid 0.5 title 'value range in a bin', "
          "'' using 1:2 with lines lc rgb '#222222' lw 1.2 title 'value'",
          bins);
  if (d->has_fc)
    fprintf(g,
            ", '' using 9:10 with lines lc rgb '#e69138' lw 1.2 title "
            "'forecast (made %g s before)'",
            o->horizon);
  static const char *const sev_style[3] = {
      "pt 6 ps 1.2 lc rgb '#38761d' title 'OKAY'",
      "pt 9 ps 1.5 lc rgb '#e69138' title 'WARNING'",
      "pt 7 ps 1.5 lc rgb '#cc0000' title 'FAILURE'"};
  for (int k = 2; k >= 0; k--)
    if (d->n_sev[k] > 0)
      fprintf(g, ", '%s' using 1:($3==%d?$2:1/0) with points %s", marks, k,
              sev_style[k]);
  if (labels && d->n_marks > 0)
    fprintf(g,
            ", '%s' using 1:2:4 with labels rotate by 35 left offset 0.6,0.6 "
            "font ',8' tc rgb '#444444' notitle",
            marks);
  fprintf(g, "\nunset arrow 1\nunset label 1\nunset title\n");
  x_format(g, d->last - d->first);
  fprintf(g,
          "set size 1,0.30\nset origin 0,0\nset tmargin 0.5\nset bmargin 3\n"
          "unset logscale y\n"
          "set ylabel 'anomaly score'\nset yrange [0:1.05]\nset ytics 0.5\n"
          "plot '%s' using 1:11 with filledcurves y1=0 lc rgb '#b4a7d6' "
          "title 'mean score in a bin'",
          bins);
  if (d->high_score)
    fprintf(g, ", '' using 1:($8 >= 0.99 ? $8 : 1/0) with impulses lw 2 lc "
               "rgb '#674ea7' title 'a score >= 0.99'");
  fprintf(g, "\nunset multiplot\n");
}

/* ------------------------------------------------------------- running */

/* Run gnuplot with its standard output on the temporary file of w. */
static int run_gnuplot(const char *term, kml_cli_out_t *w,
                       const kml_plot_opts_t *o, const plot_data_t *d,
                       const char *bins, const char *marks) {
  int pipefd[2];
  if (pipe(pipefd) != 0)
    return -1;
  fflush(w->f);
  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(pipefd[0], 0);
    dup2(fileno(w->f), 1);
    close(pipefd[0]);
    close(pipefd[1]);
    execlp("gnuplot", "gnuplot", (char *)NULL);
    _exit(127);
  }
  close(pipefd[0]);
  FILE *g = fdopen(pipefd[1], "w");
  if (g == NULL) {
    close(pipefd[1]);
    waitpid(pid, NULL, 0);
    return -1;
  }
  script(g, term, o, d, bins, marks);
  fclose(g);
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "kafka-ml plot: gnuplot failed writing %s%s\n", w->path,
            WIFEXITED(st) && WEXITSTATUS(st) == 127
                ? " (not installed? Debian package gnuplot-nox)"
                : "");
    return -1;
  }
  return 0;
}

static int draw(const char *term, const char *out, const kml_plot_opts_t *o,
                const kml_cli_inputs_t *in, const plot_data_t *d,
                const char *bins, const char *marks) {
  kml_cli_out_t w;
  char err[1024];
  if (kml_cli_out_open(&w, out, in, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml plot: %s\n", err);
    return 2;
  }
  if (run_gnuplot(term, &w, o, d, bins, marks) != 0) {
    kml_cli_out_abort(&w);
    return 1;
  }
  if (kml_cli_out_commit(&w, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml plot: %s\n", err);
    return 1;
  }
  fprintf(stderr, "kafka-ml plot: wrote %s\n", out);
  return 0;
}

int kml_cli_plot(int argc, char **argv) {
  kml_plot_opts_t o;
  char perr[512];
  int st = kml_cli_parsed(
      "plot", kml_cli_plot_parse(argc, argv, &o, perr, sizeof(perr)), perr,
      kml_cli_plot_usage);
  if (st >= 0)
    return st;
  row_t *rows;
  size_t n;
  int rc = load_rows(&o, &rows, &n);
  if (rc != 0)
    return rc;
  plot_data_t d = {0};
  bin_rows(rows, n, o.horizon, &d);
  free(rows);
  char dir[] = "/tmp/kafka-ml-plot.XXXXXX", bins[64], marks[64];
  if (d.bins == NULL || d.marks == NULL || mkdtemp(dir) == NULL) {
    fprintf(stderr, "kafka-ml plot: out of memory or no temporary directory\n");
    free(d.bins);
    free(d.marks);
    return 1;
  }
  snprintf(bins, sizeof(bins), "%s/bins", dir);
  snprintf(marks, sizeof(marks), "%s/marks", dir);
  kml_cli_inputs_t in = {0};
  kml_cli_inputs_add(&in, o.in);
  rc = write_data(&d, o.horizon, bins, marks) == 0 ? 0 : 1;
  if (rc == 0 && o.png)
    rc = draw("pngcairo", o.png, &o, &in, &d, bins, marks);
  if (rc == 0 && o.svg)
    rc = draw("svg dynamic", o.svg, &o, &in, &d, bins, marks);
  unlink(bins);
  unlink(marks);
  rmdir(dir);
  kml_cli_inputs_free(&in);
  free(d.bins);
  free(d.marks);
  return rc;
}
