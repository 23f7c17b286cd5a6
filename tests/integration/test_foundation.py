"""The first slice through real parts: a real broker, the built plugins in a
real collectd, exact high-water marks read back from the csv plugin, and
bad configuration that disables only the block it is in."""
import os
import re
import socket
import subprocess
import time
import uuid

import pytest

from harness import BUILD, Collectd, bootstrap, kafkactl, wait_for


def topic_name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def test_plugins_export_only_module_register():
    for name in ("kafka", "ml"):
        so = os.path.join(BUILD, "plugin", ".libs", name + ".so")
        out = subprocess.check_output(["nm", "-D", "--defined-only", so], text=True)
        exported = [l.split()[-1] for l in out.splitlines() if " T " in l]
        assert exported == ["module_register"], (name, exported)


def test_exact_high_water_marks_through_collectd():
    topic = topic_name("hwm")
    kafkactl("create-topic", topic, 3, 1)
    counts = {0: 5, 1: 7, 2: 11}
    for p, n in counts.items():
        kafkactl("produce", topic, p, n)
    body = """
<Plugin kafka>
  <Cluster "itest">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^%s$"
    Property "statistics.interval.ms" "1000"
  </Cluster>
</Plugin>
""" % (bootstrap(), topic)
    with Collectd(body) as cd:
        for p, n in counts.items():
            v = cd.wait_value("itest", "kafka", "kafka_offset", "topic-" + topic,
                              "%s-%d" % (topic, p))
            assert v == n, (p, v, n)
            assert cd.wait_value("itest", "kafka", "kafka_offset_low", "topic-" + topic,
                                 "%s-%d" % (topic, p)) == 0
        assert cd.wait_value("itest", "kafka", "kafka_up", "cluster") == 1
        assert cd.wait_value("itest", "kafka", "kafka_brokers", "cluster") == 1
        # TopicsInclude selects exactly one topic.
        assert cd.wait_value("itest", "kafka", "kafka_topics", "cluster") == 1
        assert cd.wait_value("itest", "kafka", "kafka_partitions", "cluster") == 3
        assert cd.wait_value("itest", "kafka", "kafka_partitions", "topic-" + topic) == 3
        # Per-broker round trip from librdkafka's statistics, and the broker's
        # share of leaders and messages.
        rtt = cd.wait_value("itest", "kafka", "kafka_rtt", "broker-1", timeout=15)
        assert 0 < rtt < 1000, rtt
        assert cd.wait_value("itest", "kafka", "kafka_leaders", "broker-1") == 3
        # More messages show up at the next read.
        kafkactl("produce", topic, 1, 3)
        assert cd.wait_value("itest", "kafka", "kafka_offset", "topic-" + topic,
                             "%s-1" % topic, pred=lambda v: v == 10, timeout=15) == 10


def test_bad_cluster_block_is_disabled_and_others_run():
    body = """
<Plugin kafka>
  <Cluster "nobrokers">
    Timeout 2
  </Cluster>
  <Cluster "badregex">
    Brokers "%s"
    TopicsInclude "([a-"
  </Cluster>
  <Cluster "typo">
    Brokers "%s"
    Tiemout 3
  </Cluster>
  <Cluster "badprop">
    Brokers "%s"
    Property "sasl.password" "hunter2-secret"
    Property "no.such.property" "1"
  </Cluster>
  <Cluster "good">
    Brokers "%s"
    Timeout 3
  </Cluster>
</Plugin>
""" % ((bootstrap(),) * 4)
    with Collectd(body) as cd:
        assert cd.wait_value("good", "kafka", "kafka_up", "cluster") == 1
        log = cd.log_text()
        assert '<Cluster "nobrokers"> Brokers is required' in log
        assert "([a-" in log and "badregex" in log
        assert '<Cluster "typo"> Tiemout is not an option' in log
        assert "no.such.property" in log
        assert "hunter2-secret" not in log  # secrets never reach a log line
        for name in ("nobrokers", "badregex", "typo", "badprop"):
            assert not os.path.exists(os.path.join(cd.data, name)), name


