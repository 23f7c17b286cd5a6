"""The kafka plugin against a real broker through a real collectd: exact
lag, lag in seconds, data lost to retention, stopped groups, deleted
groups, and the notifications they raise."""
import re
import time
import uuid

import pytest

from harness import Collectd, bootstrap, kafkactl, wait_for


def uniq(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def plugin_conf(topic, group_re, extra=""):
    return """
<Plugin kafka>
  <Cluster "lagtest">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^%s$"
    GroupsInclude "%s"
    StatusWindow 2
    %s
  </Cluster>
</Plugin>
""" % (bootstrap(), topic, group_re, extra)


def test_exact_lag_per_partition_and_total():
    topic, group = uniq("lag"), uniq("g-exact")
    kafkactl("create-topic", topic, 3, 1)
    produced = {0: 10, 1: 20, 2: 30}
    committed = {0: 3, 1: 20, 2: 0}
    for p, n in produced.items():
        kafkactl("produce", topic, p, n)
    kafkactl("commit", group, topic, 0, 3, 1, 20, 2, 0)
    with Collectd(plugin_conf(topic, "^" + group + "$")) as cd:
        pi = "group-" + group
        for p in produced:
            ti = "%s-%d" % (topic, p)
            lag = cd.wait_value("lagtest", "kafka", "kafka_lag", pi, ti)
            assert lag == produced[p] - committed[p], (p, lag)
            assert cd.wait_value("lagtest", "kafka", "kafka_committed", pi, ti) == committed[p]
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "total") == 37
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "max") == 30
        assert cd.wait_value("lagtest", "kafka", "kafka_members", pi) == 0
        assert cd.wait_value("lagtest", "kafka", "kafka_group_state", pi) == 5  # Empty
        # Empty group that only commits: its offsets expire after
        # offsets.retention.minutes (Kafka's default 7 days) counted from
        # the oldest commit, made just before collectd started.
        eta = cd.wait_value("lagtest", "kafka", "kafka_expiry_eta", pi)
        assert 7 * 86400 - 60 <= eta <= 7 * 86400, eta
        assert cd.wait_value("lagtest", "kafka", "kafka_retained", "topic-" + topic) == 60
        assert cd.wait_value("lagtest", "kafka", "kafka_retention_seconds", "topic-" + topic) == 7 * 86400
        # Only the selected group is reported.
        assert cd.wait_value("lagtest", "kafka", "kafka_groups", "cluster") == 1
        # Consuming more lowers the lag at the next interval.
        kafkactl("commit", group, topic, 2, 25)
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "%s-2" % topic,
                             pred=lambda v: v == 5, timeout=15) == 5


def test_expiry_counts_from_when_the_consumers_left():
    """A group whose consumer left before collectd started: its offsets
    expire offsets.retention.minutes after the coordinator saw it empty
    (its stamp in __consumer_offsets), not after collectd's start."""
    topic, group = uniq("exp"), uniq("g-exp")
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 20)
    kafkactl("consume-rate", group, topic, 100, 3)  # joins, commits, leaves
    left = time.time()
    time.sleep(10)
    with Collectd(plugin_conf(topic, "^" + group + "$")) as cd:
        pi = "group-" + group
        assert cd.wait_value("lagtest", "kafka", "kafka_group_state", pi) == 5  # Empty
        eta = cd.wait_value("lagtest", "kafka", "kafka_expiry_eta", pi)
        aged = 7 * 86400 - eta
        assert 9 <= aged <= time.time() - left + 5, (aged, time.time() - left)


