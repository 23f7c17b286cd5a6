/* groups: consumer groups, their members and committed offsets, through
 * the admin API (the path for clusters whose __consumer_offsets topic
 * cannot be read; offsets_topic.c is the other).
 *
 * ListConsumerGroups once; DescribeConsumerGroups in batches of 64 groups,
 * all batches in flight at once on one queue; ListConsumerGroupOffsets
 * takes exactly one group per call in librdkafka 2.0, so every group's call
 * is issued before any result is awaited (pipelined on the same queue).
 * ListConsumerGroups may name a group twice (one answer per broker): the
 * list is de-duplicated. A group whose description or offsets fail (for
 * example authorization) keeps err set and is reported once by the plugin.
 *
 * Every request goes through the client's group handle, whose group.id
 * keeps librdkafka's OffsetFetch error path from dereferencing a missing
 * group handle when a coordinator moves (kml_client_group_rk()).
 * ListConsumerGroups asks every broker librdkafka knows and fails when one
 * of them is down, so it gets a third of the budget and, when it fails,
 * the last complete list is used instead: one dead broker must not blind
 * the groups it does not coordinate. While it cannot complete it is not
 * sent at all (list_gate.h: librdkafka would reconnect to the dead broker
 * in a tight loop for as long as it waits); a broker missing for 10 min is
 * taken as removed and the group handle renewed (list_now()). */
#include "../kml_clock.h"
#include "../kml_hash.h"
#include "collect.h"
#include "list_gate.h"
#include "offsets_record.h"
#include "offsets_topic.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DESCRIBE_BATCH 64

static int id_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* NULL when no time is left (or the timeout is refused): send nothing. */
static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk, rd_kafka_admin_op_t op,
                                        double deadline, void *opaque) {
  char err[256];
  rd_kafka_AdminOptions_t *o =
      kml_collect_admin_options(rk, op, deadline, err, sizeof(err));
  if (o != NULL)
    rd_kafka_AdminOptions_set_opaque(o, opaque);
  return o;
}

/* Requests that go to a group's coordinator get a long timeout of their
 * own; the collection waits for them only until its deadline (later
 * answers are dropped with the queue). librdkafka 2.0.2 aborts
 * (rd_kafka_enq_once_del_source_return: eonce->refcnt > 0) when such a
 * request times out while its coordinator is still being looked for and
 * the coordinator then turns up (rd_kafka_admin_coord_request() returns
 * an error for the destroyed request and rd_kafka_coord_req_fsm() fails
 * it a second time; upstream issues 3663 and 4605). A timeout longer than
 * a coordinator move lets every request find its coordinator first; and
 * groups whose coordinator is not a live broker are not asked at all. */
#define COORDINATOR_TIMEOUT_MS 300000

static rd_kafka_AdminOptions_t *coordinator_options(rd_kafka_t *rk,
                                                    rd_kafka_admin_op_t op) {
  char err[256];
  rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
  if (o != NULL && rd_kafka_AdminOptions_set_request_timeout(
                       o, COORDINATOR_TIMEOUT_MS, err, sizeof(err)) != 0) {
    rd_kafka_AdminOptions_destroy(o);
    o = NULL;
  }
  return o;
}

static rd_kafka_event_t *wait_event(rd_kafka_queue_t *q, double deadline) {
  int left = (int)(deadline - kml_clock_mono_ms());
  return rd_kafka_queue_poll(q, left > 0 ? left : 0);
}

/* Step 1: list, filter, de-duplicate. Returns the number of ids, -1 when
 * the list could not be read. */
