/* detector: see detector.h for the idea. Details that matter:
 * - Every statistic is computed from state *before* x is learned (causal).
 * - Histograms hold 16-bit counts that are all halved when a view has
 *   counted 2 * memory values: old history fades geometrically, the state
 *   stays small (cache misses dominate the cost at 100k series), and a
 *   value touches one counter per view.
 * - Beyond the highest bin seen, the tail probability keeps falling
 *   geometrically with the statistic, so larger surprises still rank higher
 *   than the largest ever seen.
 * - Scales have floors relative to the series' magnitude so a flat line that
 *   moves a little is not infinitely surprising. */
#include "detector.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const view_names[KML_DET_VIEWS] = {"level", "jump", "season",
                                                      "shift", "vol",  "drift"};

const char *kml_detector_view_name(int i) {
  return i >= 0 && i < KML_DET_VIEWS ? view_names[i] : "none";
}

kml_detector_cfg_t kml_detector_defaults(void) {
  return (kml_detector_cfg_t){
      .warmup = 64, .memory = 1500, .refractory = 200, .alert_p = 1e-2};
}

void kml_detector_init(kml_detector_t *d) {
  memset(d, 0, sizeof(*d));
  d->since_alert = UINT32_MAX / 2;
}

/* Statistic -> bin: 6 bins per doubling of (1 + s). log2 comes from the
 * exponent plus a quadratic in the mantissa (monotone, within 0.005 of the
 * true value), far cheaper than libm's log2 on the hot path. */
static int bin_of(double s) {
  if (!(s > 0))
    return 0; /* also NaN */
  if (!(s < 1e9))
    return KML_DET_BINS - 1; /* also +inf: past the last bin anyway */
  int e;
  double x = 2 * frexp(1.0 + s, &e); /* 1 + s = x * 2^(e-1), x in [1, 2) */
  double l2 = (e - 1) + (-0.34484843 * x + 2.02466578) * x - 0.67487759;
  double b = l2 * 6.0;
  return b >= KML_DET_BINS - 1 ? KML_DET_BINS - 1 : (int)b;
}

/* Tail probability of s under history h (sum of bins >= bin(s)), with the
 * current value counted once so p is never 0. */
static double tail_p(const kml_detector_t *d, int v, int b) {
  int top = (int)d->top[v] - 1; /* -1: empty */
  double total = (double)d->hist_total[v] + 1.0;
  if (top >= 0 && b >= top) {
    /* At or past the largest seen: keep falling, by half per bin. */
    return ldexp((d->hist[v][top] + 1.0) / total, -(b - top));
  }
  /* Sum the shorter side of the histogram. */
  double part = 0;
  if (top < 0 || b > top / 2) {
    for (int j = b; j <= top; j++)
      part += d->hist[v][j];
  } else {
    for (int j = 0; j < b; j++)
      part += d->hist[v][j];
    part = d->hist_total[v] - part;
    if (part < 0)
      part = 0;
  }
  return (part + 1.0) / total;
}

static void hist_add(kml_detector_t *d, int v, int b) {
  d->hist[v][b]++;
  d->hist_total[v]++;
  if (b + 1 > d->top[v])
    d->top[v] = (uint8_t)(b + 1);
}

/* Halve every count of view v (and forget bins that fall to zero). */
static void hist_halve(kml_detector_t *d, int v) {
  uint32_t total = 0;
  int top = 0;
  for (int j = 0; j < KML_DET_BINS; j++) {
    d->hist[v][j] >>= 1;
    total += d->hist[v][j];
    if (d->hist[v][j] > 0)
      top = j + 1;
  }
  d->hist_total[v] = total;
  d->top[v] = (uint8_t)top;
}

static int season_bin(double t) {
  double day = t - floor(t / 86400.0) * 86400.0;
  double b = day / (86400.0 / KML_DET_SEASON_BINS);
  /* clamp before the cast: a huge t leaves day anywhere (or NaN) */
  return !(b > 0)                   ? 0
         : b >= KML_DET_SEASON_BINS ? KML_DET_SEASON_BINS - 1
                                    : (int)b;
}

/* Day number mod 255, plus 1 (0 means "never visited"), for any finite t. */
static uint8_t day_tag(double t) {
  double day = fmod(floor(t / 86400.0), 255.0);
  if (!(day >= 0))
    day = isfinite(day) ? day + 255.0 : 0;
  return (uint8_t)((int)day + 1);
}

