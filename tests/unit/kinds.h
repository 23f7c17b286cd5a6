/* kinds: seeded generators of anomaly-free series of the shapes a collectd
 * fleet and Kafka produce besides stationary noise (noise.h): sparse
 * counts, integer gauges on a few values, cron spikes, saw-teeth, gaps,
 * jittered timestamps, a constant that gains noise, a disk filled and
 * emptied by retention, counters that wrap or restart, extreme scales.
 * None of them holds an incident: every notification on them is false.
 * For the audit benchmark (bench/bench_kinds) and its unit test. Every
 * time constant of a shape is in seconds (the same shape at any
 * interval), except the sparse counts' rate, which is per value.
 * Header-only; one generator per thread. */
#ifndef KML_TEST_KINDS_H
#define KML_TEST_KINDS_H

#include "kml_rate.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>

typedef enum {
  KML_KIND_SPARSE,         /* Poisson counts, 0.05 per value */
  KML_KIND_LEVELS,         /* a consumer count on 1-4, moving +-1 every ~2 h */
  KML_KIND_ISR,            /* 3, down to 2 for 1-10 min about 3 times a day */
  KML_KIND_CRON_HOUR,      /* noise, one value +20 sd at every full hour */
  KML_KIND_CRON_15MIN,     /* the same every quarter hour */
  KML_KIND_SAWTOOTH,       /* 0 to 1000 over 40 min, then 0 again, 1% noise */
  KML_KIND_GAPS,           /* Gaussian noise, a gap of 10 min to 2 h a day */
  KML_KIND_GAPS_WALK,      /* a random walk with the same gaps */
  KML_KIND_JITTER,         /* Gaussian noise at times +-40% of the interval */
  KML_KIND_JITTER_COUNTER, /* a DERIVE counter of Poisson arrivals, the same */
  KML_KIND_CONSTANT,       /* 42, for ever */
  KML_KIND_CONSTANT_TINY,  /* 100, then from day 3 noise of sd 1e-4 */
  KML_KIND_CONSTANT_NOISE, /* 100, then from day 3 noise of sd 1 */
  KML_KIND_DISK_DAILY,     /* a disk filled at a steady rate, emptied by
                              retention once a day at 03:00 */
  KML_KIND_DISK_RAMP,      /* a disk filling at a steady rate */
  KML_KIND_COUNTER_WRAP,   /* a 32-bit COUNTER wrapping every ~6 h */
  KML_KIND_DERIVE_RESET,   /* a DERIVE counter restarted about once a day */
  KML_KIND_SCALE_SMALL,    /* Gaussian noise at 1e-6, sd 1e-7 */
  KML_KIND_SCALE_LARGE,    /* Gaussian noise at 1e12, sd 1e10 */
  KML_KINDS
} kml_kind_t;

static inline const char *kml_kind_name(kml_kind_t k) {
  static const char *const names[] = {
      "sparse",         "levels",         "isr",        "cron_hour",
      "cron_15min",     "sawtooth",       "gaps",       "gaps_walk",
      "jitter",         "jitter_counter", "constant",   "constant_tiny",
      "constant_noise", "disk_daily",     "disk_ramp",  "counter_wrap",
      "derive_reset",   "scale_small",    "scale_large"};
  return k < KML_KINDS ? names[k] : "?";
}

typedef struct {
  gsl_rng *r;
  kml_kind_t kind;
  double t0, interval;
  long i;                  /* the next step */
  double level;            /* a walk's or a gauge's level, a disk's fill */
  double counter;          /* a counter's raw value */
  double change_at;        /* next change of a gauge, or next restart */
  double gap_from, gap_to; /* the next gap */
  double t_prev;           /* time of the last sample */
} kml_kind_gen_t;

typedef struct {
  double t, raw;
  kml_ds_kind_t ds;
  int event; /* 1 on a sample of a shape's own event: a cron spike, the
                first sample after a gap, a restart, a retention cut */
} kml_kind_sample_t;

#define KML_KIND_DAY 86400.0

static inline double kml_kind_exp(gsl_rng *r, double mean) {
  return gsl_ran_exponential(r, mean);
}

/* Start a generator of kind k at interval seconds; r is seeded by the
 * caller. t0 is on a whole day (cron spikes and retention on the clock). */
static inline void kml_kind_start(kml_kind_gen_t *g, kml_kind_t k, gsl_rng *r,
                                  double interval) {
  *g = (kml_kind_gen_t){.r = r, .kind = k, .interval = interval};
  g->t0 = 19675 * KML_KIND_DAY; /* 2023-11-14 00:00 UTC */
  g->t_prev = 0;
  switch (k) {
  case KML_KIND_LEVELS:
    g->level = 1 + (double)gsl_rng_uniform_int(r, 4);
    g->change_at = g->t0 + kml_kind_exp(r, 7200);
    break;
  case KML_KIND_ISR:
    g->level = 3;
    g->change_at = g->t0 + kml_kind_exp(r, KML_KIND_DAY / 3);
    break;
  case KML_KIND_GAPS:
  case KML_KIND_GAPS_WALK:
    g->gap_from = g->t0 + kml_kind_exp(r, KML_KIND_DAY);
    g->gap_to = g->gap_from + 600 + gsl_rng_uniform(r) * 6600;
    break;
  case KML_KIND_DISK_DAILY:
  case KML_KIND_DISK_RAMP:
    g->level = 2e9 * (1 + gsl_rng_uniform(r));
    break;
  case KML_KIND_COUNTER_WRAP:
    g->counter = floor(gsl_rng_uniform(r) * 4294967296.0);
    break;
  case KML_KIND_DERIVE_RESET:
  case KML_KIND_JITTER_COUNTER:
    g->counter = floor(gsl_rng_uniform(r) * 1e9);
    g->change_at = g->t0 + kml_kind_exp(r, KML_KIND_DAY);
    break;
  default:
    break;
  }
}