def test_lag_seconds_tracks_age_and_grows_when_stopped():
    topic, group = uniq("age"), uniq("g-age")
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 5)
    kafkactl("commit", group, topic, 0, 5)
    with Collectd(plugin_conf(topic, "^" + group + "$", "LagSLASeconds 4"), notify_exec=True) as cd:
        pi, ti = "group-" + group, topic + "-0"
        assert cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti) == 0
        produced_at = time.time()
        kafkactl("produce", topic, 0, 5)          # offsets 5..9 unconsumed
        time.sleep(3)
        kafkactl("produce", topic, 0, 5)          # newer messages do not matter
        time.sleep(3)
        age = cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti,
                            pred=lambda v: v > 0)
        real = time.time() - produced_at
        # within two collection intervals plus the commit/produce round trips
        assert abs(age - real) <= 3.0, (age, real)
        assert cd.last("lagtest", "kafka", "kafka_lag", pi, ti) == 10
        # The consumer stays stopped: the age keeps growing with the clock.
        a1 = cd.last("lagtest", "kafka", "kafka_lag_seconds", pi, ti)
        time.sleep(3)
        a2 = cd.last("lagtest", "kafka", "kafka_lag_seconds", pi, ti)
        assert 1.5 <= a2 - a1 <= 4.5, (a1, a2)
        # Over the SLA: one WARNING naming the group.
        sla = wait_for(lambda: [n for n in cd.notifications()
                                if n.get("Type") == "kafka_lag_seconds" and n["Severity"] == "WARNING"],
                       20, "the lag SLA warning")
        assert group in sla[0]["message"] and len(sla) == 1
        # Stopped: no members, lag > 0, no progress for StatusWindow intervals.
        assert cd.wait_value("lagtest", "kafka", "kafka_group_status", pi, "total",
                             pred=lambda v: v == 3) == 3
        stopped = wait_for(lambda: [n for n in cd.notifications()
                                    if n.get("Type") == "kafka_group_status" and "stopped" in n["message"]],
                           20, "the stopped-group warning")
        # it names the partition, its lag in messages and the stall as a time
        m = stopped[0]["message"]
        assert re.search(r"stopped \(no members\): 1 of 1 partition\(s\) without a commit for \d+ s, "
                         r"\d+ messages behind: %s$" % re.escape(ti), m), m
        # Catching up clears both.
        kafkactl("commit", group, topic, 0, 15)
        wait_for(lambda: [n for n in cd.notifications()
                          if n.get("Type") == "kafka_lag_seconds" and n["Severity"] == "OKAY"],
                 20, "the SLA OKAY")
        assert cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti,
                             pred=lambda v: v == 0) == 0


def test_lag_seconds_after_a_start_counts_from_the_records_arrival():
    """Messages already waiting when collectd starts are dated by their
    record's timestamp (CreateTime, and LogAppendTime on a topic that sets
    it), not by collectd's start: the first lag in seconds is their real
    age, not ~0, and LagSLASeconds warns at the first collection."""
    base = uniq("old")
    ct, lat, group = base + "-ct", base + "-lat", uniq("g-old")
    kafkactl("create-topic", ct, 2, 1)
    kafkactl("create-topic", lat, 1, 1, "message.timestamp.type=LogAppendTime")
    before = time.time()
    kafkactl("produce", ct, 0, 30)
    kafkactl("produce", ct, 1, 30)
    kafkactl("produce", lat, 0, 30)
    after = time.time()
    kafkactl("commit", group, ct, 0, 5, 1, 0)
    kafkactl("commit", group, lat, 0, 5)
    time.sleep(15)
    conf = plugin_conf("%s-(ct|lat)" % base, "^" + group + "$", "LagSLASeconds 8")
    with Collectd(conf, notify_exec=True) as cd:
        pi = "group-" + group
        for ti in (ct + "-0", ct + "-1", lat + "-0"):
            cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti)
            rows = cd.values("lagtest", "kafka", "kafka_lag_seconds", pi, ti)
            t, age = rows[0][0], rows[0][1][0]
            # the real age at the first collection, within the round trips
            assert t - after - 2 <= age <= t - before + 3, (ti, age, t - after, t - before)
        rows = cd.values("lagtest", "kafka", "kafka_lag_seconds", pi, "max")
        assert rows[0][1][0] >= 14, rows[0]
        # one warning, at the first collection
        sla = wait_for(lambda: [n for n in cd.notifications()
                                if n.get("Type") == "kafka_lag_seconds" and n["Severity"] == "WARNING"],
                       20, "the lag SLA warning")
        assert group in sla[0]["message"] and len(sla) == 1
        assert float(sla[0]["Time"]) <= rows[0][0] + 0.5, (sla[0]["Time"], rows[0])
        # from then on it ages with the clock (the record is not read again)
        ti = ct + "-0"
        cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti, pred=lambda v: v > 0)
        wait_for(lambda: len(cd.values("lagtest", "kafka", "kafka_lag_seconds", pi, ti)) >= 3,
                 20, "three collections")
        rows = cd.values("lagtest", "kafka", "kafka_lag_seconds", pi, ti)
        for (t0, v0), (t1, v1) in zip(rows, rows[1:]):
            assert abs((v1[0] - v0[0]) - (t1 - t0)) <= 1.5, rows
        # caught up: 0
        kafkactl("commit", group, ct, 0, 30)
        assert cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti,
                             pred=lambda v: v == 0, timeout=15) == 0


