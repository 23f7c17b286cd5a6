/* bench_cause: how well and at what cost the ml plugin explains why a
 * group backed up (src/ml/cause.c, matching in src/ml/xcorr.c) and judges
 * brokers on several values at once (src/ml/multipeers.c), on incidents
 * with a known cause (src/cli/chain_sim.c), for bench/cause.py.
 *
 *   bench_cause precision FROM N   incidents of seeds FROM..FROM+N-1 (slow
 *                                  broker, then a stalled group), each
 *                                  explained at its notification time with
 *                                  every matching method: one line per
 *                                  kind and method, "key=value ..."
 *   bench_cause cost BROKERS PARTITIONS
 *                                  CPU time per interval of the chain
 *                                  (filing a cluster's values, one
 *                                  explanation) against the older
 *                                  correlation hint (correlate.h) over the
 *                                  same series, and of a several-value
 *                                  brokers block against four single-value
 *                                  blocks over the same values
 *
 * Deterministic for its arguments but for the timings. */
#include "cli/chain_sim.h"
#include "ml/cause.h"
#include "ml/correlate.h"
#include "ml/multipeers.h"
#include "ml/peer_groups.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ------------------------------------------------------------ precision */

typedef struct {
  kml_cause_t *c;
  double until;
} feed_t;

static void file_values(void *ud, const char *const id[5], int n,
                        const char *const *ds, const double *v, double t) {
  feed_t *f = ud;
  if (t > f->until)
    return;
  for (int i = 0; i < n; i++)
    if (kml_cause_feed(f->c, id, ds[i], KML_DS_GAUGE, t, v[i]) != 0) {
      fprintf(stderr, "bench_cause: out of memory\n");
      exit(1);
    }
}

typedef struct {
  int cases;
  int named_parts, right_parts; /* partitions named / truly backed */
  int backed_counted, truth_backed;
  int leader, outlier, app, res, whole; /* slow broker */
  int consumer_side, false_outlier;     /* stall */
  int matched[2];                       /* a match named per scope */
  double ns;                            /* CPU time of the explanations */
} score_t;

/* A way of naming the best match: the matching method, and how a best
 * match is kept (a fixed |r| floor alone, or also significant among as
 * many candidates, or also not named when the backlog is the consumer's). */
typedef struct {
  const char *name;
  kml_xcorr_method_t method;
  double alpha;
  int consumer_quiet;
} variant_t;

static void one(kml_chainsim_kind_t kind, uint64_t seed, const variant_t *v,
                score_t *s) {
  kml_chainsim_cfg_t sc = kml_chainsim_defaults();
  sc.kind = kind;
  kml_cause_cfg_t cc = kml_cause_defaults();
  cc.xcorr.method = v->method;
  cc.alpha = v->alpha;
  cc.consumer_quiet = v->consumer_quiet;
  char err[256];
  kml_cause_t *c = kml_cause_new(&cc, err, sizeof(err));
  if (c == NULL) {
    fprintf(stderr, "bench_cause: %s\n", err);
    exit(1);
  }
  kml_chainsim_truth_t truth;
  feed_t f = {c, -1};
  kml_chainsim_run(&sc, seed, file_values, &f, &truth); /* the truth */
  f.until = truth.at;
  kml_chainsim_run(&sc, seed, file_values, &f, &truth);
  kml_cause_trigger_t t = {.id = {"prod", "kafka", "", "kafka_lag", "total"},
                           .ds = "value",
                           .time = truth.at};
  snprintf(t.id[2], sizeof(t.id[2]), "%s", truth.group);
  kml_cause_chain_t ch;
  double t0 = cpu_ns();
  kml_cause_explain(c, &t, 1, &ch);
  s->ns += cpu_ns() - t0;
  kml_cause_destroy(c);
  s->cases++;
  int right = 0;
  for (int i = 0; i < ch.n_part; i++)
    right += kml_chainsim_backed(&truth, ch.part[i].ti);
  s->named_parts += ch.n_part;
  s->right_parts += right;
  s->backed_counted += ch.parts_backed;
  s->truth_backed += truth.n_backed;
  for (int k = 0; k < 2 && k < ch.n_best; k++)
    s->matched[k] += ch.best[k].m.key[0] != '\0';
  if (kind == KML_CHAINSIM_STALL) {
    s->consumer_side += ch.parts_backed == ch.parts_seen && ch.parts_seen >= 2;
    for (int i = 0; i < ch.n_leaders; i++)
      if (ch.leader[i].outlier) {
        s->false_outlier++;
        break;
      }
    return;
  }
  int leader = ch.n_leaders > 0 && ch.leader[0].id == truth.cause_broker;
  int outlier = leader && ch.leader[0].outlier;
  int app = kml_chainsim_names_broker(&truth, ch.best[0].m.key);
  int res = kml_chainsim_names_host(&truth, ch.best[1].m.key);
  s->leader += leader;
  s->outlier += outlier;
  s->app += app;
  s->res += res;
  s->whole += right == ch.n_part && ch.parts_backed == truth.n_backed &&
              outlier && app && res;
}