static int list_groups(rd_kafka_t *rk, rd_kafka_queue_t *q,
                       const kml_filter_t *filter, double deadline,
                       kml_snapshot_t *s, char ***ids_out, int *requests) {
  rd_kafka_AdminOptions_t *o =
      options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, deadline, NULL);
  if (o == NULL) {
    snprintf(s->error, sizeof(s->error), "ListConsumerGroups: no time left");
    s->errors++;
    return -1;
  }
  rd_kafka_ListConsumerGroups(rk, o, q);
  rd_kafka_AdminOptions_destroy(o);
  *requests += 1; /* librdkafka asks every broker; counted once */
  rd_kafka_event_t *ev = wait_event(q, deadline);
  if (ev == NULL) {
    snprintf(s->error, sizeof(s->error), "ListConsumerGroups timed out");
    s->errors++;
    return -1;
  }
  if (rd_kafka_event_error(ev)) {
    snprintf(s->error, sizeof(s->error), "ListConsumerGroups failed: %s",
             rd_kafka_event_error_string(ev));
    s->errors++;
    rd_kafka_event_destroy(ev);
    return -1;
  }
  const rd_kafka_ListConsumerGroups_result_t *r =
      rd_kafka_event_ListConsumerGroups_result(ev);
  size_t n = 0, nerr = 0;
  const rd_kafka_ConsumerGroupListing_t **l =
      rd_kafka_ListConsumerGroups_result_valid(r, &n);
  rd_kafka_ListConsumerGroups_result_errors(r, &nerr);
  s->errors += (int)nerr;
  if (nerr == 0) /* every broker answered: this is the whole list */
    s->complete |= KML_STEP_GROUP_LIST;
  char **ids = calloc(n ? n : 1, sizeof(char *));
  int k = 0;
  for (size_t i = 0; ids && i < n; i++) {
    const char *id = rd_kafka_ConsumerGroupListing_group_id(l[i]);
    if (filter != NULL && !kml_filter_match(filter, id))
      continue;
    ids[k++] = strdup(id);
  }
  rd_kafka_event_destroy(ev);
  if (ids == NULL)
    return -1;
  qsort(ids, k, sizeof(char *), id_cmp);
  int u = 0;
  for (int i = 0; i < k; i++) {
    if (u > 0 && strcmp(ids[u - 1], ids[i]) == 0) {
      free(ids[i]);
      continue;
    }
    ids[u++] = ids[i];
  }
  *ids_out = ids;
  return nerr == 0 ? u : -1 - u; /* partial: -1 - count, caller decides */
}

/* Whether to send ListConsumerGroups now (list_gate.h). A broker missing
 * from the metadata for the gate's gone time is taken as removed: the group
 * handle, which would ask it forever, is renewed (its requests may live
 * COORDINATOR_TIMEOUT_MS, so it is destroyed only after that). */
static int list_now(kml_client_t *c, const kml_snapshot_t *s) {
  int32_t ids[KML_LIST_GATE_IDS];
  int n = 0;
  for (int i = 0; i < s->n_brokers && n < KML_LIST_GATE_IDS; i++)
    ids[n++] = s->brokers[i].id;
  int known = 0;
  int have_list = kml_client_known_groups(c, &known) != NULL;
  kml_list_gate_t *gate = kml_client_list_gate(c);
  int open = kml_list_gate_open(gate, ids, n, have_list, kml_clock_mono());
  double gone_s = kml_list_gate_gone_s(gate);
  for (int i = 0; i < gate->n_removed; i++) {
    char msg[320];
    snprintf(msg, sizeof(msg),
             "cluster %s: broker %d missing from the metadata for %.0f %s: "
             "taken as removed; the consumer group list is read again",
             kml_client_name(c), (int)gate->removed[i],
             gone_s >= 60 ? gone_s / 60 : gone_s, gone_s >= 60 ? "min" : "s");
    kml_client_log(c, 5, msg);
  }
  if (gate->n_removed > 0)
    kml_client_renew_group_rk(c, COORDINATOR_TIMEOUT_MS / 1000.0 + 10);
  return open;
}

/* The list to read this time: a fresh complete one (remembered), or the
 * last complete one when listing failed or was not sent. Returns the count
 * or -1. */