def test_lag_seconds_after_a_start_dates_large_batches_at_once():
    """Records written in large batches (kafkactl's producer sends each
    partition's 5,000 messages as one ~58 KB batch: librdkafka's linger.ms
    and batch.num.messages defaults) are dated for every partition at the
    first collection. Their reads share one queue; a bound of one queued
    record held every other partition back until librdkafka looked again,
    a second later: 10 partitions took 10 s, past the collection's
    reading budget (Timeout 3), so most partitions started at ~0."""
    topic, group = uniq("big"), uniq("g-big")
    partitions = 10
    kafkactl("create-topic", topic, partitions, 1)
    before = time.time()
    for p in range(partitions):
        kafkactl("produce", topic, p, 5000)
    after = time.time()
    offsets = []
    for p in range(partitions):
        offsets += [p, 0]
    kafkactl("commit", group, topic, *offsets)
    time.sleep(12)
    with Collectd(plugin_conf(topic, "^" + group + "$")) as cd:
        pi = "group-" + group
        for p in range(partitions):
            ti = "%s-%d" % (topic, p)
            cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti)
            rows = cd.values("lagtest", "kafka", "kafka_lag_seconds", pi, ti)
            t, age = rows[0][0], rows[0][1][0]
            # the real age at the first collection, within the round trips
            assert t - after - 2 <= age <= t - before + 3, (ti, age, t - after, t - before)


def test_commit_below_log_start_is_data_loss():
    topic, group = uniq("lost"), uniq("g-lost")
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 100)
    kafkactl("commit", group, topic, 0, 10)
    with Collectd(plugin_conf(topic, "^" + group + "$"), notify_exec=True) as cd:
        pi = "group-" + group
        assert cd.wait_value("lagtest", "kafka", "kafka_lost_partitions", pi) == 0
        kafkactl("delete-records", topic, 0, 50)
        assert cd.wait_value("lagtest", "kafka", "kafka_lost_messages", pi,
                             pred=lambda v: v > 0, timeout=15) == 40
        assert cd.last("lagtest", "kafka", "kafka_lost_partitions", pi) == 1
        assert cd.wait_value("lagtest", "kafka", "kafka_offset_low", "topic-" + topic,
                             topic + "-0") == 50
        fail = wait_for(lambda: [n for n in cd.notifications()
                                 if n.get("Type") == "kafka_lost_messages"], 20,
                        "the data-lost notification")
        assert fail[0]["Severity"] == "FAILURE"
        assert group in fail[0]["message"] and "40" in fail[0]["message"]
        assert float(fail[0]["meta"]["lost_messages"]) == 40
        # It names what was lost, in the message and in the meta data.
        assert fail[0]["message"].endswith(": %s-0" % topic), fail[0]["message"]
        assert fail[0]["meta"]["topics"] == topic
        assert fail[0]["meta"]["partition_names"] == topic + "-0"
        assert len(fail[0]["message"].encode()) <= 256


