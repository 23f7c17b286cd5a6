/* tail: see tail.h. Constants and how they were chosen:
 * - KML_TAIL_TARGET 4 clusters per day: sparse next to the half hour that
 *   separates clusters (so clusters stay distinct at any interval), and
 *   48 maxima then span about twelve days, longer than the memory.
 * - STEP 0.25 bit per calm time (30 min) with an exceedance: the
 *   threshold's saw-tooth stays well below the scale of the excesses (0.5
 *   to 1.5 bits measured on noise), a threshold 3 bits too high comes down
 *   in three days, and a long run of exceedances raises it (counting
 *   clusters alone would let it sink until everything merges into one).
 * - The clusters per day are (decayed count + PRIOR_CLUSTERS) / (decayed
 *   time + PRIOR_CLUSTERS / target): one pseudo-cluster at the target rate,
 *   so a series that never exceeds u (a flat line) has a finite, shrinking
 *   rate. Before MIN_FIT maxima, the excess model is an exponential whose
 *   scale is the ring's mean shrunk toward 1/ln 2 with PRIOR_PEAKS
 *   pseudo-maxima. (bench/bench_calibration measured these choices.)
 * - UPPER_P 0.01: the level, for the whole ring, at which its upper
 *   maxima reject a fit (fit_upper); set before any measurement, the
 *   usual 1%, not tuned (a second group of 4 in 32 maxima rejects its
 *   bulk's fit at about 1e-6, one capped incident maximum does not).
 * - Below u the rate continues the exponential with the fitted scale: only
 *   the score uses it; a notification needs an open cluster.
 * - Why the default budget (0.02) is exceeded on skewed noise: a
 *   maximum-likelihood fit of a few dozen maxima, plugged in, is exceeded more
 *   often than it says far beyond them. On exact GPD excesses (40, shape -0.1
 *   to 0.08) it is exceeded 1.6 to 2.6 times as often as it says at the share
 *   0.005 (the default budget at TARGET clusters per day), as bench_calibration
 *   pages 1.40 to 3.23 times that budget (to 3.45 on other seeds), all from the
 *   excess model: at the right cluster rate, a median 8.6 bits past u, in every
 *   view, flat over days 4 to 20. Lognormal's maxima have a shape near +0.07,
 *   but a ring of about 30 fits anywhere from -0.18 to +0.30, and the rings
 *   fitted bounded page most (6.6x the budget on lognormal). The cap is not the
 *   cause: 0.1% (Gaussian) to 0.6% (lognormal) of the maxima reach it, and
 *   learning them uncapped moved lognormal only from 3.10 to 2.85. A Bayes
 *   estimate (posterior-mean log quantiles, flat prior on the shape in
 *   [MIN_SHAPE, MAX_SHAPE] and on the log scale, capped maxima as censored)
 *   kept every noise within 2x (0.83 to 1.93 at 0.02 and 5 min; 0.97 to 1.68 on
 *   seeds not used to design it) but notified less on real series: NAB
 *   notifications 32.3 instead of 40.4 in sample (35.9 at a budget of 0.04,
 *   main's false rate), 4 of 12 slow simulated consumers instead of 6, stalls
 *   an interval later. Not kept: the budget is met by giving up detections
 *   early in a series' life, where the few maxima leave the tail most
 *   uncertain. The GPD's Bayesian predictive under Jeffreys' prior, and a
 *   bounded fit believed only where the maxima reject the exponential (a
 *   likelihood-ratio test at 5%: lognormal 3.23 -> 2.10, the others within
 *   1.3), were measured the same way and not kept for the same reason
 *   (doc/DESIGN-NOTES.md, Measuring the models). */
