/* chain_sim: see chain_sim.h. The incident's values are computed for every
 * interval first (the notification time depends on the lags), then
 * emitted value list by value list in time order. */
#include "chain_sim.h"
#include "sim_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOPICS 2
#define GROUPS 3
#define MAXB 16
#define MAXP 64

static const char *const topic_name[TOPICS] = {"orders", "payments"};
static const char *const group_name[GROUPS] = {"billing", "audit", "ledger"};
static const int group_topic[GROUPS] = {0, 0, 1};

kml_chainsim_cfg_t kml_chainsim_defaults(void) {
  return (kml_chainsim_cfg_t){.kind = KML_CHAINSIM_SLOW_BROKER,
                              .brokers = 5,
                              .partitions = 8,
                              .step = 10,
                              .slots = 180,
                              .t0 = 1767225600};
}

/* Everything about the incident, drawn once. */
typedef struct {
  int B, P, S, onset, res_lead, lag_delay, cause, herring, herring_at;
  double rtt_factor, io_factor, fetch_loss, trend, herring_size;
  double rate[TOPICS][MAXP], rtt_base[MAXB], mem_slope[MAXB];
  int pause_at, pause_len; /* the audit group's benign pause (slots) */
  int ramp_at, ramp_len;   /* a batch load ramping the second topic up */
  double ramp_size;
  int wander; /* the host whose cpu wanders */
} plan_t;

static int leader_of(const plan_t *p, int k, int part) {
  return (part + k) % p->B + 1;
}

static int replicates(const plan_t *p, int k, int part, int b) {
  for (int i = 0; i < 3 && i < p->B; i++)
    if ((part + k + i) % p->B + 1 == b)
      return 1;
  return 0;
}

/* Values of one interval. */
typedef struct {
  double in[TOPICS][MAXP], lag[GROUPS][MAXP], consumed[GROUPS];
  double lag_s[GROUPS];
  double rtt[MAXB], msgs[MAXB], repl[MAXB];
  double user[MAXB], wait[MAXB], mem[MAXB], io[MAXB], wio[MAXB], load[MAXB];
  double df[MAXB];
} slot_t;

static void plan(const kml_chainsim_cfg_t *c, kml_sim_rng_t *r, plan_t *p) {
  memset(p, 0, sizeof(*p));
  p->B = c->brokers;
  p->P = c->partitions;
  p->S = c->slots;
  p->onset = (int)(p->S * 0.6 + kml_sim_uni(r) * p->S * 0.2);
  p->res_lead = (int)(kml_sim_uni(r) * 3);
  p->lag_delay = (int)(kml_sim_uni(r) * 3);
  p->cause = 1 + (int)(kml_sim_uni(r) * p->B);
  p->rtt_factor = 4 + 16 * kml_sim_uni(r);
  p->io_factor = 3 + 5 * kml_sim_uni(r);
  p->fetch_loss = 0.4 + 0.5 * kml_sim_uni(r);
  p->trend = 0.2 + 0.3 * kml_sim_uni(r);
  for (int k = 0; k < TOPICS; k++)
    for (int i = 0; i < p->P; i++)
      p->rate[k][i] = 20 + 180 * kml_sim_uni(r);
  for (int b = 0; b < p->B; b++) {
    p->rtt_base[b] = 2 + 4 * kml_sim_uni(r);
    p->mem_slope[b] = 1e6 * (1 + 4 * kml_sim_uni(r));
  }
  p->herring = kml_sim_uni(r) < 0.5 ? 1 + (int)(kml_sim_uni(r) * p->B) : 0;
  if (p->herring == p->cause)
    p->herring = p->herring % p->B + 1;
  p->herring_at = p->S - 60 + (int)(kml_sim_uni(r) * 60);
  p->herring_size = 1.2 + 0.3 * kml_sim_uni(r);
  p->ramp_at = p->onset - 30 + (int)(kml_sim_uni(r) * 30);
  p->ramp_len = 20 + (int)(kml_sim_uni(r) * 40);
  p->ramp_size = 0.5 + kml_sim_uni(r);
  p->pause_at = (int)(kml_sim_uni(r) * p->S);
  p->pause_len = 2 + (int)(kml_sim_uni(r) * 5);
  p->wander = 1 + (int)(kml_sim_uni(r) * p->B);
}

