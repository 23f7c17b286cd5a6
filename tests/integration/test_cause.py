"""Why a group backed up, and which broker is unlike its peers, end to end
on a real 3-broker cluster of its own with a real collectd running the
shipped kafka.conf and ml.conf (its <Cause> block as shipped; its brokers
<Peers> block comparing messages in, replicated messages in, round-trip
time and leader count together, as the snippet suggests where leadership
is pinned). One collectd watches two phases:

1. healthy brokers, a producer and a consumer group that slows on one
   partition: the notification's meta data names that partition and its
   leader (a broker in line with its peers), its message says so, and no
   broker is named by the brokers block;
2. broker 3 throttled for real (SIGSTOP/SIGCONT bursts: stopped two
   thirds of the time in bursts of 0.4-0.8 s, as a broker stalled by its
   disk or GC is): the brokers
   block names broker 3, and nobody else."""
import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest

from harness import BUILD, CLUSTER, KAFKACTL, SRC, TYPES, Collectd, kafkactl, own_cluster, readable_copy, wait_for

PARTS = 6
SLOW = 2
BROKER_TYPES = '"kafka_messages_in" "kafka_replicated_in" "kafka_rtt" "kafka_leaders"'


@pytest.fixture(scope="module")
def cluster3():
    if os.environ.get("KML_CLUSTER3_DIR"):  # a running one (when iterating)
        d = os.environ["KML_CLUSTER3_DIR"]
        yield d, subprocess.check_output([CLUSTER, "bootstrap", "--dir", d], text=True).strip()
        return
    with own_cluster(3) as c:
        yield c


def snippets(boot, state_file, prefix):
    """The shipped kafka.conf and ml.conf at a 2 s interval, on this cluster
    and this test's topics and groups; the brokers block on four values."""
    parts = []
    for name in ("kafka.conf", "ml.conf"):
        with open(os.path.join(SRC, "collectd.conf.d", name)) as f:
            text = f.read()
        text = re.sub(r"^LoadPlugin .*$", "", text, flags=re.M)
        text = text.replace('Brokers "127.0.0.1:9092"', 'Brokers "%s"' % boot)
        text = text.replace('"/var/lib/collectd/ml.state"', '"%s"' % state_file)
        text = re.sub(r"^(\s*)Interval \d+", r"\g<1>Interval 2", text, flags=re.M)
        text = text.replace('TopicsExclude "^__"', 'TopicsExclude "^__"\n    TopicsInclude "^%s"\n'
                            '    GroupsInclude "^%s"' % (prefix, prefix))
        text, n = re.subn(r'Types "kafka_replicated_in" "kafka_rtt"', "Types " + BROKER_TYPES, text)
        assert n == 1 or name == "kafka.conf", "the brokers block of ml.conf changed"
        parts.append(text)
    return "\n".join(parts)


class Throttle(threading.Thread):
    """SIGSTOP / SIGCONT bursts on one broker's JVM (by the PID the cluster
    script recorded) until stopped: stopped 0.4-0.8 s, then running 0.2-0.4
    s, drawn at random so that no collection falls always in the running
    part; the broker is left running."""

    def __init__(self, d, broker):
        super().__init__(daemon=True)
        with open(os.path.join(d, "broker-%d" % broker, "pid")) as f:
            self.pid = int(f.read().strip())
        self.rnd = random.Random(broker)
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            os.kill(self.pid, signal.SIGSTOP)
            try:
                time.sleep(self.rnd.uniform(0.4, 0.8))
            finally:
                os.kill(self.pid, signal.SIGCONT)
            self.done.wait(self.rnd.uniform(0.2, 0.4))

    def stop(self):
        self.done.set()
        self.join()
        os.kill(self.pid, signal.SIGCONT)