def test_deleted_group_stops_being_reported():
    topic, group = uniq("gone"), uniq("g-gone")
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 10)
    kafkactl("commit", group, topic, 0, 4)
    with Collectd(plugin_conf(topic, "^" + group + "$")) as cd:
        pi = "group-" + group
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "total") == 6
        kafkactl("delete-topic", topic)
        # The topic is gone: its partitions and the group's lag stop.
        assert cd.wait_value("lagtest", "kafka", "kafka_topics", "cluster",
                             pred=lambda v: v == 0, timeout=20) == 0
        n_before = len(cd.values("lagtest", "kafka", "kafka_lag", pi, "total"))
        time.sleep(3)
        assert len(cd.values("lagtest", "kafka", "kafka_lag", pi, "total")) == n_before


@pytest.mark.parametrize("source", ["topic", "admin"])
def test_deleted_group_closes_its_alert_once(source):
    """A stopped group (lag, no members) raises one WARNING. Deleted, it
    gets exactly one OKAY, which says it has no committed offsets any more,
    and no lag of it is written after that (nothing stale); a group beside
    it keeps being reported. Through the admin API the deletion can also
    land between the group list and the group's OffsetFetch; that shape
    (listed, Dead, no offsets) is tested in tests/unit/test_report.c."""
    topic, group, other = uniq("del"), uniq("g-del"), uniq("g-keep")
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 10)
    kafkactl("commit", group, topic, 0, 4)
    kafkactl("commit", other, topic, 0, 10)
    conf = plugin_conf(topic, "^(%s|%s)$" % (group, other), 'OffsetsSource "%s"' % source)
    with Collectd(conf, notify_exec=True) as cd:
        pi = "group-" + group

        def mine(sev):
            return [n for n in cd.notifications()
                    if n.get("PluginInstance") == pi and n.get("Severity") == sev]
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "total") == 6
        wait_for(lambda: mine("WARNING"), 30, "the stopped group's WARNING")
        kafkactl("delete-group", group)
        okay = wait_for(lambda: mine("OKAY"), 30, "the deleted group's OKAY")[0]
        assert "no committed offsets any more" in okay["message"], okay
        assert okay["Type"] == "kafka_group_status", okay
        # several more collections: nothing more about it, nothing stale
        other_rows = len(cd.values("lagtest", "kafka", "kafka_lag", "group-" + other, "total"))
        time.sleep(4)
        assert len(mine("OKAY")) == 1 and len(mine("WARNING")) == 1, cd.notifications()
        after = [t for t, _ in cd.values("lagtest", "kafka", "kafka_lag", pi, "total")
                 if t > float(okay["Time"])]
        assert not after, after
        assert len(cd.values("lagtest", "kafka", "kafka_lag", "group-" + other, "total")) > other_rows


def test_consumer_group_membership_changes_count_as_rebalances():
    topic, group = uniq("reb"), uniq("g-reb")
    kafkactl("create-topic", topic, 2, 1)
    kafkactl("produce", topic, -1, 50)
    with Collectd(plugin_conf(topic, "^" + group + "$")) as cd:
        pi = "group-" + group
        # a consumer joins, consumes for a while, leaves; another joins
        kafkactl("consume-rate", group, topic, 1000, 6)
        first = cd.wait_value("lagtest", "kafka", "kafka_rebalances", pi)
        kafkactl("consume-rate", group, topic, 1000, 6)
        later = cd.wait_value("lagtest", "kafka", "kafka_rebalances", pi,
                              pred=lambda v: v > first, timeout=20)
        assert later >= first + 1
        # all 50 consumed and committed: no lag
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "total",
                             pred=lambda v: v == 0, timeout=20) == 0


def test_partition_detail_off_keeps_only_totals():
    topic, group = uniq("card"), uniq("g-card")
    kafkactl("create-topic", topic, 4, 1)
    kafkactl("produce", topic, -1, 40)
    kafkactl("commit", group, topic, 0, 0, 1, 0, 2, 0, 3, 0)
    with Collectd(plugin_conf(topic, "^" + group + "$", "PartitionDetail false")) as cd:
        pi = "group-" + group
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "total") == 40
        assert cd.wait_value("lagtest", "kafka", "kafka_retained", "topic-" + topic) == 40
        time.sleep(2)
        ids = cd.identifiers("lagtest")
        per_partition = [i for i in ids if i.endswith("-%s-0" % topic) or ("%s-" % topic) in i.split("/")[1]]
        assert not per_partition, per_partition