def test_down_cluster_reports_up_zero_quickly():
    # Nothing listens on port 1: the read must return within Timeout.
    body = """
<Plugin kafka>
  <Cluster "down">
    Brokers "127.0.0.1:1"
    Timeout 2
  </Cluster>
  <Cluster "nodns">
    Brokers "kafka.invalid:9092"
    Timeout 2
  </Cluster>
</Plugin>
"""
    with Collectd(body) as cd:
        assert cd.wait_value("down", "kafka", "kafka_up", "cluster", timeout=20) == 0
        secs = cd.wait_value("down", "kafka", "kafka_collect_seconds", "cluster")
        assert secs <= 3.0, secs
        # the FAILURE comes with the second failed collection
        wait_for(lambda: "kafka plugin: cluster down: Kafka cluster unreachable" in cd.log_text(),
                 10, "the unreachable notification")
        # it names the bootstrap list and the cause of the failure
        wait_for(lambda: "kafka plugin: cluster nodns: Kafka cluster unreachable" in cd.log_text(),
                 10, "the unreachable notification of nodns")
        log = cd.log_text()
        assert re.search(r"cluster down: Kafka cluster unreachable at 127\.0\.0\.1:1: "
                         r"connection refused \(metadata request failed", log), log
        assert re.search(r"cluster nodns: Kafka cluster unreachable at kafka\.invalid:9092: "
                         r"cannot resolve the host name \(", log), log


def test_blackholed_broker_names_its_cause_in_the_failure():
    """A broker address that never answers a connection attempt (a listener
    whose accept queue is full drops the SYNs, as a firewall that drops
    them does): the FAILURE that comes with the second failed collection
    already names the timed out connection, and no other cause."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    port = hole.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))  # fills the queue
    try:
        probe = socket.socket()
        probe.settimeout(1)
        with pytest.raises(socket.timeout):
            probe.connect(("127.0.0.1", port))  # the address is a black hole
        probe.close()
        body = """
<Plugin kafka>
  <Cluster "hole">
    Brokers "127.0.0.1:%d"
    Timeout 2
  </Cluster>
</Plugin>
""" % port
        with Collectd(body, interval=3) as cd:
            started = time.time()
            line = "kafka plugin: cluster hole: Kafka cluster unreachable"
            wait_for(lambda: line in cd.log_text(), 60, "the unreachable notification")
            took = time.time() - started
            log = cd.log_text()
            print("blackholed broker: FAILURE %.1f s after the start: %s" % (
                took, [x for x in log.splitlines() if line in x]))
            assert re.search(r"cluster hole: Kafka cluster unreachable at 127\.0\.0\.1:%d: "
                             r"connection timed out" % port, log), log
            assert log.count(line) == 1, log
    finally:
        filler.close()
        hole.close()


def test_ml_plugin_loads_and_refuses_bad_config():
    body = """
<Plugin ml>
  MaxSeries 1000
  <Match "bad-regex">
    Plugin "(["
  </Match>
  <Match "bad-model">
    Plugin "^kafka$"
    Models "crystal-ball"
  </Match>
  <Match "good">
    Plugin "^kafka$"
    Models "anomaly"
  </Match>
</Plugin>
"""
    cd = Collectd(body, plugins=("ml",))
    rc, out = cd.check()
    assert rc == 0, out
    with cd:
        log = cd.log_text()
        assert '<Match "bad-regex">' in log and "not a valid regex" in log
        assert 'unknown model "crystal-ball"' in log
        assert "ml plugin: 1 match block(s)" in log


def test_shipped_snippets_load_without_errors(tmp_path):
    """collectd.conf.d/*.conf, pointed at the test broker, load cleanly."""
    import re
    from harness import SRC
    parts = []
    for name in ("kafka.conf", "ml.conf"):
        with open(os.path.join(SRC, "collectd.conf.d", name)) as f:
            text = f.read()
        text = re.sub(r"^LoadPlugin .*$", "", text, flags=re.M)
        text = text.replace('Brokers "127.0.0.1:9092"', 'Brokers "%s"' % bootstrap())
        text = text.replace('"/var/lib/collectd/ml.state"', '"%s"' % (tmp_path / "ml.state"))
        text = re.sub(r"^(\s*)Interval \d+", r"\1Interval 1", text, flags=re.M)
        parts.append(text)
    with Collectd("\n".join(parts)) as cd:
        assert cd.wait_value("local", "kafka", "kafka_up", "cluster") == 1
        log = cd.log_text()
        assert "ml plugin: 4 match block(s), 3 peers block(s)" in log, log
        bad = [l for l in log.splitlines() if "[error]" in l and ("kafka plugin" in l or "ml plugin" in l)]
        assert not bad, bad
