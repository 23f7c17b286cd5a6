#!/usr/bin/env python3
"""collectd's CPU with one of 3 brokers killed, per source of committed
offsets: a real collectd with the kafka plugin (Interval 1, Timeout 3, 6
groups with commits) on a running 3-broker cluster of tests/kafka/cluster;
the share of one core its process (every thread) used over WINDOW seconds
with every broker up, then over WINDOW seconds after broker 3 was killed
(SIGKILL); broker 3 is started again afterwards. Sources: admin
(OffsetsSource "admin"), topic (__consumer_offsets, the default), off
(Groups false).

  d=$(mktemp -d); tests/kafka/cluster start --brokers 3 --dir $d
  KML_BUILD=build bench/dead_broker_cpu.py $d admin 60
  tests/kafka/cluster stop --dir $d
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import CLUSTER, Collectd, kafkactl, wait_for  # noqa: E402


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        x = f.read().rsplit(")", 1)[1].split()
    return (int(x[11]) + int(x[12])) / os.sysconf("SC_CLK_TCK")


def share(pid, seconds, step=10):
    """Share of a core over `seconds`, and per `step` slice."""
    slices, end = [], time.time() + seconds
    first = a = cpu_seconds(pid)
    t0 = start = time.time()
    while time.time() < end:
        time.sleep(min(step, end - time.time()))
        b, t1 = cpu_seconds(pid), time.time()
        slices.append(round((b - a) / (t1 - t0), 3))
        a, t0 = b, t1
    return (cpu_seconds(pid) - first) / (time.time() - start), slices


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("admin", "topic", "off"):
        sys.exit("usage: dead_broker_cpu.py CLUSTER_DIR admin|topic|off [WINDOW]")
    d, source = sys.argv[1], sys.argv[2]
    window = float(sys.argv[3]) if len(sys.argv) > 3 else 60
    boot = subprocess.check_output([CLUSTER, "bootstrap", "--dir", d], text=True).strip()
    kafkactl("create-topic", "cpu-rf3", 6, 3, boot=boot, check=False)
    kafkactl("produce", "cpu-rf3", -1, 60, boot=boot)
    for i in range(6):
        wait_for(lambda: kafkactl("commit", "cpu-%d" % i, "cpu-rf3", 0, 5, 1, 5, boot=boot,
                                  check=False).returncode == 0, 60, "a commit of cpu-%d" % i, step=1)
    extra = {"admin": 'OffsetsSource "admin"', "topic": 'OffsetsSource "topic"', "off": "Groups false"}
    body = """<Plugin kafka>
  <Cluster "three">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^cpu-rf3$"
    GroupsInclude "^cpu-"
    %s
  </Cluster>
</Plugin>""" % (boot, extra[source])
    try:
        with Collectd(body, interval=1, plugins=("kafka",)) as cd:
            if source == "off":
                cd.wait_value("three", "kafka", "kafka_messages_in", "topic-cpu-rf3", timeout=60)
            else:
                cd.wait_value("three", "kafka", "kafka_lag", "group-cpu-5", "total", timeout=60)
            up, up_slices = share(cd.proc.pid, window)
            subprocess.check_call([CLUSTER, "kill", "3", "--dir", d])
            killed = time.time()
            down, down_slices = share(cd.proc.pid, window)
            reads = [t for t, _ in cd.values("three", "kafka", "kafka_lag", "group-cpu-0", "total") if t > killed]
            print("source %s, %.0f s windows: every broker up %.3f of a core, broker 3 killed %.3f "
                  "(10 s slices: up %s, killed %s); group cpu-0 lag values after the kill: %d"
                  % (source, window, up, down, up_slices, down_slices, len(reads)), flush=True)
    finally:
        subprocess.call([CLUSTER, "restart", "3", "--dir", d])


if __name__ == "__main__":
    main()
