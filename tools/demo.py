"""Orchestration of tools/demo (see there). Uses the same Collectd runner as
the integration tests, so what the demo shows is what the tests check.

The ml plugin scores a series once its anomaly model has seen WARMUP values
(it notifies only after a day); the demo collects every second by default so
that takes about a minute, says so at the start and counts the values until
then. The models'
state file lives in a temporary directory removed on exit, so every run
starts fresh."""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness import CLUSTER, KAFKACTL, Collectd  # noqa: E402

TOPIC = "orders"
GROUP = "svc-billing"
WARMUP = 72  # values before the anomaly model scores (src/ml/model.c)


def example_config(boot, interval, state_dir):
    """The shipped snippets, pointed at the demo broker."""
    parts = []
    for name in ("kafka.conf", "ml.conf"):
        with open(os.path.join(TOP, "collectd.conf.d", name)) as f:
            text = f.read()
        text = re.sub(r"^LoadPlugin .*$", "", text, flags=re.M)
        text = text.replace('Brokers "127.0.0.1:9092"', 'Brokers "%s"' % boot)
        text = re.sub(r'<Cluster "[^"]*">', '<Cluster "demo">', text)
        text = re.sub(r"^(\s*)Interval \d+", r"\1Interval %d" % interval, text, flags=re.M)
        text = text.replace('"/var/lib/collectd/ml.state"', '"%s/ml.state"' % state_dir)
        # a demo lasts minutes: a 60 s SLA shows the SLA alert at work
        text = text.replace("LagSLASeconds 300", "LagSLASeconds 60")
        parts.append(text)
    return "\n".join(parts)


# kafka_group_status values (collectd-kafka-ml(5): larger is worse)
STATUS = ("OK", "WARN", "STALL", "STOP", "REWIND", "ERR")


def main():
    ap = argparse.ArgumentParser(prog="tools/demo")
    ap.add_argument("--duration", type=float, default=0, help="stop after this many seconds (default: until Ctrl-C)")
    ap.add_argument("--interval", type=int, default=1,
                    help="collection interval in seconds (default 1: the models warm up in about a minute)")
    ap.add_argument("--rate", type=float, default=200, help="messages per second produced (default 200)")
    a = ap.parse_args()

    kdir = tempfile.mkdtemp(prefix="kml-demo-kafka.")
    state_dir = tempfile.mkdtemp(prefix="kml-demo-state.")
    procs = []
    cd = None
    stop = {"now": False}

    def on_signal(signum, frame):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("starting Kafka 3.9.1 on 127.0.0.1 ...", flush=True)
        boot = subprocess.check_output([CLUSTER, "start", "--brokers", "1", "--dir", kdir], text=True).strip()
        print("  bootstrap:", boot)
        subprocess.check_call([KAFKACTL, boot, "create-topic", TOPIC, "6", "1", "retention.ms=3600000"])
        print("producer: %g msg/s into %s; consumer group %s reads at half that rate" % (a.rate, TOPIC, GROUP))
        forever = str(a.duration + 60 if a.duration else 10 ** 7)
        procs.append(subprocess.Popen([KAFKACTL, boot, "produce-rate", TOPIC, str(a.rate), forever]))
        procs.append(subprocess.Popen([KAFKACTL, boot, "consume-rate", GROUP, TOPIC, str(a.rate / 2), forever]))
        cd = Collectd(example_config(boot, a.interval, state_dir), interval=a.interval, notify_exec=False)
        cd.start()
        print("collectd running with both plugins (config %s)" % cd.conf)
        print("ml: the anomaly model of each series scores after a warm-up of %d values (%d s at one value\n"
              "    every %d s; it notifies after a day); until then the ml line counts them. Model state: "
              "%s/ml.state (removed on exit)\n"
              % (WARMUP, WARMUP * a.interval, a.interval, state_dir), flush=True)
        t0 = time.time()
        shown = 0
        while not stop["now"] and (not a.duration or time.time() - t0 < a.duration):
            time.sleep(1)
            log = cd.log_text().splitlines()
            for line in log[shown:]:
                if "Notification:" in line:
                    print("  NOTIFICATION", line.split("Notification: ", 1)[1])
                elif "kafka plugin" in line or "ml plugin" in line:
                    print("  log  ", line)
            shown = len(log)
            if int(time.time() - t0) % max(a.interval, 5) == 0:
                show_values(cd)
    finally:
        print("\nstopping ...", flush=True)
        if cd is not None:
            cd.cleanup()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.call([CLUSTER, "stop", "--dir", kdir])
        subprocess.call(["rm", "-rf", kdir, state_dir])
        print("stopped; no process left running.")


def show_values(cd):
    """One line per interesting identifier, latest value."""
    host = "demo"
    up = cd.last(host, "kafka", "kafka_up", "cluster")
    if up is None:
        return
    parts = ["up=%d" % up]
    for t in ("kafka_brokers", "kafka_topics", "kafka_partitions", "kafka_collect_seconds"):
        v = cd.last(host, "kafka", t, "cluster")
        if v is not None:
            parts.append("%s=%g" % (t[6:], v))
    print(time.strftime("%H:%M:%S"), "cluster", " ".join(parts))
    total = 0
    for p in range(6):
        v = cd.last(host, "kafka", "kafka_offset", "topic-" + TOPIC, "%s-%d" % (TOPIC, p))
        total += v or 0
    rate = cd.last(host, "kafka", "kafka_messages_in", "topic-" + TOPIC)
    print(time.strftime("%H:%M:%S"), "topic %s: %d messages, %s msg/s in" % (
        TOPIC, total, "%.0f" % rate if rate is not None else "-"))
    g = "group-" + GROUP
    fields = []
    for t, ti, fmt in (("kafka_lag", "total", "lag=%d msgs"), ("kafka_lag_seconds", "max", "lag=%.0f s"),
                       ("kafka_consumed", "", "consumed=%.0f msg/s"), ("kafka_members", "", "members=%d"),
                       ("kafka_group_status", "total", "status=%s")):
        v = cd.last(host, "kafka", t, g, ti)
        if v is not None and t == "kafka_group_status":
            v = STATUS[int(v)] if 0 <= v < len(STATUS) else "%g" % v
        if v is not None:
            fields.append(fmt % v)
    if fields:
        print(time.strftime("%H:%M:%S"), "group %s:" % GROUP, " ".join(fields))
    seen = len(cd.values(host, "kafka", "kafka_lag_seconds", g, "max"))
    score = cd.last(host, "ml", "ml_score", "kafka-" + g, "kafka_lag_seconds-max")
    forecast = cd.last(host, "ml", "ml_forecast", "kafka-" + g, "kafka_lag_seconds-max")
    if seen and seen <= WARMUP:
        print(time.strftime("%H:%M:%S"), "ml on the lag: warming up, %d of %d values" % (seen, WARMUP), flush=True)
    elif score is not None:
        print(time.strftime("%H:%M:%S"), "ml on the lag: anomaly score %.3f, forecast %s" % (
            score, "%.0f s in 30 min" % forecast if forecast is not None else "after its 1 h warm-up"),
            flush=True)


if __name__ == "__main__":
    main()