static int group_ids(kml_client_t *c, rd_kafka_t *rk, rd_kafka_queue_t *q,
                     int send_list, const kml_filter_t *filter, double deadline,
                     kml_snapshot_t *s, char ***ids_out, int *requests) {
  double start = kml_clock_mono_ms();
  double list_deadline = start + (deadline - start) / 3;
  char **ids = NULL;
  int n = -1;
  kml_list_gate_t *gate = kml_client_list_gate(c);
  if (send_list) {
    n = list_groups(rk, q, filter, list_deadline, s, &ids, requests);
    kml_list_gate_done(gate, n >= 0, kml_clock_mono());
    if (n >= 0 && gate->said_stale) { /* n >= 0: every broker answered */
      char msg[256];
      snprintf(msg, sizeof(msg),
               "cluster %s: consumer group list complete again",
               kml_client_name(c));
      kml_client_log(c, 6, msg);
      gate->said_stale = 0;
    }
  } else {
    /* not sent: counted like a failed list (kafka_errors), said once */
    s->errors++;
    if (s->error[0] == '\0')
      snprintf(s->error, sizeof(s->error),
               "consumer group list not refreshed while a broker is down");
    if (!gate->said_stale) {
      char msg[320];
      snprintf(msg, sizeof(msg),
               "cluster %s: consumer group list not refreshed while a broker "
               "is down or gone (new groups are found, deleted ones "
               "forgotten, once every broker answers; the last complete "
               "list is read meanwhile)",
               kml_client_name(c));
      kml_client_log(c, 4, msg);
      gate->said_stale = 1;
    }
  }
  /* Read the known groups: this list's, or the last complete one's, plus
   * groups a complete list missed only lately (known_groups.h). */
  if (n >= 0)
    kml_client_remember_groups(c, ids, n);
  int listed = n >= 0 ? n : ids != NULL ? -1 - n : 0;
  for (int i = 0; i < listed; i++)
    free(ids[i]);
  free(ids);
  int known = 0;
  char *const *read = kml_client_known_groups(c, &known);
  if (read == NULL)
    return -1;
  ids = calloc(known ? known : 1, sizeof(char *));
  for (int i = 0; ids != NULL && i < known; i++)
    ids[i] = strdup(read[i]);
  *ids_out = ids;
  return ids != NULL ? known : -1;
}

static kml_group_t *find(kml_snapshot_t *s, const char *id) {
  return (kml_group_t *)kml_snapshot_group(s, id);
}

static uint64_t members_hash(const rd_kafka_ConsumerGroupDescription_t *d) {
  /* Order-independent: XOR of member hashes, so only membership matters. */
  uint64_t h = 0;
  size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_MemberDescription_t *m =
        rd_kafka_ConsumerGroupDescription_member(d, i);
    h ^= kml_hash_str(rd_kafka_MemberDescription_consumer_id(m));
  }
  return h;
}

/* Member and client ids (rebalance storms name the clients). Out of
 * memory leaves the list out: it is optional. */
static void take_members(kml_group_t *g,
                         const rd_kafka_ConsumerGroupDescription_t *d) {
  size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
  g->member_list = calloc(n ? n : 1, sizeof(*g->member_list));
  if (g->member_list == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_MemberDescription_t *m =
        rd_kafka_ConsumerGroupDescription_member(d, i);
    const char *cid = rd_kafka_MemberDescription_client_id(m);
    kml_member_t *k = &g->member_list[g->n_member_list++];
    k->id = strdup(rd_kafka_MemberDescription_consumer_id(m));
    k->client_id = strdup(cid ? cid : "");
  }
}

static void take_description(kml_snapshot_t *s,
                             const rd_kafka_ConsumerGroupDescription_t *d) {
  kml_group_t *g = find(s, rd_kafka_ConsumerGroupDescription_group_id(d));
  if (g == NULL)
    return;
  const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d);
  if (e != NULL) {
    g->err = rd_kafka_error_code(e);
    s->errors++;
    return;
  }
  g->state = (kml_group_state_t)rd_kafka_ConsumerGroupDescription_state(d);
  g->members = (int)rd_kafka_ConsumerGroupDescription_member_count(d);
  g->members_hash = members_hash(d);
  take_members(g, d);
  g->measured |= KML_GROUP_DESCRIBED;
}

static void take_offsets(kml_snapshot_t *s, const rd_kafka_group_result_t *r) {
  kml_group_t *g = find(s, rd_kafka_group_result_name(r));
  if (g == NULL)
    return;
  const rd_kafka_error_t *e = rd_kafka_group_result_error(r);
  if (e != NULL) {
    g->err = rd_kafka_error_code(e);
    s->errors++;
    return;
  }
  const rd_kafka_topic_partition_list_t *l =
      rd_kafka_group_result_partitions(r);
  if (l == NULL || l->cnt == 0) {
    g->measured |= KML_GROUP_OFFSETS; /* a group without commits */
    return;
  }
  g->offsets = calloc(l->cnt, sizeof(*g->offsets));
  if (g->offsets == NULL)
    return;
  g->measured |= KML_GROUP_OFFSETS;
  for (int i = 0; i < l->cnt; i++) {
    const rd_kafka_topic_partition_t *p = &l->elems[i];
    /* Only topics in the snapshot: a filtered-out or deleted topic has no
     * high-water mark to compare with. */
    if (kml_snapshot_topic(s, p->topic) == NULL)
      continue;
    kml_group_offset_t *o = &g->offsets[g->n_offsets];
    o->topic = strdup(p->topic);
    if (o->topic == NULL)
      continue;
    o->partition = p->partition;
    o->committed = p->err == 0 && p->offset >= 0 ? p->offset : -1;
    o->commit_time = o->moved_time = NAN; /* OffsetFetch does not say */
    g->n_offsets++;
  }
}

