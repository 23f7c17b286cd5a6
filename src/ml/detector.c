/* detector: see detector.h for the idea. Details that matter:
 * - Every statistic is computed from state *before* x is learned (causal).
 * - Histograms use exponentially decayed counts without touching every bin
 *   per value: the newest entry weighs hist_w, which grows by 1/(1-lambda)
 *   per value, and everything is rescaled when it gets large.
 * - Beyond the highest bin seen, the tail probability keeps falling
 *   geometrically with the statistic, so larger surprises still rank higher
 *   than the largest ever seen.
 * - Scales have floors relative to the series' magnitude so a flat line that
 *   moves a little is not infinitely surprising. */
#include "detector.h"

#include <math.h>
#include <string.h>

static const char *const view_names[KML_DET_VIEWS] = {
    "level", "jump", "season", "shift", "vol", "drift"};

const char *kml_detector_view_name(int i) {
  return i >= 0 && i < KML_DET_VIEWS ? view_names[i] : "none";
}

kml_detector_cfg_t kml_detector_defaults(void) {
  return (kml_detector_cfg_t){
      .warmup = 64, .memory = 3000, .refractory = 200, .alert_p = 1e-2};
}

void kml_detector_init(kml_detector_t *d) {
  memset(d, 0, sizeof(*d));
  d->hist_w = 1.0;
  d->since_alert = UINT32_MAX / 2;
}

/* Statistic -> bin: 6 bins per doubling of (1 + s), up to s = 255. */
static int bin_of(double s) {
  if (!(s > 0))
    return 0;
  double b = log2(1.0 + s) * 6.0;
  return b >= KML_DET_BINS - 1 ? KML_DET_BINS - 1 : (int)b;
}

/* Tail probability of s under history h (sum of bins >= bin(s)), with the
 * current value counted once so p is never 0. */
static double tail_p(const kml_detector_t *d, int v, double s) {
  int b = bin_of(s);
  double above = 0, top = -1;
  for (int j = KML_DET_BINS - 1; j >= 0; j--) {
    if (top < 0 && d->hist[v][j] > 0)
      top = j;
    if (j >= b)
      above += d->hist[v][j];
  }
  double total = d->hist_total[v] + d->hist_w;
  double p = (above + d->hist_w) / total;
  if (top >= 0 && b >= top) {
    /* At or past the largest seen: keep falling, by half per bin. */
    p = (d->hist[v][(int)top] + d->hist_w) / total * pow(0.5, b - top);
  }
  return p;
}

static void hist_add(kml_detector_t *d, int v, double s) {
  d->hist[v][bin_of(s)] += (float)d->hist_w;
  d->hist_total[v] += d->hist_w;
}

static void hist_advance(kml_detector_t *d, double lambda) {
  d->hist_w /= (1.0 - lambda);
  if (d->hist_w > 1e6) {
    for (int v = 0; v < KML_DET_VIEWS; v++) {
      for (int j = 0; j < KML_DET_BINS; j++)
        d->hist[v][j] = (float)(d->hist[v][j] / d->hist_w);
      d->hist_total[v] /= d->hist_w;
    }
    d->hist_w = 1.0;
  }
}

static int season_bin(double t) {
  double day = fmod(t, 86400.0);
  if (day < 0)
    day += 86400.0;
  int b = (int)(day / (86400.0 / KML_DET_SEASON_BINS));
  return b < 0 ? 0 : b >= KML_DET_SEASON_BINS ? KML_DET_SEASON_BINS - 1 : b;
}

static int seen(const kml_detector_t *d, int b) {
  return d->prof_seen[b / 8] & (1u << (b % 8));
}

double kml_detector_season(const kml_detector_t *d, double t) {
  if (d->bins_ready < KML_DET_SEASON_BINS || !(d->season_var < 0.5 * d->var_l))
    return 0;
  return d->prof[season_bin(t)] - d->prof_sum / KML_DET_SEASON_BINS;
}