/* The sample of the next step; 0 when the step has none (a gap). */
static inline int kml_kind_next(kml_kind_gen_t *g, kml_kind_sample_t *s) {
  gsl_rng *r = g->r;
  double dt = g->interval, t = g->t0 + (double)g->i * dt;
  g->i++;
  s->t = t;
  s->ds = KML_DS_GAUGE;
  s->event = 0;
  double noise = gsl_ran_gaussian_ziggurat(r, 1);
  switch (g->kind) {
  case KML_KIND_SPARSE:
    s->raw = gsl_ran_poisson(r, 0.05);
    break;
  case KML_KIND_LEVELS:
    while (t >= g->change_at) {
      double to = g->level + (gsl_rng_uniform(r) < 0.5 ? -1 : 1);
      g->level = to < 1 ? 2 : to > 4 ? 3 : to;
      g->change_at += kml_kind_exp(r, 7200);
      s->event = 1;
    }
    s->raw = g->level;
    break;
  case KML_KIND_ISR:
    while (t >= g->change_at) {
      s->event = 1;
      if (g->level == 3) {
        g->level = 2;
        g->change_at += 60 + gsl_rng_uniform(r) * 540;
      } else {
        g->level = 3;
        g->change_at += kml_kind_exp(r, KML_KIND_DAY / 3);
      }
    }
    s->raw = g->level;
    break;
  case KML_KIND_CRON_HOUR:
  case KML_KIND_CRON_15MIN: {
    double period = g->kind == KML_KIND_CRON_HOUR ? 3600 : 900;
    s->event = fmod(t - g->t0, period) < dt;
    s->raw = 100 + 5 * noise + (s->event ? 100 : 0);
    break;
  }
  case KML_KIND_SAWTOOTH:
    s->raw = 1000 * fmod(t - g->t0, 2400) / 2400 + 10 * noise;
    break;
  case KML_KIND_GAPS:
  case KML_KIND_GAPS_WALK:
    g->level += noise;
    if (t >= g->gap_from && t < g->gap_to)
      return 0;
    if (t >= g->gap_to) {
      s->event = 1;
      g->gap_from = t + kml_kind_exp(r, KML_KIND_DAY);
      g->gap_to = g->gap_from + 600 + gsl_rng_uniform(r) * 6600;
    }
    s->raw = g->kind == KML_KIND_GAPS ? 100 + 5 * noise : 1000 + g->level;
    break;
  case KML_KIND_JITTER:
  case KML_KIND_JITTER_COUNTER: {
    double at = t + (gsl_rng_uniform(r) - 0.5) * 0.8 * dt;
    s->t = at;
    if (g->kind == KML_KIND_JITTER) {
      s->raw = 100 + 5 * noise;
      break;
    }
    if (g->t_prev > 0)
      g->counter += gsl_ran_poisson(r, 50 * (at - g->t_prev));
    g->t_prev = at;
    s->raw = g->counter;
    s->ds = KML_DS_DERIVE;
    break;
  }
  case KML_KIND_CONSTANT:
    s->raw = 42;
    break;
  case KML_KIND_CONSTANT_TINY:
  case KML_KIND_CONSTANT_NOISE: {
    double sd = g->kind == KML_KIND_CONSTANT_TINY ? 1e-4 : 1;
    int noisy = t - g->t0 >= 3 * KML_KIND_DAY;
    s->event = noisy && t - g->t0 < 3 * KML_KIND_DAY + dt;
    s->raw = 100 + (noisy ? sd * noise : 0);
    break;
  }
  case KML_KIND_DISK_DAILY:
  case KML_KIND_DISK_RAMP: {
    /* 1 GB a day at a steady rate, written in small irregular steps */
    g->level += 1e9 * dt / KML_KIND_DAY * (1 + 0.2 * noise);
    double day_at = fmod(t - g->t0, KML_KIND_DAY);
    if (g->kind == KML_KIND_DISK_DAILY && day_at >= 3 * 3600 &&
        day_at < 3 * 3600 + dt) {
      g->level -= 1e9; /* yesterday's segments deleted */
      s->event = 1;
    }
    s->raw = g->level;
    break;
  }
  case KML_KIND_COUNTER_WRAP:
    g->counter += dt * (2e5 + 2e3 * noise);
    if (g->counter >= 4294967296.0) {
      g->counter -= 4294967296.0;
      s->event = 1;
    }
    s->raw = floor(g->counter);
    s->ds = KML_DS_COUNTER;
    break;
  case KML_KIND_DERIVE_RESET:
    g->counter += dt * (1000 + 30 * noise);
    if (t >= g->change_at) {
      g->counter = dt * gsl_rng_uniform(r) * 1000;
      g->change_at = t + kml_kind_exp(r, KML_KIND_DAY);
      s->event = 1;
    }
    s->raw = floor(g->counter);
    s->ds = KML_DS_DERIVE;
    break;
  case KML_KIND_SCALE_SMALL:
    s->raw = 1e-6 + 1e-7 * noise;
    break;
  case KML_KIND_SCALE_LARGE:
    s->raw = 1e12 + 1e10 * noise;
    break;
  default:
    s->raw = 0;
    break;
  }
  return 1;
}

#endif