#include "tail.h"
#include "gpd.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#define DAY 86400.0
#define VIEWS 7            /* the detector's views (Bonferroni factor) */
#define IDEAL_SCALE 1.4427 /* 1 / ln 2: excess of -log2 of a p-value */
#define PRIOR_PEAKS 2.0    /* pseudo-maxima at the ideal scale */
#define PRIOR_CLUSTERS 1.0 /* pseudo-clusters at the target rate */
#define STEP 0.25          /* bits u rises per calm time with exceedances */
#define MIN_FIT 8          /* maxima before a GPD fit */
#define REFIT 4            /* new maxima between two fits */
#define MAX_SHAPE 0.5      /* heavier tails than this are not believed */
#define MIN_SHAPE -0.3     /* a fit more bounded falls back to exponential */
#define FLOOR_SF 1e-6      /* a bounded tail continues exponentially here */
#define CAP_SHARE 1e-3     /* a learned maximum is capped at this quantile */
#define U_MIN 4.0          /* bits: a rarest view at p > 1/16 never counts */
#define TIE STEP           /* excesses within u's step: ties, not tail */
#define TIED_P 0.05        /* level of the test that tells ties apart */
#define UPPER_P 0.01       /* level of the test of the fit's upper tail */

void kml_tail_init(kml_tail_t *tl) {
  memset(tl, 0, sizeof(*tl));
  tl->cmax = -1;
}

/* Excess i of the ring in bits (the middle of its step). */
static double peak(const kml_tail_t *tl, int i) {
  return (tl->peaks[i] + 0.5) / KML_TAIL_UNITS;
}

/* Clusters per second above u. */
static double cluster_rate(const kml_tail_t *tl) {
  double prior_t = PRIOR_CLUSTERS * DAY / KML_TAIL_TARGET;
  return (tl->clusters + PRIOR_CLUSTERS) / (tl->span + prior_t);
}

/* The excesses the fit sees: those beyond TIE (u's own step), less TIE.
 * u only knows where it sits to within STEP, and a series whose
 * surprise ties at a few values (a binned view scoring one recurring
 * event, tail.h) keeps u just under one of them: the excesses within
 * TIE then measure u's saw-tooth under that value, not the tail, and a
 * fit to them says the tail ends (or thins) a fraction of a bit past it.
 * So when the ring shows ties (tied()), the tail is fitted above u + TIE
 * (peaks over a higher threshold are GPD too, with the same shape), and
 * the share of maxima that reach it is counted apart. Returns how many;
 * y[] gets them. */
static int beyond(const kml_tail_t *tl, double *y) {
  int k = 0;
  for (int i = 0; i < tl->n_peaks; i++)
    if (peak(tl, i) > TIE)
      y[k++] = peak(tl, i) - TIE;
  return k;
}

/* Share of cluster maxima beyond TIE after k of n (a prior worth
 * PRIOR_PEAKS maxima of the ideal tail, which reaches TIE with
 * exp(-TIE / IDEAL_SCALE)). */
static double share(int k, int n) {
  return (k + PRIOR_PEAKS * exp(-TIE / IDEAL_SCALE)) / (n + PRIOR_PEAKS);
}

/* The exponential tail with its scale unknown (a conjugate prior worth
 * PRIOR_PEAKS maxima at the ideal scale): its predictive distribution
 * after k excesses summing to S is a GPD with shape 1 / (k + a) and scale
 * (S + a ideal) / (k + a), heavier than any single exponential while the
 * maxima are few, the exponential itself when they are many. */
static kml_gpd_t exp_predictive(const double *y, int k) {
  double sum = 0, a = PRIOR_PEAKS;
  for (int i = 0; i < k; i++)
    sum += y[i];
  return (kml_gpd_t){1 / (k + a), (sum + a * IDEAL_SCALE) / (k + a)};
}

/* Are there ties? More maxima within TIE than the ideal tail puts there
 * (1 - exp(-TIE / IDEAL_SCALE), 16%), at the TIED_P level: the binned
 * views' tied surprises hold u's saw-tooth under them (half or more of
 * the maxima within TIE on the saw-tooth and the cron every 15 min),
 * while a young ring of continuous surprises (hot partitions, stalls and
 * retention overtakes in simulated Kafka series, 8 to 16 maxima, 1 to 5
 * within TIE) keeps every maximum: fitted above u + TIE it lost those
 * within it, and the few left made its tail heavier or less bounded, so
 * that incidents paged later (kafka-ml simulate --seed 5: a hot partition
 * 248 intervals later, a retention overtake 22). */
