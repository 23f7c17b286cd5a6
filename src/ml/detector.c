/* detector: see detector.h for the idea. Details that matter:
 * - Every statistic is computed from state *before* x is learned (causal).
 * - Histograms hold 16-bit counts that are all halved when a view has
 *   counted twice the memory (in values: memory seconds / interval) or a
 *   bin is about to overflow: old history fades geometrically, the state
 *   stays small (cache misses dominate the cost at 100k series), and a
 *   value touches one counter per view.
 * - Beyond the highest bin a view has seen, its tail probability keeps
 *   falling at the histogram's own tail slope (tail_slope), so larger
 *   surprises still rank higher than the largest ever seen, steeply for a
 *   light-tailed view and gently for a heavy-tailed one (tail.h
 *   calibrates what the result means).
 * - Scales have floors relative to the series' magnitude so a flat line that
 *   moves a little is not infinitely surprising.
 * - The run view has one bin per step of a run, and past the longest run
 *   its history holds, its tail falls at SLOPE_MAX bits per step, not at
 *   the histogram's own slope: runs of benign behaviour (a consumer paused
 *   by a GC or a restart, lag rising with the clock) end within a bounded
 *   time, a light (Weibull-domain) tail, while a run that outlasts every
 *   one in memory and keeps going is what a stall looks like. The
 *   histogram's own slope would say, from the ~20 benign pauses five days
 *   hold, that a pause two steps longer than the longest is only 1/4 as
 *   likely, which delays a stall's notification by 3 to 6 intervals.
 *   tail.h still calibrates what the resulting surprise means. */
#include "detector.h"
#include "grid16.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400.0
#define MIN_VALUES 32  /* a rank needs this many values of history */
#define TAIL_REF 8     /* tail slope: from the top bin to 8x its count */
#define TAIL_MIN 16    /* ... and at least this many values */
#define SLOPE_MIN 0.25 /* bits per bin past the top, at least */
#define SLOPE_MAX 6.0  /* and at most */
#define GAP_STEPS 0.5  /* gap_allowance: median |step| / mean |step|, least */
#define RESCALE 2.0    /* rescale_views: the long sd grew this much at once */

static const char *const view_names[KML_DET_VIEWS] = {
    "level", "jump", "season", "shift", "vol", "drift", "run"};

const char *kml_detector_view_name(int i) {
  return i >= 0 && i < KML_DET_VIEWS ? view_names[i] : "none";
}

/* warmup: a day shows the daily cycle once. memory: five days, chosen on
 * NAB by bench/quality.py (leave one category out; see DESIGN-NOTES). */
kml_detector_cfg_t kml_detector_defaults(void) {
  return (kml_detector_cfg_t){.warmup = DAY, .memory = 5 * DAY};
}

void kml_detector_init(kml_detector_t *d) { memset(d, 0, sizeof(*d)); }

