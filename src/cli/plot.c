/* plot: draw a replayed series with gnuplot: the value, the expected band
 * and the alerts on top, the anomaly score below (and the forecast when the
 * replay had a threshold). PNG (pngcairo) and/or SVG. */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: kafka-ml plot RESULT.csv [-o OUT.png] [--svg OUT.svg] "
          "[--title TEXT]\n"
          "Draw a result of `kafka-ml replay` (value, expected band, alerts,\n"
          "anomaly score, forecast) with gnuplot (Debian: gnuplot-nox).\n");
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

static void script(FILE *g, const char *term, const char *out, const char *in,
                   const char *title, int forecast) {
  fprintf(g, "set terminal %s size 1400,800 font ',10'\n", term);
  fprintf(g, "set output '%s'\n", out);
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

static int run_gnuplot(const char *term, const char *out, const char *in,
                       const char *title, int forecast) {
  FILE *g = popen("gnuplot", "w");
  if (g == NULL) {
    fprintf(stderr, "kafka-ml plot: cannot run gnuplot (Debian package "
                    "gnuplot-nox)\n");
    return 1;
  }
  script(g, term, out, in, title, forecast);
  int st = pclose(g);
  if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "kafka-ml plot: gnuplot failed writing %s%s\n", out,
            WIFEXITED(st) && WEXITSTATUS(st) == 127
                ? " (not installed? Debian package gnuplot-nox)"
                : "");
    return 1;
  }
  return 0;
}

int kml_cli_plot(int argc, char **argv) {
  const char *png = NULL, *svg = NULL, *title = NULL;
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"svg", required_argument, 0, 's'},
                                       {"title", required_argument, 0, 't'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      png = optarg;
      break;
    case 's':
      svg = optarg;
      break;
    case 't':
      title = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc - 1) {
    usage(stderr);
    return 2;
  }
  const char *in = argv[optind];
  if (strchr(in, '\'') || (png && strchr(png, '\'')) ||
      (svg && strchr(svg, '\'')) || (title && strchr(title, '\''))) {
    fprintf(stderr,
            "kafka-ml plot: file names and titles must not contain '\n");
    return 2;
  }
  int forecast = 0;
  int rc = check_header(in, &forecast);
  if (rc != 0)
    return rc;
  if (png == NULL && svg == NULL)
    png = "plot.png";
  if (title == NULL) {
    const char *slash = strrchr(in, '/');
    title = slash ? slash + 1 : in;
  }
  if (png && (rc = run_gnuplot("pngcairo", png, in, title, forecast)) != 0)
    return rc;
  if (svg && (rc = run_gnuplot("svg dynamic", svg, in, title, forecast)) != 0)
    return rc;
  return 0;
}