static int tied(int k, int n) {
  double p0 = 1 - exp(-TIE / IDEAL_SCALE);
  return n > k &&
         gsl_cdf_binomial_Q((unsigned)(n - k - 1), p0, (unsigned)n) < TIED_P;
}

static double tail_sf(const kml_gpd_t *m, double q, double lift, double y);

/* A fit to a few dozen maxima follows their bulk: when a second group of
 * maxima sits well above it (a view's top bin reached by a recurring
 * spike, 3 to 5 bits past the rest), one GPD puts that group at a tenth or
 * a hundredth of the share the ring holds, and each recurrence pages
 * (doc/DESIGN-NOTES.md, Measuring the models). So the fit g (share q of
 * the maxima beyond lift) is tested on the ring's own upper order
 * statistics: it is rejected when, for some j, fewer than j maxima would
 * reach the j-th highest as often as the ring's did (P(Binomial(n, sf(y_j))
 * >= j) below UPPER_P, Sidak-corrected over the maxima beyond lift; the
 * least share c_j the ring accepts at y_j is a beta quantile, GSL). Where
 * it is rejected, the fit's shape describes the misfit more than the tail,
 * and the excess model becomes the exponential (the ideal tail's form)
 * with the least scale that every y_j accepts, or its mean excess if that
 * is wider: the group is then read as part of the series' tail, and the
 * tail beyond it falls at the group's own distance rather than at a heavy
 * shape's (a GPD of shape 0.5 widened to reach the group made a value 20
 * bits past u rate above the default budget on 7 of 20 seeds, tests/unit/
 * test_tail.c). A fit the ring does not reject is kept as it is. */
static kml_gpd_t fit_upper(const kml_tail_t *tl, kml_gpd_t g, double q,
                           double lift, double mean_scale) {
  uint8_t s[KML_TAIL_PEAKS];
  int n = tl->n_peaks, m = 0, rejected = 0;
  double need = 0;
  memcpy(s, tl->peaks, (size_t)n);
  for (int a = 1; a < n; a++) /* descending insertion sort, n <= 48 */
    for (int b = a; b > 0 && s[b] > s[b - 1]; b--) {
      uint8_t x = s[b];
      s[b] = s[b - 1];
      s[b - 1] = x;
    }
  while (m < n && (double)s[m] / KML_TAIL_UNITS > lift)
    m++;
  if (m < 1)
    return g;
  double level = 1 - pow(1 - UPPER_P, 1.0 / m);
  for (int j = 1; j <= m; j++) {
    double y = (double)s[j - 1] / KML_TAIL_UNITS; /* its step's lower edge */
    double c = gsl_cdf_beta_Pinv(level, j, n - j + 1);
    if (!(c < q)) /* the share beyond lift itself is at fault */
      return g;
    rejected |= tail_sf(&g, q, lift, y) < c;
    need = fmax(need, (y - lift) / log(q / c));
  }
  return rejected ? (kml_gpd_t){0, fmax(need, mean_scale)} : g;
}

static void fit(kml_tail_t *tl) {
  double y[KML_TAIL_PEAKS];
  int n = tl->n_peaks, k = beyond(tl, y), lift = tied(k, n);
  kml_gpd_t g;
  tl->since_fit = 0;
  if (n < MIN_FIT)
    return;
  if (!lift) { /* every maximum, above u itself */
    for (int i = 0; i < n; i++)
      y[i] = peak(tl, i);
    if (kml_gpd_fit(y, n, &g) != 0)
      return;
  } else if (k < MIN_FIT || kml_gpd_fit(y, k, &g) != 0) {
    g = exp_predictive(y, k); /* few beyond TIE: the predictive, kept */
  }
  /* Shapes in [MIN_SHAPE, MAX_SHAPE]: a fit more bounded than that (or a
   * degenerate one) falls back to the exponential with the shrunk mean
   * excess; a heavier one is capped. (bench/bench_calibration: the raw
   * fit, light or heavy, kept Gaussian, Laplace, lognormal, Poisson and
   * random-walk noise within 0.6 to 1.6 of budgets of 0.1 and 1.) */
  double mean_scale = exp_predictive(y, lift ? k : n).scale;
  double q = lift ? share(k, n) : 1; /* of the maxima, beyond the lift */
  if (g.shape == 0 || !(g.shape >= MIN_SHAPE))
    g = (kml_gpd_t){0, mean_scale};
  if (g.shape > MAX_SHAPE)
    g.shape = MAX_SHAPE;
  g = fit_upper(tl, g, q, lift ? TIE : 0, mean_scale);
  tl->shape = (float)g.shape;
  tl->scale = (float)g.scale;
  tl->reach = lift ? (uint8_t)lround(255 * q) : 0;
}

