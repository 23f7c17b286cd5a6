/* Unit tests for src/kafka/report*.c through hand-made snapshots (a fake
 * clock: each snapshot says when it was taken) and a sink that records
 * every value and event: unknown is not zero, rates across leader moves,
 * lag in seconds after idle periods, broker and replication alerts, the
 * retention ETA from the consumer's progress and distinct identifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/partlist.h"
#include "kafka/report.h"
#include "kafka/status.h"
#include <librdkafka/rdkafka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- allocations */

/* Every malloc, calloc, realloc, strdup and strndup of the program goes
 * through these (Makefile.am links this test with --wrap): counted while
 * counting is set. The copies are wrapped on their own: glibc's strdup
 * calls its malloc inside libc, where --wrap=malloc does not reach, so a
 * map key copied at every collection would go uncounted. The other libc
 * calls the report reaches allocate nothing (snprintf without positional
 * arguments; qsort of at most 32 client names, 512 bytes, which glibc
 * sorts on the stack). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
static int counting;
static long allocations;

void *__wrap_malloc(size_t n) {
  allocations += counting;
  return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
  allocations += counting;
  return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
  allocations += counting;
  return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s) {
  allocations += counting;
  return __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n) {
  allocations += counting;
  return __real_strndup(s, n);
}

/* ------------------------------------------------------------ snapshots */

static kml_snapshot_t *snap(double t) {
  kml_snapshot_t *s = kml_snapshot_new();
  s->started = t;
  s->duration = 0;
  s->ok = 1;
  s->complete = KML_STEP_METADATA | KML_STEP_CONFIGS | KML_STEP_GROUP_LIST |
                KML_STEP_GROUPS | KML_STEP_WATERMARKS;
  return s;
}

static void add_broker(kml_snapshot_t *s, int32_t id) {
  s->brokers = realloc(s->brokers, sizeof(*s->brokers) * (s->n_brokers + 1));
  kml_broker_t *b = &s->brokers[s->n_brokers++];
  memset(b, 0, sizeof(*b));
  b->id = id;
  b->host = strdup("127.0.0.1");
  b->port = 9000 + id;
  b->rtt_avg_ms = NAN;
  b->watermarks = KML_ANSWER_OK;
}

static int32_t *ids(int n, const int32_t *v) {
  int32_t *d = malloc(sizeof(*d) * (n > 0 ? n : 1));
  memcpy(d, v, sizeof(*d) * n);
  return d;
}

/* A partition with replicas {leader, others...} all in sync. */
static kml_topic_t *add_topic(kml_snapshot_t *s, const char *name, int n) {
  s->topics = realloc(s->topics, sizeof(*s->topics) * (s->n_topics + 1));
  kml_topic_t *t = &s->topics[s->n_topics++];
  memset(t, 0, sizeof(*t));
  t->name = strdup(name);
  t->min_isr = -1;
  t->retention_ms = t->retention_bytes = -2;
  t->parts = calloc(n, sizeof(*t->parts));
  t->n_parts = n;
  for (int p = 0; p < n; p++) {
    t->parts[p].id = p;
    t->parts[p].leader = 1;
    t->parts[p].replicas = ids(1, (int32_t[]){1});
    t->parts[p].n_replicas = 1;
    t->parts[p].isr = ids(1, (int32_t[]){1});
    t->parts[p].n_isr = 1;
  }
  return t;
}

static void set_part(kml_topic_t *t, int p, int32_t leader, int64_t low,
                     int64_t high) {
  t->parts[p].leader = leader;
  t->parts[p].low = low;
  t->parts[p].high = high;
}

static void set_replicas(kml_topic_t *t, int p, int n, const int32_t *r,
                         int n_isr, const int32_t *isr) {
  free(t->parts[p].replicas);
  free(t->parts[p].isr);
  t->parts[p].replicas = ids(n, r);
  t->parts[p].n_replicas = n;
  t->parts[p].isr = ids(n_isr, isr);
  t->parts[p].n_isr = n_isr;
}

static kml_group_t *add_group(kml_snapshot_t *s, const char *id,
                              kml_group_state_t st, int members) {
  s->groups = realloc(s->groups, sizeof(*s->groups) * (s->n_groups + 1));
  kml_group_t *g = &s->groups[s->n_groups++];
  memset(g, 0, sizeof(*g));
  g->id = strdup(id);
  g->state = st;
  g->members = members;
  g->measured = KML_GROUP_ALL;
  return g;
}

static void add_commit(kml_group_t *g, const char *topic, int32_t p,
                       int64_t committed) {
  g->offsets = realloc(g->offsets, sizeof(*g->offsets) * (g->n_offsets + 1));
  kml_group_offset_t *o = &g->offsets[g->n_offsets++];
  o->topic = strdup(topic);
  o->partition = p;
  o->committed = committed;
}

/* --------------------------------------------------------- recording sink */

typedef struct {
  char id[400];
  double value;
} rec_value_t;

typedef struct {
  char id[400];
  kml_severity_t severity;
  char message[256];
  char meta[800]; /* "key=value;" for each meta data */
} rec_event_t;

typedef struct {
  rec_value_t values[4096];
  int n_values;
  rec_event_t events[256];
  int n_events;
  int logs;
  /* arrival lookups (the sink's arrivals): how each is answered, what was
   * asked */
  kml_arrival_result_t answer; /* PENDING: left unanswered */
  double written;              /* FOUND: arrival = written + offset */
  int err;
  double spacing; /* seconds between offsets (1 when 0) */
  int calls, asked, last_asked;
} rec_t;

static void on_value(const kml_value_t *v, void *ud) {
  rec_t *r = ud;
  assert_true(r->n_values < 4096);
  rec_value_t *x = &r->values[r->n_values++];
  snprintf(x->id, sizeof(x->id), "%s/%s/%s", v->plugin_instance, v->type,
           v->type_instance);
  x->value = v->value;
  assert_true(isfinite(v->value)); /* unknown is never dispatched */
}

static void on_event(const kml_event_t *e, void *ud) {
  rec_t *r = ud;
  rec_event_t *x = &r->events[r->n_events++];
  snprintf(x->id, sizeof(x->id), "%s/%s/%s", e->plugin_instance, e->type,
           e->type_instance);
  x->severity = e->severity;
  snprintf(x->message, sizeof(x->message), "%s", e->message);
  assert_true(strlen(e->message) < sizeof(e->message));
  x->meta[0] = '\0';
  for (int i = 0; i < e->n_meta; i++) {
    size_t used = strlen(x->meta);
    if (e->meta[i].text != NULL)
      snprintf(x->meta + used, sizeof(x->meta) - used, "%s=%s;", e->meta[i].key,
               e->meta[i].text);
    else
      snprintf(x->meta + used, sizeof(x->meta) - used, "%s=%g;", e->meta[i].key,
               e->meta[i].number);
  }
}

static void on_log(int level, const char *msg, void *ud) {
  (void)level;
  (void)msg;
  ((rec_t *)ud)->logs++;
}

/* The sink's arrival lookup: record offset X arrived at written + X. */
static void on_arrivals(kml_arrival_req_t *reqs, int n, void *ud) {
  rec_t *r = ud;
  r->calls++;
  r->asked += n;
  r->last_asked = n;
  assert_true(n <= KML_ARRIVAL_MAX);
  for (int i = 0; i < n; i++) {
    assert_true(reqs[i].offset < reqs[i].high);
    reqs[i].result = r->answer;
    reqs[i].err = r->err;
    reqs[i].ts =
        r->written + (double)reqs[i].offset * (r->spacing ? r->spacing : 1);
    reqs[i].found = reqs[i].offset;
  }
}

/* run() with arrival lookups. */
static void run_looking_up(kml_report_t *r, kml_snapshot_t *s, rec_t *rec) {
  rec->n_values = 0;
  rec->last_asked = 0;
  kml_report_sink_t sink = {.value = on_value,
                            .event = on_event,
                            .log = on_log,
                            .arrivals = on_arrivals,
                            .ud = rec};
  kml_snapshot_sort(s);
  kml_report_run(r, s, &sink);
  kml_snapshot_free(s);
}

/* Run one snapshot through the report; values of this run only. */
static void run(kml_report_t *r, kml_snapshot_t *s, rec_t *rec) {
  rec->n_values = 0;
  kml_report_sink_t sink = {
      .value = on_value, .event = on_event, .log = on_log, .ud = rec};
  kml_snapshot_sort(s);
  kml_report_run(r, s, &sink);
  kml_snapshot_free(s);
}

/* The value dispatched under id in the last run, NAN when none. */
static double val(const rec_t *rec, const char *id) {
  for (int i = rec->n_values - 1; i >= 0; i--)
    if (strcmp(rec->values[i].id, id) == 0)
      return rec->values[i].value;
  return NAN;
}

static int has(const rec_t *rec, const char *id) {
  return !isnan(val(rec, id));
}

static int count_events(const rec_t *rec, const char *id, kml_severity_t sev) {
  int n = 0;
  for (int i = 0; i < rec->n_events; i++)
    n += strcmp(rec->events[i].id, id) == 0 && rec->events[i].severity == sev;
  return n;
}