def test_partition_detail_types_pick_per_partition_values():
    """PartitionDetail "kafka_lag" "kafka_offset": those two types per
    partition, no other per-partition type, every total."""
    topic, group = uniq("pick"), uniq("g-pick")
    kafkactl("create-topic", topic, 2, 1)
    kafkactl("produce", topic, 0, 10)
    kafkactl("produce", topic, 1, 10)
    kafkactl("commit", group, topic, 0, 4, 1, 6)
    conf = plugin_conf(topic, "^" + group + "$", 'PartitionDetail "kafka_lag" "kafka_offset"')
    with Collectd(conf) as cd:
        pi = "group-" + group
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "total") == 10
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, topic + "-0") == 6
        assert cd.wait_value("lagtest", "kafka", "kafka_offset", "topic-" + topic, topic + "-1") == 10
        assert cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, "max") is not None
        time.sleep(2)
        tis = [i.split("/")[1] for i in cd.identifiers("lagtest")]
        types = {t.rsplit("-%s-" % topic, 1)[0] for t in tis if ("-%s-" % topic) in t}
        assert types == {"kafka_lag", "kafka_offset"}, types


def test_group_detail_types_pick_group_values():
    """GroupDetail "kafka_lag" "kafka_members": of the group's own values
    only lag (total, max) and members; the per-partition values stay, and
    the stopped group is still notified."""
    topic, group = uniq("gpick"), uniq("g-gpick")
    kafkactl("create-topic", topic, 2, 1)
    kafkactl("produce", topic, 0, 10)
    kafkactl("commit", group, topic, 0, 4)
    conf = plugin_conf(topic, "^" + group + "$", 'GroupDetail "kafka_lag" "kafka_members"')
    with Collectd(conf, notify_exec=True) as cd:
        pi = "group-" + group
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "total") == 6
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, topic + "-0") == 6
        wait_for(lambda: [n for n in cd.notifications() if n.get("PluginInstance") == pi
                          and n.get("Type") == "kafka_group_status"], 30, "the stopped group's WARNING")
        time.sleep(2)
        own = set()
        for ident in cd.identifiers("lagtest"):
            d, f = ident.split("/")
            t, _, ti = f.partition("-")
            if d == "kafka-" + pi and not ti.startswith(topic + "-"):
                own.add((t, ti))
        assert own == {("kafka_lag", "total"), ("kafka_lag", "max"), ("kafka_members", "")}, own


def test_burst_after_idle_is_dated_by_its_arrival():
    """A caught-up group, a partition idle for 20 s (longer than the SLA),
    then 10 messages: their age is a few seconds, not the idle gap, and the
    SLA of 8 s is not reported as crossed while they wait."""
    topic, group = uniq("idle"), uniq("g-idle")
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 5)
    kafkactl("commit", group, topic, 0, 5)
    with Collectd(plugin_conf(topic, "^" + group + "$", "LagSLASeconds 8"), notify_exec=True) as cd:
        pi, ti = "group-" + group, topic + "-0"
        assert cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti) == 0
        time.sleep(20)                            # idle: nothing produced
        produced_at = time.time()
        kafkactl("produce", topic, 0, 10)
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, ti,
                             pred=lambda v: v == 10, timeout=15) == 10
        time.sleep(4)
        rows = [(t, v[0]) for t, v in cd.values("lagtest", "kafka", "kafka_lag_seconds", pi, ti)
                if t >= produced_at - 1]
        assert rows, "no lag-in-seconds value after the burst"
        for t, age in rows:
            real = max(0.0, t - produced_at)
            # within two collection intervals plus the produce round trip
            assert age <= real + 3.0, (t - produced_at, age)
        assert max(a for _, a in rows) < 8, rows
        kafkactl("commit", group, topic, 0, 15)
        assert cd.wait_value("lagtest", "kafka", "kafka_lag_seconds", pi, ti,
                             pred=lambda v: v == 0, timeout=15) == 0
        sla = [n for n in cd.notifications() if n.get("Type") == "kafka_lag_seconds"]
        assert sla == [], sla