/* The excess model beyond u + *lift and the share *q of maxima that get
 * there: the last fit (beyond TIE when it told ties apart, reach > 0;
 * else beyond u), else (fewer than MIN_FIT maxima, too few to tell ties
 * from a tail) the exponential's predictive of all the maxima, beyond u. */
static kml_gpd_t model(const kml_tail_t *tl, double *q, double *lift) {
  if (tl->scale > 0) { /* reach 0: a fit beyond u itself (no ties, or a
                          state written before they were told apart) */
    *q = tl->reach > 0 ? tl->reach / 255.0 : 1;
    *lift = tl->reach > 0 ? TIE : 0;
    return (kml_gpd_t){tl->shape, tl->scale};
  }
  double y[KML_TAIL_PEAKS];
  for (int i = 0; i < tl->n_peaks; i++)
    y[i] = peak(tl, i);
  *q = 1;
  *lift = 0;
  return exp_predictive(y, tl->n_peaks);
}

/* P(cluster maximum > u + y) under m; a bounded tail (shape < 0) goes on
 * falling exponentially past the level it gives FLOOR_SF, so nothing is
 * impossible and larger surprises still rank higher. */
static double excess_sf(const kml_gpd_t *m, double y) {
  if (m->shape >= 0)
    return kml_gpd_sf(m, y);
  double y0 = kml_gpd_quantile(m, FLOOR_SF);
  if (y < y0)
    return kml_gpd_sf(m, y);
  return FLOOR_SF * exp(-(y - y0) / m->scale);
}

/* P(cluster maximum > u + y): 1 at u, falling linearly to the share q
 * at lift (the ties' own width), the excess model beyond. */
static double tail_sf(const kml_gpd_t *m, double q, double lift, double y) {
  if (y < lift)
    return 1 - (1 - q) * y / lift;
  return q * excess_sf(m, y - lift);
}

static double rate_at(const kml_tail_t *tl, double g) {
  double q, lift;
  kml_gpd_t m = model(tl, &q, &lift);
  double y = g - tl->u;
  double r = cluster_rate(tl) * DAY;
  if (y < 0)
    return r * exp(-y / m.scale); /* the body: same slope, for the score */
  r *= tail_sf(&m, q, lift, y);
  return r > 1e-300 ? r : 1e-300;
}

double kml_tail_open_rate(const kml_tail_t *tl) {
  return tl->cmax >= 0 ? rate_at(tl, tl->u + tl->cmax) : INFINITY;
}

/* End the open cluster; learn its maximum when learn is set, capped at
 * the level only CAP_SHARE of the clusters reach (an incident must not make
 * the series deaf to the next one). */
static void close_cluster(kml_tail_t *tl, int learn) {
  if (tl->cmax < 0)
    return;
  if (learn) {
    double q, lift;
    kml_gpd_t m = model(tl, &q, &lift);
    double cap =
        CAP_SHARE < q ? lift + kml_gpd_quantile(&m, CAP_SHARE / q) : lift;
    double y = fmin(tl->cmax, cap);
    y = floor(y * KML_TAIL_UNITS);
    tl->peaks[tl->head] = (uint8_t)(y > 255 ? 255 : y < 0 ? 0 : y);
    tl->head = (uint8_t)((tl->head + 1) % KML_TAIL_PEAKS);
    if (tl->n_peaks < KML_TAIL_PEAKS)
      tl->n_peaks++;
    if (++tl->since_fit >= REFIT)
      fit(tl);
  }
  tl->cmax = -1;
}

void kml_tail_forget_cluster(kml_tail_t *tl) { close_cluster(tl, 0); }

