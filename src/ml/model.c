/* model: glue between rate conversion and the individual models, and the
 * one place that knows every field of a model: kml_model_check() is what a
 * state file must pass before it is trusted (a file with a valid checksum
 * can still be foreign or tampered with). */
#include "model.h"
#include "grid16.h"

#include <math.h>
#include <string.h>

/* d.view when the trend view (trend.h), not a detector view, was the
 * rarest. */
#define VIEW_TREND (-2)

/* An open cluster of surprising values already rarer than this many per
 * day is not learned from (chosen on the unit tests' 6-sd step and NAB
 * among 0, 0.3 and 1: 0 lets the step teach the views before it pages, 1
 * costs NAB and the budget on random walks). */
#define HOLD_RATE 0.3

/* The daily profile is taken out of the trend where it explains the
 * series (KML_DET_SEASON_EXPLAINS, detector.h: the residual variance below
 * half the variance). The forecaster takes it while below 0.7:
 * the profile's own noise (it forgets per day since model version 8)
 * keeps the share of a swing that explains about half of the variance
 * near one half, where the season went on and off and each switch moved
 * the forecast by the swing (NAB's nyc_taxi at 30 min: MASE 2.13, 1.62
 * at 0.7; bench/forecast.py). On white noise the profile's residual
 * variance exceeds the variance, so it stays off. */
#define FORECAST_SEASON_RESID 0.7

double kml_model_forecast_season(const kml_model_t *m, double t) {
  return kml_detector_season(&m->det, t, FORECAST_SEASON_RESID);
}

kml_model_cfg_t kml_model_defaults(void) {
  return (kml_model_cfg_t){.detector = kml_detector_defaults(),
                           .alert = kml_alert_defaults(),
                           .forecast = kml_forecast_defaults(),
                           .threshold = NAN,
                           .horizon = 1800,
                           .want_forecast = 1,
                           .band_z = 3,
                           .relearn = 3 * 3600};
}

int kml_model_window(const kml_model_t *m, float *out) {
  int start = (m->win_head + KML_MODEL_WINDOW - m->win_n) % KML_MODEL_WINDOW;
  for (int i = 0; i < m->win_n; i++)
    out[i] = m->win[(start + i) % KML_MODEL_WINDOW];
  return m->win_n;
}

long kml_model_warmup_values(const kml_model_cfg_t *cfg, double interval) {
  double v = interval > 0 ? ceil(cfg->detector.warmup / interval) : 0;
  return (long)fmax(v, 32) + 1;
}

void kml_model_init(kml_model_t *m) {
  memset(m, 0, sizeof(*m));
  m->version = KML_MODEL_VERSION;
  m->flags = KML_MODEL_SIGNS;
  kml_detector_init(&m->det);
  kml_tail_init(&m->tail);
  kml_forecast_init(&m->fc);
  kml_trend_init(&m->trend);
}

/* score = 1 / (1 + (1000 p)^(1/4)): monotone in the calibrated
 * probability p of the value, 1/2 at p = 1e-3 (about three events a day
 * at 5 min), distinct at six decimals down to p = 1e-20. */
static double score_of(double p) { return 1 / (1 + sqrt(sqrt(1000 * p))); }

/* The level the series has now becomes its normal: the detector moves its
 * means and profile, the open cluster is not learned as a tail event, and
 * an open incident ends (1: an OKAY is due). */
static int relearn(kml_model_t *m) {
  kml_detector_rebase(&m->det);
  kml_tail_forget_cluster(&m->tail);
  return kml_alert_end(&m->alert);
}

/* Whether an incident that has lasted `held` seconds has settled at a
 * level it can be accepted at: not while the series still trends (a slow
 * consumer's lag that keeps rising keeps its incident open), but at the
 * latest once it lasted the detector's memory (5 days): the history the
 * model ranks against then holds little from before the change, which is
 * the series' behaviour by the model's own measure. A bound is needed
 * because an open incident is never followed by a new one. */
static double settle_bound(const kml_model_cfg_t *cfg) {
  return fmax(cfg->relearn, cfg->detector.memory);
}

static int settled(const kml_model_t *m, const kml_model_cfg_t *cfg,
                   double held) {
  return held >= settle_bound(cfg) || !kml_trend_moving(&m->trend, NULL);
}

/* The anomaly model: surprise (detector), calibrated rate (tail), alert,
 * score. What the series does during an open incident or a maintenance
 * window is not learned as its normal behaviour (the views' histograms,
 * the daily profile, the tail); its level is always followed. Returns 1
 * when the detector learned x (an absurd value is only scored). */