/* alpha: the family-wise level of the significance rule to measure (the
 * shipped default unless given). */
static int precision(uint64_t from, int n, double alpha) {
  static const char *const kinds[2] = {"slow_broker", "stall"};
  const variant_t variants[] = {
      {"detrend", KML_XCORR_DETREND, alpha, 1},
      {"detrend_significant", KML_XCORR_DETREND, alpha, 0},
      {"detrend_fixed", KML_XCORR_DETREND, 1, 0},
      {"diff", KML_XCORR_DIFF, alpha, 1},
      {"diff_fixed", KML_XCORR_DIFF, 1, 0},
      {"raw", KML_XCORR_RAW, alpha, 1},
      {"raw_fixed", KML_XCORR_RAW, 1, 0},
  };
  for (int k = 0; k < 2; k++)
    for (size_t m = 0; m < sizeof(variants) / sizeof(variants[0]); m++) {
      score_t s = {0};
      for (uint64_t seed = from; seed < from + (uint64_t)n; seed++)
        one((kml_chainsim_kind_t)k, seed, &variants[m], &s);
      printf("kind=%s method=%s cases=%d partitions_named=%d "
             "partitions_right=%d partitions_backed_counted=%d "
             "partitions_backed_true=%d application_named=%d "
             "resource_named=%d",
             kinds[k], variants[m].name, s.cases, s.named_parts, s.right_parts,
             s.backed_counted, s.truth_backed, s.matched[0], s.matched[1]);
      if (k == 0)
        printf(" leader=%d leader_outlier=%d application_at1=%d "
               "resource_at1=%d whole_chain=%d",
               s.leader, s.outlier, s.app, s.res, s.whole);
      else
        printf(" consumer_side=%d false_outlier_leader=%d", s.consumer_side,
               s.false_outlier);
      printf(" explain_us=%.0f\n", s.ns / 1e3 / s.cases);
    }
  return 0;
}

/* ----------------------------------------------------------------- cost */

typedef struct {
  char id[5][128];
  char ds[32];
  double t, v;
} rec_t;

typedef struct {
  rec_t *r;
  size_t n, cap;
} recs_t;

static void keep(void *ud, const char *const id[5], int n,
                 const char *const *ds, const double *v, double t) {
  recs_t *rs = ud;
  for (int i = 0; i < n; i++) {
    if (rs->n == rs->cap) {
      rs->cap = rs->cap ? 2 * rs->cap : 4096;
      rs->r = realloc(rs->r, rs->cap * sizeof(rec_t));
      if (rs->r == NULL)
        exit(1);
    }
    rec_t *r = &rs->r[rs->n++];
    for (int f = 0; f < 5; f++)
      snprintf(r->id[f], sizeof(r->id[f]), "%s", id[f]);
    snprintf(r->ds, sizeof(r->ds), "%s", ds[i]);
    r->t = t;
    r->v = v[i];
  }
}

static const char *const broker_types[4] = {
    "kafka_messages_in", "kafka_replicated_in", "kafka_rtt", "kafka_leaders"};

static int broker_feature(const rec_t *r) {
  if (strncmp(r->id[2], "broker-", 7) != 0)
    return -1;
  for (int j = 0; j < 4; j++)
    if (strcmp(r->id[3], broker_types[j]) == 0)
      return j;
  return -1;
}

