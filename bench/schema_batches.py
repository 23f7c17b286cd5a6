#!/usr/bin/env python3
"""bench/schema_batches.py: the record-shape sampler on many partitions
whose records came in large batches. Creates a topic of PARTITIONS
partitions and produces MESSAGES per partition with kafkactl (whose
librdkafka producer writes each partition's 5,000 messages as one ~58 KB
batch), then runs a collectd (Interval 10) sampling it with SchemaTopics
and the given Timeout, and prints the first collections'
kafka_schema_records (SchemaRecords 10 per partition: PARTITIONS x 10 when
every partition was read) and kafka_read_seconds.

  bench/schema_batches.py [--partitions 100] [--messages 5000] [--timeout 5]
                          [--topic NAME (reuse a topic made before)]
                          [--record-bytes N --schema-bytes B]

--record-bytes N produces 10 JSON records of about N bytes per partition
with kcat instead (up to the broker's 1 MB message.max.bytes), and
--schema-bytes sets SchemaBytes: records near SchemaBytes' maximum make a
round larger than one fetch response.

Needs a running cluster (KML_BOOTSTRAP) and a build (KML_BUILD, default
build/)."""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
from harness import Collectd, bootstrap, kafkactl  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--partitions", type=int, default=100)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("--topic")
    ap.add_argument("--record-bytes", type=int)
    ap.add_argument("--schema-bytes", type=int)
    a = ap.parse_args()
    topic = a.topic
    if topic is None:
        topic = "batches-%s" % uuid.uuid4().hex[:8]
        kafkactl("create-topic", topic, a.partitions, 1)
        if a.record_bytes:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "records")
                with open(path, "w") as f:
                    for i in range(10):
                        f.write('{"id":%d,"blob":"%s"}\n' % (i, "x" * a.record_bytes))
                for p in range(a.partitions):
                    subprocess.run(["kcat", "-b", bootstrap(), "-P", "-t", topic, "-p", str(p), "-l", path,
                                    "-X", "message.max.bytes=2000000"], check=True, timeout=300)
        else:
            for p in range(a.partitions):
                kafkactl("produce", topic, p, a.messages)
        print("topic", topic)
    conf = """
<Plugin kafka>
  <Cluster "bench">
    Brokers "%s"
    Timeout %g
    TopicsInclude "^%s$"
    Groups false
    SchemaTopics "^%s$"
    %s
  </Cluster>
</Plugin>
""" % (bootstrap(), a.timeout, topic, topic, "SchemaBytes %d" % a.schema_bytes if a.schema_bytes else "")
    with Collectd(conf, plugins=("kafka",), interval=10) as cd:
        cd.wait_value("bench", "kafka", "kafka_schema_records", "topic-" + topic, timeout=60)
        time.sleep(25)
        recs = [v[0] for _, v in cd.values("bench", "kafka", "kafka_schema_records", "topic-" + topic)]
        secs = [v[0] for _, v in cd.values("bench", "kafka", "kafka_read_seconds", "cluster")]
    print("schema_records", " ".join("%g" % r for r in recs[:3]))
    print("read_seconds", " ".join("%.3f" % s for s in secs[:3]))


if __name__ == "__main__":
    main()
