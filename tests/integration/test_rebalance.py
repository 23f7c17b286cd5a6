"""Rebalance storms against a real broker through a real collectd, with real
consumers (kcat balanced consumers) joining and leaving: a storm of joins
and leaves raises one WARNING naming the clients, then one OKAY once it
calms down; a consumer that joins, or restarts once, raises nothing."""
import os
import signal
import subprocess
import time
import uuid

from harness import Collectd, bootstrap, kafkactl, wait_for


def uniq(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


class Member:
    """One kcat balanced consumer in a group, with its own client.id."""

    def __init__(self, group, topic, client_id):
        self.p = subprocess.Popen(
            ["kcat", "-b", bootstrap(), "-G", group, "-X", "client.id=" + client_id,
             "-X", "session.timeout.ms=6000", "-q", "-o", "end", "-u", topic],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def leave(self):
        """SIGTERM: kcat closes the consumer, which leaves the group."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()


def storm_notes(cd, group):
    return [n for n in cd.notifications()
            if n.get("Type") == "kafka_rebalance_rate" and n.get("PluginInstance") == "group-" + group]


def test_storm_of_joins_and_leaves_warns_and_a_single_rebalance_does_not():
    topic, stormy, calm = uniq("storm"), uniq("g-storm"), uniq("g-calm")
    kafkactl("create-topic", topic, 4, 1)
    conf = """
<Plugin kafka>
  <Cluster "storms">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^%s$"
    GroupsInclude "^(%s|%s)$"
    RebalanceStormWindow 40
    RebalanceStormMin 4
  </Cluster>
</Plugin>
""" % (bootstrap(), topic, stormy, calm)
    members = []
    with Collectd(conf, notify_exec=True) as cd:
        try:
            anchor = Member(stormy, topic, "anchor")
            members.append(anchor)
            single = Member(calm, topic, "lonely")
            members.append(single)
            cd.wait_value("storms", "kafka", "kafka_members", "group-" + stormy, pred=lambda v: v == 1, timeout=60)
            cd.wait_value("storms", "kafka", "kafka_members", "group-" + calm, pred=lambda v: v == 1, timeout=60)
            # the calm group's consumer restarts once: a leave and a join
            single.leave()
            cd.wait_value("storms", "kafka", "kafka_members", "group-" + calm, pred=lambda v: v == 0, timeout=60)
            members.append(Member(calm, topic, "lonely"))
            # the storm: a consumer that keeps crashing and coming back
            for i in range(5):
                flappy = Member(stormy, topic, "flappy")
                members.append(flappy)
                cd.wait_value("storms", "kafka", "kafka_members", "group-" + stormy,
                              pred=lambda v: v == 2, timeout=30)
                time.sleep(1)
                flappy.leave()
                cd.wait_value("storms", "kafka", "kafka_members", "group-" + stormy,
                              pred=lambda v: v == 1, timeout=30)
                time.sleep(1)
            warn = wait_for(lambda: [n for n in storm_notes(cd, stormy) if n["Severity"] == "WARNING"],
                            30, "the rebalance storm warning")[0]
            assert "rebalance storm" in warn["message"]
            assert "flappy" in warn["message"], warn
            assert "anchor" in warn["meta"]["client_ids"], warn
            assert "flappy" in warn["meta"]["joined_client_ids"], warn
            assert float(warn["meta"]["rebalances"]) >= 4
            assert float(warn["meta"]["members_joined"]) >= 2
            assert float(warn["meta"]["members_left"]) >= 2
            assert float(warn["meta"]["rebalances_per_hour"]) >= 4 * 3600 / 40
            rates = [v[0] for _, v in cd.values("storms", "kafka", "kafka_rebalance_rate", "group-" + stormy)]
            assert max(rates) >= 4 * 3600 / 40, rates
            # calm again: the window empties, one OKAY
            okay = wait_for(lambda: [n for n in storm_notes(cd, stormy) if n["Severity"] == "OKAY"],
                            90, "the end of the storm")
            assert "calmly" in okay[0]["message"]
            assert [n["Severity"] for n in storm_notes(cd, stormy)] == ["WARNING", "OKAY"]
            # the calm group rebalanced (a restart) and never stormed
            calm_rates = [v[0] for _, v in cd.values("storms", "kafka", "kafka_rebalance_rate", "group-" + calm)]
            assert calm_rates and max(calm_rates) > 0, calm_rates
            assert storm_notes(cd, calm) == []
        finally:
            for m in members:
                m.leave()
