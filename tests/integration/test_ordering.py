"""Cross-topic ordering risk against a real broker through a real collectd:
one consumer group reads two topics and falls behind on one of them; the
kafka plugin dispatches the spread of lag in seconds between the topics
(kafka_ordering_skew) and warns when it passes OrderingSkewSeconds, then
clears when the consumer catches up."""
import subprocess
import time
import uuid

from harness import KAFKACTL, Collectd, bootstrap, kafkactl, wait_for


def uniq(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def test_group_falling_behind_on_one_topic_warns_then_clears():
    purchases, cancels, group = uniq("purchases"), uniq("cancels"), uniq("g-order")
    kafkactl("create-topic", purchases, 2, 1)
    kafkactl("create-topic", cancels, 1, 1)
    conf = """
<Plugin kafka>
  <Cluster "ordering">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^(%s|%s)$"
    GroupsInclude "^%s$"
    OrderingSkewSeconds 6
  </Cluster>
</Plugin>
""" % (bootstrap(), purchases, cancels, group)
    boot = bootstrap()
    procs = []
    with Collectd(conf, notify_exec=True) as cd:
        try:
            # steady production on both topics; the group's only member
            # stops reading purchases from 12 s to 30 s after it starts
            for t in (purchases, cancels):
                procs.append(subprocess.Popen([KAFKACTL, boot, "produce-rate", t, "20", "60"]))
            procs.append(subprocess.Popen(
                [KAFKACTL, boot, "consume-pause", group, purchases + "," + cancels,
                 "60", purchases, "12", "30"], stderr=subprocess.PIPE, text=True))
            pi = "group-" + group
            # in step first: a spread within a few commit intervals
            first = cd.wait_value("ordering", "kafka", "kafka_ordering_skew", pi, timeout=40)
            assert first < 6, first
            warn = wait_for(lambda: [n for n in cd.notifications()
                                     if n.get("Type") == "kafka_ordering_skew"
                                     and n["Severity"] == "WARNING"], 60, "the ordering warning")
            n = warn[0]
            assert n["PluginInstance"] == pi
            assert n["meta"]["behind_topic"] == purchases, n
            assert n["meta"]["ahead_topic"] == cancels, n
            assert float(n["meta"]["skew_seconds"]) > 6
            assert purchases in n["message"] and "behind" in n["message"]
            assert len(n["message"].encode()) <= 256
            skews = [v[0] for _, v in cd.values("ordering", "kafka", "kafka_ordering_skew", pi)]
            assert max(skews) > 6, skews
            okay = wait_for(lambda: [n for n in cd.notifications()
                                     if n.get("Type") == "kafka_ordering_skew"
                                     and n["Severity"] == "OKAY"], 60, "the ordering OKAY")
            assert "in step again" in okay[0]["message"]
            # one incident, one warning and one recovery
            kinds = [n["Severity"] for n in cd.notifications() if n.get("Type") == "kafka_ordering_skew"]
            assert kinds == ["WARNING", "OKAY"], kinds
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                p.wait(timeout=30)