void kml_detector_update(kml_detector_t *d, const kml_detector_cfg_t *cfg,
                         double t, double x, kml_detector_out_t *out) {
  memset(out, 0, sizeof(*out));
  out->p = 1;
  out->view = -1;
  if (!isfinite(x) || !isfinite(t))
    return;

  int sb = season_bin(t);
  if (d->n == 0) {
    d->prev = d->mean_l = d->mean_s = d->mean_m = x;
    d->var_l = 0;
  }
  /* A floor for scales: a tiny fraction of the magnitude, and never 0. */
  double floor_sd = 1e-3 * fabs(d->mean_l) + 1e-9;
  double sd_l = sqrt(d->var_l) + floor_sd;
  double step = fabs(x - d->prev);
  double step_l = d->step_l + floor_sd;
  double prof = seen(d, sb) ? d->prof[sb] : d->mean_l;
  double season_sd = sqrt(d->season_var) + floor_sd;
  double mean_s_new = d->mean_s + 0.25 * (x - d->mean_s);
  double step_s_new = d->step_s + 0.1 * (step - d->step_s);
  double mean_m_new = d->mean_m + 0.05 * (x - d->mean_m);

  double s[KML_DET_VIEWS];
  s[0] = fabs(x - d->mean_l) / sd_l;
  s[1] = step / step_l;
  s[2] = fabs(x - prof) / season_sd;
  s[3] = fabs(mean_s_new - d->mean_l) / sd_l;
  s[4] = step_s_new / step_l;
  s[5] = fabs(mean_m_new - d->mean_l) / sd_l;

  out->expected = prof;
  out->scale = season_sd;

  if (d->n >= cfg->warmup) {
    double pmin = 1;
    for (int v = 0; v < KML_DET_VIEWS; v++) {
      double p = tail_p(d, v, s[v]);
      if (p < pmin) {
        pmin = p;
        out->view = v;
      }
    }
    double p = pmin * KML_DET_VIEWS;
    out->p = p > 1 ? 1 : p;
    out->raw_score = 1 - out->p;
    out->score = out->raw_score;
    if (out->p <= cfg->alert_p) {
      if (d->since_alert >= cfg->refractory) {
        out->detection = 1;
        d->since_alert = 0;
      } else {
        out->score *= 0.5; /* same incident: below any sensible threshold */
      }
    } else if (d->since_alert < cfg->refractory) {
      out->score *= 0.5;
    }
  }

  /* Learn. */
  double lambda = 1.0 / (d->n + 1 < cfg->memory ? d->n + 1 : cfg->memory);
  /* Learn what is normal only once the statistics mean something: after
   * the first values, and for the season view only where the profile had
   * already seen this time of day (else the first day's residuals, which
   * are just the daily swing, would count as normal forever after). */
  if (d->n >= 8)
    for (int v = 0; v < KML_DET_VIEWS; v++)
      if (v != 2 || seen(d, sb))
        hist_add(d, v, s[v]);
  hist_advance(d, 1.0 / cfg->memory);
  double dm = x - d->mean_l;
  d->mean_l += lambda * dm;
  d->var_l = (1 - lambda) * (d->var_l + lambda * dm * dm);
  if (d->n > 0)
    d->step_l += lambda * (step - d->step_l);
  d->step_s = step_s_new;
  d->mean_s = mean_s_new;
  d->mean_m = mean_m_new;
  double r = x - prof;
  d->season_var += lambda * (r * r - d->season_var);
  float before = d->prof[sb];
  if (seen(d, sb))
    d->prof[sb] += (float)(0.3 * (x - d->prof[sb]));
  else {
    before = 0;
    d->prof[sb] = (float)x;
    d->prof_seen[sb / 8] |= (uint8_t)(1u << (sb % 8));
  }
  d->prof_sum += d->prof[sb] - before;
  uint8_t day = (uint8_t)((long)floor(t / 86400.0) % 255 + 1);
  if (d->prof_day[sb] != day) {
    d->prof_day[sb] = day;
    if (d->prof_days[sb] < 255 && ++d->prof_days[sb] == 2)
      d->bins_ready++;
  }
  d->prev = x;
  d->n++;
  if (d->since_alert < UINT32_MAX / 2)
    d->since_alert++;
}