static int anomaly(kml_model_t *m, const kml_model_cfg_t *cfg, double t,
                   double x, kml_output_t *out) {
  int maint = t < m->maint_until, okay_due = 0;
  if (!maint && m->maint_until > 0) {
    /* the level at the end of a maintenance window is the new normal */
    m->maint_until = 0;
    okay_due = relearn(m);
  }
  /* nothing is learned during an incident or a maintenance window, nor
   * while an open cluster of surprising values already looks rarer than
   * HOLD_RATE per day (a change must not teach the views it is normal
   * while it is being noticed) */
  int incident = maint || m->alert.state != KML_ALERT_OKAY;
  double below =
      incident || kml_tail_open_rate(&m->tail) <= HOLD_RATE ? -1 : INFINITY;
  kml_detector_out_t d;
  double prev_t = m->det.n > 0 ? m->det.last_t : 0;
  double season = kml_detector_season(&m->det, t, KML_DET_SEASON_EXPLAINS);
  if (!isfinite(season)) /* no profile used */
    season = 0;
  kml_detector_update(&m->det, &cfg->detector, t, x, below, !incident, &d);
  double memory = kml_detector_memory_values(&m->det, &cfg->detector) * d.dt;
  /* the trend is judged on the series less its daily swing, when the
   * profile explains it; an absurd value is no part of it. Its steep
   * runs are learned when the views learn runs (not during an incident
   * or a maintenance window). */
  if (d.learned)
    kml_trend_update(&m->trend, prev_t, t,
                     fmax(-KML_DET_VALUE_MAX, fmin(KML_DET_VALUE_MAX, x)) -
                         season,
                     memory, !incident, d.warm);
  /* The trend view: a slope far steeper than the steepest of the half
   * memory or more the record covers (trend.h); the rarest view decides. */
  double trend = 0; /* its surprise, also paged by its own rate below */
  if (d.surprise >= 0) {
    trend = kml_trend_surprise(&m->trend, fmin(t - m->det.t0, memory / 2));
    if (trend > d.surprise) {
      d.surprise = trend;
      d.view = VIEW_TREND;
    }
  }
  kml_tail_out_t tl;
  /* an absurd value (d.learned 0) is no lesson for the tail either */
  kml_tail_update(&m->tail, t, d.dt, d.surprise, memory, cfg->alert.calm,
                  d.warm && !maint && d.learned, &tl);
  out->warm = d.warm;
  out->surprise = d.surprise;
  out->view = d.view == VIEW_TREND ? "trend" : kml_detector_view_name(d.view);
  out->expected = d.expected;
  out->lower = d.expected - cfg->band_z * d.scale;
  out->upper = d.expected + cfg->band_z * d.scale;
  /* The rate (and the score) once the views rank anything (about 72
   * values); notifications wait for the warm-up, the tail's fit too. */
  out->rate = d.surprise >= 0 ? tl.rate : 86400 / d.dt;
  /* A run longer than any in memory has a rate of its own, counted in
   * runs (detector.h), which a series' first days can already trust while
   * the tail's few clusters make it slow to believe a large surprise. It
   * is a second rule that may page, so it gets half the budget (its rate
   * is doubled): its false notifications add at most half the budget to
   * the tail's. */
  double run_rate = 2 * kml_detector_run_rate(&m->det);
  if (d.surprise >= 0 && run_rate < out->rate) {
    out->rate = run_rate;
    out->view = kml_detector_view_name(KML_DET_RUN_VIEW);
  }
  /* So has a slope far beyond the record, counted in the trend view's
   * windows of an hour (trend.h): on a series' third day the tail turned
   * 27 bits of it into 0.07 a day and a slow consumer reached its SLA
   * unnotified. Half the budget too, as the run rule: the two add at
   * most the budget to the tail's false notifications. */
  double trend_rate = 2 * kml_trend_rate(trend);
  if (d.surprise >= 0 && trend_rate < out->rate) {
    out->rate = trend_rate;
    out->view = "trend";
  }
  out->p = fmin(1, out->rate * d.dt / 86400);
  kml_alert_state_t st = (kml_alert_state_t)m->alert.state;
  int was_open = st != KML_ALERT_OKAY;
  double held = t - m->alert.since;
  /* An open incident whose series still trends stays open after its
   * values stopped being surprising (the detector's long mean and
   * variance follow a ramp), up to the same bound as relearning. */
  int active = tl.active;
  if (!active && st != KML_ALERT_OKAY && !maint)
    active = !settled(m, cfg, t - m->alert.since);
  /* no new incident during a maintenance window; an open one still ends */
  out->alert_changed =
      d.warm && kml_alert_update(&m->alert, &cfg->alert, t,
                                 maint ? INFINITY : out->rate, active, &st);
  /* A change that outlasts `relearn` (a cluster of surprising values that
   * long: a level shift, notified once or held back by the refractory
   * time) is the new normal; an open incident only once its series has
   * settled, and it then ends with an OKAY that says so. A cluster never
   * notified is accepted at once (holding it too cost NAB: DESIGN-NOTES). */
  double since = st != KML_ALERT_OKAY ? m->alert.since : tl.since;
  if (!out->alert_changed && tl.active && t - since >= cfg->relearn &&
      (st == KML_ALERT_OKAY || settled(m, cfg, t - since)))
    okay_due |= relearn(m);
  out->relearned = 0;
  if (okay_due && !out->alert_changed) {
    st = KML_ALERT_OKAY;
    out->alert_changed = out->relearned = 1;
  }
  /* Ended at the bound while the series still moves: the OKAY must not
   * read as settled or back to normal (plugin/ml.c says which). */
  if (out->alert_changed && st == KML_ALERT_OKAY && was_open && !maint &&
      held >= settle_bound(cfg) && kml_trend_moving(&m->trend, NULL))
    out->relearned = 2;
  out->alert = st;
  out->evidence = m->alert.peak;
  /* The score column: a value scores fully only when it is the rarest of
   * the last `refractory` seconds (one incident, one detection, at any
   * threshold NAB's sweep picks); the others are halved. */
  out->score = d.surprise >= 0 ? score_of(out->p) : 0;
  if (t - m->best_t > cfg->alert.refractory || !(out->p >= m->best_p)) {
    m->best_p = (float)out->p;
    m->best_t = t;
  } else {
    out->score *= 0.5;
  }
  return d.learned;
}