/* One interval after the previous (backlogs carried in *bl). */
static void step_slot(const kml_chainsim_cfg_t *c, const plan_t *p,
                      kml_sim_rng_t *r, int s, double bl[GROUPS][MAXP],
                      double *walk, slot_t *o) {
  memset(o, 0, sizeof(*o));
  int slow = c->kind == KML_CHAINSIM_SLOW_BROKER;
  double trend = 1 + p->trend * s / p->S + 0.05 * sin(s / 20.0);
  for (int k = 0; k < TOPICS; k++)
    for (int i = 0; i < p->P; i++) {
      double v = p->rate[k][i] * trend * (1 + 0.05 * kml_sim_gauss(r));
      if (k == 1 && s > p->ramp_at) { /* the batch load */
        double u = (double)(s - p->ramp_at) / p->ramp_len;
        v *= 1 + p->ramp_size * (u < 1 ? u : 1);
      }
      if (slow && s >= p->onset && leader_of(p, k, i) == p->cause)
        v *= 0.9; /* producers wait on the slow leader */
      o->in[k][i] = v;
    }
  for (int g = 0; g < GROUPS; g++) {
    int k = group_topic[g];
    double worst = 0;
    for (int i = 0; i < p->P; i++) {
      double in = o->in[k][i], cap = 1.6 * in;
      if (slow && s >= p->onset + p->lag_delay &&
          leader_of(p, k, i) == p->cause)
        cap = (1 - p->fetch_loss) * in;
      if (!slow && g == 0 && s >= p->onset)
        cap = 0; /* the group stopped */
      if (g == 1 && s >= p->pause_at && s < p->pause_at + p->pause_len)
        cap = 0; /* a benign pause */
      double want = in + bl[g][i] / c->step;
      double took = want < cap ? want : cap;
      bl[g][i] += (in - took) * c->step;
      if (bl[g][i] < 0)
        bl[g][i] = 0;
      o->consumed[g] += took;
      double saw = 5 * kml_sim_uni(r); /* commits every 5 s */
      o->lag[g][i] = floor(bl[g][i] + in * saw);
      double secs = bl[g][i] / (in > 1 ? in : 1) + saw;
      worst = secs > worst ? secs : worst;
    }
    o->lag_s[g] = worst;
  }
  for (int b = 1; b <= p->B; b++) {
    double rtt = p->rtt_base[b - 1] * (1 + 0.15 * fabs(kml_sim_gauss(r)));
    if (kml_sim_uni(r) < 1.0 / 120)
      rtt *= 3 + 3 * kml_sim_uni(r); /* a stray slow request */
    if (slow && s >= p->onset && b == p->cause)
      rtt *= p->rtt_factor;
    o->rtt[b - 1] = rtt;
    for (int k = 0; k < TOPICS; k++)
      for (int i = 0; i < p->P; i++) {
        if (leader_of(p, k, i) == b)
          o->msgs[b - 1] += o->in[k][i];
        if (replicates(p, k, i, b))
          o->repl[b - 1] += o->in[k][i];
      }
    if (b == p->herring && s >= p->herring_at)
      o->repl[b - 1] *= p->herring_size;
    double share = o->repl[b - 1] / 1000;
    o->user[b - 1] = 15 + 10 * share + 2 * kml_sim_gauss(r);
    if (b == p->wander) {
      *walk += 1.5 * kml_sim_gauss(r);
      o->user[b - 1] += *walk;
    }
    o->wait[b - 1] = 2 + 0.5 * fabs(kml_sim_gauss(r));
    o->mem[b - 1] = 4e9 + p->mem_slope[b - 1] * s + 2e6 * kml_sim_gauss(r);
    o->df[b - 1] = 2e11 + 3e7 * share * s + 1e6 * kml_sim_gauss(r);
    o->io[b - 1] = 50 + 10 * kml_sim_gauss(r);
    o->wio[b - 1] = 200 + 40 * kml_sim_gauss(r);
    if (slow && s >= p->onset - p->res_lead && b == p->cause) {
      o->io[b - 1] *= p->io_factor;
      o->wio[b - 1] *= p->io_factor * 1.5;
      o->wait[b - 1] *= p->io_factor;
    }
    o->load[b - 1] = 1 + 0.3 * share + 0.1 * kml_sim_gauss(r);
  }
}

