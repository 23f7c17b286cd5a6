/* watermarks: low- and high-water marks of every selected partition.
 *
 * librdkafka 2.0 has no Admin ListOffsets, but rd_kafka_offsets_for_times()
 * groups partitions by leader and sends one ListOffsets request per leader;
 * the logical timestamps -1 (latest) and -2 (earliest) return the high-water
 * mark and the log start offset. rd_kafka_query_watermark_offsets() would
 * cost a round trip per partition, which big clusters cannot afford.
 * Partitions without a leader are left out: asking for them would wait for
 * the whole timeout. */
#include "collect.h"

#include <stdio.h>
#include <stdlib.h>

/* Count distinct leaders among selected partitions (= requests per call). */
static int count_leaders(const kml_snapshot_t *s) {
  int n = 0;
  for (int b = 0; b < s->n_brokers; b++) {
    int32_t id = s->brokers[b].id;
    int found = 0;
    for (int i = 0; i < s->n_topics && !found; i++)
      for (int p = 0; p < s->topics[i].n_parts && !found; p++)
        found = s->topics[i].parts[p].leader == id;
    n += found;
  }
  return n;
}

static int query(rd_kafka_t *rk, kml_snapshot_t *s, int64_t logical,
                 int timeout_ms) {
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(64);
  for (int i = 0; i < s->n_topics; i++)
    for (int p = 0; p < s->topics[i].n_parts; p++)
      if (s->topics[i].parts[p].leader >= 0)
        rd_kafka_topic_partition_list_add(l, s->topics[i].name,
                                          s->topics[i].parts[p].id)
            ->offset = logical;
  if (l->cnt == 0) {
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
  }
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, l, timeout_ms);
  /* Map results back: the list is in snapshot order, both sorted by name. */
  int k = 0;
  for (int i = 0; i < s->n_topics; i++)
    for (int p = 0; p < s->topics[i].n_parts; p++) {
      kml_partition_t *kp = &s->topics[i].parts[p];
      if (kp->leader < 0)
        continue;
      const rd_kafka_topic_partition_t *r = &l->elems[k++];
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR && r->err == 0 && r->offset >= 0) {
        if (logical == RD_KAFKA_OFFSET_END)
          kp->high = r->offset;
        else
          kp->low = r->offset;
      } else if (kp->err == 0) {
        kp->err = err ? (int)err : (int)r->err;
      }
    }
  rd_kafka_topic_partition_list_destroy(l);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    s->errors++;
    if (s->error[0] == '\0')
      snprintf(s->error, sizeof(s->error), "ListOffsets failed: %s",
               rd_kafka_err2str(err));
  }
  return count_leaders(s);
}

int kml_collect_watermarks(rd_kafka_t *rk, kml_snapshot_t *s, int timeout_ms) {
  double t0 = kml_now_ms();
  int n = query(rk, s, RD_KAFKA_OFFSET_END, timeout_ms);
  int left = timeout_ms - (int)(kml_now_ms() - t0);
  if (left < 1)
    left = 1;
  n += query(rk, s, RD_KAFKA_OFFSET_BEGINNING, left);
  return n;
}