void kml_model_maintain(kml_model_t *m, double until) {
  m->maint_until = until > 0 ? until : 0;
}

unsigned kml_model_open_alerts(const kml_model_t *m) {
  return (m->alert.state != KML_ALERT_OKAY ? KML_MODEL_OPEN_ANOMALY : 0) |
         (m->fc_state != KML_ALERT_OKAY ? KML_MODEL_OPEN_FORECAST : 0);
}

int kml_model_reset(kml_model_t *m) {
  int open = m->alert.state != KML_ALERT_OKAY;
  kml_model_init(m);
  return open;
}

kml_model_clock_t kml_model_clock(kml_model_t *m, double t, double now,
                                  unsigned *open) {
  *open = 0;
  if (!isfinite(now))
    return KML_MODEL_CLOCK_OK;
  if (t > now + KML_MODEL_AHEAD_MAX)
    return KML_MODEL_CLOCK_AHEAD;
  if (!(m->rate.last_time > now + KML_MODEL_AHEAD_MAX))
    return KML_MODEL_CLOCK_OK;
  *open = kml_model_open_alerts(m);
  kml_model_reset(m);
  return KML_MODEL_CLOCK_RESTARTED;
}

/* Statistics learn from values within +-KML_DET_VALUE_MAX: a mean stays
 * below that, a variance below its square (4x: differences). */
#define VALUE_BOUND (1.01 * KML_DET_VALUE_MAX)
#define SQUARE_BOUND (4.1 * KML_DET_VALUE_MAX * KML_DET_VALUE_MAX)

static int value_ok(double v) { return isfinite(v) && fabs(v) <= VALUE_BOUND; }
/* a difference of two values, or a mean of them */
static int diff_ok(double v) {
  return isfinite(v) && fabs(v) <= 2 * VALUE_BOUND;
}
static int square_ok(double v) {
  return isfinite(v) && v >= 0 && v <= SQUARE_BOUND;
}
static int time_ok(double t) { return t >= 0 && t <= KML_RATE_TIME_MAX; }

static const char *rate_check(const kml_rate_t *r) {
  if (!time_ok(r->last_time) || !isfinite(r->last_raw) || r->have_raw < 0 ||
      r->have_raw > 2)
    return "rate state";
  return NULL;
}

static const char *histogram_check(const kml_detector_t *d) {
  for (int v = 0; v < KML_DET_VIEWS; v++) {
    int run = v == KML_DET_RUN_VIEW;
    const uint16_t *h = run ? d->run_hist : d->hist[v];
    uint32_t total = 0;
    int top = 0;
    for (int j = 0; j < (run ? KML_DET_RUN_BINS : KML_DET_BINS); j++) {
      total += h[j];
      if (h[j] > 0)
        top = j + 1;
    }
    if (total != d->hist_total[v] || d->top[v] != top)
      return "histogram";
  }
  if (d->run == INT8_MIN)
    return "run length";
  return NULL;
}