double kml_detector_memory_values(const kml_detector_t *d,
                                  const kml_detector_cfg_t *cfg) {
  double dt = d->dt > 0 ? d->dt : 1;
  return fmax(cfg->memory / dt, 2 * MIN_VALUES);
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

/* Bits of surprise per bin past the top bin of h: the histogram's own
 * tail, straight in log bins (a power law in the statistic), fitted from
 * the top bin down to where the tail holds TAIL_REF times its count (and
 * at least TAIL_MIN values), within [SLOPE_MIN, SLOPE_MAX]. A histogram
 * with too few values says nothing: 1 bit per bin. (Straight in the
 * statistic, steeper for light tails, was measured: a 6-sd step scored
 * higher, but NAB and the budget on noise both did worse.) */
static double tail_slope(const uint16_t *h, int top) {
  double t_top = h[top], t = t_top;
  for (int j = top - 1; j >= 0; j--) {
    t += h[j];
    if (t >= TAIL_REF * t_top && t >= TAIL_MIN) {
      double bits = log2(t / t_top) / (top - j);
      return bits < SLOPE_MIN ? SLOPE_MIN : bits > SLOPE_MAX ? SLOPE_MAX : bits;
    }
  }
  return 1;
}

/* Tail probability of bin b under histogram h (sum of bins >= b), with
 * the current value counted once so p is never 0; past the top bin it
 * keeps falling at the tail's slope. */
static double hist_tail(const uint16_t *h, uint32_t total32, int top1, int b,
                        int light) {
  int top = top1 - 1; /* -1: empty */
  double total = (double)total32 + 1.0;
  if (top >= 0 && b >= top) {
    double p = (h[top] + 1.0) / total;
    double slope = light ? SLOPE_MAX : tail_slope(h, top);
    return b == top ? p : p * exp2(-slope * (b - top));
  }
  double part = 0;
  if (top < 0 || b > top / 2) {
    for (int j = b; j <= top; j++)
      part += h[j];
  } else {
    for (int j = 0; j < b; j++)
      part += h[j];
    part = total32 - part;
    if (part < 0)
      part = 0;
  }
  return (part + 1.0) / total;
}

/* Halve every count (and forget bins that fall to zero). */
static void hist_halve(uint16_t *h, int nbins, uint32_t *total, uint8_t *top) {
  uint32_t sum = 0;
  int t = 0;
  for (int j = 0; j < nbins; j++) {
    h[j] >>= 1;
    sum += h[j];
    if (h[j] > 0)
      t = j + 1;
  }
  *total = sum;
  *top = (uint8_t)t;
}

static void hist_add(uint16_t *h, int nbins, uint32_t *total, uint8_t *top,
                     int b, double limit) {
  if (h[b] == UINT16_MAX || *total + 1 >= limit)
    hist_halve(h, nbins, total, top);
  h[b]++;
  (*total)++;
  if (b + 1 > *top)
    *top = (uint8_t)(b + 1);
}

static int season_bin(double t) {
  double day = t - floor(t / DAY) * DAY;
  double b = day / (DAY / KML_DET_SEASON_BINS);
  /* clamp before the cast: a huge t leaves day anywhere (or NaN) */
  return !(b > 0)                   ? 0
         : b >= KML_DET_SEASON_BINS ? KML_DET_SEASON_BINS - 1
                                    : (int)b;
}

/* A floor for the views' scales: a tiny fraction of the magnitude, and
 * never 0 (a constant series still has a scale to divide by). */
static double scale_floor(const kml_detector_t *d) {
  return 1e-3 * fabs(d->mean_l) + 1e-9;
}

/* An absurd value: far outside anything the long mean and sd allow, once
 * they mean something. Absurd values that recur on one side and of one
 * size (within a factor of 1000) are the series' own behaviour and are
 * learned: a new level (in a row), and as well the counts of a series
 * that sat at 0 before its first event, or an ISR that dips for one
 * value at a time (apart: while the sd is the floor of a constant, a
 * count of 1 is 1e9 sds out, 1e7 times the limit, and none was ever
 * learned). wild counts them (bits 0-6) and keeps their side (bit 7),
 * wild_decade their size; an absurd value of another side or size starts
 * the count again, and the count fades with the memory (halved with the
 * level view's histogram, learn). */
static int absurd(kml_detector_t *d, double x) {
  double sd = sqrt(d->var_l) + scale_floor(d);
  double dev = fabs(x - d->mean_l) / (KML_DET_WILD_SDS * sd);
  if (d->n < 8 || !(dev > 1))
    return 0;
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

/* The daily profile in 16 bits: one grid (grid16.h) for the whole
 * profile, so its steps follow the profile's range, not the values'
 * magnitude. The grid starts at the first value, grows when a value does
 * not fit, and once a day (learn) is refitted to the profile's range,
 * recentred and tightened (exact). So after each daily refit a step is at
 * most 1/24,576 of the profile's range, and rounding at most half a step:
 * on NAB below 1e-3 of the residual sd. Codes never hold NaN: the values
 * are finite (clamped in kml_detector_update). */
_Static_assert(KML_DET_PROF_MAX == KML_GRID16_MAX, "state files check codes");
static const kml_grid16_rules_t prof_rules = {KML_DET_PROF_EXP_MAX, 0};

static double prof_value(const kml_detector_t *d, int b) {
  return kml_grid16_value(d->prof_base, d->prof[b], d->prof_exp);
}

/* Refit the grid to the seen bins and, when with_v, to value v as well:
 * grow exp when they do not fit, otherwise recentre and (daily, without
 * v) tighten. O(bins). */
static void prof_refit(kml_detector_t *d, int with_v, double v) {
  kml_grid16_range_t r = kml_grid16_range_none();
  for (int b = 0; b < KML_DET_SEASON_BINS; b++)
    if (seen(d, b))
      kml_grid16_range_add(&r, d->prof[b]);
  if (with_v)
    kml_grid16_range_add(&r, kml_grid16_steps(d->prof_base, d->prof_exp, v));
  if (kml_grid16_range_empty(&r)) /* nothing to fit */
    return;
  kml_grid16_fit_t fit = kml_grid16_fit(&prof_rules, d->prof_exp, r, !with_v);
  d->prof_base = kml_grid16_offset(&fit, d->prof_base);
  d->prof_exp = (int8_t)fit.exp;
  d->prof_codes = 0;
  for (int b = 0; b < KML_DET_SEASON_BINS; b++)
    if (seen(d, b)) {
      d->prof[b] = kml_grid16_recode(&fit, d->prof[b], 0);
      d->prof_codes += d->prof[b];
    }
}

/* Store v in bin b, refitting the grid when v does not fit. dither in
 * [0, 1) rounds (0.5: to nearest): a profile that forgets slowly (about
 * 0.1% per value at 1 s) moves by less than a step per value, which
 * rounding to nearest would drop; a dither equidistributed over the
 * values keeps the profile's mean move (see learn). */
static void prof_store(kml_detector_t *d, int b, double v, double dither) {
  if (d->bins_seen == 0) { /* the first value: the grid starts at it */
    d->prof_base = v;
    d->prof_exp = (int8_t)-KML_DET_PROF_EXP_MAX;
  }
  double c = kml_grid16_dithered(d->prof_base, d->prof_exp, v, dither);
  if (!kml_grid16_fits(c)) {
    prof_refit(d, 1, v);
    c = kml_grid16_dithered(d->prof_base, d->prof_exp, v, dither);
  }
  if (seen(d, b))
    d->prof_codes -= d->prof[b];
  d->prof[b] = kml_grid16_clamp(c);
  d->prof_codes += d->prof[b];
}

double kml_detector_season(const kml_detector_t *d, double t, double resid) {
  if (d->bins_seen < 24 || d->last_t - d->t0 < 2 * DAY - DAY / 96 ||
      !(d->season_var < resid * d->var_l))
    return NAN;
  int b = season_bin(t);
  for (int k = 0; k < 8 && !seen(d, b); k++)
    b = (b + KML_DET_SEASON_BINS - 1) % KML_DET_SEASON_BINS;
  if (!seen(d, b))
    return NAN;
  return (d->prof[b] - (double)d->prof_codes / d->bins_seen) *
         kml_grid16_step(d->prof_exp);
}

/* The whole profile moves with the offset: O(1) (exact up to the offset's
 * own double rounding). */
void kml_detector_rebase(kml_detector_t *d) {
  /* the recent level against what the profile expected of it, where the
   * profile explains the series (kml_detector_season), else against the
   * long mean: at a time of day away from the daily mean, the difference
   * to the long mean is the season's, not a change of level */
  double off = kml_detector_season(d, d->last_t, KML_DET_SEASON_EXPLAINS);
  double shift = d->mean_s - d->mean_l - (isfinite(off) ? off : 0);
  if (!isfinite(shift))
    return;
  d->mean_l += shift;
  d->mean_m = d->mean_s;
  if (d->bins_seen > 0)
    d->prof_base += shift;
}

/* The typical step between values, smoothed (a missed collection counts
 * at most four times the current estimate). */
static void track_time(kml_detector_t *d, double t) {
  if (d->n == 0) {
    d->t0 = t;
  } else {
    double step = t - d->last_t;
    if (step > 0 && d->dt > 0)
      d->dt = (float)(0.9 * d->dt + 0.1 * fmin(step, 4.0 * d->dt));
    else if (step > 0)
      d->dt = (float)step;
  }
  d->last_t = t;
}

/* The run x continues or starts: a step of more than KML_DET_RUN_K long
 * mean |steps| (step_l, with its floor) in the run's direction lengthens
 * it, one the other way starts a new one, a smaller one ends it. */
static int run_after(const kml_detector_t *d, double x, double step_l) {
  double dx = x - d->prev;
  if (d->n == 0 || !(fabs(dx) > KML_DET_RUN_K * step_l))
    return 0;
  int up = dx > 0, run = d->run;
  if (run != 0 && (run > 0) == up)
    run += up ? 1 : -1;
  else
    run = up ? 1 : -1;
  return run > 127 ? 127 : run < -127 ? -127 : run;
}

/* The median statistic of view v: the median of its histogram,
 * interpolated within the bin (bin_of: bin 6 + 6 log2(1 + s); bin 0 holds
 * the zeros). A spike moves one count, not the median. */
static double hist_median(const kml_detector_t *d, int v) {
  const uint16_t *h = d->hist[v];
  double half = 0.5 * d->hist_total[v], c = 0;
  for (int b = 0; b < d->top[v]; b++) {
    if (c + h[b] >= half && h[b] > 0)
      return fmax(0, exp2((b + (half - c) / h[b]) / 6.0 - 1) - 1);
    c += h[b];
  }
  return 0;
}

/* A step across a gap of span intervals (the time since the previous value
 * over the typical interval; a gap: at least one interval missed, span 2,
 * not a value a little late) is divided by what the elapsed time allows
 * where the series diffuses: a random walk moves sqrt(span) steps' worth
 * across a gap, no series further than its own spread. Both from robust
 * spreads the views' histograms hold:
 * - the spread: the median |x - long mean| (the level view's median times
 *   the long sd; a spike inflates the sd, not the median), over the mean
 *   |step| and 0.598 (Gaussian noise: median |x - mean| 0.674 sd, mean
 *   |step| 2 / sqrt(pi) sd), so g is 1 for white noise and g^2 the steps a
 *   walk takes to cross the spread;
 * - diffusion, not jumps: the median |step| (the jump view's median) at
 *   least GAP_STEPS of the mean |step| (Gaussian steps 0.85, Laplace 0.69).
 *   A series that moves by rare jumps, as one that switches between levels
 *   does, has a mean |step| made by its switches and a median |step| made
 *   by its noise (NAB's rogue_agent_key_hold: below 0.35); there a step
 *   across a gap is a step like any other.
 * No new state. */
static double gap_allowance(const kml_detector_t *d, double span) {
  if (!(span >= 2) || d->hist_total[0] < 2 * MIN_VALUES ||
      d->hist_total[1] < 2 * MIN_VALUES || !(d->step_l > 0))
    return 1;
  double floor_sd = scale_floor(d);
  double spread = hist_median(d, 0) * (sqrt(d->var_l) + floor_sd);
  double steps = hist_median(d, 1) * (d->step_l + floor_sd) / d->step_l;
  if (!(steps >= GAP_STEPS))
    return 1;
  double g = spread / (0.598 * (d->step_l + floor_sd));
  return fmax(1, fmin(sqrt(span), g));
}

/* Histogram of view v. */
static const uint16_t *hist_of_c(const kml_detector_t *d, int v) {
  return v == KML_DET_RUN_VIEW ? d->run_hist : d->hist[v];
}

/* The statistics of x against the state before x (see detector.h). */
static void views(const kml_detector_t *d, double x, double a, int sb,
                  double *s, kml_detector_out_t *out, double *mean_s_new,
                  double *step_s_new, double *mean_m_new) {
  double floor_sd = scale_floor(d);
  double sd_l = sqrt(d->var_l) + floor_sd;
  double step = fabs(x - d->prev) / a;
  double step_l = d->step_l + floor_sd;
  double prof = seen(d, sb) ? prof_value(d, sb) : d->mean_l;
  double season_sd = sqrt(d->season_var) + floor_sd;
  *mean_s_new = d->mean_s + 0.25 * (x - d->mean_s);
  *step_s_new = d->step_s + 0.1 * (step - d->step_s);
  *mean_m_new = d->mean_m + 0.05 * (x - d->mean_m);
  s[0] = fabs(x - d->mean_l) / sd_l;
  s[1] = step / step_l;
  s[2] = fabs(x - prof) / season_sd;
  s[3] = fabs(*mean_s_new - d->mean_l) / sd_l;
  s[4] = *step_s_new / step_l;
  s[5] = fabs(*mean_m_new - d->mean_l) / sd_l;
  s[6] = abs(run_after(d, x, a * step_l));
  out->expected = prof;
  out->scale = season_sd;
}

/* The rarest view's tail probability as a surprise in bits; -1 while no
 * view has enough history to rank anything. */
static double surprise(const kml_detector_t *d, const int *bins, int *view) {
  double pmin = 2;
  *view = -1;
  for (int v = 0; v < KML_DET_VIEWS; v++) {
    if (d->hist_total[v] < 2 * MIN_VALUES)
      continue;
    double pv = hist_tail(hist_of_c(d, v), d->hist_total[v], d->top[v], bins[v],
                          v == KML_DET_RUN_VIEW);
    if (pv < pmin) {
      pmin = pv;
      *view = v;
    }
  }
  return *view < 0 ? -1 : pmin < 1 ? -log2(pmin) : 0;
}

/* The run view learns a run when it ends (each of its values at its length
 * then), not while it goes on: a run is benign once it ended (unless it
 * ended during an incident or a maintenance window: learn_runs 0), and a
 * stall's first steps must not raise the longest run the view knows. A
 * value that is in no run is learned at once, like the other views. */
static void learn_run(kml_detector_t *d, int run, int hist, int learn_runs,
                      double mem) {
  int v = KML_DET_RUN_VIEW, len = abs(d->run);
  int goes_on = run != 0 && (run > 0) == (d->run > 0);
  if (learn_runs && len > 0 && !goes_on) /* the run in progress ended */
    for (int k = 1; k <= len; k++)
      hist_add(d->run_hist, KML_DET_RUN_BINS, &d->hist_total[v], &d->top[v],
               k < KML_DET_RUN_BINS ? k : KML_DET_RUN_BINS - 1, 2 * mem);
  if (hist && run == 0)
    hist_add(d->run_hist, KML_DET_RUN_BINS, &d->hist_total[v], &d->top[v], 0,
             2 * mem);
}

/* The level, shift and drift views measure in long sds. When one value
 * multiplies the long sd by RESCALE or more (a spike learned in a series
 * that was flat, whose sd was its floor or its first noise), what those
 * views hold was measured against a scale that is gone: a spike of 60
 * against the sd of a flat line sat at 40-90 sds (the top bins), and every
 * later spike, measured against the sd that spike widened, ranked far below
 * it however much larger it was, for as long as the histograms held it (up
 * to twice the memory). Their counts are moved to where the same deviations
 * sit on the new scale (a bin's middle statistic times the old sd over the
 * new): the first spike stays in memory, at its size in the new sds. The
 * last bin holds every statistic past it (90 sds up to 1e9 and more: a count
 * of 1 after zeros), whose size is unknown: it stays where it is. A
 * doubling: a statistic measured against half the scale sits a doubling of 1
 * + s higher, 6 bins, past the bins' resolution. In noise the sd doubles at
 * once only for a value about sqrt(3 m) sds out, m the values the long mean
 * weighs (n + 1, at most the memory's): below the absurd rule's 100 sds only
 * while m is under ~3,300 (a series' first days; at 5 min, 66 sds with the
 * whole memory). The views measured in mean |steps| (jump, vol) are left
 * alone. No state. */
static void rescale_hist(uint16_t *h, uint32_t *total, uint8_t *top,
                         double ratio) {
  uint32_t moved[KML_DET_BINS] = {0}, most = 0;
  for (int b = 0; b < KML_DET_BINS; b++)
    if (h[b] > 0) {
      int to = b == 0 || b == KML_DET_BINS - 1
                   ? b
                   : bin_of((exp2((b + 0.5) / 6.0) - 1) * ratio);
      moved[to] += h[b];
      if (moved[to] > most)
        most = moved[to];
    }
  int shift = 0;
  while ((most >> shift) > UINT16_MAX)
    shift++;
  uint32_t sum = 0;
  int t = 0;
  for (int b = 0; b < KML_DET_BINS; b++) {
    h[b] = (uint16_t)(moved[b] >> shift);
    sum += h[b];
    if (h[b] > 0)
      t = b + 1;
  }
  *total = sum;
  *top = (uint8_t)t;
}

static void rescale_views(kml_detector_t *d, double sd_before) {
  double sd = sqrt(d->var_l) + scale_floor(d);
  if (d->n < 8 || !(sd >= RESCALE * sd_before))
    return;
  static const int sd_views[] = {0, 3, 5}; /* level, shift, drift */
  for (int k = 0; k < 3; k++) {
    int v = sd_views[k];
    rescale_hist(d->hist[v], &d->hist_total[v], &d->top[v], sd_before / sd);
  }
}

static void learn(kml_detector_t *d, int hist, int learn_runs, double x,
                  double a, int sb, int new_day, const int *bins, double mem,
                  double mean_s_new, double step_s_new, double mean_m_new) {
  double lambda = 1.0 / (d->n + 1 < mem ? d->n + 1 : mem);
  /* Learn what is normal only once the statistics mean something: after
   * the first values, and for the season view only where the profile had
   * already seen this time of day (else the first day's residuals, which
   * are just the daily swing, would count as normal forever after). */
  uint32_t level_total = d->hist_total[0];
  if (hist && d->n >= 8)
    for (int v = 0; v < KML_DET_RUN_VIEW; v++)
      if (v != 2 || seen(d, sb))
        hist_add(d->hist[v], KML_DET_BINS, &d->hist_total[v], &d->top[v],
                 bins[v], 2 * mem);
  if (d->hist_total[0] < level_total) /* halved: so is the absurd count */
    d->wild = (uint8_t)((d->wild & 0x80u) | ((d->wild & 0x7fu) >> 1));
  int run = run_after(d, x, a * (d->step_l + scale_floor(d)));
  if (d->n >= 8)
    learn_run(d, run, hist, learn_runs, mem);
  d->run = (int8_t)run;
  double step = fabs(x - d->prev) / a;
  double prof = seen(d, sb) ? prof_value(d, sb) : d->mean_l;
  double dm = x - d->mean_l;
  double sd_before = sqrt(d->var_l) + scale_floor(d);
  d->mean_l += lambda * dm;
  d->var_l = (1 - lambda) * (d->var_l + lambda * dm * dm);
  rescale_views(d, sd_before);
  if (d->n > 0)
    d->step_l += lambda * (step - d->step_l);
  d->step_s = step_s_new;
  d->mean_s = mean_s_new;
  d->mean_m = mean_m_new;
  double r = x - prof;
  d->season_var += lambda * (r * r - d->season_var);
  /* The profile forgets per day, not per value: a bin (15 min) keeps
   * about a third of what it knew per day of visits, whatever the
   * interval (0.7^3 at 5 min). Once a day (the first value past
   * midnight) its grid is refitted to its range. */
  double w = fmin(0.65, 1 - exp(-1.07 * (d->dt > 0 ? d->dt : 1) / 900.0));
  if (new_day && d->bins_seen > 0)
    prof_refit(d, 0, 0);
  if (seen(d, sb)) {
    if (hist) /* a Weyl sequence in [0, 1) over the values: the dither */
      prof_store(d, sb, prof + w * (x - prof),
                 (uint32_t)(d->n * 2654435769u) / 4294967296.0);
  } else {
    prof_store(d, sb, x, 0.5);
    d->prof_seen[sb / 8] |= (uint8_t)(1u << (sb % 8));
    d->bins_seen++;
  }
}

/* Bin k of the run view counts the runs that reached k steps (each run
 * counts once in every bin up to its length), so bin 2 holds the n runs of
 * 2 steps or more and the top bin is the longest run M; the history spans
 * its total count of values. A run as long as the last bin (or longer) is
 * beyond what the bins tell apart. */
double kml_detector_run_rate(const kml_detector_t *d) {
  int v = KML_DET_RUN_VIEW, top = d->top[v] - 1, len = abs(d->run);
  if (d->hist_total[v] < 2 * MIN_VALUES || top < 2 || len <= top ||
      top >= KML_DET_RUN_BINS - 1 || !(d->dt > 0))
    return INFINITY;
  double days = (d->hist_total[v] + 1.0) * d->dt / DAY;
  double n = d->run_hist[2];
  return n / days * pow((top + 1.0) / len, n) / (n + 1);
}

void kml_detector_update(kml_detector_t *d, const kml_detector_cfg_t *cfg,
                         double t, double x, double learn_below, int learn_runs,
                         kml_detector_out_t *out) {
  memset(out, 0, sizeof(*out));
  out->surprise = -1;
  out->view = -1;
  if (isnan(x) || !isfinite(t))
    return;
  if (x > KML_DET_VALUE_MAX)
    x = KML_DET_VALUE_MAX;
  else if (x < -KML_DET_VALUE_MAX)
    x = -KML_DET_VALUE_MAX;

  /* a new day: this value's bin is earlier than the last one's */
  int new_day = d->n > 0 && season_bin(t) < season_bin(d->last_t);
  double span = d->n > 0 && d->dt > 0 ? (t - d->last_t) / d->dt : 1;
  track_time(d, t);
  out->dt = d->dt > 0 ? d->dt : 1;
  double mem = kml_detector_memory_values(d, cfg);
  int sb = season_bin(t);
  if (d->n == 0) {
    d->prev = d->mean_l = d->mean_s = d->mean_m = x;
    d->var_l = 0;
  }
  double a = gap_allowance(d, span);
  double s[KML_DET_VIEWS], mean_s_new, step_s_new, mean_m_new;
  views(d, x, a, sb, s, out, &mean_s_new, &step_s_new, &mean_m_new);
  int bins[KML_DET_VIEWS];
  for (int v = 0; v < KML_DET_VIEWS; v++)
    bins[v] = bin_of(s[v]);
  bins[KML_DET_RUN_VIEW] = s[KML_DET_RUN_VIEW] < KML_DET_RUN_BINS
                               ? (int)s[KML_DET_RUN_VIEW]
                               : KML_DET_RUN_BINS - 1;
  if (d->n >= 16)
    out->surprise = surprise(d, bins, &out->view);
  out->warm = d->n >= MIN_VALUES && t - d->t0 >= cfg->warmup;

  /* Learn, unless absurd: one 1e20 must not widen the band for days. */
  if (absurd(d, x))
    return;
  out->learned = 1;
  int hist = out->surprise <= learn_below;
  learn(d, hist, learn_runs, x, a, sb, new_day, bins, mem, mean_s_new,
        step_s_new, mean_m_new);
  d->prev = x;
  d->n++;
}