static int cost(int brokers, int partitions) {
  kml_chainsim_cfg_t sc = kml_chainsim_defaults();
  sc.brokers = brokers;
  sc.partitions = partitions;
  recs_t rs = {0};
  kml_chainsim_truth_t truth;
  if (kml_chainsim_run(&sc, 1, keep, &rs, &truth) != 0) {
    fprintf(stderr, "bench_cause: brokers 3..16, partitions 2..64\n");
    return 2;
  }
  int slots = sc.slots;
  char err[256];
  kml_cause_cfg_t cc = kml_cause_defaults();
  kml_cause_t *c = kml_cause_new(&cc, err, sizeof(err));
  /* the chain's write path: every value of every interval filed */
  double t0 = cpu_ns();
  for (size_t i = 0; i < rs.n; i++) {
    const char *id[5] = {rs.r[i].id[0], rs.r[i].id[1], rs.r[i].id[2],
                         rs.r[i].id[3], rs.r[i].id[4]};
    kml_cause_feed(c, id, rs.r[i].ds, KML_DS_GAUGE, rs.r[i].t, rs.r[i].v);
  }
  double feed_ns = cpu_ns() - t0;
  size_t series = kml_cause_size(c);
  /* one explanation (a notification's worth of read-callback work) */
  kml_cause_trigger_t t = {.id = {"prod", "kafka", "", "kafka_lag", "total"},
                           .ds = "value",
                           .time = truth.at};
  snprintf(t.id[2], sizeof(t.id[2]), "%s", truth.group);
  kml_cause_chain_t ch;
  int rounds = 20;
  t0 = cpu_ns();
  for (int k = 0; k < rounds; k++)
    kml_cause_explain(c, &t, 1, &ch);
  double explain_ns = (cpu_ns() - t0) / rounds;
  kml_cause_destroy(c);
  /* the peer: the older hint, correlate.h's ranking of every series of
   * the host against the anomalous one (64 values each), as many series */
  float w[64], target[64];
  for (int k = 0; k < 64; k++)
    target[k] = (float)(k * 1.5 + sin(k));
  kml_corr_target_t ct;
  kml_corr_target_init(&ct, "prod/kafka-group-billing/kafka_lag-total/value",
                       target, 64);
  char key[256];
  t0 = cpu_ns();
  for (int k = 0; k < rounds; k++)
    for (size_t sidx = 0; sidx < series; sidx++) {
      for (int q = 0; q < 64; q++)
        w[q] = (float)((sidx * 7 + q * 13) % 17) + 0.1f * q;
      snprintf(key, sizeof(key), "prod/kafka-x/s-%zu/value", sidx);
      kml_corr_rank(&ct, 1, key, w, 64);
    }
  double hint_ns = (cpu_ns() - t0) / rounds;
  printf("chain brokers=%d partitions=%d series=%zu values_per_interval=%.0f "
         "feed_us_per_interval=%.1f explain_us=%.0f "
         "hint_us=%.0f explain_vs_hint=%.2f\n",
         brokers, partitions, series, (double)rs.n / slots,
         feed_ns / 1e3 / slots, explain_ns / 1e3, hint_ns / 1e3,
         explain_ns / hint_ns);

  /* brokers on four values at once against four single-value blocks */
  kml_multipeers_cfg_t mc = kml_multipeers_defaults();
  mc.n_features = 4;
  for (int j = 0; j < 4; j++)
    snprintf(mc.feature[j], sizeof(mc.feature[j]), "%s", broker_types[j]);
  mc.group_by = 1u; /* Host */
  kml_multipeers_t *mp = kml_multipeers_new(&mc);
  kml_peer_groups_cfg_t pc = kml_peer_groups_defaults();
  kml_peer_groups_t *pg = kml_peer_groups_new(&pc); /* Host Plugin Type */
  double multi_ns = 0, single_ns = 0, now = 0;
  long changes = 0;
  size_t i = 0;
  for (int s = 0; s < slots; s++) {
    double end = sc.t0 + (s + 1) * sc.step;
    size_t first = i;
    double a = cpu_ns();
    for (i = first; i < rs.n && rs.r[i].t < end; i++) {
      int f = broker_feature(&rs.r[i]);
      if (f < 0)
        continue;
      const char *id[5] = {rs.r[i].id[0], rs.r[i].id[1], rs.r[i].id[2],
                           rs.r[i].id[3], rs.r[i].id[4]};
      kml_multipeers_feed(mp, id, f, KML_DS_GAUGE, rs.r[i].t, rs.r[i].v);
      now = rs.r[i].t;
    }
    kml_multipeers_change_t *mch = NULL;
    long n = kml_multipeers_eval(mp, now, sc.step, 3600, &mch);
    changes += n > 0 ? n : 0;
    free(mch);
    double b = cpu_ns();
    for (i = first; i < rs.n && rs.r[i].t < end; i++) {
      if (broker_feature(&rs.r[i]) < 0)
        continue;
      const char *id[5] = {rs.r[i].id[0], rs.r[i].id[1], rs.r[i].id[2],
                           rs.r[i].id[3], rs.r[i].id[4]};
      kml_peer_groups_feed(pg, id, rs.r[i].ds, KML_DS_GAUGE, rs.r[i].t,
                           rs.r[i].v);
    }
    kml_peer_change_t *pch = NULL;
    kml_peer_groups_eval(pg, now, sc.step, 3600, &pch);
    free(pch);
    double e = cpu_ns();
    multi_ns += b - a;
    single_ns += e - b;
  }
  printf("multipeers brokers=%d features=4 us_per_interval=%.1f "
         "single_value_blocks_us_per_interval=%.1f ratio=%.2f changes=%ld\n",
         brokers, multi_ns / 1e3 / slots, single_ns / 1e3 / slots,
         multi_ns / single_ns, changes);
  kml_multipeers_destroy(mp);
  kml_peer_groups_destroy(pg);
  free(rs.r);
  return 0;
}

int main(int argc, char **argv) {
  if ((argc == 4 || argc == 5) && strcmp(argv[1], "precision") == 0)
    return precision(strtoull(argv[2], NULL, 10), atoi(argv[3]),
                     argc == 5 ? atof(argv[4]) : kml_cause_defaults().alpha);
  if (argc == 4 && strcmp(argv[1], "cost") == 0)
    return cost(atoi(argv[2]), atoi(argv[3]));
  fprintf(stderr, "usage: bench_cause precision FROM N [ALPHA] | cost BROKERS "
                  "PARTITIONS\n");
  return 2;
}
