"""The kafka plugin against a broker with SASL (PLAIN, SCRAM-SHA-512), TLS
(a CA made by tests/kafka/cluster with openssl) and ACLs (KRaft's
StandardAuthorizer): it connects through Property lines, names the cause
when a password or a certificate is refused, never logs a secret, and a
group the ACLs deny is reported once while the rest of the collection stays
complete; a TLS listener behind a proxy that accepts connections and then
stalls (a hung load balancer) costs each read no more than Timeout, pages
once naming the stalled handshake, and clears when the proxy forwards."""
import os
import re
import subprocess
import tempfile
import time
import uuid

import pytest

from harness import CLUSTER, Collectd, StallingProxy, kafkactl, wait_for


def uniq(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def secure():
    """A one-broker cluster with every listener and ACLs on, for this module.
    The user "monitor" may describe the cluster, topics and groups, except
    the group in "denied"; "admin" and the plain listener are super users."""
    d = tempfile.mkdtemp(prefix="kml-secure-kafka.", dir=os.environ.get("KML_RUN_DIR") or None)
    boot = subprocess.check_output([CLUSTER, "start", "--acl", "--dir", d], text=True, timeout=180).strip()
    try:
        def lst(name):
            return subprocess.check_output([CLUSTER, "bootstrap", "--dir", d, "--listener", name], text=True).strip()

        sec = os.path.join(d, "security")
        info = {
            "dir": d, "plain": boot, "sasl": lst("sasl"), "ssl": lst("ssl"), "sasl_ssl": lst("sasl_ssl"),
            "ca": os.path.join(sec, "ca.pem"), "denied": uniq("denied"),
            "secrets": [open(os.path.join(sec, f)).read().strip()
                        for f in ("monitor.password", "admin.password", "keystore.password")],
        }
        info["monitor"] = info["secrets"][0]
        acls = [
            ["--allow-principal", "User:monitor", "--operation", "Describe", "--operation", "DescribeConfigs",
             "--cluster"],
            ["--allow-principal", "User:monitor", "--operation", "Describe", "--operation", "Read",
             "--operation", "DescribeConfigs", "--topic", "*"],
            ["--allow-principal", "User:monitor", "--operation", "Describe", "--operation", "Read",
             "--group", "*"],
            ["--deny-principal", "User:monitor", "--operation", "All", "--group", info["denied"]],
        ]
        for a in acls:
            subprocess.run([CLUSTER, "acl", "--dir", d, "--", "--add", "--force"] + a, check=True,
                           capture_output=True, timeout=120)
        yield info
    finally:
        subprocess.call([CLUSTER, "stop", "--dir", d])
        subprocess.call(["rm", "-rf", d])


def cluster_block(name, brokers, props, extra=""):
    lines = ['  <Cluster "%s">' % name, '    Brokers "%s"' % brokers, "    Timeout 3", extra]
    lines += ['    Property "%s" "%s"' % kv for kv in props]
    lines.append("  </Cluster>")
    return "\n".join(lines)


def assert_no_secret(cd, secrets):
    """After the daemon stopped: nothing it logged or printed holds a secret."""
    cd.stop()
    with open(os.path.join(cd.dir, "stdout"), errors="replace") as f:
        text = cd.log_text() + f.read()
    for s in secrets:
        assert s not in text, "a secret appears in the collectd log or output"


def test_sasl_and_tls_connect_and_refusals_name_their_cause(secure):
    topic, group = uniq("sec"), uniq("g-sec")
    kafkactl("create-topic", topic, 2, 1, boot=secure["plain"])
    kafkactl("produce", topic, 0, 30, boot=secure["plain"])
    kafkactl("commit", group, topic, 0, 10, 1, 0, boot=secure["plain"])
    pw = secure["monitor"]
    wrong = "Wr0ng-" + uuid.uuid4().hex[:10]
    good = {
        "plain": (secure["sasl"], [("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanisms", "PLAIN"),
                                   ("sasl.username", "monitor"), ("sasl.password", pw)]),
        "scram": (secure["sasl"], [("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanisms", "SCRAM-SHA-512"),
                                   ("sasl.username", "monitor"), ("sasl.password", pw)]),
        "tls": (secure["ssl"], [("security.protocol", "SSL"), ("ssl.ca.location", secure["ca"])]),
        "sasltls": (secure["sasl_ssl"], [("security.protocol", "SASL_SSL"), ("ssl.ca.location", secure["ca"]),
                                         ("sasl.mechanisms", "SCRAM-SHA-512"), ("sasl.username", "monitor"),
                                         ("sasl.password", pw)]),
    }
    bad = {
        # name: (brokers, properties, what the log line must say)
        "badplain": (secure["sasl"], [("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanisms", "PLAIN"),
                                      ("sasl.username", "monitor"), ("sasl.password", wrong)],
                     "authentication failed"),
        "badscram": (secure["sasl_ssl"], [("security.protocol", "SASL_SSL"), ("ssl.ca.location", secure["ca"]),
                                          ("sasl.mechanisms", "SCRAM-SHA-512"), ("sasl.username", "monitor"),
                                          ("sasl.password", wrong)],
                     "authentication failed"),
        # the system's CAs do not know the test CA
        "untrusted": (secure["ssl"], [("security.protocol", "SSL")], "certificate is not trusted"),
        # SASL against the plaintext listener: no mechanism offered, not a wrong password
        "nosasl": (secure["plain"], [("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanisms", "PLAIN"),
                                     ("sasl.username", "monitor"), ("sasl.password", wrong)],
                   "the listener does not use SASL"),
    }
    blocks = [cluster_block(n, b, p, 'TopicsInclude "^%s$"' % topic) for n, (b, p) in good.items()]
    # plaintext against the TLS listener: the broker drops the connection
    # before answering; a broker going down does the same, so it is named
    # in the unreachable FAILURE only, not logged as an error of its own
    blocks.append(cluster_block("plaintotls", secure["ssl"], [], 'TopicsInclude "^%s$"' % topic))
    # and TLS against the plaintext listener: closed during the handshake,
    # as a broker or load balancer going down closes it
    blocks.append(cluster_block("tlstoplain", secure["plain"], good["tls"][1], 'TopicsInclude "^%s$"' % topic))
    blocks += [cluster_block(n, b, p, 'TopicsInclude "^%s$"' % topic) for n, (b, p, _) in bad.items()]
    body = "<Plugin kafka>\n%s\n</Plugin>\n" % "\n".join(blocks)
    with Collectd(body, interval=2, plugins=("kafka",)) as cd:
        for name in good:
            assert cd.wait_value(name, "kafka", "kafka_up", "cluster", pred=lambda v: v == 1, timeout=60) == 1
            assert cd.wait_value(name, "kafka", "kafka_brokers", "cluster") == 1
            assert cd.wait_value(name, "kafka", "kafka_lag", "group-" + group, "%s-0" % topic,
                                 timeout=30) == 20, name
        for name, (_, _, cause) in bad.items():
            pat = re.compile(r"\[error\] kafka plugin: cluster %s: [^\n]*%s" % (name, re.escape(cause)))
            wait_for(lambda: pat.search(cd.log_text()), 60, "a log line naming the cause for %s" % name)
            assert cd.last(name, "kafka", "kafka_up", "cluster") in (None, 0)
        wait_for(lambda: re.search(r"kafka plugin: cluster plaintotls: Kafka cluster unreachable at %s: "
                                   r"closed before any answer \(plaintext client at a TLS listener\?\)"
                                   % re.escape(secure["ssl"]), cd.log_text()),
                 60, "the unreachable FAILURE naming the protocol for plaintotls")
        wait_for(lambda: re.search(r"kafka plugin: cluster tlstoplain: Kafka cluster unreachable at %s: "
                                   r"closed during the TLS handshake \(TLS client at a plaintext listener\?\)"
                                   % re.escape(secure["plain"]), cd.log_text()),
                 60, "the unreachable FAILURE naming the protocol for tlstoplain")
        # several failed reconnects later, still one line per cause and cluster
        time.sleep(8)
        log = cd.log_text()
        for name, (_, _, cause) in bad.items():
            # (the unreachable notification's own line names the cause too)
            n = len(re.findall(r"\[error\] kafka plugin: cluster %s: [^\n]*%s" % (name, re.escape(cause)), log))
            assert n == 1, (name, n)
        assert not re.search(r"cluster nosasl: [^\n]*authentication failed", log), "blamed the password"
        for name in ("plaintotls", "tlstoplain"):
            assert not re.search(r"\[error\] kafka plugin: cluster %s: (?!Kafka cluster unreachable)" % name, log)
        assert_no_secret(cd, secure["secrets"] + [wrong])


def test_acl_denied_group_reported_once_rest_complete(secure):
    topic = uniq("acl")
    groups = [uniq("g-acl") for _ in range(3)]
    denied = secure["denied"]
    kafkactl("create-topic", topic, 2, 1, boot=secure["plain"])
    kafkactl("produce", topic, 0, 40, boot=secure["plain"])
    kafkactl("produce", topic, 1, 40, boot=secure["plain"])
    for i, g in enumerate(groups + [denied]):
        kafkactl("commit", g, topic, 0, 10 + i, 1, 20, boot=secure["plain"])
    props = [("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanisms", "SCRAM-SHA-512"),
             ("sasl.username", "monitor"), ("sasl.password", secure["monitor"])]
    selected = "^(%s)$" % "|".join(groups + [denied])
    # Group ACLs bind the admin API. The monitor user may read every topic,
    # __consumer_offsets included, and whoever reads that topic sees every
    # group's commits (as Burrow does): the denial shows on the admin path.
    body = "<Plugin kafka>\n%s\n</Plugin>\n" % cluster_block(
        "acl", secure["sasl"], props,
        'TopicsInclude "^%s$"\n    GroupsInclude "%s"\n    OffsetsSource "admin"' % (topic, selected))
    interval = 2
    with Collectd(body, interval=interval, plugins=("kafka",)) as cd:
        for i, g in enumerate(groups):
            assert cd.wait_value("acl", "kafka", "kafka_lag", "group-" + g, "%s-0" % topic,
                                 timeout=60) == 30 - i
        t0 = time.time()
        time.sleep(6 * interval)
        t1 = time.time()
        log = cd.log_text()
        # every allowed group has its values in every interval of the window
        for i, g in enumerate(groups):
            for ti, want in (("%s-0" % topic, 30 - i), ("%s-1" % topic, 20), ("total", 50 - i)):
                rows = [r for r in cd.values("acl", "kafka", "kafka_lag", "group-" + g, ti) if t0 <= r[0] <= t1]
                assert len(rows) >= 4, (g, ti, len(rows))
                assert all(r[1][0] == want for r in rows), (g, ti, rows)
        # the topic's values are complete too
        assert cd.last("acl", "kafka", "kafka_offset", "topic-" + topic, "%s-0" % topic) == 40
        # the denied group: one log line for the whole run
        lines = [ln for ln in log.splitlines() if denied in ln]
        assert len(lines) == 1, lines
        assert re.search(r"authoriz|denied|not authorized", lines[0], re.I), lines[0]
        assert_no_secret(cd, secure["secrets"])


def test_stalled_tls_handshake_never_blocks_a_read(secure):
    """A proxy in front of the TLS listener accepts each connection and then
    answers nothing, another does the same in front of the plaintext one.
    Every read of the clusters behind them ends within Timeout at every
    interval (collectd never warns that a read took longer than its
    interval), the cluster beside them keeps its values, each unreachable
    FAILURE says that the connection was accepted and what went
    unanswered; once the TLS proxy forwards one OKAY follows, with no error
    line for the connections it held and then closed, and collectd stops
    promptly while the other proxy still stalls."""
    interval, timeout = 2, 1.5
    topic = uniq("stall")
    kafkactl("create-topic", topic, 1, 1, boot=secure["plain"])
    kafkactl("produce", topic, 0, 5, boot=secure["plain"])
    tls = [("security.protocol", "SSL"), ("ssl.ca.location", secure["ca"])]

    def block(name, brokers, props):
        return "\n".join(['  <Cluster "%s">' % name, '    Brokers "%s"' % brokers, "    Timeout %g" % timeout,
                          '    TopicsInclude "^%s$"' % topic, "    Groups false"]
                         + ['    Property "%s" "%s"' % kv for kv in props] + ["  </Cluster>"])

    def events(cd, host):
        return [n for n in cd.notifications() if n.get("Host") == host and n.get("Type") == "kafka_up"]

    stalled = {"stalled": r"TLS handshake not answered in time \(the connection was accepted\)",
               "stalledplain": r"no answer after the connection was accepted"}
    with StallingProxy(secure["ssl"]) as proxy, StallingProxy(secure["plain"]) as plain:
        body = "<Plugin kafka>\n%s\n</Plugin>\n" % "\n".join(
            [block("stalled", proxy.address, tls), block("stalledplain", plain.address, []),
             block("beside", secure["ssl"], tls)])
        with Collectd(body, interval=interval, plugins=("kafka",), notify_exec=True) as cd:
            t0 = time.time()
            for name in stalled:
                wait_for(lambda: events(cd, name), 30, "the unreachable FAILURE of " + name)
            time.sleep(4 * interval)
            t1 = time.time()
            for p in (proxy, plain):
                assert p.accepted >= 1 and p.forwarded == 0, "the proxy was not in the way"
            for name, address in (("stalled", proxy.address), ("stalledplain", plain.address)):
                reads = [(t, v[0]) for t, v in cd.values(name, "kafka", "kafka_read_seconds", "cluster")
                         if t0 - interval <= t <= t1]
                # one read per interval, each ended by Timeout well before
                # the next interval (the slack is a loaded host's scheduling;
                # a read waiting for the handshake would take the interval)
                assert len(reads) >= (t1 - t0) / interval - 1, (name, reads)
                assert max(v for _, v in reads) <= timeout + 0.45, (name, reads)
                assert cd.last(name, "kafka", "kafka_up", "cluster") == 0
                fail = events(cd, name)
                assert [n["Severity"] for n in fail] == ["FAILURE"], fail
                assert re.search(r"^Kafka cluster unreachable at %s: %s \("
                                 % (re.escape(address), stalled[name]), fail[0]["message"]), fail[0]["message"]
            beside = [r for r in cd.values("beside", "kafka", "kafka_up", "cluster") if t0 <= r[0] <= t1]
            assert len(beside) >= (t1 - t0) / interval - 1 and all(v[0] == 1 for _, v in beside), beside

            proxy.forward()
            wait_for(lambda: len(events(cd, "stalled")) == 2, 30, "the OKAY of the stalled cluster")
            assert [n["Severity"] for n in events(cd, "stalled")] == ["FAILURE", "OKAY"]
            assert cd.wait_value("stalled", "kafka", "kafka_offset", "topic-" + topic, "%s-0" % topic) == 5
            assert proxy.forwarded >= 1
            assert events(cd, "beside") == []
            log = cd.log_text()
            assert "read-function of the `kafka/" not in log, log
            # the connections the proxy held are closed as it forwards: a
            # recovery, not a TLS error
            assert not re.search(r"\[error\] kafka plugin: cluster stalled", log), log
            # a list of one address: the FAILURE names it, no warning repeats it
            assert "Brokers address" not in log, log
            # a client whose connection is still held lets collectd go
            t = time.time()
            cd.stop()
            assert time.time() - t < 5, time.time() - t