static const char *profile_check(const kml_detector_t *d) {
  uint32_t seen = 0;
  int32_t codes = 0;
  if (!value_ok(d->prof_base) || d->prof_exp < -KML_DET_PROF_EXP_MAX ||
      d->prof_exp > KML_DET_PROF_EXP_MAX)
    return "daily profile";
  for (int b = 0; b < KML_DET_SEASON_BINS; b++) {
    int is_seen = (d->prof_seen[b / 8] >> (b % 8)) & 1;
    double v = kml_grid16_value(d->prof_base, d->prof[b], d->prof_exp);
    seen += (uint32_t)is_seen;
    codes += d->prof[b];
    if (!kml_grid16_fits(d->prof[b]) || (!is_seen && d->prof[b] != 0) ||
        !value_ok(v))
      return "daily profile";
  }
  if (seen != d->bins_seen || codes != d->prof_codes)
    return "daily profile";
  return NULL;
}

static const char *detector_check(const kml_detector_t *d) {
  if (!value_ok(d->prev) || !value_ok(d->mean_l) || !value_ok(d->mean_s) ||
      !value_ok(d->mean_m) || !square_ok(d->var_l) ||
      !square_ok(d->season_var) || !(d->step_l >= 0) || !diff_ok(d->step_l) ||
      !(d->step_s >= 0) || !diff_ok(d->step_s))
    return "detector statistics";
  if (!time_ok(d->t0) || !time_ok(d->last_t) || d->t0 > d->last_t ||
      !(d->dt >= 0 && d->dt <= KML_RATE_TIME_MAX))
    return "detector times";
  const char *why = histogram_check(d);
  return why ? why : profile_check(d);
}

/* The forecaster's own ranges (forecast.h), magnitudes a trend
 * smoothing its inputs can reach (a bounded overshoot), and the deviation
 * share's, which forecast.c clamps to the values' (NaN: none). */
static const char *forecast_check(const kml_forecast_t *f) {
  const char *why;
  if (!kml_forecast_valid(f, &why))
    return why;
  double level = (double)f->level_hi + (double)f->level_lo;
  if (!value_ok(level / 100) || !value_ok(f->trend / 100) ||
      !square_ok(f->var1 / 1e4) || !square_ok(f->var_lead / 1e4) ||
      !(isnan(f->dev) || value_ok(f->dev)) ||
      !(isnan(f->dev_rest) || value_ok(f->dev_rest)) || !value_ok(f->dev_xy) ||
      !value_ok(f->dev_xx))
    return "forecast state";
  return NULL;
}

const char *kml_model_check(const kml_model_t *m) {
  const char *why;
  if (m->version != KML_MODEL_VERSION)
    return "wrong version";
  if (m->flags & ~(KML_MODEL_SIGNS | KML_MODEL_NEGATIVE))
    return "unknown flags";
  if (m->win_n > KML_MODEL_WINDOW || m->win_head >= KML_MODEL_WINDOW)
    return "window index";
  for (int i = 0; i < KML_MODEL_WINDOW; i++)
    if (!(isfinite(m->win[i]) && fabs(m->win[i]) <= VALUE_BOUND))
      return "window value";
  if (m->fc_state > KML_ALERT_FAILURE)
    return "alert state";
  if (!isfinite(m->best_t) || !isfinite(m->maint_until) ||
      !(m->best_p >= 0 && m->best_p <= 1))
    return "score record";
  if ((why = rate_check(&m->rate)) != NULL ||
      (why = detector_check(&m->det)) != NULL ||
      (why = kml_tail_check(&m->tail)) != NULL ||
      (why = kml_alert_check(&m->alert)) != NULL ||
      (why = kml_trend_check(&m->trend)) != NULL)
    return why;
  return forecast_check(&m->fc);
}

int kml_model_valid(const kml_model_t *m) { return kml_model_check(m) == NULL; }