/* Committed offsets from the follower. Returns 1 when the snapshot got
 * its groups from it, 0 when the admin API must be asked instead, -1 when
 * neither can answer this time. */
static int follow(kml_client_t *c, kml_snapshot_t *s,
                  const kml_filter_t *filter, double deadline, int *requests) {
  kml_offsets_source_t src = kml_client_offsets_source(c);
  char why[256];
  if (src == KML_OFFSETS_ADMIN)
    return 0;
  kml_offsets_topic_t *f = kml_client_follower(c, why, sizeof(why));
  if (f == NULL) {
    snprintf(s->error, sizeof(s->error), "%.200s", why);
    s->errors++;
    return src == KML_OFFSETS_TOPIC ? -1 : 0;
  }
  switch (kml_offsets_topic_collect(f, s, filter, deadline, requests)) {
  case KML_FOLLOW_OK:
  case KML_FOLLOW_NO_TOPIC:
    return 1;
  case KML_FOLLOW_UNREADABLE:
    if (src == KML_OFFSETS_AUTO) {
      char msg[512];
      snprintf(msg, sizeof(msg),
               "cluster %s: %.200s: committed offsets are read through the "
               "admin API from now on",
               kml_client_name(c), s->error);
      kml_client_log(c, 4, msg);
      kml_client_drop_follower(c);
      s->error[0] = '\0';
      return 0;
    }
    s->errors++;
    return -1;
  default:
    s->errors++;
    return -1;
  }
}

/* Per group of s: is its coordinator a live broker? NULL (ask everyone)
 * when __consumer_offsets cannot be described. */
static unsigned char *coordinators_alive(rd_kafka_t *rk, kml_snapshot_t *s,
                                         double deadline, int *requests) {
  const struct rd_kafka_metadata *md = NULL;
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, KML_OFFSETS_TOPIC_NAME, NULL);
  int left = (int)(deadline - kml_clock_mono_ms()) / 4;
  if (rkt == NULL)
    return NULL;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, rkt, &md, left > 1 ? left : 1);
  rd_kafka_topic_destroy(rkt);
  *requests += 1;
  if (err != 0)
    return NULL;
  unsigned char *ask = NULL;
  const rd_kafka_metadata_topic_t *t = md->topic_cnt == 1 ? md->topics : NULL;
  if (t != NULL && t->err == 0 && t->partition_cnt > 0)
    ask = calloc(s->n_groups ? s->n_groups : 1, 1);
  for (int i = 0; ask != NULL && i < s->n_groups; i++) {
    int part =
        kml_offsets_record_partition_for(s->groups[i].id, t->partition_cnt);
    int32_t leader = -1;
    for (int k = 0; k < t->partition_cnt; k++)
      if (t->partitions[k].id == part)
        leader = t->partitions[k].leader;
    for (int b = 0; leader >= 0 && b < md->broker_cnt; b++)
      ask[i] |= md->brokers[b].id == leader;
  }
  rd_kafka_metadata_destroy(md);
  return ask;
}

/* DescribeConsumerGroups for the groups of s that ask marks (all when ask
 * is NULL), DESCRIBE_BATCH to a request. Returns the requests sent. */
static int ask_descriptions(rd_kafka_t *rk, rd_kafka_queue_t *q,
                            const kml_snapshot_t *s, const unsigned char *ask) {
  int sent = 0;
  const char *batch[DESCRIBE_BATCH];
  for (int i = 0; i < s->n_groups;) {
    int k = 0;
    for (; i < s->n_groups && k < DESCRIBE_BATCH; i++)
      if (ask == NULL || ask[i])
        batch[k++] = s->groups[i].id;
    if (k == 0)
      break;
    rd_kafka_AdminOptions_t *o =
        coordinator_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    if (o == NULL)
      break;
    rd_kafka_DescribeConsumerGroups(rk, batch, k, o, q);
    rd_kafka_AdminOptions_destroy(o);
    sent++;
  }
  return sent;
}

/* ListConsumerGroupOffsets, one request per group (the Admin API takes
 * one group a call), for the groups ask marks. Returns the requests sent. */
