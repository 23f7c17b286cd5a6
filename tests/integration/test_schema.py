"""Record shapes of selected topics against a real broker through a real
collectd: records in Confluent's wire format whose producer moves from
schema id 7 to id 8, JSON records that gain a boolean field, and a topic of
binary garbage. The kafka plugin samples a few of the newest records per
partition each interval (a consumer without a group: nothing is
committed), names the new id and the added field in one WARNING each, and
stays quiet on the garbage."""
import os
import random
import subprocess
import tempfile
import time
import uuid

from harness import Collectd, bootstrap, kafkactl, wait_for


def uniq(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def produce_files(topic, payloads):
    """One record per payload (bytes), through kcat (one file a record)."""
    with tempfile.TemporaryDirectory() as d:
        files = []
        for i, p in enumerate(payloads):
            f = os.path.join(d, "r%04d" % i)
            with open(f, "wb") as out:
                out.write(p)
            files.append(f)
        subprocess.run(["kcat", "-b", bootstrap(), "-P", "-t", topic] + files, check=True, timeout=120)


def wire(schema_id, n):
    return [b"\x00" + schema_id.to_bytes(4, "big") + bytes([2 * (i % 60)]) + b"payload" for i in range(n)]


def json_records(n, paid=False, start=0):
    out = []
    for i in range(start, start + n):
        extra = ', "paid": %s' % ("true" if i % 2 else "false") if paid else ""
        out.append(('{"id": %d, "sku": "s-%d", "qty": %d, "customer": {"id": %d}%s}'
                    % (i, i % 7, i % 5 + 1, i % 11, extra)).encode())
    return out


def garbage(rng, n):
    out = []
    for i in range(n):
        b = bytes(rng.getrandbits(8) for _ in range(rng.randint(5, 200)))
        if i % 4 == 0:
            b = b"\x00" + b[1:]  # the wire format's magic byte, random "ids"
        out.append(b)
    return out


def schema_notes(cd, topic):
    return [n for n in cd.notifications()
            if n.get("Type") == "kafka_schemas" and n.get("PluginInstance") == "topic-" + topic]


def test_new_schema_id_new_json_field_and_quiet_garbage():
    orders, events, junk = uniq("orders"), uniq("events"), uniq("junk")
    kafkactl("create-topic", orders, 2, 1)
    kafkactl("create-topic", events, 1, 1)
    kafkactl("create-topic", junk, 1, 1)
    rng = random.Random(5)
    produce_files(orders, wire(7, 20))
    produce_files(events, json_records(20))
    produce_files(junk, garbage(rng, 20))
    conf = """
<Plugin kafka>
  <Cluster "shapes">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^(%s|%s|%s)$"
    Groups false
    SchemaTopics "^(%s|%s|%s)$"
    SchemaRecords 5
    SchemaBytes 4096
    SchemaLearn 4
  </Cluster>
</Plugin>
""" % ((bootstrap(),) + (orders, events, junk) * 2)
    with Collectd(conf, notify_exec=True, plugins=("kafka",)) as cd:
        for t in (orders, events):
            assert cd.wait_value("shapes", "kafka", "kafka_schemas", "topic-" + t,
                                 pred=lambda v: v == 1, timeout=60) == 1, t
        time.sleep(5)  # past the learning time
        assert cd.last("shapes", "kafka", "kafka_schemas", "topic-" + junk) == 0
        # the newest records of each partition, at most SchemaRecords each
        recs = [v[0] for _, v in cd.values("shapes", "kafka", "kafka_schema_records", "topic-" + orders)]
        assert 0 < max(recs) <= 10, recs
        assert sum(recs) <= 20, recs  # nothing is read twice
        produce_files(orders, wire(8, 8))  # the producer moved to id 8
        produce_files(events, json_records(8, paid=True, start=100))
        produce_files(junk, garbage(rng, 60))
        warn = wait_for(lambda: schema_notes(cd, orders), 60, "the new schema id warning")[0]
        assert warn["Severity"] == "WARNING"
        assert warn["meta"]["new_schema"] == "id 8" and warn["meta"]["old_schema"] == "id 7", warn
        assert "new schema id 8 (was id 7)" in warn["message"]
        warn = wait_for(lambda: schema_notes(cd, events), 60, "the new JSON field warning")[0]
        assert warn["Severity"] == "WARNING"
        assert warn["meta"]["fields"] == "+paid:bool", warn
        assert "+paid:bool" in warn["message"]
        assert cd.wait_value("shapes", "kafka", "kafka_schemas", "topic-" + orders,
                             pred=lambda v: v == 2, timeout=30) == 2
        assert cd.wait_value("shapes", "kafka", "kafka_schemas", "topic-" + events,
                             pred=lambda v: v == 2, timeout=30) == 2
        # the garbage was read (unreadable) and stayed quiet
        assert cd.wait_value("shapes", "kafka", "kafka_schema_unreadable", "topic-" + junk,
                             pred=lambda v: v > 0.5, timeout=30) > 0.5
        time.sleep(3)
        assert schema_notes(cd, junk) == []
        assert cd.last("shapes", "kafka", "kafka_schemas", "topic-" + junk) == 0
        assert len(schema_notes(cd, orders)) == 1 and len(schema_notes(cd, events)) == 1
        byts = [v[0] for _, v in cd.values("shapes", "kafka", "kafka_schema_bytes", "topic-" + junk)]
        assert max(byts) <= 5 * 200, byts


def test_large_batches_are_sampled_on_every_partition_at_once():
    """Records written in large batches (kafkactl's producer sends each
    partition's 5,000 messages as one ~58 KB batch: librdkafka's linger.ms
    and batch.num.messages defaults) are sampled on every partition at the
    first collection. The partitions' reads share one queue; a bound of
    SchemaRecords queued records held every other partition back until
    librdkafka looked again, a second later, so a collection (Timeout 2)
    sampled a few partitions only. 100 partitions: when the first fetch
    went out after every partition was started, it held them all (1 of 2
    runs with 10 partitions, 1 of 3 with 30; 0 of 4 with 100)."""
    topic = uniq("batches")
    partitions = 100
    kafkactl("create-topic", topic, partitions, 1)
    for p in range(partitions):
        kafkactl("produce", topic, p, 5000)
    conf = """
<Plugin kafka>
  <Cluster "batches">
    Brokers "%s"
    Timeout 2
    TopicsInclude "^%s$"
    Groups false
    SchemaTopics "^%s$"
  </Cluster>
</Plugin>
""" % (bootstrap(), topic, topic)
    with Collectd(conf, plugins=("kafka",)) as cd:
        cd.wait_value("batches", "kafka", "kafka_schema_records", "topic-" + topic)
        recs = [v[0] for _, v in cd.values("batches", "kafka", "kafka_schema_records", "topic-" + topic)]
        # SchemaRecords (10) of each partition, all in the first collection
        assert recs[0] == 10 * partitions, recs


def test_large_records_up_to_schema_bytes_are_sampled_at_once():
    """SchemaBytes near its 16 MiB maximum, records of 0.9 MB: a round of
    7 partitions x 10 records is 63 MB from one leader. The broker answered
    50 MiB of it in one response (librdkafka's fetch.max.bytes), whose
    records filled the readers' 16 MiB queue bound, so the two partitions
    left out of it waited a second for the broker thread: the round took
    1.1 s. A response is now at most half the queue's bound, which is
    twice SchemaBytes when that is more than 16 MiB: every partition is
    read within a Timeout of 1 s."""
    topic = uniq("large")
    partitions, size = 7, 900000
    kafkactl("create-topic", topic, partitions, 1)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "records")
        with open(path, "w") as f:
            for i in range(10):
                f.write('{"id":%d,"blob":"%s"}\n' % (i, "x" * size))
        for p in range(partitions):
            subprocess.run(["kcat", "-b", bootstrap(), "-P", "-t", topic, "-p", str(p), "-l", path,
                            "-X", "message.max.bytes=2000000"], check=True, timeout=120)
    conf = """
<Plugin kafka>
  <Cluster "large">
    Brokers "%s"
    Timeout 1
    TopicsInclude "^%s$"
    Groups false
    SchemaTopics "^%s$"
    SchemaBytes 16777216
  </Cluster>
</Plugin>
""" % (bootstrap(), topic, topic)
    with Collectd(conf, plugins=("kafka",)) as cd:
        cd.wait_value("large", "kafka", "kafka_schema_records", "topic-" + topic)
        recs = [v[0] for _, v in cd.values("large", "kafka", "kafka_schema_records", "topic-" + topic)]
        secs = [v[0] for _, v in cd.values("large", "kafka", "kafka_read_seconds", "cluster")]
        # SchemaRecords (10) of each partition, all in the first collection
        assert recs[0] == 10 * partitions, (recs, secs)
