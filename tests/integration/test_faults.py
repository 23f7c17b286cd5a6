"""Faults with a real 3-broker cluster of its own: a killed broker shows as
under-replicated partitions while reads stay within Timeout; a hung broker
(SIGSTOP) cannot hold a read past Timeout + 1 s; a cluster that is down
gives up = 0 and one FAILURE, and OKAY when it comes back."""
import os
import subprocess
import tempfile
import time

import pytest

from harness import CLUSTER, Collectd, kafkactl, wait_for


@pytest.fixture(scope="module")
def cluster3():
    d = tempfile.mkdtemp(prefix="kml-kafka3.")
    boot = subprocess.check_output([CLUSTER, "start", "--brokers", "3", "--dir", d], text=True).strip()
    yield d, boot
    subprocess.call([CLUSTER, "stop", "--dir", d])
    subprocess.call(["rm", "-rf", d])


def conf(boot, timeout=2):
    return """
<Plugin kafka>
  <Cluster "three">
    Brokers "%s"
    Timeout %d
    TopicsInclude "^rf3$"
    Groups false
  </Cluster>
</Plugin>
""" % (boot, timeout)


def test_broker_faults_and_recovery(cluster3):
    d, boot = cluster3
    kafkactl("create-topic", "rf3", 6, 3, boot=boot)
    kafkactl("produce", "rf3", -1, 60, boot=boot)
    with Collectd(conf(boot), notify_exec=True) as cd:
        assert cd.wait_value("three", "kafka", "kafka_brokers", "cluster") == 3
        assert cd.wait_value("three", "kafka", "kafka_under_replicated", "cluster") == 0

        # 1. One broker killed: its replicas leave the ISR.
        subprocess.check_call([CLUSTER, "kill", "3", "--dir", d])
        assert cd.wait_value("three", "kafka", "kafka_under_replicated", "cluster",
                             pred=lambda v: v > 0, timeout=40) > 0
        assert cd.wait_value("three", "kafka", "kafka_up", "cluster") == 1
        time.sleep(3)
        secs = [v[0] for _, v in cd.values("three", "kafka", "kafka_collect_seconds", "cluster")]
        assert max(secs[-5:]) <= 2 + 1, secs[-5:]
        subprocess.check_call([CLUSTER, "restart", "3", "--dir", d])
        assert cd.wait_value("three", "kafka", "kafka_under_replicated", "cluster",
                             pred=lambda v: v == 0, timeout=60) == 0

        # 2. A hung broker: SIGSTOP the leader of some partitions.
        subprocess.check_call([CLUSTER, "pause", "2", "--dir", d])
        try:
            time.sleep(6)
            secs = [v[0] for _, v in cd.values("three", "kafka", "kafka_collect_seconds", "cluster")]
            assert max(secs[-4:]) <= 2 + 1, secs[-4:]
        finally:
            subprocess.check_call([CLUSTER, "resume", "2", "--dir", d])

        # 3. The whole cluster down: up = 0, one FAILURE; back: OKAY.
        for b in ("1", "2", "3"):
            subprocess.check_call([CLUSTER, "kill", b, "--dir", d])
        assert cd.wait_value("three", "kafka", "kafka_up", "cluster",
                             pred=lambda v: v == 0, timeout=30) == 0
        time.sleep(3)
        secs = [v[0] for _, v in cd.values("three", "kafka", "kafka_collect_seconds", "cluster")]
        assert max(secs[-3:]) <= 2 + 1, secs[-3:]
        fails = [n for n in cd.notifications() if n.get("Type") == "kafka_up"]
        assert [n["Severity"] for n in fails] == ["FAILURE"], fails
        assert cd.log_text().count("kafka plugin: cluster three: Kafka cluster unreachable") == 1
        for b in ("1", "2", "3"):
            subprocess.check_call([CLUSTER, "restart", b, "--dir", d])
        assert cd.wait_value("three", "kafka", "kafka_up", "cluster",
                             pred=lambda v: v == 1, timeout=90) == 1
        ok = wait_for(lambda: [n for n in cd.notifications()
                               if n.get("Type") == "kafka_up" and n["Severity"] == "OKAY"],
                      30, "the OKAY notification")
        assert len(ok) == 1