def test_distinct_group_ids_stay_distinct_series():
    """Group ids "x/..." and "x_..." both sanitize to "x_...": the changed
    one carries a hash, so each group writes its own series."""
    topic, u = uniq("ident"), uuid.uuid4().hex[:8]
    slash, under = "g/" + u, "g_" + u
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 10)
    kafkactl("commit", slash, topic, 0, 2)
    kafkactl("commit", under, topic, 0, 7)
    with Collectd(plugin_conf(topic, "^g[/_]" + u + "$")) as cd:
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", "group-" + under, "total") == 3
        hashed = wait_for(lambda: [i for i in cd.identifiers("lagtest")
                                   if i.startswith("kafka-group-g_%s~" % u) and "/kafka_lag-total" in i],
                          20, "the series of " + slash)
        pi = hashed[0].split("/")[0][len("kafka-"):]
        assert cd.wait_value("lagtest", "kafka", "kafka_lag", pi, "total") == 8


def test_rates_need_two_observations_and_idle_is_zero():
    """A rate is measured over an interval: no broker, topic or group rate
    at the collection that first sees it (a broker that leads nothing yet
    used to say 0 messages/s at collectd's first collection); a broker that
    leads an idle partition says 0, and a produced burst shows on both the
    topic and its leader."""
    topic, group = uniq("rates"), uniq("g-rates")
    with Collectd(plugin_conf(topic, "^" + group + "$")) as cd:
        ups = lambda: cd.values("lagtest", "kafka", "kafka_up", "cluster")
        wait_for(lambda: len(ups()) >= 3, 30, "three collections")
        # the topic is made after collectd's first collections
        kafkactl("create-topic", topic, 1, 1)
        kafkactl("produce", topic, 0, 5)
        kafkactl("commit", group, topic, 0, 5)
        pi = "group-" + group
        cd.wait_value("lagtest", "kafka", "kafka_messages_in", "topic-" + topic, timeout=30)
        cd.wait_value("lagtest", "kafka", "kafka_consumed", pi, timeout=30)
        time.sleep(3)  # idle: nothing produced, nothing committed
        kafkactl("produce", topic, 0, 50)
        cd.wait_value("lagtest", "kafka", "kafka_messages_in", "topic-" + topic, pred=lambda v: v > 0,
                      timeout=15)
        time.sleep(2)
        first_collection = ups()[0][0]

        def rows(type_, inst, ti=""):
            return [(t, v[0]) for t, v in cd.values("lagtest", "kafka", type_, inst, ti)]

        brokers = sorted({i.split("/")[0][len("kafka-"):] for i in cd.identifiers("lagtest")
                          if i.startswith("kafka-broker-")})
        assert brokers, cd.identifiers("lagtest")
        for b in brokers:
            for type_ in ("kafka_messages_in", "kafka_replicated_in"):
                times = [t for t, _ in rows(type_, b)]
                assert times and first_collection not in times, (b, type_, rows(type_, b)[:3])
        # each rate starts one collection after its first observation
        first_seen = rows("kafka_partitions", "topic-" + topic)[0][0]
        topic_in = rows("kafka_messages_in", "topic-" + topic)
        assert topic_in[0][0] > first_seen, (first_seen, topic_in[:3])
        lag = rows("kafka_lag", pi, "total")
        consumed = rows("kafka_consumed", pi)
        assert lag and consumed[0][0] > lag[0][0], (lag[:3], consumed[:3])
        # the leader of the idle partition said 0, and the burst on both
        leader = "broker-%d" % int(cd.last("lagtest", "kafka", "kafka_leader", "topic-" + topic,
                                           topic + "-0"))
        leads = dict(rows("kafka_leaders", leader))
        mine = [(t, v) for t, v in rows("kafka_messages_in", leader) if leads.get(t, 0) > 0]
        assert 0 in [v for _, v in mine], mine
        assert max(v for _, v in topic_in) > 0, topic_in
        by_time = dict(mine)
        for t, v in topic_in:
            if t in by_time and len(brokers) == 1:
                assert abs(by_time[t] - v) < 1e-6, (t, by_time[t], v)