def test_slow_partition_chain_then_throttled_broker(cluster3, tmp_path):
    d, boot = cluster3
    os.chmod(str(tmp_path), 0o777)
    prefix = "why-%s-" % uuid.uuid4().hex[:6]
    topic, group = prefix + "orders", prefix + "billing"
    kafkactl("create-topic", topic, PARTS, 3, boot=boot)

    def topic_ready():
        """Every broker knows the topic and each partition's leader: a
        consumer that subscribes before may wait for its next metadata
        refresh (5 minutes) to see it."""
        for b in boot.split(","):
            out = subprocess.run(["kcat", "-b", b, "-L", "-t", topic], capture_output=True, text=True,
                                 timeout=30).stdout
            if len(re.findall(r"partition \d+, leader [1-9]", out)) != PARTS:
                return False
        return True

    wait_for(topic_ready, 60, "the topic's metadata on every broker", step=1)
    procs = []
    throttle = None

    def spawn(cmd):
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))

    slow_from = 40  # seconds after the consumer starts (the chain's window
    # of 32 intervals then begins after collectd's first collections)
    # a longer healthy period when measuring (KML_WHY_HEALTHY seconds)
    healthy_more = float(os.environ.get("KML_WHY_HEALTHY", 0))
    run_for = str(int(400 + healthy_more))
    try:
        spawn([KAFKACTL, boot, "produce-rate", topic, "60", run_for])
        spawn([KAFKACTL, boot, "consume-slow", group, topic, run_for, str(SLOW), "1", str(slow_from)])
        started = time.time()
        with Collectd(snippets(boot, str(tmp_path / "ml.state"), prefix), interval=2, notify_exec=True) as cd:
            gpi = "group-" + group
            for p in range(PARTS):
                cd.wait_value("local", "kafka", "kafka_lag", gpi, "%s-%d" % (topic, p), timeout=90)
            leader = int(cd.wait_value("local", "kafka", "kafka_leader", "topic-" + topic,
                                       "%s-%d" % (topic, SLOW)))
            for b in (1, 2, 3):
                cd.wait_value("local", "kafka", "kafka_rtt", "broker-%d" % b, timeout=30)

            def brokers_named():
                return [n for n in cd.notifications() if n.get("Type") == "ml_peers"]

            def chained():
                return [n for n in cd.notifications()
                        if n["Severity"] == "WARNING" and "cause_partitions" in n["meta"]
                        and n.get("PluginInstance") == gpi]

            # 1. the slow partition, explained
            got = wait_for(chained, slow_from + 120 - (time.time() - started), "a notification with the chain",
                           step=1)
            n, m = got[0], got[0]["meta"]
            print("phase 1: chain %.0f s after the slowdown: %s | %s" % (
                float(n["Time"]) - (started + slow_from), n["message"],
                {k: v for k, v in m.items() if k.startswith("cause_")}))
            assert m["cause_partitions"] == "%s-%d" % (topic, SLOW), m
            assert float(m["cause_partitions_backed"]) == 1, m
            assert float(m["cause_partitions_seen"]) == PARTS, m
            assert int(float(m["cause_leader"])) == leader, m
            assert m["cause_group"] == gpi, m
            assert "backed up: %s-%d of %d" % (topic, SLOW, PARTS) in n["message"], n["message"]
            assert "leader broker %d" % leader in n["message"], n["message"]
            if m.get("model") == "peers":  # the partition, with its group
                assert n["message"].startswith("%s-%d of kafka %s is an outlier among %d peers"
                                               % (topic, SLOW, gpi, PARTS)), n["message"]
            # its leader is judged against the two other brokers (on how each
            # broker's values changed over the window; the verdict is printed
            # above: a loaded test machine can make one broker's values jump)
            assert float(m["cause_leader_brokers"]) == 3, m
            assert m["cause_leader_outlier"] in ("0.000000e+00", "1.000000e+00"), m
            if float(m["cause_consumer_side"]) == 1:
                # the leader in line: the consumer's backlog, and no broker or
                # host series is named as its cause (a fixed |r| >= 0.5 named
                # one here: broker-2's messages in, r 0.98)
                assert not any(k in m for k in ("cause_application", "cause_resource")), m
                assert "consumer side" in n["message"], n["message"]
            elif float(m["cause_leader_outlier"]) == 0:
                # the leader's latest value stood out (a loaded host): a match
                # is named only when unlikely among as many series
                for scope in ("application", "resource"):
                    assert "cause_" + scope not in m or float(m["cause_%s_p" % scope]) < 0.1, m
            for other in chained():
                assert other["meta"]["cause_partitions"] == "%s-%d" % (topic, SLOW), other
            # kafka-ml explain prints the same chain from the csv plugin's files
            r = subprocess.run([os.path.join(BUILD, "kafka-ml"), "explain", "--group", group, "--at", n["Time"],
                                "--types-db", TYPES[0], "--types-db", TYPES[1], cd.data],
                               capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
            said = dict(l[5:].split(": ", 1) for l in r.stdout.splitlines() if l.startswith("meta "))
            print("kafka-ml explain at the notification's time:\n" + r.stdout)
            assert said["cause_partitions"] == m["cause_partitions"], (said, m)
            assert int(said["cause_leader"]) == leader, said
            if float(said["cause_consumer_side"]) == 1:
                assert "not matched (the backlog is the consumer's)" in r.stdout, r.stdout
                assert not any(k in said for k in ("cause_application", "cause_resource")), said
            time.sleep(healthy_more)
            healthy = time.time() - started
            assert brokers_named() == [], brokers_named()

            # 2. broker 3 throttled
            throttle = Throttle(d, 3)
            throttle.start()
            t_throttle = time.time()
            # 36-44 s here; a loaded 2-core machine can fail whole
            # collections (metadata from the stopped broker), so more room
            warn = wait_for(lambda: [n for n in brokers_named() if n["Severity"] == "WARNING"], 180,
                            "the brokers block to name the throttled broker", step=1)
            w = warn[0]
            print("phase 2: broker named %.0f s after the throttle began: %s | %s" % (
                float(w["Time"]) - t_throttle, w["message"], w["meta"]))
            assert w["PluginInstance"] == "broker-3", w
            assert w["meta"]["peers"] == "brokers", w
            assert int(w["meta"]["members"]) == 3, w
            assert float(w["meta"]["outlier_seconds"]) >= 30, w  # Persist as shipped
            assert {n["PluginInstance"] for n in brokers_named()} == {"broker-3"}, brokers_named()
            # Which rule named it: SIGSTOP bursts change the round-trip time
            # only. Messages in, replicated messages in and leader count are
            # the partitions' offsets and leadership summed per broker, and
            # neither moves (the producer's rate is kept, 0.8 s is within
            # every session timeout); each value adds at most 2 (the clip)
            # to a distance divided by sqrt(4), so the round-trip time alone
            # makes 1.0 against eps 2.5, and the single-value rule names it.
            z = {k[2:]: float(v) for k, v in w["meta"].items() if k.startswith("z_")}
            print("phase 2: rule %s, distance %s (eps %s), z %s" % (
                w["meta"]["rule"], w["meta"].get("distance"), w["meta"]["eps"], z))
            assert max(z, key=lambda k: abs(z[k])) == "kafka_rtt", z
            print("healthy brokers for %.0f s before the throttle (3 brokers, 4 values): no ml_peers "
                  "notification" % healthy)
    finally:
        if throttle is not None:
            throttle.stop()
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


GROUP_FEEDER = r'''#!/usr/bin/env python3
# A day and a bit of a cluster "prod" at 60 s (the anomaly model warms up
# for a day) as the kafka plugin names its series (group billing on
# orders-0..5, partition p led by broker p%3+1, three brokers' round-trip
# times): PUTVAL lines with past timestamps at once, then, one interval
# every 2 s of wall time as a live collection would, broker 2 slows (its
# rtt x10) and the group backs up on the partitions it leads; then idle.
import random, sys, time
rnd = random.Random(3)
step, n, onset = 60, 1500, 1475
t = int(time.time()) - n * step
lag = [0.0] * 6
out = sys.stdout
for s in range(n):
    slow = s >= onset
    if slow:
        out.flush()
        time.sleep(2)
    for b in (1, 2, 3):
        rtt = (2 + rnd.random()) * (10 if slow and b == 2 else 1)
        out.write("PUTVAL prod/kafka-broker-%d/kafka_rtt interval=%d %d:%.3f\n" % (b, step, t, rtt))
    worst = 0.0
    for p in range(6):
        rate = 100 * (1 + 0.05 * rnd.gauss(0, 1))
        if slow and p % 3 + 1 == 2:
            lag[p] += rate * 0.7 * step
        v = lag[p] + rate * 0.5 * rnd.random()
        out.write("PUTVAL prod/kafka-group-billing/kafka_lag-orders-%d interval=%d %d:%d\n" % (p, step, t, v))
        out.write("PUTVAL prod/kafka-topic-orders/kafka_leader-orders-%d interval=%d %d:%d\n" % (p, step, t, p % 3 + 1))
        worst = max(worst, v / rate)
    out.write("PUTVAL prod/kafka-group-billing/kafka_lag_seconds-max interval=%d %d:%.3f\n" % (step, t, worst))
    t += step
out.flush()
while True:
    time.sleep(3600)
'''


def test_group_lag_anomaly_carries_the_chain(tmp_path):
    """The other trigger: an anomaly of a group's lag in seconds (the
    shipped "lag-seconds" match), values fed with their own timestamps
    through collectd's exec plugin. The anomaly goes out at the backlog's
    first value: the chain names the partitions from that one value."""
    src = tmp_path / "group-feeder.py"
    src.write_text(GROUP_FEEDER)
    feeder = readable_copy(str(src))
    body = """
<Plugin exec>
  Exec "nobody" "/usr/bin/python3" "%s"
</Plugin>
<Plugin ml>
  <Match "lag-seconds">
    Plugin "^kafka$"
    PluginInstance "^group-"
    Type "^kafka_lag_seconds$"
    Models "anomaly"
  </Match>
  <Cause>
    Step "60s"
  </Cause>
</Plugin>
""" % feeder
    with Collectd(body, notify_exec=True, plugins=("ml",), write_threads=1) as cd:
        got = wait_for(lambda: [n for n in cd.notifications()
                                if n["Severity"] in ("WARNING", "FAILURE") and n.get("Type") == "kafka_lag_seconds"],
                       90, "the group's lag anomaly", step=1)
        n, m = got[0], got[0]["meta"]
        print(n["message"], {k: v for k, v in m.items() if k.startswith("cause_")})
        assert n["PluginInstance"] == "group-billing", n
        assert set(m["cause_partitions"].split(",")) == {"orders-1", "orders-4"}, m
        assert int(float(m["cause_leader"])) == 2, m
        # compared with its two peers; at the incident's first value its
        # round-trip time has not changed for three values yet, so the
        # verdict is not asserted (the slow broker's own series is the
        # match, below)
        assert float(m["cause_leader_brokers"]) == 3, m
        assert m["cause_application"].startswith("prod/kafka-broker-2/kafka_rtt"), m
        assert float(m["cause_application_r"]) > 0.9, m
        assert "backed up: orders-" in n["message"] and "leader broker 2" in n["message"], n["message"]
        assert len(n["message"].encode()) <= 256