static void one(kml_chainsim_emit_fn emit, void *ud, const char *host,
                const char *plugin, const char *pi, const char *type,
                const char *ti, double v, double t) {
  const char *id[5] = {host, plugin, pi, type, ti};
  const char *ds[1] = {"value"};
  emit(ud, id, 1, ds, &v, t);
}

static void emit_slot(const kml_chainsim_cfg_t *c, const plan_t *p,
                      kml_sim_rng_t *r, const slot_t *o, double t,
                      kml_chainsim_emit_fn emit, void *ud) {
  char pi[64], ti[64], host[32];
  const char *cl = "prod";
  double tk = t + kml_sim_uni(r); /* the kafka plugin's collection moment */
  for (int b = 1; b <= p->B; b++) {
    snprintf(pi, sizeof(pi), "broker-%d", b);
    int leads = 0, holds = 0;
    for (int k = 0; k < TOPICS; k++)
      for (int i = 0; i < p->P; i++) {
        leads += leader_of(p, k, i) == b;
        holds += replicates(p, k, i, b);
      }
    one(emit, ud, cl, "kafka", pi, "kafka_rtt", "", o->rtt[b - 1], tk);
    one(emit, ud, cl, "kafka", pi, "kafka_messages_in", "", o->msgs[b - 1], tk);
    one(emit, ud, cl, "kafka", pi, "kafka_replicated_in", "", o->repl[b - 1],
        tk);
    one(emit, ud, cl, "kafka", pi, "kafka_leaders", "", leads, tk);
    one(emit, ud, cl, "kafka", pi, "kafka_replicas", "", holds, tk);
  }
  for (int k = 0; k < TOPICS; k++) {
    snprintf(pi, sizeof(pi), "topic-%s", topic_name[k]);
    double sum = 0;
    for (int i = 0; i < p->P; i++) {
      snprintf(ti, sizeof(ti), "%s-%d", topic_name[k], i);
      one(emit, ud, cl, "kafka", pi, "kafka_offset", ti, o->in[k][i], tk);
      one(emit, ud, cl, "kafka", pi, "kafka_leader", ti, leader_of(p, k, i),
          tk);
      sum += o->in[k][i];
    }
    one(emit, ud, cl, "kafka", pi, "kafka_messages_in", "", sum, tk);
  }
  for (int g = 0; g < GROUPS; g++) {
    int k = group_topic[g];
    snprintf(pi, sizeof(pi), "group-%s", group_name[g]);
    double total = 0, max = 0;
    for (int i = 0; i < p->P; i++) {
      snprintf(ti, sizeof(ti), "%s-%d", topic_name[k], i);
      one(emit, ud, cl, "kafka", pi, "kafka_lag", ti, o->lag[g][i], tk);
      total += o->lag[g][i];
      max = o->lag[g][i] > max ? o->lag[g][i] : max;
    }
    one(emit, ud, cl, "kafka", pi, "kafka_lag", "total", total, tk);
    one(emit, ud, cl, "kafka", pi, "kafka_lag", "max", max, tk);
    one(emit, ud, cl, "kafka", pi, "kafka_lag_seconds", "max", o->lag_s[g], tk);
    one(emit, ud, cl, "kafka", pi, "kafka_consumed", "", o->consumed[g], tk);
  }
  for (int b = 1; b <= p->B; b++) {
    snprintf(host, sizeof(host), "kafka%d", b);
    double th = t + 2 + kml_sim_uni(r); /* the host's own read moment */
    one(emit, ud, host, "cpu", "0", "cpu", "user", o->user[b - 1], th);
    one(emit, ud, host, "cpu", "0", "cpu", "wait", o->wait[b - 1], th);
    one(emit, ud, host, "memory", "", "memory", "used", o->mem[b - 1], th);
    one(emit, ud, host, "df", "data", "df_complex", "used", o->df[b - 1], th);
    const char *id_io[5] = {host, "disk", "sda", "disk_io_time", ""};
    const char *ds_io[2] = {"io_time", "weighted_io_time"};
    double v_io[2] = {o->io[b - 1], o->wio[b - 1]};
    emit(ud, id_io, 2, ds_io, v_io, th);
    const char *id_if[5] = {host, "interface", "eth0", "if_octets", ""};
    const char *ds_if[2] = {"rx", "tx"};
    double v_if[2] = {o->repl[b - 1] * 900 * (1 + 0.05 * kml_sim_gauss(r)),
                      o->msgs[b - 1] * 2700 * (1 + 0.05 * kml_sim_gauss(r))};
    emit(ud, id_if, 2, ds_if, v_if, th);
    const char *id_ld[5] = {host, "load", "", "load", ""};
    const char *ds_ld[3] = {"shortterm", "midterm", "longterm"};
    double v_ld[3] = {o->load[b - 1], o->load[b - 1] * 0.9, 1.0};
    emit(ud, id_ld, 3, ds_ld, v_ld, th);
  }
  (void)c;
}

