#!/usr/bin/env python3
"""bench/schema_kafka.py: the kafka plugin's record-shape watch on records
it was not designed on: collectd's own write_kafka plugin (Format JSON)
writes the values of a real collectd (cpu, memory, load, interface, df,
processes and the kafka plugin itself, whose value lists carry meta data)
into a topic, and a second collectd watches that topic with SchemaTopics.
Nothing changes in the producer: every notification is a false one. Then
the producer switches to Format Graphite (text, unreadable as JSON): the
delay until the mix shift is noticed is the detection delay.

  bench/schema_kafka.py [--minutes 10] [--switch-after 6]

Needs a running cluster (KML_BOOTSTRAP) and a build (KML_BUILD, default
build/). Prints false notifications per 1,000 topic-hours, the detection
delay, and the sampler's records and bytes per interval."""
import argparse
import os
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
from harness import Collectd, bootstrap, kafkactl  # noqa: E402


def producer_conf(topic, fmt):
    return """
LoadPlugin cpu
LoadPlugin memory
LoadPlugin load
LoadPlugin interface
LoadPlugin df
LoadPlugin processes
LoadPlugin write_kafka
<Plugin write_kafka>
  Property "bootstrap.servers" "%s"
  <Topic "%s">
    Format %s
  </Topic>
</Plugin>
<Plugin kafka>
  <Cluster "self">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^%s$"
  </Cluster>
</Plugin>
""" % (bootstrap(), topic, fmt, bootstrap(), topic)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--switch-after", type=float, default=6)
    a = ap.parse_args()
    topic = "metrics-%s" % uuid.uuid4().hex[:8]
    kafkactl("create-topic", topic, 3, 1)
    watch = """
<Plugin kafka>
  <Cluster "watch">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^%s$"
    Groups false
    SchemaTopics "^%s$"
    SchemaLearn 60
  </Cluster>
</Plugin>
""" % (bootstrap(), topic, topic)
    import harness
    if "write_kafka" not in harness.DEBIAN_PLUGINS:
        harness.DEBIAN_PLUGINS = harness.DEBIAN_PLUGINS + ("write_kafka", "cpu", "memory", "load",
                                                           "interface", "df", "processes")
    prod = Collectd(producer_conf(topic, "JSON"), plugins=("kafka",)).start()
    wat = Collectd(watch, notify_exec=True, plugins=("kafka",)).start()
    t0 = time.time()
    switched = None
    try:
        while time.time() - t0 < a.minutes * 60:
            if switched is None and time.time() - t0 >= a.switch_after * 60:
                false = [n for n in wat.notifications() if n.get("Type") == "kafka_schemas"]
                prod.cleanup()
                prod = Collectd(producer_conf(topic, "Graphite"), plugins=("kafka",)).start()
                switched = time.time()
            time.sleep(2)
        notes = [n for n in wat.notifications() if n.get("Type") == "kafka_schemas"]
        if switched is None:
            false = notes
        after = [n for n in notes if n not in false and float(n["Time"]) >= switched]
        pi = "topic-" + topic
        recs = [v[0] for _, v in wat.values("watch", "kafka", "kafka_schema_records", pi)]
        byts = [v[0] for _, v in wat.values("watch", "kafka", "kafka_schema_bytes", pi)]
        schemas = wat.last("watch", "kafka", "kafka_schemas", pi)
        hours = (switched or time.time()) - t0
        hours /= 3600
        print("producer: collectd write_kafka Format JSON (cpu, memory, load, interface, df, processes, kafka)")
        print("false notifications before the switch: %d in %.2f topic-hours = %.1f per 1,000 topic-hours; "
              "schemas seen %s" % (len(false), hours, 1000 * len(false) / hours, schemas))
        for n in false:
            print("  false: %s" % n["message"])
        if after:
            print("switch to Format Graphite: noticed after %.0f s: %s"
                  % (float(after[0]["Time"]) - switched, after[0]["message"]))
        else:
            print("switch to Format Graphite: not noticed within %.0f s" % (time.time() - (switched or time.time())))
        if recs:
            print("sampler per interval: records mean %.1f max %d (3 partitions x 10), bytes mean %.0f max %d"
                  % (sum(recs) / len(recs), max(recs), sum(byts) / len(byts), max(byts)))
    finally:
        prod.cleanup()
        wat.cleanup()


if __name__ == "__main__":
    sys.exit(main())