/* The last event sent under id with severity sev, NULL when none. */
static const rec_event_t *last_event(const rec_t *rec, const char *id,
                                     kml_severity_t sev) {
  for (int i = rec->n_events - 1; i >= 0; i--)
    if (strcmp(rec->events[i].id, id) == 0 && rec->events[i].severity == sev)
      return &rec->events[i];
  return NULL;
}

static kml_report_t *report(double sla, int detail) {
  kml_report_opts_t o = {
      .partition_detail = detail, .lag_sla_seconds = sla, .status_window = 3};
  return kml_report_new(&o);
}

/* ------------------------------------------------------------------ tests */

/* One topic "t" with 2 partitions on broker 1, one group "g" with members
 * committed at c0, c1; high marks h0, h1; low 0. */
static kml_snapshot_t *simple(double t, int64_t h0, int64_t h1, int64_t c0,
                              int64_t c1, int members) {
  kml_snapshot_t *s = snap(t);
  add_broker(s, 1);
  kml_topic_t *tp = add_topic(s, "t", 2);
  set_part(tp, 0, 1, 0, h0);
  set_part(tp, 1, 1, 0, h1);
  kml_group_t *g =
      add_group(s, "g", members ? KML_GROUP_STABLE : KML_GROUP_EMPTY, members);
  add_commit(g, "t", 0, c0);
  add_commit(g, "t", 1, c1);
  return s;
}

static void lag_values_of_a_measured_group(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  run(r, simple(1000, 10, 30, 3, 30, 1), rec);
  assert_true(val(rec, "group-g/kafka_lag/t-0") == 7);
  assert_true(val(rec, "group-g/kafka_lag/t-1") == 0);
  assert_true(val(rec, "group-g/kafka_lag/total") == 7);
  assert_true(val(rec, "group-g/kafka_lag/max") == 7);
  assert_true(val(rec, "group-g/kafka_group_state/") == KML_GROUP_STABLE);
  assert_true(val(rec, "cluster/kafka_groups/") == 1);
  assert_true(val(rec, "cluster/kafka_unmeasured/partitions") == 0);
  assert_true(val(rec, "cluster/kafka_unmeasured/groups") == 0);
  assert_true(val(rec, "topic-t/kafka_retained/") == 40);
  /* rates need two collections */
  assert_false(has(rec, "topic-t/kafka_messages_in/"));
  assert_false(has(rec, "group-g/kafka_consumed/"));
  run(r, simple(1010, 110, 130, 103, 130, 1), rec);
  assert_true(val(rec, "topic-t/kafka_messages_in/") == 20);
  assert_true(val(rec, "broker-1/kafka_messages_in/") == 20);
  assert_true(val(rec, "group-g/kafka_consumed/") == 20);
  kml_report_destroy(r);
  free(rec);
}

/* A leader that does not answer: its partitions' numbers are unknown. No
 * lag of 0, no total from part of a group, no OKAY, no sweep. */
