"""The raw Kafka name rides in the kafka_name meta data only on values
whose identifier had to change it: collectd's value cache keeps a copy of
every value list's meta data, so a name the identifier already holds as it
is must not cost a copy per series. Seen through write_log's JSON, which
prints each value list with its meta data."""
import json
import re
import uuid

from harness import Collectd, bootstrap, kafkactl, wait_for


def value_lists(cd):
    """Every value list write_log printed so far."""
    out = []
    for m in re.finditer(r"write_log values:\s*(\[.*?\])\s*$", cd.log_text(), re.M):
        out += json.loads(m.group(1))
    return out


def test_kafka_name_only_where_the_identifier_changed_it():
    u = uuid.uuid4().hex[:8]
    topic, plain, odd = "meta-" + u, "g-meta-" + u, "g/meta " + u
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 10)
    for g in (plain, odd):
        kafkactl("commit", g, topic, 0, 4)
    body = """
LoadPlugin write_log
<Plugin write_log>
  Format JSON
</Plugin>
<Plugin kafka>
  <Cluster "meta">
    Brokers "%s"
    TopicsInclude "^%s$"
    GroupsInclude "^g.meta.%s$"
  </Cluster>
</Plugin>
""" % (bootstrap(), topic, u)
    with Collectd(body, plugins=("kafka",)) as cd:
        def lags():
            got = {}
            for vl in value_lists(cd):
                if vl["type"] == "kafka_lag" and vl["type_instance"] == topic + "-0":
                    got[vl["plugin_instance"]] = vl
            return len(got) == 2 and got
        got = wait_for(lags, 60, "the lag of both groups in write_log's output")
        exact = got["group-" + plain]
        assert exact["values"] == [6] and "meta" not in exact, exact
        (changed,) = [vl for pi, vl in got.items() if pi != "group-" + plain]
        assert changed["values"] == [6], changed
        assert changed["meta"] == {"kafka_name": odd}, changed
        # topics' names are valid identifiers: no topic value carries meta data
        topic_values = [vl for vl in value_lists(cd) if vl["plugin_instance"] == "topic-" + topic]
        assert topic_values and all("meta" not in vl for vl in topic_values)