int kml_chainsim_run(const kml_chainsim_cfg_t *c, uint64_t seed,
                     kml_chainsim_emit_fn emit, void *ud,
                     kml_chainsim_truth_t *truth) {
  if (c->brokers < 3 || c->brokers > MAXB || c->partitions < 2 ||
      c->partitions > MAXP || !(c->step > 0) || c->slots < 60 ||
      c->slots > 100000)
    return -1;
  kml_sim_rng_t r = {seed * 0x9E3779B97F4A7C15ULL + 7};
  plan_t p;
  plan(c, &r, &p);
  slot_t *v = malloc(sizeof(slot_t) * (size_t)p.S);
  if (v == NULL)
    return -1;
  double bl[GROUPS][MAXP] = {{0}}, walk = 0;
  for (int s = 0; s < p.S; s++)
    step_slot(c, &p, &r, s, bl, &walk, &v[s]);
  /* the notification: 1-4 intervals after the first interval the group's
   * lag on some partition is beyond anything it showed before the
   * incident (a notification weighs more than one value) */
  memset(truth, 0, sizeof(*truth));
  truth->kind = c->kind;
  int slow = c->kind == KML_CHAINSIM_SLOW_BROKER;
  truth->cause_broker = slow ? p.cause : -1;
  if (slow)
    snprintf(truth->cause_host, sizeof(truth->cause_host), "kafka%d", p.cause);
  snprintf(truth->group, sizeof(truth->group), "group-%s", group_name[0]);
  snprintf(truth->topic, sizeof(truth->topic), "%s", topic_name[0]);
  for (int i = 0; i < p.P; i++)
    if (!slow || leader_of(&p, 0, i) == p.cause)
      truth->backed[truth->n_backed++] = i;
  int at = p.S - 1;
  for (int s = p.onset; s < p.S && at == p.S - 1; s++)
    for (int i = 0; i < p.P; i++) {
      double hi = 0;
      for (int q = 0; q < p.onset; q++)
        hi = v[q].lag[0][i] > hi ? v[q].lag[0][i] : hi;
      if (v[s].lag[0][i] > hi) {
        at = s;
        break;
      }
    }
  at += 1 + (int)(kml_sim_uni(&r) * 4);
  if (at > p.S - 1)
    at = p.S - 1;
  truth->onset = c->t0 + p.onset * c->step;
  truth->at = c->t0 + at * c->step + c->step - 1e-3; /* within that slot */
  for (int s = 0; s < p.S; s++)
    emit_slot(c, &p, &r, &v[s], c->t0 + s * c->step, emit, ud);
  free(v);
  return 0;
}

int kml_chainsim_names_broker(const kml_chainsim_truth_t *t, const char *key) {
  char want[64];
  snprintf(want, sizeof(want), "/kafka-broker-%d/", t->cause_broker);
  return strstr(key, want) != NULL;
}

int kml_chainsim_names_host(const kml_chainsim_truth_t *t, const char *key) {
  size_t n = strlen(t->cause_host);
  return strncmp(key, t->cause_host, n) == 0 && key[n] == '/';
}

int kml_chainsim_backed(const kml_chainsim_truth_t *t, const char *ti) {
  for (int j = 0; j < t->n_backed; j++) {
    char want[64];
    snprintf(want, sizeof(want), "%s-%d", t->topic, t->backed[j]);
    if (strcmp(want, ti) == 0)
      return 1;
  }
  return 0;
}