int kml_model_update(kml_model_t *m, const kml_model_cfg_t *cfg,
                     kml_ds_kind_t kind, double t, double raw,
                     kml_output_t *out) {
  double x;
  double prev_t = m->rate.last_time; /* 0 before the first sample */
  kml_rate_result_t rc = kml_rate_update(&m->rate, kind, t, raw, &x);
  if (rc != KML_RATE_OK)
    return rc;
  /* The season the forecaster learns against is the one known before
   * this value: after it, the profile holds part of x and the forecast
   * errors the forecaster measures would be shrunk with it. */
  int seasonal = !isfinite(cfg->threshold);
  double season = seasonal ? kml_model_forecast_season(m, t) : NAN;
  /* What the models learn stays finite and fits a float (model.h). */
  double xl = x > KML_DET_VALUE_MAX    ? KML_DET_VALUE_MAX
              : x < -KML_DET_VALUE_MAX ? -KML_DET_VALUE_MAX
                                       : x;
  m->n++;
  m->win[m->win_head] = (float)xl;
  m->win_head = (uint8_t)((m->win_head + 1) % KML_MODEL_WINDOW);
  if (m->win_n < KML_MODEL_WINDOW)
    m->win_n++;
  out->time = t;
  out->value = x;
  int learned = anomaly(m, cfg, t, x, out);
  /* A band reaching below 0 for a gauge never seen below 0 (lag, counts)
   * expects values the series has never had: its lower bound is 0 until a
   * negative value is seen. Only what is shown changes; the scores and
   * alerts never read the band. */
  if (kind == KML_DS_GAUGE && x < 0)
    m->flags |= KML_MODEL_NEGATIVE;
  if (kind == KML_DS_GAUGE &&
      (m->flags & (KML_MODEL_SIGNS | KML_MODEL_NEGATIVE)) == KML_MODEL_SIGNS &&
      out->lower < 0)
    out->lower = 0;

  /* Forecast: errors are measured one horizon ahead (forecast.h). */
  kml_forecast_cfg_t fcfg = cfg->forecast;
  fcfg.lead = cfg->horizon;
  /* With a threshold the forecast does without the detector's daily
   * profile: learned from the raw values, it absorbs a ramp that lasts
   * hours (today's bins rise with it), which hid the ramp from the trend
   * and cut the warning before an SLA breach to minutes. */
  /* The season one horizon ahead, as the forecast below gets it (the
   * detector has learned x already): the forecaster measures how much of
   * its level's deviation lasts on the forecast as made. */
  double season_h =
      seasonal ? kml_model_forecast_season(m, t + cfg->horizon) : NAN;
  if (learned) /* an absurd value is scored, never learned */
    kml_forecast_update(&m->fc, &fcfg, t, prev_t > 0 ? t - prev_t : 0, xl,
                        season, season_h);
  /* No forecast before the forecaster's warm-up (at least one lead of
   * time and one error measured at the lead): a young level lags a ramp
   * and its trend is not known yet, so a dashboard would show lag in 30
   * minutes below lag now. */
  out->forecast = out->forecast_upper = out->forecast_lower = NAN;
  if ((cfg->want_forecast || isfinite(cfg->threshold)) &&
      kml_forecast_ready(&m->fc, &fcfg) &&
      kml_forecast_at(&m->fc, &fcfg, t, cfg->horizon, season_h, &out->forecast,
                      &out->forecast_lower, &out->forecast_upper) != 0)
    out->forecast = out->forecast_upper = out->forecast_lower = NAN;
  out->eta = -1;
  out->fc_changed = 0;
  out->fc_alert = (kml_alert_state_t)m->fc_state;
  if (isfinite(cfg->threshold)) {
    kml_alert_state_t next;
    if (x >= cfg->threshold) {
      out->eta = 0;
      next = KML_ALERT_FAILURE;
    } else {
      /* -1 also while the forecaster warms up (in time, not values) */
      out->eta = kml_forecast_breach(&m->fc, &fcfg, t, cfg->threshold,
                                     cfg->horizon, NULL, NULL);
      next = out->eta >= 0 ? KML_ALERT_WARNING : KML_ALERT_OKAY;
    }
    /* Hysteresis: three values without a predicted breach end an alert;
     * a FAILURE (threshold crossed) steps down only to OKAY. */
    if (next == KML_ALERT_OKAY && m->fc_state != KML_ALERT_OKAY) {
      if (++m->fc_calm < 3)
        next = (kml_alert_state_t)m->fc_state;
    } else {
      m->fc_calm = 0;
    }
    if (m->fc_state == KML_ALERT_FAILURE && next == KML_ALERT_WARNING)
      next = KML_ALERT_FAILURE;
    if (next != m->fc_state) {
      m->fc_state = (uint8_t)next;
      m->fc_calm = 0;
      out->fc_changed = 1;
    }
    out->fc_alert = next;
  }
  return KML_RATE_OK;
}