static void unknown_marks_are_silence_not_zero(void **state) {
  kml_report_t *r = report(30, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  /* p0 gets 1 msg/s, the group stopped at 0: lag in seconds grows */
  for (int i = 0; i < 6; i++, t += 10)
    run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
  assert_int_equal(
      count_events(rec, "group-g/kafka_lag_seconds/", KML_SEV_WARNING), 1);
  assert_int_equal(
      count_events(rec, "group-g/kafka_group_status/", KML_SEV_WARNING), 1);
  int events_before = rec->n_events;
  /* the leader hangs for 5 collections */
  for (int i = 0; i < 5; i++, t += 10) {
    kml_snapshot_t *s = simple(t, -1, -1, 0, 0, 0);
    s->topics[0].parts[0].low = s->topics[0].parts[1].low = -1;
    s->brokers[0].watermarks = KML_ANSWER_FAILED;
    s->complete &= ~KML_STEP_WATERMARKS;
    run(r, s, rec);
    assert_false(has(rec, "group-g/kafka_lag/t-0"));
    assert_false(has(rec, "group-g/kafka_lag/total"));
    assert_false(has(rec, "group-g/kafka_lag_seconds/max"));
    assert_false(has(rec, "topic-t/kafka_messages_in/"));
    assert_false(has(rec, "broker-1/kafka_messages_in/"));
    assert_false(has(rec, "topic-t/kafka_retained/"));
    assert_true(val(rec, "group-g/kafka_committed/t-0") == 0);
    assert_true(val(rec, "cluster/kafka_unmeasured/partitions") == 2);
    assert_true(val(rec, "cluster/kafka_unmeasured/groups") == 1);
  }
  assert_int_equal(rec->n_events, events_before); /* no state moved */
  /* back: still behind, still stopped: nothing new; the rate across the
   * gap is the average over it, not a jump */
  run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
  t += 10;
  assert_int_equal(rec->n_events, events_before);
  assert_true(fabs(val(rec, "topic-t/kafka_messages_in/") - 1) < 1e-9);
  assert_true(val(rec, "group-g/kafka_lag_seconds/max") > 100);
  /* the consumer catches up: one OKAY each */
  run(r, simple(t, (int64_t)(t - 1000), 0, (int64_t)(t - 1000), 0, 1), rec);
  assert_int_equal(
      count_events(rec, "group-g/kafka_lag_seconds/", KML_SEV_OKAY), 1);
  assert_int_equal(
      count_events(rec, "group-g/kafka_group_status/", KML_SEV_OKAY), 1);
  assert_int_equal(
      count_events(rec, "group-g/kafka_lag_seconds/", KML_SEV_WARNING), 1);
  kml_report_destroy(r);
  free(rec);
}

/* The groups step failed: the group is not in the snapshot. Its open
 * alert and status window stay (no sweep), so recovery sends one OKAY. */
static void failed_group_step_sweeps_nothing(void **state) {
  kml_report_t *r = report(30, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  for (int i = 0; i < 6; i++, t += 10)
    run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
  assert_int_equal(
      count_events(rec, "group-g/kafka_lag_seconds/", KML_SEV_WARNING), 1);
  for (int i = 0; i < 3; i++, t += 10) {
    kml_snapshot_t *s = simple(t, (int64_t)(t - 1000), 0, 0, 0, 0);
    /* ListConsumerGroups timed out: no group at all */
    free(s->groups[0].offsets[0].topic);
    free(s->groups[0].offsets[1].topic);
    free(s->groups[0].offsets);
    free(s->groups[0].id);
    free(s->groups);
    s->groups = NULL;
    s->n_groups = 0;
    s->complete &= ~(KML_STEP_GROUP_LIST | KML_STEP_GROUPS);
    run(r, s, rec);
    assert_false(has(rec, "cluster/kafka_groups/"));
  }
  /* one group's offsets cannot be read (ACL, coordinator moving) */
  for (int i = 0; i < 3; i++, t += 10) {
    kml_snapshot_t *s = simple(t, (int64_t)(t - 1000), 0, 0, 0, 0);
    s->groups[0].measured = KML_GROUP_DESCRIBED;
    s->groups[0].err = 29; /* GROUP_AUTHORIZATION_FAILED */
    s->complete &= ~KML_STEP_GROUPS;
    run(r, s, rec);
    assert_true(val(rec, "group-g/kafka_group_status/total") == KML_STATUS_ERR);
    assert_false(has(rec, "group-g/kafka_lag/total"));
  }
  assert_int_equal(rec->logs, 1); /* "skipped", once */
  run(r, simple(t, (int64_t)(t - 1000), 0, (int64_t)(t - 1000), 0, 1), rec);
  assert_int_equal(rec->logs, 2); /* "can be read again" */
  assert_int_equal(
      count_events(rec, "group-g/kafka_lag_seconds/", KML_SEV_OKAY), 1);
  assert_int_equal(
      count_events(rec, "group-g/kafka_lag_seconds/", KML_SEV_WARNING), 1);
  kml_report_destroy(r);
  free(rec);
}

/* The OKAYs that close group g's alerts because it has no offsets any
 * more, and the number of those alerts open before. */
static int gone_okays(const rec_t *rec, int from) {
  int n = 0;
  for (int i = from; i < rec->n_events; i++)
    n +=
        rec->events[i].severity == KML_SEV_OKAY &&
        strncmp(rec->events[i].id, "group-g/", 8) == 0 &&
        strstr(rec->events[i].message, "no committed offsets any more") != NULL;
  return n;
}

static int open_group_alerts(const rec_t *rec) {
  const char *types[] = {"group-g/kafka_group_status/",
                         "group-g/kafka_lag_seconds/"};
  int n = 0;
  for (int k = 0; k < 2; k++)
    n += count_events(rec, types[k], KML_SEV_WARNING) -
         count_events(rec, types[k], KML_SEV_OKAY);
  return n;
}

/* One broker and topic "t": partition 0 written at a message a second
 * since t = 1000, partition 1 empty; no group yet. */
static kml_snapshot_t *producing(double t) {
  kml_snapshot_t *s = snap(t);
  add_broker(s, 1);
  kml_topic_t *tp = add_topic(s, "t", 2);
  set_part(tp, 0, 1, 0, (int64_t)(t - 1000));
  set_part(tp, 1, 1, 0, 0);
  return s;
}

/* A deleted group (the complete list no longer names it) is forgotten:
 * each alert it left open is closed by one OKAY saying why, never again,
 * and a new group of the same name starts afresh. */
static void deleted_group_is_forgotten(void **state) {
  kml_report_t *r = report(30, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  for (int i = 0; i < 6; i++, t += 10)
    run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
  int open = open_group_alerts(rec);
  assert_int_equal(open, 2); /* stopped, and over its SLA */
  int n = rec->n_events;
  for (int i = 0; i < 2; i++, t += 10) {
    kml_snapshot_t *s = producing(t);
    run(r, s, rec);
    assert_true(val(rec, "cluster/kafka_groups/") == 0);
  }
  assert_int_equal(rec->n_events, n + open);
  assert_int_equal(gone_okays(rec, n), open);
  assert_int_equal(open_group_alerts(rec), 0);
  /* same name, caught up: first look at a fine state sends nothing */
  n = rec->n_events;
  run(r, simple(t, (int64_t)(t - 1000), 0, (int64_t)(t - 1000), 0, 1), rec);
  assert_int_equal(rec->n_events, n);
  kml_report_destroy(r);
  free(rec);
}

/* Kafka puts no bound on a group id short of 32,767 bytes: a long one
 * keeps its alerts apart (stopped, over its SLA, lost messages each its
 * own, opened once), and once the group is deleted each open one gets its
 * OKAY. */
static int events_of(const rec_t *rec, int from, const char *type,
                     kml_severity_t sev) {
  int n = 0;
  for (int i = from; i < rec->n_events; i++)
    n += strstr(rec->events[i].id, type) != NULL &&
         rec->events[i].severity == sev;
  return n;
}

static void a_long_group_id_keeps_its_alerts_apart(void **state) {
  kml_report_t *r = report(30, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  char id[2001];
  memset(id, 'g', sizeof(id) - 1);
  id[sizeof(id) - 1] = '\0';
  double t = 1000;
  for (int i = 0; i < 8; i++, t += 10) {
    kml_snapshot_t *s = producing(t);
    add_commit(add_group(s, id, KML_GROUP_EMPTY, 0), "t", 0, 0);
    run(r, s, rec);
  }
  /* stopped and over its SLA: one WARNING each, nothing else */
  assert_int_equal(events_of(rec, 0, "/kafka_group_status/", KML_SEV_WARNING),
                   1);
  assert_int_equal(events_of(rec, 0, "/kafka_lag_seconds/", KML_SEV_WARNING),
                   1);
  assert_int_equal(events_of(rec, 0, "/kafka_lost_messages/", KML_SEV_OKAY), 0);
  assert_int_equal(rec->n_events, 2);
  int n = rec->n_events;
  kml_snapshot_t *s = producing(t);
  run(r, s, rec);
  assert_int_equal(rec->n_events, n + 2);
  for (int i = n; i < rec->n_events; i++) {
    assert_int_equal(rec->events[i].severity, KML_SEV_OKAY);
    assert_non_null(
        strstr(rec->events[i].message, "no committed offsets any more"));
  }
  assert_int_equal(events_of(rec, n, "/kafka_group_status/", KML_SEV_OKAY), 1);
  assert_int_equal(events_of(rec, n, "/kafka_lag_seconds/", KML_SEV_OKAY), 1);
  kml_report_destroy(r);
  free(rec);
}

/* A group id holding byte 0x1f (Kafka allows any bytes): while its
 * offsets cannot be read its alerts stay open and its memory stays, as for
 * any group; when it can be read again each alert gets one OKAY. */
static kml_snapshot_t *stopped_group(double t, const char *id, int readable) {
  kml_snapshot_t *s = producing(t);
  int64_t c = readable == 2 ? (int64_t)(t - 1000) : 0;
  kml_group_t *g = add_group(
      s, id, readable == 2 ? KML_GROUP_STABLE : KML_GROUP_EMPTY, readable == 2);
  add_commit(g, "t", 0, c);
  add_commit(g, "t", 1, 0);
  if (!readable) { /* its offsets cannot be read (ACL, coordinator moving) */
    g->measured = KML_GROUP_DESCRIBED;
    g->err = 29; /* GROUP_AUTHORIZATION_FAILED */
    s->complete &= ~KML_STEP_GROUPS;
  }
  return s;
}

static void a_group_id_holding_0x1f_keeps_its_memory_unread(void **state) {
  kml_report_t *r = report(30, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  const char *id = "a\x1f"
                   "b\x1f"
                   "c";
  double t = 1000;
  for (int i = 0; i < 6; i++, t += 10)
    run(r, stopped_group(t, id, 1), rec);
  assert_int_equal(events_of(rec, 0, "/kafka_group_status/", KML_SEV_WARNING),
                   1);
  assert_int_equal(events_of(rec, 0, "/kafka_lag_seconds/", KML_SEV_WARNING),
                   1);
  int n = rec->n_events;
  for (int i = 0; i < 3; i++, t += 10)
    run(r, stopped_group(t, id, 0), rec);
  assert_int_equal(rec->n_events, n); /* not deleted: nothing closed */
  /* still stopped when read again: its memory says so, nothing new */
  run(r, stopped_group(t, id, 1), rec);
  t += 10;
  assert_int_equal(rec->n_events, n);
  run(r, stopped_group(t, id, 2), rec); /* caught up: one OKAY each */
  assert_int_equal(events_of(rec, n, "/kafka_group_status/", KML_SEV_OKAY), 1);
  assert_int_equal(events_of(rec, n, "/kafka_lag_seconds/", KML_SEV_OKAY), 1);
  assert_int_equal(rec->n_events, n + 2);
  kml_report_destroy(r);
  free(rec);
}

/* Deleted while the collection runs: the group list names it, but its
 * description says Dead and it has no committed offset left (what
 * OffsetFetch answers for a group that is gone). True facts go out
 * (state, members), no lag of any kind; each open alert gets exactly one
 * OKAY; the next collection, where the list no longer names it, and a
 * second one like the first, send nothing more. */
static void group_deleted_during_collection(void **state) {
  kml_report_t *r = report(30, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  for (int i = 0; i < 6; i++, t += 10)
    run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
  int open = open_group_alerts(rec);
  assert_int_equal(open, 2);
  int n = rec->n_events;
  for (int i = 0; i < 3; i++, t += 10) {
    kml_snapshot_t *s = producing(t);
    if (i != 1) /* listed, read, and gone (the second time: not listed) */
      add_group(s, "g", KML_GROUP_DEAD, 0);
    run(r, s, rec);
    if (i != 1) {
      assert_true(val(rec, "group-g/kafka_group_state/") == KML_GROUP_DEAD);
      assert_true(val(rec, "group-g/kafka_members/") == 0);
    }
    assert_false(has(rec, "group-g/kafka_lag/total"));
    assert_false(has(rec, "group-g/kafka_lag/t-0"));
    assert_false(has(rec, "group-g/kafka_lag_seconds/max"));
    assert_false(has(rec, "group-g/kafka_group_status/total"));
    if (i == 0)
      assert_int_equal(rec->n_events, n + open);
  }
  assert_int_equal(rec->n_events, n + open);
  assert_int_equal(gone_okays(rec, n), open);
  kml_report_destroy(r);
  free(rec);
}

/* Two partitions at 100 msg/s each, on brokers 1 and 2; partition 1's
 * leader moves to broker 1, then back. Broker rates follow leadership;
 * nothing jumps beyond the partitions' own rates. */
static void rates_survive_leader_moves(void **state) {
  kml_report_t *r = report(0, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  const int32_t leaders[] = {2, 2, 1, 1, 1, 2, 2};
  for (int i = 0; i < 7; i++, t += 10) {
    kml_snapshot_t *s = snap(t);
    add_broker(s, 1);
    add_broker(s, 2);
    kml_topic_t *tp = add_topic(s, "t", 2);
    int64_t h = 1000000 + (int64_t)(100 * (t - 1000));
    set_part(tp, 0, 1, 0, h);
    set_part(tp, 1, leaders[i], 0, 5 * h); /* a much larger offset */
    run(r, s, rec);
    if (i == 0)
      continue;
    double b1 = val(rec, "broker-1/kafka_messages_in/");
    double b2 = val(rec, "broker-2/kafka_messages_in/");
    assert_true(fabs(val(rec, "topic-t/kafka_messages_in/") - 600) < 1e-6);
    /* p1 grows 500/s (5x), p0 100/s */
    assert_true(fabs(b1 - (leaders[i] == 1 ? 600 : 100)) < 1e-6);
    assert_true(fabs(b2 - (leaders[i] == 2 ? 500 : 0)) < 1e-6);
    /* replicas (add_topic: one, on broker 1) do not move with leaders */
    assert_true(fabs(val(rec, "broker-1/kafka_replicated_in/") - 600) < 1e-6);
    assert_true(fabs(val(rec, "broker-2/kafka_replicated_in/") - 0) < 1e-6);
  }
  kml_report_destroy(r);
  free(rec);
}

/* The wall clock set back an hour (an NTP step after a start with a clock
 * ahead): the rates go on, timed by the monotonic clock. Before, every
 * rate was unknown until the wall clock was past its last time again: no
 * messages-in, replicated-in or consumed rate for the hour. */
static void rates_go_on_when_the_wall_clock_is_set_back(void **state) {
  kml_report_t *r = report(0, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  for (int i = 0; i < 6; i++) {
    double wall = 1e9 + 10 * i - (i >= 3 ? 3600 : 0);
    kml_snapshot_t *s =
        simple(wall, 1000 + 50 * i, 1000 + 50 * i, 900 + 20 * i, 900, 1);
    s->mono = 5000 + 10 * i;
    run(r, s, rec);
    if (i == 0)
      continue;
    assert_true(fabs(val(rec, "topic-t/kafka_messages_in/") - 10) < 1e-9);
    assert_true(fabs(val(rec, "broker-1/kafka_messages_in/") - 10) < 1e-9);
    assert_true(fabs(val(rec, "group-g/kafka_consumed/") - 2) < 1e-9);
  }
  kml_report_destroy(r);
  free(rec);
}

/* A rate needs an interval. Broker 2 leads and holds nothing: at the
 * first collection its rates are unknown (not 0), from the second on they
 * are 0; broker 1 leads an idle partition: 0 once it has two marks. A
 * topic listed with an error and without its partitions says nothing of
 * itself, and no broker's sum is complete while it is missing. */
static void a_rate_needs_an_interval(void **state) {
  kml_report_t *r = report(0, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  for (int i = 0; i < 4; i++) {
    kml_snapshot_t *s = snap(1000 + 10 * i);
    add_broker(s, 1);
    add_broker(s, 2);
    set_part(add_topic(s, "idle", 1), 0, 1, 0, 42);
    kml_topic_t *b = add_topic(s, "busy", 1);
    set_part(b, 0, 1, 0, 1000 + 50 * i); /* 5 messages/s */
    if (i == 2) { /* listed with an error, no partitions */
      free(b->parts[0].replicas);
      free(b->parts[0].isr);
      b->n_parts = 0;
      b->err = 5; /* LEADER_NOT_AVAILABLE */
    }
    run(r, s, rec);
    const char *rates[] = {
        "broker-1/kafka_messages_in/", "broker-1/kafka_replicated_in/",
        "broker-2/kafka_messages_in/", "broker-2/kafka_replicated_in/"};
    for (int k = 0; k < 4; k++)
      assert_int_equal(has(rec, rates[k]), i == 1 || i == 3);
    assert_int_equal(has(rec, "topic-idle/kafka_messages_in/"), i > 0);
    assert_int_equal(has(rec, "topic-busy/kafka_messages_in/"),
                     i == 1 || i == 3);
    assert_int_equal(has(rec, "topic-busy/kafka_partitions/"), i != 2);
    assert_int_equal(has(rec, "topic-busy/kafka_retained/"), i != 2);
    assert_true(has(rec, "broker-2/kafka_leaders/"));
    if (i == 1) {
      assert_true(val(rec, "topic-idle/kafka_messages_in/") == 0);
      assert_true(fabs(val(rec, "broker-1/kafka_messages_in/") - 5) < 1e-9);
      assert_true(val(rec, "broker-2/kafka_messages_in/") == 0);
      assert_true(val(rec, "broker-2/kafka_replicated_in/") == 0);
    }
    if (i == 3) { /* the rate spans the collection that missed the topic */
      assert_true(fabs(val(rec, "topic-busy/kafka_messages_in/") - 5) < 1e-9);
      assert_true(fabs(val(rec, "broker-1/kafka_messages_in/") - 5) < 1e-9);
    }
  }
  kml_report_destroy(r);
  free(rec);
}

/* Broker 3 holds replicas but is not in the metadata: FAILURE once, OKAY
 * when it is back; under-replicated partitions: WARNING once, OKAY. */
static void lost_broker_and_under_replication(void **state) {
  kml_report_t *r = report(0, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  /* phase: 0 healthy, 1..3 broker 3 gone, 4..5 back but catching up,
   * 6..7 healthy */
  for (int i = 0; i < 8; i++, t += 10) {
    kml_snapshot_t *s = snap(t);
    add_broker(s, 1);
    add_broker(s, 2);
    int gone = i >= 1 && i <= 3, behind = i >= 1 && i <= 5;
    if (!gone)
      add_broker(s, 3);
    kml_topic_t *tp = add_topic(s, "t", 4);
    for (int p = 0; p < 4; p++) {
      set_part(tp, p, 1 + p % 2, 0, 10);
      const int32_t all[] = {1 + p % 2, 3, 2 - p % 2};
      const int32_t isr[] = {1 + p % 2, 2 - p % 2};
      set_replicas(tp, p, 3, all, behind ? 2 : 3, behind ? isr : all);
    }
    run(r, s, rec);
    assert_true(val(rec, "cluster/kafka_lost_brokers/") == (gone ? 1 : 0));
    assert_true(val(rec, "broker-3/kafka_broker_up/") == (gone ? 0 : 1));
    assert_true(val(rec, "cluster/kafka_under_replicated/") ==
                (behind ? 4 : 0));
  }
  assert_int_equal(
      count_events(rec, "broker-3/kafka_broker_up/", KML_SEV_FAILURE), 1);
  assert_int_equal(count_events(rec, "broker-3/kafka_broker_up/", KML_SEV_OKAY),
                   1);
  assert_int_equal(
      count_events(rec, "cluster/kafka_under_replicated/", KML_SEV_WARNING), 1);
  assert_int_equal(
      count_events(rec, "cluster/kafka_under_replicated/", KML_SEV_OKAY), 1);
  for (int i = 0; i < rec->n_events; i++)
    if (strstr(rec->events[i].id, "under_replicated") &&
        rec->events[i].severity == KML_SEV_WARNING)
      assert_non_null(strstr(rec->events[i].message, "broker 3"));
  kml_report_destroy(r);
  free(rec);
}

/* The log start gains 10 msg/s on a group; ETA = gap / (retention -
 * consumption). A group that keeps pace is never overtaken. */
static void retention_eta_counts_the_consumer(void **state) {
  kml_report_t *r = report(0, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  for (int i = 0; i < 5; i++, t += 10) {
    kml_snapshot_t *s = snap(t);
    add_broker(s, 1);
    kml_topic_t *tp = add_topic(s, "t", 1);
    int64_t low = 1000 + 10 * 10 * i, high = 5000 + 100 * i;
    set_part(tp, 0, 1, low, high);
    /* a keeps pace with retention (10/s), b is half as fast, c stopped */
    kml_group_t *a = add_group(s, "a", KML_GROUP_STABLE, 1);
    add_commit(a, "t", 0, 2000 + 100 * i);
    kml_group_t *b = add_group(s, "b", KML_GROUP_STABLE, 1);
    add_commit(b, "t", 0, 3000 + 50 * i);
    kml_group_t *c = add_group(s, "c", KML_GROUP_EMPTY, 0);
    add_commit(c, "t", 0, 4000);
    run(r, s, rec);
    if (i == 0)
      continue;
    assert_false(has(rec, "group-a/kafka_retention_eta/"));
    double gap_b = 3000 + 50 * i - low, gap_c = 4000 - low;
    assert_true(fabs(val(rec, "group-b/kafka_retention_eta/") - gap_b / 5) <
                1e-6);
    assert_true(fabs(val(rec, "group-c/kafka_retention_eta/") - gap_c / 10) <
                1e-6);
  }
  kml_report_destroy(r);
  free(rec);
}

/* Lag in seconds through the report: an hour idle, then a burst seen 6 s
 * after it arrived; the SLA of 30 s is not crossed. */
static void burst_after_idle_does_not_break_the_sla(void **state) {
  kml_report_t *r = report(30, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  for (; t < 1000 + 3600; t += 10)
    run(r, simple(t, 50, 0, 50, 0, 1), rec);
  /* 10 messages arrive at t - 6 */
  run(r, simple(t, 60, 0, 50, 0, 1), rec);
  double age = val(rec, "group-g/kafka_lag_seconds/max");
  assert_true(age >= 0 && age <= 6 + 10);
  t += 10;
  run(r, simple(t, 60, 0, 60, 0, 1), rec);
  assert_true(val(rec, "group-g/kafka_lag_seconds/max") == 0);
  assert_int_equal(rec->n_events, 0);
  kml_report_destroy(r);
  free(rec);
}

/* The plugin starts while group g is 10 minutes behind on t-0 (offset
 * 1000 written at 9400, the first collection at 10000): the first lag in
 * seconds is 600, not 0, and the SLA warning fires at once. The record is
 * asked for once; the caught-up partition t-1 never. */
static void messages_older_than_the_start_are_dated_by_kafka(void **state) {
  kml_report_t *r = report(300, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  rec->answer = KML_ARRIVAL_FOUND;
  rec->spacing = 0.05;
  rec->written = 9400 - 50; /* offset 1000 arrived at 9400, 8000 at 9750 */
  run_looking_up(r, simple(10000, 15000, 30, 1000, 30, 1), rec);
  assert_int_equal(rec->calls, 1);
  assert_int_equal(rec->asked, 1);
  assert_true(val(rec, "group-g/kafka_lag_seconds/t-0") == 600);
  assert_true(val(rec, "group-g/kafka_lag_seconds/t-1") == 0);
  assert_true(val(rec, "group-g/kafka_lag_seconds/max") == 600);
  assert_int_equal(
      count_events(rec, "group-g/kafka_lag_seconds/", KML_SEV_WARNING), 1);
  run_looking_up(r, simple(10010, 15100, 30, 1000, 30, 1), rec);
  assert_int_equal(rec->asked, 1); /* not asked again */
  assert_true(val(rec, "group-g/kafka_lag_seconds/max") == 610);
  /* the consumer moves on, still before the start: asked once more */
  run_looking_up(r, simple(10020, 15200, 30, 8000, 30, 1), rec);
  assert_int_equal(rec->asked, 2);
  assert_true(val(rec, "group-g/kafka_lag_seconds/max") == 10020 - 9750);
  /* caught up past the start: nothing to ask */
  run_looking_up(r, simple(10030, 15300, 30, 15050, 30, 1), rec);
  assert_int_equal(rec->asked, 2);
  assert_int_equal(rec->logs, 0);
  kml_report_destroy(r);
  free(rec);
}

/* Kafka cannot say (the offset was deleted, the topic is gone): the age
 * stays the lower bound, the offset is not asked again, one log line. A
 * lookup not answered in time is asked again, logged once. */
static void lookups_that_fail_fall_back_to_the_lower_bound(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  rec->answer = KML_ARRIVAL_NONE;
  rec->err = RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET;
  for (int i = 0; i < 3; i++) {
    run_looking_up(r, simple(10000 + 10 * i, 15000, 30, 1000, 30, 1), rec);
    assert_true(val(rec, "group-g/kafka_lag_seconds/t-0") == 10 * i);
  }
  assert_int_equal(rec->asked, 1);
  assert_int_equal(rec->logs, 1);
  /* a clock-skewed producer: a timestamp in the future is the start */
  rec->answer = KML_ARRIVAL_FOUND;
  rec->written = 1e6;
  run_looking_up(r, simple(10030, 15000, 30, 1001, 30, 1), rec);
  assert_int_equal(rec->asked, 2);
  assert_true(val(rec, "group-g/kafka_lag_seconds/t-0") == 30);
  /* unanswered: asked again (at the next collection, then after 2),
   * said once */
  rec->answer = KML_ARRIVAL_PENDING;
  rec->err = 0;
  for (int i = 0; i < 3; i++)
    run_looking_up(r, simple(10040 + 10 * i, 15000, 30, 1002, 30, 1), rec);
  assert_int_equal(rec->asked, 4);
  assert_int_equal(rec->logs, 2);
  assert_true(val(rec, "group-g/kafka_lag_seconds/t-0") == 60);
  kml_report_destroy(r);
  free(rec);
}

/* Group g behind on t-0 since before the start, led by broker `leader`. */
static kml_snapshot_t *led_by(double t, int32_t leader) {
  kml_snapshot_t *s = snap(t);
  add_broker(s, 1);
  add_broker(s, 2);
  kml_topic_t *tp = add_topic(s, "t", 1);
  set_part(tp, 0, leader, 0, 15000);
  add_commit(add_group(s, "g", KML_GROUP_STABLE, 1), "t", 0, 1000);
  return s;
}

/* A leader that never answers is asked at collections 1, 2, 4, 8, 16, 32,
 * 48 (the wait doubles up to 16 collections), not at each of them; a new
 * leader is asked at once; an answer ends the waiting for good. */
static void an_unanswering_leader_is_asked_less_and_less(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  rec->answer = KML_ARRIVAL_PENDING;
  int at[64], n = 0;
  for (int round = 1; round <= 50; round++) {
    run_looking_up(r, led_by(10000 + 10 * round, 1), rec);
    if (rec->last_asked > 0)
      at[n++] = round;
    /* meanwhile the lower bound: counted from the first collection */
    assert_true(val(rec, "group-g/kafka_lag_seconds/t-0") == 10 * (round - 1));
  }
  const int want[] = {1, 2, 4, 8, 16, 32, 48};
  assert_int_equal(n, (int)(sizeof(want) / sizeof(want[0])));
  for (int i = 0; i < n; i++)
    assert_int_equal(at[i], want[i]);
  assert_int_equal(rec->logs, 1); /* said once */
  /* broker 2 takes over: asked at once, although 48 + 16 is far */
  run_looking_up(r, led_by(10510, 2), rec);
  assert_int_equal(rec->last_asked, 1);
  /* it answers: dated, never asked again */
  rec->answer = KML_ARRIVAL_FOUND;
  rec->written = 5000;
  run_looking_up(r, led_by(10520, 2), rec);
  assert_int_equal(rec->last_asked, 1);
  assert_true(val(rec, "group-g/kafka_lag_seconds/t-0") == 10520 - 6000);
  int asked = rec->asked;
  for (int round = 0; round < 5; round++)
    run_looking_up(r, led_by(10530 + 10 * round, 2), rec);
  assert_int_equal(rec->asked, asked);
  kml_report_destroy(r);
  free(rec);
}

/* The arrivals pass looks up only the group partitions that read messages
 * older than their partition's history, and is skipped when Kafka holds
 * no such message; a group that appears behind later is still asked. */
static void only_partitions_behind_their_history_are_looked_at(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  rec->answer = KML_ARRIVAL_FOUND;
  rec->written = 5000;
  /* t-0 behind since before the start, t-1 caught up */
  run_looking_up(r, simple(10000, 15000, 30, 1000, 30, 1), rec);
  assert_int_equal(rec->asked, 1);
  assert_int_equal(kml_report_arrival_looked(r), 1);
  run_looking_up(r, simple(10010, 15000, 30, 1000, 30, 1), rec);
  assert_int_equal(kml_report_arrival_looked(r), 1); /* dated: not asked */
  assert_int_equal(rec->asked, 1);
  /* caught up past the ring's start: nothing to look at */
  run_looking_up(r, simple(10020, 15100, 40, 15000, 40, 1), rec);
  assert_int_equal(kml_report_arrival_looked(r), 0);
  /* a second group appears behind the start: looked at and asked */
  kml_snapshot_t *s = simple(10030, 15100, 40, 15100, 40, 1);
  add_commit(add_group(s, "late", KML_GROUP_STABLE, 1), "t", 1, 10);
  run_looking_up(r, s, rec);
  assert_int_equal(kml_report_arrival_looked(r), 1);
  assert_int_equal(rec->asked, 2);
  assert_true(val(rec, "group-late/kafka_lag_seconds/t-1") == 10030 - 5010);
  /* retention deleted everything before the first marks: the pass is
   * skipped, whatever the groups' offsets */
  s = snap(10040);
  add_broker(s, 1);
  kml_topic_t *tp = add_topic(s, "t", 2);
  set_part(tp, 0, 1, 15000, 15100);
  set_part(tp, 1, 1, 30, 40);
  kml_group_t *g = add_group(s, "g", KML_GROUP_STABLE, 1);
  add_commit(g, "t", 0, 15000);
  add_commit(g, "t", 1, 35);
  run_looking_up(r, s, rec);
  assert_int_equal(kml_report_arrival_looked(r), 0);
  assert_int_equal(rec->asked, 2);
  kml_report_destroy(r);
  free(rec);
}

/* 150 lagging partitions at the start: 100 lookups in the first
 * collection, the other 50 in the next; the two groups at the same
 * offsets share each lookup. */
static void lookups_per_collection_are_capped(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  rec->answer = KML_ARRIVAL_FOUND;
  rec->written = 5000;
  for (int round = 0; round < 3; round++) {
    kml_snapshot_t *s = snap(10000 + 10 * round);
    add_broker(s, 1);
    kml_topic_t *tp = add_topic(s, "t", 150);
    for (int p = 0; p < 150; p++)
      set_part(tp, p, 1, 0, 2000);
    for (int k = 0; k < 2; k++) { /* add_group() moves the groups */
      kml_group_t *g = add_group(s, k ? "h" : "g", KML_GROUP_STABLE, 1);
      for (int p = 0; p < 150; p++)
        add_commit(g, "t", p, 100);
    }
    run_looking_up(r, s, rec);
    assert_int_equal(rec->last_asked, round == 0 ? 100 : round == 1 ? 50 : 0);
  }
  assert_true(val(rec, "group-g/kafka_lag_seconds/t-0") == 10020 - 5100);
  assert_true(val(rec, "group-h/kafka_lag_seconds/t-149") == 10020 - 5100);
  kml_report_destroy(r);
  free(rec);
}

/* The lag SLA warning never prints a lag equal to (or below) the SLA:
 * collections 0.37 s apart cross 30 s between whole seconds. */
static void sla_warning_prints_a_lag_over_the_sla(void **state) {
  kml_report_t *r = report(30, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  int warnings = 0;
  double t = 1000;
  for (int i = 0; i < 100; i++, t += 0.37) {
    int before = rec->n_events;
    run(r, simple(t, 50 + i, 0, 0, 0, 1), rec);
    for (int k = before; k < rec->n_events; k++) {
      const rec_event_t *ev = &rec->events[k];
      if (strstr(ev->id, "kafka_lag_seconds") == NULL ||
          ev->severity != KML_SEV_WARNING)
        continue;
      warnings++;
      const char *is = strstr(ev->message, " is ");
      assert_non_null(is);
      double shown = strtod(is + 4, NULL);
      if (!(shown > 30))
        fail_msg("\"%s\" (lag %.3f s)", ev->message,
                 val(rec, "group-g/kafka_lag_seconds/max"));
      assert_non_null(strstr(ev->message, "over its SLA of 30 s"));
    }
  }
  assert_int_equal(warnings, 1);
  kml_report_destroy(r);
  free(rec);
}

/* One of six partitions stalls while the others flow: the STALL warning
 * says how many and which, the lag in messages and the stall as a time. */
static void stall_names_its_partitions(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  for (int i = 0; i < 6; i++, t += 10) {
    kml_snapshot_t *s = snap(t);
    add_broker(s, 1);
    kml_topic_t *tp = add_topic(s, "orders", 6);
    kml_group_t *g = add_group(s, "g", KML_GROUP_STABLE, 2);
    for (int p = 0; p < 6; p++) {
      set_part(tp, p, 1, 0, 100 + 10 * i);
      add_commit(g, "orders", p, p == 2 ? 50 : 95 + 10 * i);
    }
    run(r, s, rec);
  }
  assert_int_equal(
      count_events(rec, "group-g/kafka_group_status/", KML_SEV_WARNING), 1);
  const char *msg = NULL;
  for (int i = 0; i < rec->n_events; i++)
    if (strcmp(rec->events[i].id, "group-g/kafka_group_status/") == 0)
      msg = rec->events[i].message;
  assert_non_null(msg);
  /* window 3: the warning comes at the third look (t = 1020), 20 s after
   * partition 2's offset was first seen */
  assert_string_equal(msg, "group g stalled (members present): 1 of 6 "
                           "partition(s) without a commit for 20 s, 70 "
                           "messages behind: orders-2");
  kml_report_destroy(r);
  /* a stopped group of five lagging partitions: the first four named */
  r = report(0, 1);
  rec->n_events = 0;
  for (int i = 0; i < 6; i++, t += 10) {
    kml_snapshot_t *s = snap(t);
    add_broker(s, 1);
    kml_topic_t *tp = add_topic(s, "orders", 5);
    kml_group_t *g = add_group(s, "g", KML_GROUP_EMPTY, 0);
    for (int p = 0; p < 5; p++) {
      set_part(tp, p, 1, 0, 100 + 10 * i);
      add_commit(g, "orders", p, 40);
    }
    run(r, s, rec);
  }
  msg = NULL;
  for (int i = 0; i < rec->n_events; i++)
    if (strcmp(rec->events[i].id, "group-g/kafka_group_status/") == 0)
      msg = rec->events[i].message;
  assert_non_null(msg);
  assert_string_equal(msg, "group g stopped (no members): 5 of 5 partition(s) "
                           "without a commit for 20 s, 400 messages behind: "
                           "orders-0, orders-1, orders-2, orders-3 and 1 "
                           "more");
  kml_report_destroy(r);
  free(rec);
}

/* Records deleted below the committed offset: data lost, and the age is
 * that of the oldest message that still exists. */
static void deleted_records_are_lost_and_age_from_the_log_start(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  run(r, simple(1000, 100, 0, 10, 0, 0), rec);
  run(r, simple(1010, 200, 0, 10, 0, 0), rec);
  kml_snapshot_t *s = simple(1020, 200, 0, 10, 0, 0);
  s->topics[0].parts[0].low = 150; /* DeleteRecords up to 150 */
  run(r, s, rec);
  assert_true(val(rec, "group-g/kafka_lost_messages/") == 140);
  assert_true(val(rec, "group-g/kafka_lost_partitions/") == 1);
  /* offset 150 arrived in (1000, 1010]: half of that window */
  double age = val(rec, "group-g/kafka_lag_seconds/t-0");
  assert_true(fabs(age - (1020 - 1005.1)) < 1e-6);
  assert_int_equal(
      count_events(rec, "group-g/kafka_lost_messages/", KML_SEV_FAILURE), 1);
  kml_report_destroy(r);
  free(rec);
}

static void distinct_names_give_distinct_identifiers(void **state) {
  kml_report_t *r = report(0, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  kml_snapshot_t *s = simple(1000, 10, 10, 1, 1, 1);
  kml_group_t *g = add_group(s, "a/b", KML_GROUP_STABLE, 1);
  add_commit(g, "t", 0, 2);
  g = add_group(s, "a_b", KML_GROUP_STABLE, 1);
  add_commit(g, "t", 0, 3);
  run(r, s, rec);
  assert_true(val(rec, "group-a_b/kafka_lag/total") == 7);
  int other = 0;
  for (int i = 0; i < rec->n_values; i++)
    if (strncmp(rec->values[i].id, "group-a_b~", 10) == 0 &&
        strstr(rec->values[i].id, "/kafka_lag/total"))
      other += rec->values[i].value == 8;
  assert_int_equal(other, 1);
  kml_report_destroy(r);
  free(rec);
}

static void outage_dispatches_only_up_and_moves_no_group_state(void **state) {
  kml_report_t *r = report(30, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  double t = 1000;
  for (int i = 0; i < 6; i++, t += 10)
    run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
  int n = rec->n_events;
  for (int i = 0; i < 3; i++, t += 10) {
    kml_snapshot_t *s = kml_snapshot_new();
    s->started = t;
    snprintf(s->error, sizeof(s->error), "metadata request failed");
    snprintf(s->bootstrap, sizeof(s->bootstrap), "kafka.invalid:9092");
    if (i > 0) /* the client learned why only later */
      snprintf(s->cause, sizeof(s->cause), "cannot resolve the host name");
    run(r, s, rec);
    assert_true(val(rec, "cluster/kafka_up/") == 0);
    assert_false(has(rec, "cluster/kafka_brokers/"));
    assert_false(has(rec, "group-g/kafka_lag/total"));
    /* one failed collection is not an outage yet */
    assert_int_equal(rec->n_events, n + (i > 0));
  }
  assert_int_equal(rec->n_events, n + 1); /* the FAILURE of kafka_up */
  /* what pages says where and why */
  assert_int_equal(rec->events[n].severity, KML_SEV_FAILURE);
  assert_string_equal(rec->events[n].message,
                      "Kafka cluster unreachable at kafka.invalid:9092: cannot "
                      "resolve the host name (metadata request failed)");
  run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
  t += 10;
  assert_int_equal(rec->n_events, n + 1); /* up after two good ones */
  run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
  assert_int_equal(rec->n_events, n + 2);
  assert_int_equal(count_events(rec, "cluster/kafka_up/", KML_SEV_OKAY), 1);
  kml_report_destroy(r);
  free(rec);
}

/* PartitionDetail "kafka_lag" "kafka_offset": only those per-partition
 * types; totals and the other types' states are untouched. */
static void partition_types_pick_per_partition_values(void **state) {
  assert_int_equal(kml_report_detail_bit("kafka_lag"), KML_DETAIL_LAG);
  assert_int_equal(kml_report_detail_bit("kafka_group_status"),
                   KML_DETAIL_GROUP_STATUS);
  assert_int_equal(kml_report_detail_bit("kafka_lags"), 0);
  assert_int_equal(kml_report_detail_bit("kafka_lag_total"), 0);
  kml_report_opts_t o = {.partition_detail = 1,
                         .partition_types = KML_DETAIL_LAG | KML_DETAIL_OFFSET,
                         .status_window = 3};
  kml_report_t *r = kml_report_new(&o);
  rec_t *rec = calloc(1, sizeof(*rec));
  run(r, simple(1000, 10, 30, 3, 30, 1), rec);
  assert_true(val(rec, "group-g/kafka_lag/t-0") == 7);
  assert_true(val(rec, "topic-t/kafka_offset/t-1") == 30);
  assert_true(val(rec, "group-g/kafka_lag/total") == 7);
  assert_true(val(rec, "group-g/kafka_group_status/total") == KML_STATUS_OK);
  int per_partition = 0;
  for (int i = 0; i < rec->n_values; i++) {
    const char *id = rec->values[i].id;
    size_t n = strlen(id);
    if (n > 4 &&
        (strcmp(id + n - 4, "/t-0") == 0 || strcmp(id + n - 4, "/t-1") == 0)) {
      per_partition++;
      assert_true(strstr(id, "/kafka_lag/") || strstr(id, "/kafka_offset/"));
    }
  }
  assert_int_equal(per_partition, 4); /* lag and offset of 2 partitions */
  kml_report_destroy(r);
  free(rec);
}

/* The group values of the last run (plugin instance "group-g", no
 * per-partition type instance), counted. */
static int group_values_of_g(const rec_t *rec) {
  int n = 0;
  for (int i = 0; i < rec->n_values; i++) {
    const char *id = rec->values[i].id;
    size_t len = strlen(id);
    n += strncmp(id, "group-g/", 8) == 0 &&
         !(len > 4 && (strcmp(id + len - 4, "/t-0") == 0 ||
                       strcmp(id + len - 4, "/t-1") == 0));
  }
  return n;
}

/* GroupDetail "kafka_lag" "kafka_members": those group values only (lag's
 * total and max, members), every per-partition one, and the notifications
 * as without the option; GroupDetail false: no group value, the same
 * notifications. */
static void group_types_pick_group_values(void **state) {
  assert_int_equal(kml_report_group_detail_bit("kafka_members"),
                   KML_GDETAIL_MEMBERS);
  assert_int_equal(kml_report_group_detail_bit("kafka_ordering_skew"),
                   KML_GDETAIL_ORDERING_SKEW);
  assert_int_equal(kml_report_group_detail_bit("kafka_offset"), 0);
  const unsigned picks[] = {0, KML_GDETAIL_LAG | KML_GDETAIL_MEMBERS,
                            KML_GDETAIL_NONE};
  const int want[] = {-1, 3, 0}; /* -1: more than 3 */
  int events[3];
  for (int k = 0; k < 3; k++) {
    kml_report_opts_t o = {.partition_detail = 1,
                           .group_types = picks[k],
                           .lag_sla_seconds = 30,
                           .status_window = 3};
    kml_report_t *r = kml_report_new(&o);
    rec_t *rec = calloc(1, sizeof(*rec));
    double t = 1000;
    for (int i = 0; i < 6; i++, t += 10)
      run(r, simple(t, (int64_t)(t - 1000), 0, 0, 0, 0), rec);
    int n = group_values_of_g(rec);
    if (want[k] < 0)
      assert_true(n > 3);
    else
      assert_int_equal(n, want[k]);
    if (picks[k] == (KML_GDETAIL_LAG | KML_GDETAIL_MEMBERS)) {
      assert_true(has(rec, "group-g/kafka_lag/total"));
      assert_true(has(rec, "group-g/kafka_lag/max"));
      assert_true(has(rec, "group-g/kafka_members/"));
    }
    assert_true(has(rec, "group-g/kafka_lag/t-0")); /* per partition */
    events[k] = rec->n_events;
    kml_report_destroy(r);
    free(rec);
  }
  assert_true(events[0] >= 2); /* stopped, over its SLA */
  assert_int_equal(events[1], events[0]);
  assert_int_equal(events[2], events[0]);
}

/* An Empty group's offsets expire offsets.retention after it became
 * empty (the coordinator's stamp in __consumer_offsets) or, for a group
 * that only commits, after its oldest commit; only without either (the
 * admin API) does the clock start when the plugin first sees it empty. */
static void expiry_counts_from_when_the_group_became_empty(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  const double week = 7 * 86400, t0 = 1700000000;
  for (int i = 0; i < 2; i++) {
    double now = t0 + 10 * i;
    kml_snapshot_t *s = snap(now);
    s->offsets_retention_s = week;
    add_broker(s, 1);
    set_part(add_topic(s, "t", 2), 0, 1, 0, 50);
    set_part(&s->topics[0], 1, 1, 0, 50);
    kml_group_t *g = add_group(s, "meta", KML_GROUP_EMPTY, 0);
    g->measured |= KML_GROUP_GENERATION;
    g->empty_since = t0 - 3600;
    add_commit(g, "t", 0, 5);
    g->offsets[0].commit_time = t0 - 9000; /* before it became empty */
    g = add_group(s, "simple", KML_GROUP_EMPTY, 0);
    add_commit(g, "t", 0, 5);
    add_commit(g, "t", 1, 7);
    g->offsets[0].commit_time = t0 - 100;
    g->offsets[1].commit_time = t0 - 7200; /* expires first */
    g = add_group(s, "admin", KML_GROUP_EMPTY, 0);
    add_commit(g, "t", 0, 5);
    g->offsets[0].commit_time = NAN;
    run(r, s, rec);
    assert_true(fabs(val(rec, "group-meta/kafka_expiry_eta/") -
                     (week - 3600 - 10 * i)) < 1e-6);
    assert_true(fabs(val(rec, "group-simple/kafka_expiry_eta/") -
                     (week - 7200 - 10 * i)) < 1e-6);
    assert_true(fabs(val(rec, "group-admin/kafka_expiry_eta/") -
                     (week - 10 * i)) < 1e-6);
  }
  kml_report_destroy(r);
  free(rec);
}

static void group_state_names(void **state) {
  assert_string_equal(kml_group_state_str(KML_GROUP_STABLE), "Stable");
  assert_string_equal(kml_group_state_str(KML_GROUP_EMPTY), "Empty");
  assert_string_equal(kml_group_state_str((kml_group_state_t)77), "Unknown");
  assert_true(kml_group_state_rebalancing(KML_GROUP_PREPARING_REBALANCE));
  assert_false(kml_group_state_rebalancing(KML_GROUP_STABLE));
}

/* Offline partitions are named: the first four, then "and N more"; the
 * meta data lists the topics (for routing) and the kept names. */
static void offline_partitions_are_named(void **state) {
  kml_report_t *r = report(0, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  kml_snapshot_t *s = snap(1000);
  add_broker(s, 1);
  kml_topic_t *tp = add_topic(s, "orders", 8);
  for (int p = 0; p < 8; p++)
    set_part(tp, p, p == 3 || p == 7 ? -1 : 1, 0, 10);
  run(r, s, rec);
  const rec_event_t *ev =
      last_event(rec, "cluster/kafka_offline/", KML_SEV_FAILURE);
  assert_non_null(ev);
  assert_string_equal(ev->message, "2 partition(s) offline (no leader, no "
                                   "reads or writes): orders-3, orders-7");
  assert_string_equal(ev->meta, "offline=2;topics=orders;"
                                "partition_names=orders-3, orders-7;");
  kml_report_destroy(r);

  /* seven offline on two topics */
  r = report(0, 0);
  rec->n_events = 0;
  s = snap(1000);
  add_broker(s, 1);
  tp = add_topic(s, "orders", 4);
  for (int p = 0; p < 4; p++)
    set_part(tp, p, -1, 0, 10);
  tp = add_topic(s, "payments", 3);
  for (int p = 0; p < 3; p++)
    set_part(tp, p, -1, 0, 10);
  run(r, s, rec);
  ev = last_event(rec, "cluster/kafka_offline/", KML_SEV_FAILURE);
  assert_non_null(ev);
  assert_string_equal(ev->message,
                      "7 partition(s) offline (no leader, no reads or "
                      "writes): orders-0, orders-1, orders-2, orders-3 and 3 "
                      "more");
  assert_non_null(strstr(ev->meta, "offline=7;topics=orders, payments;"));
  kml_report_destroy(r);

  /* names too long for the message: whole names only, within 255 bytes */
  r = report(0, 0);
  rec->n_events = 0;
  s = snap(1000);
  add_broker(s, 1);
  char topic[121];
  for (int k = 0; k < 3; k++) {
    memset(topic, 'a' + k, sizeof(topic) - 1);
    topic[sizeof(topic) - 1] = '\0';
    tp = add_topic(s, topic, 1);
    set_part(tp, 0, -1, 0, 10);
  }
  run(r, s, rec);
  ev = last_event(rec, "cluster/kafka_offline/", KML_SEV_FAILURE);
  assert_non_null(ev);
  char want[256];
  snprintf(
      want, sizeof(want),
      "3 partition(s) offline (no leader, no reads or writes): "
      "%.120s-0 and 2 more",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  assert_string_equal(ev->message, want);
  kml_report_destroy(r);
  free(rec);
}

/* A group's lost-messages notification names the partitions it lost. */
static void lost_messages_name_the_partitions(void **state) {
  kml_report_t *r = report(0, 0);
  rec_t *rec = calloc(1, sizeof(*rec));
  for (int i = 0; i < 2; i++) {
    kml_snapshot_t *s = snap(1000 + 10 * i);
    add_broker(s, 1);
    kml_topic_t *tp = add_topic(s, "orders", 3); /* moved by the next add */
    for (int p = 0; p < 3; p++)
      set_part(tp, p, 1, i == 1 && p != 1 ? 50 : 0, 100);
    tp = add_topic(s, "refunds", 1);
    set_part(tp, 0, 1, i == 1 ? 30 : 0, 100);
    kml_group_t *g = add_group(s, "billing", KML_GROUP_STABLE, 1);
    for (int p = 0; p < 3; p++)
      add_commit(g, "orders", p, 20);
    add_commit(g, "refunds", 0, 20);
    run(r, s, rec);
  }
  const rec_event_t *ev =
      last_event(rec, "group-billing/kafka_lost_messages/", KML_SEV_FAILURE);
  assert_non_null(ev);
  assert_string_equal(ev->message,
                      "group billing lost 70 message(s) to retention on 3 "
                      "partition(s), committed offset below the log start: "
                      "orders-0, orders-2, refunds-0");
  assert_string_equal(ev->meta, "group=billing;lost_messages=70;partitions=3;"
                                "topics=orders, refunds;"
                                "partition_names=orders-0, orders-2, "
                                "refunds-0;");
  kml_report_destroy(r);
  free(rec);
}

/* BROKERS brokers and TOPICS topics "t<i>" of 4 partitions, partition p
 * led by broker 1 + p % BROKERS, high mark HIGH; no group step. */
static kml_snapshot_t *cluster(double t, int brokers, int topics,
                               int64_t high) {
  kml_snapshot_t *s = snap(t);
  s->complete &= ~(KML_STEP_GROUP_LIST | KML_STEP_GROUPS);
  for (int b = 1; b <= brokers; b++)
    add_broker(s, b);
  for (int i = 0; i < topics; i++) {
    char name[16];
    snprintf(name, sizeof(name), "t%d", i);
    kml_topic_t *tp = add_topic(s, name, 4);
    for (int p = 0; p < 4; p++)
      set_part(tp, p, 1 + p % brokers, 0, high);
  }
  kml_snapshot_sort(s);
  return s;
}

/* S with the group step: GROUPS groups "g<i>" committed at COMMITTED on
 * every partition, and a group "broken" whose offsets cannot be read (an
 * unmeasured group at every collection). */
static kml_snapshot_t *with_groups(kml_snapshot_t *s, int groups,
                                   int64_t committed) {
  s->complete |= KML_STEP_GROUP_LIST | KML_STEP_GROUPS;
  for (int i = 0; i < groups; i++) {
    char id[16];
    snprintf(id, sizeof(id), "g%d", i);
    kml_group_t *g = add_group(s, id, KML_GROUP_STABLE, 1);
    for (int k = 0; k < s->n_topics; k++)
      for (int p = 0; p < s->topics[k].n_parts; p++)
        add_commit(g, s->topics[k].name, p, committed);
  }
  kml_group_t *g = add_group(s, "broken", KML_GROUP_STABLE, 1);
  g->measured = 0;
  g->err = RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
  kml_snapshot_sort(s);
  return s;
}

/* run() with arrival lookups, returning the allocations kml_report_run()
 * made. */
static long run_counting(kml_report_t *r, kml_snapshot_t *s, rec_t *rec) {
  rec->n_values = 0;
  kml_report_sink_t sink = {.value = on_value,
                            .event = on_event,
                            .log = on_log,
                            .arrivals = on_arrivals,
                            .ud = rec};
  allocations = 0;
  counting = 1;
  kml_report_run(r, s, &sink);
  counting = 0;
  kml_snapshot_free(s);
  return allocations;
}

/* A collection of the cluster seen before allocates nothing: the broker
 * sums and the partitions' history are the report's, grown when the
 * cluster grows. */
static void a_known_cluster_is_reported_without_allocating(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  run_counting(r, cluster(1000, 2, 3, 0), rec);
  assert_int_equal(run_counting(r, cluster(1010, 2, 3, 100), rec), 0);
  /* 10 messages/s per partition: 6 partitions per broker */
  assert_true(val(rec, "broker-1/kafka_messages_in/") == 60);
  assert_true(val(rec, "broker-2/kafka_messages_in/") == 60);
  /* a broker and two topics more: new partitions have no rate yet */
  run_counting(r, cluster(1020, 3, 5, 200), rec);
  assert_true(val(rec, "broker-3/kafka_leaders/") == 5);
  assert_false(has(rec, "broker-3/kafka_messages_in/"));
  assert_int_equal(run_counting(r, cluster(1030, 3, 5, 300), rec), 0);
  assert_true(val(rec, "broker-1/kafka_messages_in/") == 100);
  assert_true(val(rec, "broker-2/kafka_messages_in/") == 50);
  assert_true(val(rec, "broker-3/kafka_messages_in/") == 50);
  assert_true(val(rec, "topic-t4/kafka_messages_in/") == 40);
  kml_report_destroy(r);
  free(rec);
}

/* With groups too: the groups' scratch (which groups went unmeasured, a
 * group's topics for the ordering spread, the arrival lookups' plan) is
 * the report's, so a collection of groups seen before allocates nothing,
 * with an unreadable group among them and messages older than the
 * partitions' history in Kafka (the arrivals pass runs). */
static void
a_known_cluster_with_groups_is_reported_without_allocating(void **state) {
  kml_report_t *r = report(0, 1);
  rec_t *rec = calloc(1, sizeof(*rec));
  rec->answer = KML_ARRIVAL_FOUND;
  rec->written = 900; /* offset X arrived at 900 + X */
  /* low 0, first high 100: Kafka holds messages older than the history */
  run_counting(r, with_groups(cluster(1000, 2, 3, 100), 2, 90), rec);
  assert_int_equal(rec->asked, 12); /* each partition's offset 90, once */
  assert_int_equal(
      run_counting(r, with_groups(cluster(1010, 2, 3, 200), 2, 190), rec), 0);
  assert_true(val(rec, "group-g1/kafka_lag/total") == 120);
  assert_true(val(rec, "group-g1/kafka_consumed/") == 120);
  assert_true(has(rec, "group-g1/kafka_lag_seconds/max"));
  assert_true(val(rec, "group-g1/kafka_ordering_skew/") == 0);
  assert_true(val(rec, "group-broken/kafka_group_status/total") ==
              KML_STATUS_ERR);
  assert_true(val(rec, "cluster/kafka_unmeasured/groups") == 1);
  assert_int_equal(kml_report_arrival_looked(r), 0);
  /* two topics and a group more, the new topics older than their history */
  run_counting(r, with_groups(cluster(1020, 3, 5, 300), 3, 290), rec);
  assert_int_equal(rec->asked, 12 + 8); /* t3, t4 */
  assert_int_equal(
      run_counting(r, with_groups(cluster(1030, 3, 5, 400), 3, 390), rec), 0);
  assert_true(val(rec, "group-g2/kafka_lag/total") == 200);
  assert_true(val(rec, "group-g2/kafka_consumed/") == 200);
  assert_true(val(rec, "group-g2/kafka_ordering_skew/") == 0);
  assert_true(val(rec, "cluster/kafka_unmeasured/groups") == 1);
  /* groups no longer listed are forgotten (freed, nothing allocated) */
  assert_int_equal(
      run_counting(r, with_groups(cluster(1040, 3, 5, 500), 1, 490), rec), 0);
  assert_true(val(rec, "group-g0/kafka_consumed/") == 200);
  assert_false(has(rec, "group-g1/kafka_lag/total"));
  kml_report_destroy(r);
  free(rec);
}

/* The list prints whole names only, as many as fit, and counts the rest. */
static void partlist_prints_whole_names(void **state) {
  kml_partlist_t l;
  kml_partlist_clear(&l);
  char out[64];
  assert_int_equal(kml_partlist_print(&l, out, sizeof(out), 4), 0);
  assert_string_equal(out, "");
  for (int p = 0; p < 40; p++)
    kml_partlist_add(&l, p < 30 ? "orders" : "refunds", p);
  assert_int_equal(l.total, 40);
  assert_int_equal(l.n_kept, KML_PARTLIST_KEEP);
  assert_string_equal(l.topics, "orders, refunds");
  assert_int_equal(kml_partlist_print(&l, out, sizeof(out), 3), 3);
  assert_string_equal(out, "orders-0, orders-1, orders-2 and 37 more");
  /* 30 bytes: "orders-0, orders-1 and 38 more" is 30 and needs the NUL */
  assert_int_equal(kml_partlist_print(&l, out, 30, 3), 1);
  assert_string_equal(out, "orders-0 and 39 more");
  assert_int_equal(kml_partlist_print(&l, out, 31, 3), 2);
  assert_string_equal(out, "orders-0, orders-1 and 38 more");
  /* not even one name: its start, marked as cut */
  assert_int_equal(kml_partlist_print(&l, out, 20, 3), 0);
  assert_string_equal(out, "orde... and 39 more");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lag_values_of_a_measured_group),
      cmocka_unit_test(unknown_marks_are_silence_not_zero),
      cmocka_unit_test(failed_group_step_sweeps_nothing),
      cmocka_unit_test(deleted_group_is_forgotten),
      cmocka_unit_test(group_deleted_during_collection),
      cmocka_unit_test(a_long_group_id_keeps_its_alerts_apart),
      cmocka_unit_test(a_group_id_holding_0x1f_keeps_its_memory_unread),
      cmocka_unit_test(rates_survive_leader_moves),
      cmocka_unit_test(a_rate_needs_an_interval),
      cmocka_unit_test(rates_go_on_when_the_wall_clock_is_set_back),
      cmocka_unit_test(lost_broker_and_under_replication),
      cmocka_unit_test(retention_eta_counts_the_consumer),
      cmocka_unit_test(burst_after_idle_does_not_break_the_sla),
      cmocka_unit_test(sla_warning_prints_a_lag_over_the_sla),
      cmocka_unit_test(stall_names_its_partitions),
      cmocka_unit_test(deleted_records_are_lost_and_age_from_the_log_start),
      cmocka_unit_test(distinct_names_give_distinct_identifiers),
      cmocka_unit_test(outage_dispatches_only_up_and_moves_no_group_state),
      cmocka_unit_test(partition_types_pick_per_partition_values),
      cmocka_unit_test(group_types_pick_group_values),
      cmocka_unit_test(expiry_counts_from_when_the_group_became_empty),
      cmocka_unit_test(group_state_names),
      cmocka_unit_test(offline_partitions_are_named),
      cmocka_unit_test(lost_messages_name_the_partitions),
      cmocka_unit_test(partlist_prints_whole_names),
      cmocka_unit_test(messages_older_than_the_start_are_dated_by_kafka),
      cmocka_unit_test(lookups_that_fail_fall_back_to_the_lower_bound),
      cmocka_unit_test(lookups_per_collection_are_capped),
      cmocka_unit_test(an_unanswering_leader_is_asked_less_and_less),
      cmocka_unit_test(only_partitions_behind_their_history_are_looked_at),
      cmocka_unit_test(a_known_cluster_is_reported_without_allocating),
      cmocka_unit_test(
          a_known_cluster_with_groups_is_reported_without_allocating),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
