"""Why a group backed up, end to end: a real broker, a real consumer group
and a real collectd with the shipped kafka.conf and ml.conf (which has the
<Cause> block). A consumer that slows on one partition while the others
flow must give a notification whose meta data names that partition and
its leader, and whose message says so."""
import os
import signal
import subprocess
import time
import uuid

from harness import KAFKACTL, Collectd, bootstrap, kafkactl, wait_for
from test_ml import shipped_snippets

PARTS = 4
SLOW = 2


def test_slow_partition_is_named_with_its_leader(tmp_path):
    os.chmod(str(tmp_path), 0o777)
    prefix = "cause-%s-" % uuid.uuid4().hex[:6]
    topic, group = prefix + "orders", prefix + "billing"
    kafkactl("create-topic", topic, PARTS, 1)
    boot = bootstrap()
    procs = []

    def spawn(cmd):
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))

    slow_from = 30  # seconds after the consumer starts
    try:
        spawn([KAFKACTL, boot, "produce-rate", topic, "40", "240"])
        spawn([KAFKACTL, boot, "consume-slow", group, topic, "240", str(SLOW), "1", str(slow_from)])
        started = time.time()
        cd = Collectd(shipped_snippets(str(tmp_path / "ml.state"), 2, prefix), interval=2,
                      notify_exec=True)
        with cd:
            gpi = "group-" + group
            for p in range(PARTS):
                cd.wait_value("local", "kafka", "kafka_lag", gpi, "%s-%d" % (topic, p), timeout=60)
            leader = int(cd.wait_value("local", "kafka", "kafka_leader", "topic-" + topic,
                                       "%s-%d" % (topic, SLOW)))

            def chained():
                return [n for n in cd.notifications()
                        if n["Severity"] == "WARNING" and "cause_partitions" in n["meta"]
                        and n.get("PluginInstance") == gpi]

            got = wait_for(chained, slow_from + 120 - (time.time() - started), "a notification with the chain",
                           step=1)
            n = got[0]
            delay = float(n["Time"]) - (started + slow_from)
            print("chain notification %.0f s after the slowdown: %s %s/%s %s | %s" % (
                delay, n["meta"].get("model"), n.get("PluginInstance"), n.get("TypeInstance"), n["message"],
                {k: v for k, v in n["meta"].items() if k.startswith("cause_")}))
            m = n["meta"]
            # the partition that backed up, and only it
            assert m["cause_partitions"] == "%s-%d" % (topic, SLOW), m
            assert float(m["cause_partitions_backed"]) == 1, m
            assert float(m["cause_partitions_seen"]) == PARTS, m
            # its leader, and the group
            assert int(float(m["cause_leader"])) == leader, m
            assert m["cause_group"] == gpi, m
            assert "backed up: %s-%d of %d" % (topic, SLOW, PARTS) in n["message"], n["message"]
            assert "leader %d" % leader in n["message"], n["message"]
            # no chain names a partition that flowed
            for other in chained():
                assert other["meta"]["cause_partitions"] == "%s-%d" % (topic, SLOW), other
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