static int ask_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q,
                       const kml_snapshot_t *s, const unsigned char *ask) {
  int sent = 0;
  for (int i = 0; i < s->n_groups; i++) {
    if (ask != NULL && !ask[i])
      continue;
    rd_kafka_AdminOptions_t *o =
        coordinator_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    if (o == NULL)
      break;
    rd_kafka_ListConsumerGroupOffsets_t *lo =
        rd_kafka_ListConsumerGroupOffsets_new(s->groups[i].id, NULL);
    rd_kafka_ListConsumerGroupOffsets(rk, &lo, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(lo);
    sent++;
  }
  return sent;
}

/* Take the answers of pending requests on q into s until the deadline;
 * requests left unanswered are counted as errors. */
static void take_answers(rd_kafka_queue_t *q, kml_snapshot_t *s, int pending,
                         double deadline) {
  while (pending > 0) {
    rd_kafka_event_t *ev = wait_event(q, deadline);
    if (ev == NULL) {
      snprintf(s->error, sizeof(s->error),
               "%d group request(s) unanswered within the timeout", pending);
      s->errors += pending;
      return;
    }
    pending--;
    size_t cnt = 0;
    switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT: {
      const rd_kafka_ConsumerGroupDescription_t **d =
          rd_kafka_DescribeConsumerGroups_result_groups(
              rd_kafka_event_DescribeConsumerGroups_result(ev), &cnt);
      for (size_t i = 0; i < cnt; i++)
        take_description(s, d[i]);
      break;
    }
    case RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT: {
      const rd_kafka_group_result_t **g =
          rd_kafka_ListConsumerGroupOffsets_result_groups(
              rd_kafka_event_ListConsumerGroupOffsets_result(ev), &cnt);
      for (size_t i = 0; i < cnt; i++)
        take_offsets(s, g[i]);
      break;
    }
    default:
      break;
    }
    if (rd_kafka_event_error(ev))
      s->errors++;
    rd_kafka_event_destroy(ev);
  }
}

int kml_collect_groups(kml_client_t *c, kml_snapshot_t *s,
                       const kml_filter_t *filter, int timeout_ms) {
  double deadline = kml_clock_mono_ms() + timeout_ms;
  int requests = 0;
  int followed = follow(c, s, filter, deadline, &requests);
  if (followed != 0)
    return followed > 0 ? requests : -1;
  int send_list = list_now(c, s); /* before the handle: it may renew it */
  char why[256];
  rd_kafka_t *rk = kml_client_group_rk(c, why, sizeof(why));
  if (rk == NULL) {
    snprintf(s->error, sizeof(s->error), "groups not read: %.200s", why);
    s->errors++;
    return -1;
  }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  char **ids = NULL;
  int n = group_ids(c, rk, q, send_list, filter, deadline, s, &ids, &requests);
  if (n == 0 && (s->complete & KML_STEP_GROUP_LIST))
    s->complete |= KML_STEP_GROUPS; /* none selected, none missing */
  if (n <= 0) {
    free(ids);
    rd_kafka_queue_destroy(q);
    return n < 0 ? -1 : requests;
  }
  s->groups = calloc(n, sizeof(*s->groups));
  if (s->groups == NULL)
    goto out;
  for (int i = 0; i < n; i++) {
    s->groups[i].id = ids[i]; /* ownership moves to the snapshot */
    ids[i] = NULL;
    s->groups[i].state = KML_GROUP_UNKNOWN;
  }
  s->n_groups = n; /* sorted: ids were */

  /* Groups whose coordinator is gone are not asked: each such request
   * would look for it once a second until it times out. */
  unsigned char *ask = coordinators_alive(rk, s, deadline, &requests);

  /* Issue every request, then collect every answer until the deadline. */
  int pending = ask_descriptions(rk, q, s, ask);
  pending += ask_offsets(rk, q, s, ask);
  requests += pending;
  take_answers(q, s, pending, deadline);

  int all = 1;
  for (int i = 0; i < s->n_groups; i++)
    all &= kml_group_measured(&s->groups[i]);
  if (all && (s->complete & KML_STEP_GROUP_LIST))
    s->complete |= KML_STEP_GROUPS;

  free(ask);
out:
  for (int i = 0; ids != NULL && i < n; i++)
    free(ids[i]);
  free(ids);
  /* Unanswered requests die with the queue; their events are discarded. */
  rd_kafka_queue_destroy(q);
  return requests;
}