void kml_tail_update(kml_tail_t *tl, double t, double dt, double g,
                     double memory, double calm, int learn,
                     kml_tail_out_t *out) {
  /* u is set a bit below the ideal level for the target at interval dt,
   * but at a series' first value the interval is not learned yet (the
   * detector says 1 s): u starts at the 1 s level, 3.3 bits above the
   * interval's at 10 s, 8.2 bits at 5 min. Nothing is learned during the
   * warm-up, so the first clusters come a day or more after it, once the
   * quiet creep brought u down: a slow start, which keeps a young ring (few
   * maxima) from paging. Two faster starts were measured and not kept:
   * u at the interval's level, and u's steps scaled by MIN_FIT/(n+1) while
   * the ring holds n < MIN_FIT maxima. Each notified simulated stalls
   * sooner (median 1.5 to 2 intervals, was 2 to 3) but paged falsely more
   * often (13 instead of 9 in 14,112 series-hours of fresh simulated
   * seeds), scored lower on NAB and went further over the default budget
   * on four noises of five (bench/quality.py, bench/bench_calibration). */
  if (!(tl->u > 0)) {
    tl->u = (float)fmax(U_MIN, log2(VIEWS * DAY / (KML_TAIL_TARGET * dt)) - 1);
    tl->last_exceed = t;
  }
  out->u = tl->u;
  if (g < 0) {
    out->rate = DAY / dt;
    out->active = tl->cmax >= 0;
    out->since = out->active ? tl->cstart : t;
    return;
  }
  out->rate = fmin(rate_at(tl, g), DAY / dt);
  /* Cluster bookkeeping (the open cluster ends after calm seconds). */
  if (tl->cmax >= 0 && t - tl->last_exceed > calm)
    close_cluster(tl, learn);
  if (g > tl->u) {
    double gap = t - tl->last_exceed;
    if (tl->cmax < 0) {
      tl->cmax = 0;
      tl->cstart = t;
      if (learn)
        tl->clusters += 1;
    }
    if (g - tl->u > tl->cmax)
      tl->cmax = (float)(g - tl->u);
    tl->last_exceed = t;
    /* u steps up by one STEP per calm time with an exceedance: an isolated
     * one counts whole, one soon after another counts its share, so a long
     * run of them (a merged cluster) pushes u up and cannot trap it low */
    if (learn)
      tl->u += (float)(STEP * fmin(1, gap / calm));
  }
  out->active = tl->cmax >= 0;
  out->since = out->active ? tl->cstart : t;
  if (learn) {
    /* u creeps down so that, in balance, TARGET clusters per day step it
     * up; faster the longer no value exceeded it (after a transient that
     * pushed it too high); never below U_MIN. Counts decay by the share of
     * a memory that passed. */
    double quiet = (t - tl->last_exceed) * KML_TAIL_TARGET / DAY;
    tl->u -= (float)(STEP * KML_TAIL_TARGET * dt / DAY * fmax(1, quiet));
    if (tl->u < U_MIN)
      tl->u = U_MIN;
    double f = fmin(dt / memory, 1);
    tl->clusters *= (float)(1 - f);
    tl->span = (float)(tl->span * (1 - f) + dt);
  }
}

const char *kml_tail_check(const kml_tail_t *tl) {
  if (!(tl->u >= 0 && tl->u < 1e4))
    return "tail threshold";
  if (!(tl->cmax == -1 || (tl->cmax >= 0 && tl->cmax < 1e6)))
    return "tail cluster maximum";
  if (!(tl->clusters >= 0 && tl->clusters < 1e9) ||
      !(tl->span >= 0 && tl->span < 1e12))
    return "tail cluster count";
  if (!(tl->scale >= 0 && tl->scale < 1e6) ||
      !(tl->shape >= MIN_SHAPE && tl->shape <= MAX_SHAPE))
    return "tail fit";
  if (!isfinite(tl->last_exceed) || !isfinite(tl->cstart))
    return "tail times";
  if (tl->n_peaks > KML_TAIL_PEAKS || tl->head >= KML_TAIL_PEAKS ||
      tl->since_fit > REFIT)
    return "tail ring index";
  return NULL;
}
