/* bench_kinds: does the false-alarm budget hold on series shapes the
 * models were not designed on? Feeds the anomaly-free kinds of
 * tests/unit/kinds.h (sparse counts, integer gauges, cron spikes,
 * saw-teeth, gaps, jittered times, a constant that gains noise, a disk
 * emptied by retention, wrapping and restarting counters, extreme scales)
 * through the model with the default configuration, as the ml plugin does
 * (kml_model_update with the kind's data-source type), many seeds each,
 * and counts notifications (WARNING or FAILURE onsets) after the warm-up:
 * every one is false.
 *
 *   bench_kinds [DAYS [SEEDS [INTERVAL...]]]
 *   defaults: 15 days per series (the first is the warm-up), 40 seeds,
 *   intervals 10 300
 * Prints one line per kind and interval: notifications, series-hours past
 * the warm-up, per 1,000 series-hours, per series and day, the ratio to
 * the budget (FalseAlarmsPerDay), the most in one series, how many came
 * within the calm time (30 min) after one of the shape's own events (a
 * cron spike, a gap's end, a restart, a retention cut), and which view
 * paged them. Environment SEED_OFFSET=N shifts every seed by N. */
#include "kinds.h"
#include "ml/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TREND KML_DET_VIEWS       /* the trend rule's notifications */
#define OTHER (KML_DET_VIEWS + 1) /* any other name */
#define VIEWS (KML_DET_VIEWS + 2)

typedef struct {
  double notes, hours, at_event, most;
  double by_view[VIEWS];
} tally_t;

static int view_index(const char *v) {
  for (int i = 0; i < KML_DET_VIEWS; i++)
    if (strcmp(v, kml_detector_view_name(i)) == 0)
      return i;
  return strcmp(v, "trend") == 0 ? TREND : OTHER;
}

static void run(kml_kind_t k, double interval, const kml_model_cfg_t *cfg,
                double days, int seeds, unsigned long seed0, tally_t *out) {
  long n = (long)(days * 86400 / interval);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  kml_model_t *m = malloc(sizeof(*m));
  memset(out, 0, sizeof(*out));
  for (int s = 0; s < seeds; s++) {
    gsl_rng_set(r, 1000 * (unsigned long)k + seed0 + s + 1);
    kml_model_init(m);
    kml_kind_gen_t g;
    kml_kind_start(&g, k, r, interval);
    double warm_at = -1, event_at = -1e300, last_t = 0, mine = 0;
    for (long i = 0; i < n; i++) {
      kml_kind_sample_t x;
      if (!kml_kind_next(&g, &x))
        continue;
      if (x.event)
        event_at = x.t;
      kml_output_t o;
      if (kml_model_update(m, cfg, x.ds, x.t, x.raw, &o) != KML_RATE_OK)
        continue;
      last_t = x.t;
      if (o.warm && warm_at < 0)
        warm_at = x.t;
      if (o.warm && o.alert_changed && o.alert != KML_ALERT_OKAY) {
        out->notes++;
        mine++;
        out->by_view[view_index(o.view)]++;
        if (x.t - event_at <= cfg->alert.calm)
          out->at_event++;
      }
    }
    if (warm_at >= 0)
      out->hours += (last_t - warm_at) / 3600;
    if (mine > out->most)
      out->most = mine;
  }
  free(m);
  gsl_rng_free(r);
}

static void print_views(const tally_t *t) {
  int any = 0;
  for (int v = 0; v < VIEWS; v++)
    if (t->by_view[v] > 0) {
      const char *name = v < KML_DET_VIEWS ? kml_detector_view_name(v)
                         : v == TREND      ? "trend"
                                           : "?";
      printf("%s%s %.0f", any ? ", " : "", name, t->by_view[v]);
      any = 1;
    }
  printf("%s\n", any ? "" : "-");
}

int main(int argc, char **argv) {
  kml_model_cfg_t cfg = kml_model_defaults();
  double days = argc > 1 ? atof(argv[1]) : 15;
  int seeds = argc > 2 ? atoi(argv[2]) : 40;
  double intervals[16] = {10, 300};
  int ni = 2;
  if (argc > 3) {
    ni = 0;
    for (int i = 3; i < argc && ni < 16; i++)
      intervals[ni++] = atof(argv[i]);
  }
  const char *off = getenv("SEED_OFFSET");
  unsigned long seed0 = off != NULL ? strtoul(off, NULL, 10) : 0;
  if (!(days > 1) || seeds < 1) {
    fprintf(stderr, "usage: bench_kinds [DAYS [SEEDS [INTERVAL...]]]\n");
    return 2;
  }
  double budget = cfg.alert.budget;
  printf("default configuration: budget %g per series and day (%.2f per "
         "1,000 series-hours), %g days per series (first one warm-up), "
         "%d seeds (offset %lu)\n",
         budget, budget / 24 * 1000, days, seeds, seed0);
  printf("%-15s %8s %6s %8s %8s %8s %6s %4s %6s  %s\n", "kind", "interval",
         "notes", "hours", "/1000h", "/day", "ratio", "most", "event", "views");
  tally_t all = {0};
  for (int k = 0; k < KML_KINDS; k++)
    for (int i = 0; i < ni; i++) {
      tally_t t;
      run((kml_kind_t)k, intervals[i], &cfg, days, seeds, seed0, &t);
      double per_day = t.hours > 0 ? t.notes / t.hours * 24 : 0;
      printf("%-15s %7gs %6.0f %8.0f %8.2f %8.4f %6.2f %4.0f %6.0f  ",
             kml_kind_name((kml_kind_t)k), intervals[i], t.notes, t.hours,
             t.hours > 0 ? t.notes / t.hours * 1000 : 0, per_day,
             per_day / budget, t.most, t.at_event);
      print_views(&t);
      fflush(stdout);
      all.notes += t.notes;
      all.hours += t.hours;
      all.at_event += t.at_event;
    }
  double per_day = all.hours > 0 ? all.notes / all.hours * 24 : 0;
  printf("%-15s %8s %6.0f %8.0f %8.2f %8.4f %6.2f %4s %6.0f\n", "all", "",
         all.notes, all.hours, all.hours > 0 ? all.notes / all.hours * 1000 : 0,
         per_day, per_day / budget, "", all.at_event);
  return 0;
}
