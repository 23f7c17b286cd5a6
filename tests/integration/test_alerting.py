"""Alerts and metrics into the stacks fleets run, with Debian's own servers:
the shipped recipe (collectd.conf.d/alertmanager.conf and
alertmanager-notify) turns a collectd WARNING into a firing alert in a real
Alertmanager with the right labels and the OKAY into its resolution; a real
Prometheus scrapes collectd's write_prometheus and a PromQL query returns a
group's lag and the ml plugin's derived series."""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from harness import SRC, Collectd, Unixsock, bootstrap, kafkactl, readable_copy, wait_for

AM = shutil.which("prometheus-alertmanager")
PROM = shutil.which("prometheus")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read().decode())
    except (OSError, ValueError):
        return None


class Server:
    """A server started on a free port with its own data directory, stopped
    by PID (its own process group)."""

    def __init__(self, name, argv_for, ready_path, port=None):
        self.dir = tempfile.mkdtemp(prefix="kml-%s." % name, dir=os.environ.get("KML_RUN_DIR") or None)
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = os.path.join(self.dir, "server.log")
        self.proc = subprocess.Popen(argv_for(self), stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_for(lambda: self.proc.poll() is not None or self.ready(ready_path), 60, name + " to start")
        if self.proc.poll() is not None:
            raise AssertionError("%s exited:\n%s" % (name, open(self.log).read()[-3000:]))

    def ready(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def alertmanager(port=None):
    def argv(s):
        conf = os.path.join(s.dir, "alertmanager.yml")
        with open(conf, "w") as f:
            f.write("route:\n  receiver: none\n  group_wait: 1s\nreceivers:\n  - name: none\n")
        return [AM, "--config.file=" + conf, "--storage.path=" + os.path.join(s.dir, "data"),
                "--web.listen-address=127.0.0.1:%d" % s.port, "--cluster.listen-address=", "--log.level=warn"]
    return Server("alertmanager", argv, "/-/ready", port)


def prometheus(target):
    def argv(s):
        conf = os.path.join(s.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: collectd\n    honor_labels: true\n    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        return [PROM, "--config.file=" + conf, "--storage.tsdb.path=" + os.path.join(s.dir, "data"),
                "--web.listen-address=127.0.0.1:%d" % s.port, "--log.level=warn"]
    return Server("prometheus", argv, "/-/ready")


def recipe(am_url):
    """collectd.conf.d/alertmanager.conf pointed at a readable copy of the
    script and at am_url."""
    with open(os.path.join(SRC, "collectd.conf.d", "alertmanager.conf")) as f:
        text = f.read()
    script = readable_copy(os.path.join(SRC, "collectd.conf.d", "alertmanager-notify"))
    text = text.replace("/usr/libexec/collectd-kafka-ml/alertmanager-notify", script)
    text = text.replace('"http://127.0.0.1:9093"', '"%s"' % am_url)
    assert script in text and am_url in text
    return text.replace("LoadPlugin exec\n", "")


def collectd_with_unixsock(recipe_text):
    """A collectd (not started) with only the recipe and a unixsock socket
    to hand it notifications (PUTNOTIF); (collectd, socket path)."""
    cd = Collectd("", interval=1, plugins=())
    sock = os.path.join(cd.dir, "sock")
    with open(cd.conf, "a") as f:
        f.write('LoadPlugin unixsock\n<Plugin unixsock>\n  SocketFile "%s"\n</Plugin>\nLoadPlugin exec\n%s\n'
                % (sock, recipe_text))
    return cd, sock


def am_alerts(am, **labels):
    out = get_json(am.url + "/api/v2/alerts") or []
    return [a for a in out if all(a["labels"].get(k) == v for k, v in labels.items())]


@pytest.mark.skipif(not AM, reason="prometheus-alertmanager is not installed (tools/setup)")
def test_warning_fires_in_alertmanager_and_okay_resolves_it():
    topic, group = "am-%s" % uuid.uuid4().hex[:8], "g-am-%s" % uuid.uuid4().hex[:8]
    kafkactl("create-topic", topic, 1, 1)
    kafkactl("produce", topic, 0, 50)
    kafkactl("commit", group, topic, 0, 10)
    am = alertmanager()
    try:
        body = """
LoadPlugin exec
%s
<Plugin kafka>
  <Cluster "amtest">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^%s$"
    GroupsInclude "^%s$"
    LagSLASeconds 2
  </Cluster>
</Plugin>
""" % (recipe(am.url), bootstrap(), topic, group)
        with Collectd(body, interval=1, plugins=("kafka",)) as cd:
            want = {"alertname": "kafka_lag_seconds", "host": "amtest", "plugin": "kafka",
                    "plugin_instance": "group-" + group, "type": "kafka_lag_seconds"}
            alerts = wait_for(lambda: am_alerts(am, **want), 60, "the SLA warning in Alertmanager")
            assert len(alerts) == 1, alerts
            a = alerts[0]
            assert a["labels"]["severity"] == "warning"
            assert "type_instance" not in a["labels"]
            assert a["status"]["state"] == "active"
            assert "over its SLA" in a["annotations"]["summary"]
            assert a["annotations"]["group"] == group
            # the group catches up: the OKAY resolves the alert
            kafkactl("commit", group, topic, 0, 50)
            wait_for(lambda: not am_alerts(am, **want), 60, "the OKAY to resolve the alert")
            assert re.search(r"Notification: severity = OKAY[^\n]*group-%s[^\n]*kafka_lag_seconds" % group,
                             cd.log_text())
            assert "alertmanager-notify" not in cd.log_text(), cd.log_text()
    finally:
        am.stop()


@pytest.mark.skipif(not AM, reason="prometheus-alertmanager is not installed (tools/setup)")
def test_notification_fields_become_labels_and_escalation_replaces():
    """Every identifier field, meta data and severity changes, as PUTNOTIF
    through collectd's own unixsock hands them to the recipe."""
    am = alertmanager()
    try:
        cd, sock = collectd_with_unixsock(recipe(am.url))
        with cd:
            wait_for(lambda: os.path.exists(sock), 20, "the unixsock socket")

            def putnotif(sev):
                with Unixsock(sock) as u:
                    u.send('PUTNOTIF severity=%s time=%d host=h1 plugin=ml plugin_instance=kafka-group-a '
                           'type=kafka_lag_seconds type_instance=max message="%s lag"' % (sev, time.time(), sev))

            want = {"host": "h1", "plugin": "ml", "plugin_instance": "kafka-group-a",
                    "type": "kafka_lag_seconds", "type_instance": "max"}
            putnotif("warning")
            a = wait_for(lambda: am_alerts(am, **want), 30, "the warning")
            assert [x["labels"]["severity"] for x in a] == ["warning"]
            putnotif("failure")
            wait_for(lambda: [x["labels"]["severity"] for x in am_alerts(am, **want)] == ["failure"], 30,
                     "the failure to replace the warning")
            putnotif("okay")
            wait_for(lambda: am_alerts(am, **want) == [], 30, "the okay to resolve")
    finally:
        am.stop()


@pytest.mark.skipif(not AM, reason="prometheus-alertmanager is not installed (tools/setup)")
def test_alert_outlasting_its_ttl_stays_active_until_the_okay():
    """collectd sends a change once; the recipe's --refresh line posts the
    alerts still firing again every ttl/4, so an incident longer than --ttl
    stays active in Alertmanager (without it, Alertmanager resolves it by
    itself at endsAt). The OKAY ends the alert and its refreshes; an alert
    whose notification predates this collectd's start is not refreshed."""
    am = alertmanager()
    try:
        text = recipe(am.url).replace('"%s"' % am.url, '"%s" "--ttl" "8"' % am.url)
        assert text.count('"--ttl" "8"') == 2 and '"--refresh"' in text, text
        cd, sock = collectd_with_unixsock(text)
        with cd:
            wait_for(lambda: os.path.exists(sock), 20, "the unixsock socket")

            def putnotif(sev, host, t):
                with Unixsock(sock) as u:
                    u.send('PUTNOTIF severity=%s time=%d host=%s plugin=kafka plugin_instance=group-ttl '
                           'type=kafka_lag_seconds message="%s lag"' % (sev, t, host, sev))

            putnotif("warning", "ttl-old", time.time() - 600)  # from before this collectd
            putnotif("warning", "ttl-now", time.time())
            wait_for(lambda: am_alerts(am, host="ttl-now"), 30, "the warning")
            time.sleep(24)  # three times --ttl
            a = am_alerts(am, host="ttl-now")
            assert len(a) == 1 and a[0]["status"]["state"] == "active", a
            ends = datetime.datetime.fromisoformat(a[0]["endsAt"].replace("Z", "+00:00")).timestamp()
            assert ends > time.time(), a
            assert am_alerts(am, host="ttl-old") == [], am_alerts(am, host="ttl-old")
            putnotif("okay", "ttl-now", time.time())
            wait_for(lambda: am_alerts(am, host="ttl-now") == [], 30, "the okay to resolve")
            time.sleep(6)  # three refresh rounds: none fires it again
            assert am_alerts(am, host="ttl-now") == []
            assert "alertmanager-notify" not in cd.log_text(), cd.log_text()
    finally:
        am.stop()


def test_refresh_ends_when_collectd_no_longer_reads_it(tmp_path):
    """--refresh runs as long as collectd reads its standard output (exec's
    pipe), here a pipe of the test's: it exits once the pipe has no reader,
    also when there was none from its start (collectd -T exits after one
    read, possibly before the script has started), though its parent (the
    test) still runs."""
    script = os.path.join(SRC, "collectd.conf.d", "alertmanager-notify")
    env = dict(os.environ, TMPDIR=str(tmp_path))
    for reader_closed_first in (True, False):
        r, w = os.pipe()
        if reader_closed_first:
            os.close(r)
        p = subprocess.Popen([script, "--refresh", "--ttl", "4", "http://127.0.0.1:9"], stdout=w,
                             stderr=subprocess.PIPE, env=env, start_new_session=True)
        os.close(w)
        try:
            if not reader_closed_first:
                time.sleep(3)  # a reader: it keeps running
                assert p.poll() is None, p.stderr.read()
                os.close(r)
            assert p.wait(timeout=15) == 0, p.stderr.read()
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.mark.skipif(not AM, reason="prometheus-alertmanager is not installed (tools/setup)")
def test_notify_retries_while_alertmanager_is_down_and_never_overtakes_a_newer_one(tmp_path):
    """The script as collectd's exec plugin runs it, while Alertmanager is
    down: a FAILURE keeps retrying; the OKAY of the same alert started
    after it ends those retries (a late FAILURE must not re-fire a
    resolved alert); another alert's WARNING is delivered once Alertmanager
    is up, and the OKAY resolves its own."""
    script = os.path.join(SRC, "collectd.conf.d", "alertmanager-notify")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    env = dict(os.environ, TMPDIR=str(tmp_path))  # the script's newest-notification files

    def notify(sev, t, instance):
        text = ("Severity: %s\nTime: %.3f\nHost: h1\nPlugin: kafka\nPluginInstance: %s\n"
                "Type: kafka_lag_seconds\n\n%s lag\n" % (sev, t, instance, sev))
        p = subprocess.Popen([script, url, "--retry", "60"], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, text=True, start_new_session=True)
        p.stdin.write(text)
        p.stdin.close()
        return p

    procs = []
    am = None
    try:
        t = time.time()
        failure = notify("FAILURE", t, "group-a")
        other = notify("WARNING", t, "group-b")
        procs += [failure, other]
        time.sleep(2)  # both tried and failed at least once
        assert failure.poll() is None and other.poll() is None
        okay = notify("OKAY", t + 1, "group-a")
        procs.append(okay)
        # the FAILURE stops retrying, with Alertmanager still down
        assert failure.wait(timeout=30) == 0, failure.stderr.read()
        assert other.poll() is None and okay.poll() is None
        am = alertmanager(port)
        assert okay.wait(timeout=60) == 0, okay.stderr.read()
        assert other.wait(timeout=60) == 0, other.stderr.read()
        wait_for(lambda: am_alerts(am, plugin_instance="group-b"), 30, "the retried warning")
        assert [a["labels"]["severity"] for a in am_alerts(am, plugin_instance="group-b")] == ["warning"]
        time.sleep(2)
        assert am_alerts(am, plugin_instance="group-a") == []
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if am is not None:
            am.stop()


@pytest.mark.skipif(not PROM, reason="prometheus is not installed (tools/setup)")
def test_prometheus_scrapes_group_lag_and_ml_series():
    topic, group = "prom-%s" % uuid.uuid4().hex[:8], "g-prom-%s" % uuid.uuid4().hex[:8]
    kafkactl("create-topic", topic, 2, 1)
    kafkactl("produce", topic, 0, 30)
    kafkactl("produce", topic, 1, 12)
    kafkactl("commit", group, topic, 0, 5, 1, 2)
    port = free_port()
    with open(os.path.join(SRC, "collectd.conf.d", "prometheus.conf")) as f:
        wp = f.read().replace("LoadPlugin write_prometheus\n", "").replace(
            'Port "9103"', 'Host "127.0.0.1"\n  Port "%d"' % port)
    body = """
LoadPlugin write_prometheus
%s
<Plugin kafka>
  <Cluster "promtest">
    Brokers "%s"
    Timeout 3
    TopicsInclude "^%s$"
    GroupsInclude "^%s$"
  </Cluster>
</Plugin>
<Plugin ml>
  <Match "lag">
    Plugin "^kafka$"
    Type "^kafka_lag$"
    TypeInstance "^total$"
    Models "anomaly"
    DerivedValues true
  </Match>
</Plugin>
""" % (wp, bootstrap(), topic, group)
    with Collectd(body, interval=1) as cd:
        prom = prometheus("127.0.0.1:%d" % port)
        try:
            def query(q):
                r = get_json(prom.url + "/api/v1/query?" + urllib.parse.urlencode({"query": q}))
                return r["data"]["result"] if r and r.get("status") == "success" else []

            q = 'collectd_kafka_kafka_lag{instance="promtest",kafka="group-%s",type="total"}' % group
            res = wait_for(lambda: query(q), 60, "the group's lag in Prometheus")
            assert float(res[0]["value"][1]) == 35
            per_partition = wait_for(lambda: query(
                'sum(collectd_kafka_kafka_lag{kafka="group-%s",type=~"%s-[0-9]+"})' % (group, topic)), 30,
                "per-partition lag")
            assert float(per_partition[0]["value"][1]) == 35
            ml = wait_for(lambda: query('collectd_ml_ml_expected{ml="kafka-group-%s"}' % group), 60,
                          "an ml derived series in Prometheus")
            assert ml[0]["metric"]["type"] == "kafka_lag-total"
            names = {r["metric"]["__name__"] for r in query('{instance="promtest"}')}
            assert "collectd_kafka_kafka_offset_total" in names, sorted(names)
        finally:
            prom.stop()
        assert cd.proc.poll() is None


def test_recipe_names_bad_input_and_unreachable_alertmanager():
    script = os.path.join(SRC, "collectd.conf.d", "alertmanager-notify")
    cases = [
        (["http://127.0.0.1:9"], "Severity: BOGUS\nTime: 1\n\nm\n", 2, "unknown severity 'BOGUS'"),
        (["http://127.0.0.1:9"], "Severity: WARNING\nTime: soon\n\nm\n", 2, "unparsable time 'soon'"),
        (["--ttl", "0", "http://127.0.0.1:9"], "", 2, "--ttl must be positive"),
        (["--label", "novalue", "http://127.0.0.1:9"], "", 2, "--label needs K=V"),
        (["--retry", "-1", "http://127.0.0.1:9"], "", 2, "--retry must be 0 or more"),
        (["--retry", "0", "http://127.0.0.1:%d" % free_port()], "Severity: WARNING\nTime: 1\n\nm\n", 1,
         "Connection refused"),
        (["--retry", "2", "http://127.0.0.1:%d" % free_port()], "Severity: WARNING\nTime: 1\n\nm\n", 1,
         "Connection refused (retried for 2 s)"),
    ]
    tmp = tempfile.mkdtemp(prefix="kml-am-notify.")  # the script's newest-notification files
    try:
        for args, stdin, rc, msg in cases:
            p = subprocess.run([script] + args, input=stdin, capture_output=True, text=True, timeout=30,
                               env=dict(os.environ, TMPDIR=tmp))
            assert p.returncode == rc and msg in p.stderr, (args, p.returncode, p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
