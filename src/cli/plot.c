/* plot: draw a replayed series with gnuplot: the value, the expected band
 * and the alerts on top, the anomaly score below (and the forecast when the
 * replay had a threshold). PNG (pngcairo) and/or SVG. */
#define _GNU_SOURCE
#include "cli.h"
#include "output.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void kml_cli_plot_usage(FILE *f) {
  fprintf(f,
          "usage: kafka-ml plot RESULT.csv [-o OUT.png] [--svg OUT.svg] "
          "[--title TEXT]\n"
          "Draw a result of `kafka-ml replay` (value, expected band, alerts,\n"
          "anomaly score, forecast) with gnuplot (Debian: gnuplot-nox).\n"
          "  -o, --output FILE  PNG to write (default: ./plot.png when no "
          "--svg is given)\n"
          "      --svg FILE     SVG to write\n"
          "      --title TEXT   title (default: the result's file name)\n"
          "Images are written to a temporary file and renamed into place: "
          "never through\n"
          "a symlink, never over the input. The paths written are printed "
          "on stderr.\n");
}

int kml_cli_plot_parse(int argc, char **argv, kml_plot_opts_t *o, char *err,
                       size_t errlen) {
  *o = (kml_plot_opts_t){0};
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"svg", required_argument, 0, 's'},
                                       {"title", required_argument, 0, 't'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      o->png = optarg;
      break;
    case 's':
      o->svg = optarg;
      break;
    case 't':
      o->title = optarg;
      break;
    case 'h':
      return KML_CLI_HELP;
    default:
      snprintf(err, errlen, "unknown option or missing value: %.60s",
               argv[optind - 1 > 0 ? optind - 1 : 0]);
      return KML_CLI_USAGE;
    }
  }
  if (optind != argc - 1) {
    snprintf(err, errlen, "exactly one RESULT.csv is needed (got %d)",
             argc - optind);
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

/* Is the first line of path a replay result? Sets *forecast when it has
 * the forecast columns. */
static int check_header(const char *path, int *forecast) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "kafka-ml plot: cannot open %s\n", path);
    return 2;
  }
  char line[512] = "";
  if (fgets(line, sizeof(line), f) == NULL)
    line[0] = '\0';
  fclose(f);
  if (strncmp(line, "timestamp,value,anomaly_score,expected,lower,upper,alert",
              56) != 0) {
    fprintf(stderr,
            "kafka-ml plot: %s:1: not a replay result (expected the header "
            "timestamp,value,anomaly_score,expected,lower,upper,alert)\n",
            path);
    return 2;
  }
  *forecast = strstr(line, ",forecast,") != NULL;
  return 0;
}

static void script(FILE *g, const char *term, const char *in, const char *title,
                   int forecast) {
  fprintf(g, "set terminal %s size 1400,800 font ',10'\n", term);
  fprintf(g,
          "set datafile separator ','\n"
          "set xdata time\nset timefmt '%%Y-%%m-%%d %%H:%%M:%%S'\n"
          "set format x \"%%m-%%d\\n%%H:%%M\"\n"
          "set key top left opaque\nset grid\n"
          "set termoption noenhanced\n"
          "set multiplot layout 2,1 title '%s'\n"
          "set size 1,0.68\nset origin 0,0.32\n"
          "set ylabel 'value'\n",
          title);
  fprintf(g,
          "plot '%s' every ::1 using 1:5:6 with filledcurves "
          "lc rgb '#cfe2f3' title 'expected band', "
          "'' every ::1 using 1:4 with lines lc rgb '#3d85c6' dt 2 title "
          "'expected', "
          "'' every ::1 using 1:2 with lines lc rgb '#222222' title 'value', "
          "'' every ::1 using 1:($7 > 0 ? $2 : 1/0) with points pt 7 ps 1.6 "
          "lc rgb '#cc0000' title 'alert'",
          in);
  if (forecast)
    fprintf(g, ", '' every ::1 using 1:($10 == 1 ? $2 : 1/0) with points pt "
               "9 ps 0.8 lc rgb '#e69138' title 'breach forecast'");
  fprintf(g,
          "\nset size 1,0.32\nset origin 0,0\nset ylabel 'anomaly score'\n"
          "set yrange [0:1.05]\n"
          "plot '%s' every ::1 using 1:3 with impulses lc rgb '#674ea7' "
          "title 'score'\n"
          "unset multiplot\n",
          in);
}

/* Run gnuplot with its standard output on the temporary file of w. */
static int run_gnuplot(const char *term, kml_cli_out_t *w, const char *in,
                       const char *title, int forecast) {
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
  script(g, term, in, title, forecast);
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
                const kml_cli_inputs_t *in, int forecast) {
  kml_cli_out_t w;
  char err[1024];
  if (kml_cli_out_open(&w, out, in, err, sizeof(err)) != 0) {
    fprintf(stderr, "kafka-ml plot: %s\n", err);
    return 2;
  }
  if (run_gnuplot(term, &w, o->in, o->title, forecast) != 0) {
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
  int forecast = 0;
  int rc = check_header(o.in, &forecast);
  if (rc != 0)
    return rc;
  kml_cli_inputs_t in = {0};
  kml_cli_inputs_add(&in, o.in);
  if (o.png)
    rc = draw("pngcairo", o.png, &o, &in, forecast);
  if (rc == 0 && o.svg)
    rc = draw("svg dynamic", o.svg, &o, &in, forecast);
  kml_cli_inputs_free(&in);
  return rc;
}