/* An absurd value: far outside anything the long mean and sd allow, once
 * they mean something. A run of them on one side and of one size (within a
 * factor of 1000) is a new level and is learned; wild counts the run (bits
 * 0-6) and keeps its side (bit 7), wild_decade its size. */
static int absurd(kml_detector_t *d, double x) {
  double sd = sqrt(d->var_l) + 1e-3 * fabs(d->mean_l) + 1e-9;
  double dev = fabs(x - d->mean_l) / (KML_DET_WILD_SDS * sd);
  if (d->n < 8 || !(dev > 1)) {
    d->wild = 0;
    return 0;
  }
  double lg = floor(log10(dev)); /* 0 .. 48 */
  int decade = lg < 0 ? 0 : lg > 250 ? 250 : (int)lg;
  unsigned side = x > d->mean_l ? 0x80u : 0;
  unsigned run = d->wild & 0x7fu;
  if ((d->wild & 0x80u) != side || abs(decade - d->wild_decade) > 3)
    run = 0;
  if (run < 0x7f)
    run++;
  d->wild = (uint8_t)(side | run);
  d->wild_decade = (uint8_t)decade;
  /* The more absurd, the longer the run must be: 2 more values per factor
   * of 10 beyond 1e9 times the limit (a counter's garbage is not a level). */
  int needed = KML_DET_WILD_RUN + (decade > 9 ? 2 * (decade - 9) : 0);
  return (int)run < (needed < 120 ? needed : 120);
}

static int seen(const kml_detector_t *d, int b) {
  return d->prof_seen[b / 8] & (1u << (b % 8));
}

double kml_detector_season(const kml_detector_t *d, double t) {
  if (d->bins_seen < 24 || d->bins_ready < d->bins_seen ||
      !(d->season_var < 0.5 * d->var_l))
    return 0;
  int b = season_bin(t);
  for (int k = 0; k < 8 && !seen(d, b); k++)
    b = (b + KML_DET_SEASON_BINS - 1) % KML_DET_SEASON_BINS;
  if (!seen(d, b))
    return 0;
  return d->prof[b] - d->prof_sum / d->bins_seen;
}

void kml_detector_update(kml_detector_t *d, const kml_detector_cfg_t *cfg,
                         double t, double x, kml_detector_out_t *out) {
  memset(out, 0, sizeof(*out));
  out->p = 1;
  out->view = -1;
  if (isnan(x) || !isfinite(t))
    return;
  if (x > KML_DET_VALUE_MAX)
    x = KML_DET_VALUE_MAX;
  else if (x < -KML_DET_VALUE_MAX)
    x = -KML_DET_VALUE_MAX;

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

  int bins[KML_DET_VIEWS];
  for (int v = 0; v < KML_DET_VIEWS; v++)
    bins[v] = bin_of(s[v]);

  out->expected = prof;
  out->scale = season_sd;

  if (d->n >= cfg->warmup) {
    double pmin = 1;
    for (int v = 0; v < KML_DET_VIEWS; v++) {
      double p = tail_p(d, v, bins[v]);
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

  /* Learn, unless absurd: one 1e20 must not widen the band for days. */
  if (absurd(d, x)) {
    if (d->since_alert < UINT32_MAX / 2)
      d->since_alert++;
    return;
  }
  out->learned = 1;
  double lambda = 1.0 / (d->n + 1 < cfg->memory ? d->n + 1 : cfg->memory);
  /* Learn what is normal only once the statistics mean something: after
   * the first values, and for the season view only where the profile had
   * already seen this time of day (else the first day's residuals, which
   * are just the daily swing, would count as normal forever after). */
  if (d->n >= 8)
    for (int v = 0; v < KML_DET_VIEWS; v++)
      if (v != 2 || seen(d, sb))
        hist_add(d, v, bins[v]);
  for (int v = 0; v < KML_DET_VIEWS; v++)
    if (d->hist_total[v] >= 2 * cfg->memory)
      hist_halve(d, v);
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
    d->bins_seen++;
  }
  d->prof_sum += d->prof[sb] - before;
  uint8_t day = day_tag(t);
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
