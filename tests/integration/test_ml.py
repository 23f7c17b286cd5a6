"""The ml plugin through a real collectd: a series fed by the exec plugin,
notifications in the log and at an exec NotificationExec script, OKAY after
recovery, derived values, and learned state kept across kill -9; peers that
name a hot broker, and stay quiet on a healthy cluster with the shipped
snippets."""
import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from harness import KAFKACTL, SRC, Collectd, Unixsock, bootstrap, kafkactl, readable_copy, wait_for

FEEDER = readable_copy(os.path.join(SRC, "tests", "integration", "feeder.py"))


def ml_config(state_file, feed_args, t0=None, extra="", season=0):
    return """
<Plugin exec>
  Exec "nobody" "/usr/bin/env" %s"KML_STEP=300" "KML_SEASON=%g" "KML_IDENT2=feeder/exec-test/gauge-twin" "/usr/bin/python3" "%s" %s
</Plugin>
<Plugin ml>
  StateFile "%s"
  StateInterval 1
  <Match "test">
    Plugin "^exec$"
    Models "anomaly"
    DerivedValues true
  </Match>
  %s
</Plugin>
""" % (('"KML_T0=%d" ' % t0) if t0 else "", season, FEEDER, " ".join('"%s"' % a for a in feed_args),
       state_file, extra)


def anomaly_notifications(cd, severity=None):
    out = []
    for n in cd.notifications():
        if n.get("Plugin") != "exec":
            continue
        if severity and n.get("Severity") != severity:
            continue
        out.append(n)
    return out


def test_anomaly_notification_then_okay_and_derived_values(tmp_path):
    state = str(tmp_path / "ml.state")
    os.chmod(str(tmp_path), 0o777)
    # Five days of a daily cycle (one value per 5 minutes), 4 values far
    # off, then the cycle again.
    cfg = ml_config(state, ["1500:50:2", "4:120:1", "300:50:2"], season=20)
    with Collectd(cfg, notify_exec=True, plugins=("ml",), write_threads=1) as cd:
        # exec delivers notifications concurrently: the twin's may come first
        bad = wait_for(lambda: [n for n in anomaly_notifications(cd)
                                if n["Severity"] in ("WARNING", "FAILURE") and n["TypeInstance"] == "signal"],
                       60, "an anomaly notification at NotificationExec")
        n = bad[0]
        assert n["Host"] == "feeder" and n["Type"] == "gauge", n
        # the series named fully (plugin and its instance, as the forecast
        # says it), numbers with about 4 digits, the rarity in plain units
        assert n["message"].startswith("anomaly in gauge signal of exec test: value "), n
        assert re.search(r"as rare as once in (more than a million years|[0-9.]+ (hours?|days?|years?)),",
                         n["message"]), n
        assert not re.search(r"\d\.\d{4}|e[+-]\d", n["message"]), n
        assert len(n["message"].encode()) <= 256
        assert float(n["meta"]["value"]) > 100, n
        assert 20 <= float(n["meta"]["expected"]) <= 80, n
        assert float(n["meta"]["p"]) < 1e-3, n
        # the twin series moved with it: named as the best correlation
        assert n["meta"].get("correlated", "").startswith("feeder/exec-test/gauge-twin/value (r=1.00"), n
        ok = wait_for(lambda: [x for x in anomaly_notifications(cd, "OKAY")
                               if x["TypeInstance"] == "signal"], 60, "the OKAY notification")
        assert ok[0]["message"].startswith("gauge signal of exec test is back to normal"), ok[0]
        # Exactly one incident: one problem notification (maybe escalated
        # WARNING -> FAILURE) and one OKAY, not one per value.
        mine = [x for x in anomaly_notifications(cd) if x["TypeInstance"] == "signal"]
        probs = [x for x in mine if x["Severity"] != "OKAY"]
        assert 1 <= len(probs) <= 2, probs
        assert [x["Severity"] for x in mine][-1] == "OKAY"
        assert len([x for x in mine if x["Severity"] == "OKAY"]) == 1
        # logfile shows it too.
        assert "anomaly in gauge signal of exec test" in cd.log_text()
        # Derived values exist and are not modeled again.
        wait_for(lambda: cd.values("feeder", "ml", "ml_score", "exec-test", "gauge-signal"), 20,
                 "derived ml_score values")
        band = cd.values("feeder", "ml", "ml_band", "exec-test", "gauge-signal")
        assert band and all(lo <= hi for _, (lo, hi) in band)
        assert "feeder/ml-exec-test" not in cd.log_text()


def test_an_anomaly_correlated_with_long_named_series_names_them_all(tmp_path):
    """The correlated series are named in one meta string: three with
    identifiers near collectd's longest (127-byte instances) once ran past
    that string's buffer and took the daemon down with the notification."""
    state = str(tmp_path / "ml.state")
    os.chmod(str(tmp_path), 0o777)
    twins = ["feeder/exec-%s/gauge-%s" % (c * 120, "t" * 120) for c in "abc"]
    cfg = ml_config(state, ["1500:50:2", "4:120:1", "300:50:2"], season=20).replace(
        "KML_IDENT2=feeder/exec-test/gauge-twin", "KML_IDENT2=" + " ".join(twins))
    assert twins[2] in cfg
    with Collectd(cfg, notify_exec=True, plugins=("ml",), write_threads=1) as cd:
        bad = wait_for(lambda: [n for n in anomaly_notifications(cd)
                                if n["Severity"] in ("WARNING", "FAILURE") and n["TypeInstance"] == "signal"],
                       60, "an anomaly notification at NotificationExec")
        corr = bad[0]["meta"].get("correlated", "")
        for twin in twins:  # each named whole, with its correlation
            assert twin + "/value (r=1.00" in corr, corr
        assert corr.count("; ") == 2, corr
        wait_for(lambda: [x for x in anomaly_notifications(cd, "OKAY") if x["TypeInstance"] == "signal"],
                 60, "the OKAY notification")
        assert cd.proc.poll() is None, cd.log_text()[-2000:]


def test_an_idle_series_with_an_open_alert_gets_its_okay(tmp_path):
    """A series that stops while its incident is open (a deleted group, a
    host gone): after IdleTimeout its model is dropped and an OKAY says
    why, or the alert would stay up for a series that no longer exists
    (alertmanager-notify --refresh keeps firing alerts active)."""
    state = str(tmp_path / "ml.state")
    os.chmod(str(tmp_path), 0o777)
    # the anomaly is the feed's last values: only going idle can end it
    cfg = ml_config(state, ["1500:50:2", "4:120:1"], season=20).replace(
        "  StateInterval 1\n", "  StateInterval 1\n  IdleTimeout 5\n")
    assert "IdleTimeout 5" in cfg
    with Collectd(cfg, notify_exec=True, plugins=("ml",), write_threads=1) as cd:
        wait_for(lambda: [n for n in anomaly_notifications(cd)
                          if n["Severity"] in ("WARNING", "FAILURE") and n["TypeInstance"] == "signal"],
                 60, "the anomaly")
        ok = wait_for(lambda: [n for n in anomaly_notifications(cd, "OKAY") if n["TypeInstance"] == "signal"],
                      60, "the OKAY of the idle series")
        assert ok[0]["meta"].get("ended") == "idle" and ok[0]["meta"].get("model") == "anomaly", ok[0]
        assert ok[0]["message"] == ("gauge signal of exec test has had no value for 5 s (IdleTimeout): "
                                    "its anomaly alert ends and its model is dropped"), ok[0]
        time.sleep(3)
        assert len([n for n in anomaly_notifications(cd, "OKAY") if n["TypeInstance"] == "signal"]) == 1


def store_shard(key):
    """The shard of the ml plugin's series store that holds key: the high
    half of kml_hash_str (FNV-1a, then murmur3's finalizer, src/kml_hash.c)
    modulo KML_STORE_SHARDS (src/ml/series.c)."""
    m = (1 << 64) - 1
    h = 14695981039346656037
    for b in key.encode():
        h = ((h ^ b) * 1099511628211) & m
    for k in (0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53):
        h = ((h ^ (h >> 33)) * k) & m
    h ^= h >> 33
    return (h >> 32) % 64


def test_learned_state_survives_kill9(tmp_path):
    state = str(tmp_path / "ml.state")
    os.chmod(str(tmp_path), 0o777)
    step = 300
    t0 = int(time.time()) - 3000 * step
    cd = Collectd(ml_config(state, ["1500:50:2"], t0=t0), notify_exec=True, plugins=("ml",), write_threads=1)
    with cd:
        wait_for(lambda: "feeder done" in cd.log_text() or
                 len(cd.values("feeder", "exec", "gauge", "test", "signal")) >= 1500, 60,
                 "the feeder to finish")
        # the state file is rewritten every second; wait for one with the series
        wait_for(lambda: os.path.exists(state) and os.path.getsize(state) > 1000, 20, "a state file")
        time.sleep(2.5)
        cd.kill9()
        assert not anomaly_notifications(cd)
    # A new daemon: the very first values after the restart are anomalous.
    # A fresh model stays silent during its warm-up; a restored one alerts.
    t1 = t0 + 1500 * step
    cd2 = Collectd(ml_config(state, ["3:120:1", "100:50:2"], t0=t1), notify_exec=True, plugins=("ml",), write_threads=1)
    with cd2:
        assert wait_for(lambda: "restored 2 series" in cd2.log_text(), 20, "state restore")
        bad = wait_for(lambda: [n for n in anomaly_notifications(cd2) if n["Severity"] != "OKAY"], 60,
                       "an anomaly right after the restart")
        assert float(bad[0]["meta"]["value"]) > 100


def test_a_value_stamped_hours_ahead_does_not_blind_the_series(tmp_path):
    """One value stamped two hours after the clock (a sender whose clock is
    ahead, a clock set back since) once became the series' last time: every
    later value was "not newer than the last" and dropped at debug level
    until the clock reached it, and the state file kept it across restarts.
    Now it is refused with a warning and the values that follow are
    modelled."""
    state = str(tmp_path / "ml.state")
    os.chmod(str(tmp_path), 0o777)
    now = int(time.time())
    cfg = ml_config(state, ["1:50:0", "30:50:2"]).replace(
        '"KML_STEP=300"', '"KML_STEP=300" "KML_T0S=%d,%d"' % (now + 7200, now - 31 * 300))
    with Collectd(cfg, notify_exec=True, plugins=("ml",), write_threads=1) as cd:
        wait_for(lambda: "stamped more than 600 s after this host's clock" in cd.log_text(), 20,
                 "the warning about the value ahead")
        assert re.search(r"\(the last: feeder/exec-test/gauge-(signal|twin)/value, 7[12]\d\d s ahead\)",
                         cd.log_text())
        scores = wait_for(lambda: [t for t, _ in cd.values("feeder", "ml", "ml_score", "exec-test", "gauge-signal")
                                   if t < now] if len(cd.values("feeder", "ml", "ml_score", "exec-test",
                                                                "gauge-signal")) >= 30 else None,
                          30, "the values after it modelled")
        assert len(scores) == 30, scores
        assert not [t for t, _ in cd.values("feeder", "ml", "ml_score", "exec-test", "gauge-signal") if t > now]


def test_corrupt_state_file_gives_warning_and_fresh_start(tmp_path):
    state = str(tmp_path / "ml.state")
    os.chmod(str(tmp_path), 0o777)
    with open(state, "wb") as f:
        f.write(b"KMLSTATE" + os.urandom(200))
    cd = Collectd(ml_config(state, ["200:50:2"]), notify_exec=True, plugins=("ml",), write_threads=1)
    with cd:
        wait_for(lambda: "starting with fresh models" in cd.log_text(), 20, "the warning")
        assert "corrupt" in cd.log_text() or "another version" in cd.log_text()
        # and it keeps working: the file is replaced by a valid one
        wait_for(lambda: os.path.getsize(state) > 1000, 30, "a new state file")


def test_forecast_warning_precedes_threshold_crossing(tmp_path):
    os.chmod(str(tmp_path), 0o777)
    state = str(tmp_path / "ml.state")
    # 200 calm values, then a ramp from 100 to 1100 over 500 values (one a
    # minute): the series crosses 1000 at about value 650.
    body = """
<Plugin exec>
  Exec "nobody" "/usr/bin/env" "KML_STEP=60" "KML_IDENT=feeder/exec-lag/gauge-growing" "/usr/bin/python3" "%s" "200:100:2" "ramp:500:100:1100:2"
</Plugin>
<Plugin ml>
  StateFile "%s"
  <Match "lag">
    Plugin "^exec$"
    Models "forecast"
    Forecast "30m"
    Threshold 1000
    DerivedValues true
  </Match>
</Plugin>
""" % (FEEDER, state)
    with Collectd(body, notify_exec=True, plugins=("ml",), write_threads=1) as cd:
        fails = wait_for(lambda: [n for n in cd.notifications() if n["Severity"] == "FAILURE"], 60,
                         "the threshold FAILURE")
        warns = [n for n in cd.notifications() if n["Severity"] == "WARNING"]
        assert warns, cd.notifications()
        w, f = warns[0], fails[0]
        assert w["meta"]["model"] == "forecast"
        assert "will exceed 1000" in w["message"], w
        # The warning came at least 15 minutes (of series time) before the
        # crossing, and its ETA pointed at the horizon or sooner.
        assert float(f["Time"]) - float(w["Time"]) >= 15 * 60, (w["Time"], f["Time"])
        assert 0 < float(w["meta"]["eta_seconds"]) <= 1800
        # anomaly model not enabled: no anomaly notifications
        assert not [n for n in cd.notifications() if n["meta"].get("model") == "anomaly"]
        eta = cd.values("feeder", "ml", "ml_eta", "exec-lag", "gauge-growing")
        assert eta and any(v[0] > 0 for _, v in eta)


PEERS_FEEDER = r"""#!/bin/sh
# five brokers' message rates, one line each per second; broker 3 runs hot
# from the 6th second to the 20th (longer than the block's Persist), then
# falls back in line; at the 30th it runs hot again for 3 s (shorter)
i=0
while true; do
  now=$(date +%s)
  for b in 1 2 3 4 5; do
    v=$((1000 + b * 7))
    if [ $b -eq 3 ] && [ $i -ge 6 ] && [ $i -lt 20 ]; then v=6000; fi
    if [ $b -eq 3 ] && [ $i -ge 30 ] && [ $i -lt 33 ]; then v=6000; fi
    echo "PUTVAL cluster/kafka-broker-$b/kafka_messages_in interval=1 $now:$v"
  done
  i=$((i + 1))
  sleep 1
done
"""


def test_peer_outlier_is_named_and_recovers(tmp_path):
    # exec runs the script as nobody: it must live where nobody can read
    d = tempfile.mkdtemp(prefix="kml-peers.")
    os.chmod(d, 0o755)
    script = os.path.join(d, "peers.sh")
    with open(script, "w") as f:
        f.write(PEERS_FEEDER)
    os.chmod(script, 0o755)
    body = """
<Plugin exec>
  Exec "nobody" "%s"
</Plugin>
<Plugin ml>
  <Peers "brokers">
    Plugin "^kafka$"
    Type "^kafka_messages_in$"
    GroupBy "Host" "Type"
    Persist "5s"
  </Peers>
</Plugin>
""" % script
    peers = lambda cd, sev: [n for n in cd.notifications() if n["meta"].get("model") == "peers"
                             and n["Severity"] == sev]
    with Collectd(body, notify_exec=True, plugins=("ml",)) as cd:
        bad = wait_for(lambda: peers(cd, "WARNING"), 40, "a peer outlier warning")
        n = bad[0]
        assert n["PluginInstance"] == "broker-3", n
        assert "outlier among 5 peers" in n["message"], n
        assert float(n["meta"]["z"]) > 3.5
        assert abs(float(n["meta"]["median"]) - 1021) < 15
        # notified once it had been the outlier for Persist
        assert float(n["meta"]["outlier_seconds"]) >= 5, n
        ok = wait_for(lambda: peers(cd, "OKAY"), 40, "the peer OKAY")
        assert ok[0]["PluginInstance"] == "broker-3"
        # the second, 3 s episode is shorter than Persist: not notified
        time.sleep(max(0.0, float(ok[0]["Time"]) + 20 - time.time()))
        assert len(peers(cd, "WARNING")) == 1, peers(cd, "WARNING")
        # nobody else was ever named
        assert {n["PluginInstance"] for n in cd.notifications()} == {"broker-3"}


def shipped_snippets(state_file, interval, prefix):
    """collectd.conf.d/kafka.conf and ml.conf as shipped, pointed at the test
    broker with the collection interval given, and limited to the topics
    and groups named PREFIX* (other tests leave theirs on the broker)."""
    parts = []
    for name in ("kafka.conf", "ml.conf"):
        with open(os.path.join(SRC, "collectd.conf.d", name)) as f:
            text = f.read()
        text = re.sub(r"^LoadPlugin .*$", "", text, flags=re.M)
        text = text.replace('Brokers "127.0.0.1:9092"', 'Brokers "%s"' % bootstrap())
        text = text.replace('"/var/lib/collectd/ml.state"', '"%s"' % state_file)
        text = re.sub(r"^(\s*)Interval \d+", r"\g<1>Interval %d" % interval, text, flags=re.M)
        text = text.replace('TopicsExclude "^__"', 'TopicsExclude "^__"\n    TopicsInclude "^%s"\n'
                            '    GroupsInclude "^%s"' % (prefix, prefix))
        parts.append(text)
    return "\n".join(parts)


def test_healthy_cluster_quiet_period_sends_no_peer_notification(tmp_path):
    """Three topics with steady producers, four consumer groups that keep up
    (kafkactl committing every second, kcat every 5 s), collectd with the
    shipped kafka.conf and ml.conf at a 2 s interval for 3 minutes: no
    incident, so no peer may be named. Every notification is printed with
    its rate per hour (the figure the design notes quote)."""
    os.chmod(str(tmp_path), 0o777)
    prefix = "quiet-%s-" % uuid.uuid4().hex[:6]
    quiet = float(os.environ.get("KML_QUIET_SECONDS", 180))
    topics = {"orders": (6, 40), "clicks": (4, 20), "events": (3, 10)}  # partitions, msgs/s
    for t, (parts, _) in topics.items():
        kafkactl("create-topic", prefix + t, parts, 1)
    boot = bootstrap()
    run_for = str(int(quiet + 60))
    procs = []

    def spawn(cmd):
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True))

    try:
        for t, (_, rate) in topics.items():
            spawn([KAFKACTL, boot, "produce-rate", prefix + t, str(rate), run_for])
        for g, t in (("g-orders", "orders"), ("g-clicks", "clicks"), ("g-events", "events")):
            spawn([KAFKACTL, boot, "consume-rate", prefix + g, prefix + t, "100000", run_for])
        spawn(["kcat", "-q", "-b", boot, "-G", prefix + "g-kcat", "-X", "auto.offset.reset=earliest",
               prefix + "orders"])
        # the groups have joined and committed before collectd looks
        time.sleep(15)
        cd = Collectd(shipped_snippets(str(tmp_path / "ml.state"), 2, prefix), interval=2,
                      notify_exec=True)
        with cd:
            groups = ["group-%s%s" % (prefix, g) for g in ("g-orders", "g-clicks", "g-events", "g-kcat")]
            for g in groups:
                cd.wait_value("local", "kafka", "kafka_lag", g, "total", timeout=60)
            time.sleep(quiet)
            assert all(p.poll() is None for p in procs), "a producer or consumer stopped early"
            notes = cd.notifications()  # from collectd's start on
            log = cd.log_text()
            # the peers blocks had populations: partitions' lag and offsets
            for p in range(6):
                assert cd.values("local", "kafka", "kafka_lag", groups[0], "%sorders-%d" % (prefix, p))
                assert cd.values("local", "kafka", "kafka_offset", "topic-%sorders" % prefix,
                                 "%sorders-%d" % (prefix, p))
        per_hour = 3600.0 / quiet
        models = {}
        for n in notes:
            m = n["meta"].get("model", n.get("Plugin"))
            models[m] = models.get(m, 0) + 1
        print("quiet period %.0f s at 2 s: %d notifications (%s), %.0f per hour" % (
            quiet, len(notes), ", ".join("%s %d" % kv for kv in sorted(models.items())) or "none",
            len(notes) * per_hour))
        for n in notes:
            print("  %s %s/%s %s" % (n["Severity"], n.get("PluginInstance"), n.get("TypeInstance"),
                                     n["message"]))
        assert re.search(r"ml plugin: \d+ match block\(s\), 3 peers block\(s\)", log), log[-3000:]
        peer_notes = [n for n in notes if n["meta"].get("model") == "peers"]
        assert not peer_notes, ["%s %s" % (n["PluginInstance"], n["message"]) for n in peer_notes]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@contextlib.contextmanager
def ml_on_unixsock(tmp_path, plugin, options=""):
    """A running collectd whose ml plugin models the values of PLUGIN with
    the anomaly model, fed (PUTVAL) and asked (PUTNOTIF) through its
    unixsock socket: (collectd, a connection to the socket, its path).
    OPTIONS: more lines of <Plugin ml> (e.g. "MaxSeries 1")."""
    os.chmod(str(tmp_path), 0o777)
    sock = str(tmp_path / "sock")
    body = """
LoadPlugin unixsock
<Plugin unixsock>
  SocketFile "%s"
</Plugin>
<Plugin ml>
  %s
  <Match "unixsock">
    Plugin "^%s$"
    Models "anomaly"
  </Match>
</Plugin>
""" % (sock, options, plugin)
    with Collectd(body, notify_exec=True, plugins=("ml",), write_threads=1) as cd:
        wait_for(lambda: os.path.exists(sock), 20, "the unixsock socket")
        with Unixsock(sock) as u:
            yield cd, u, sock


def test_a_series_evicted_by_max_series_with_an_open_alert_gets_its_okay(tmp_path):
    """MaxSeries reached: the least recently updated series of a shard
    makes room for a new one. One evicted while its incident is open gets
    an OKAY naming MaxSeries, or its alert would stay up for a series no
    longer modelled (alertmanager-notify --refresh keeps it firing)."""
    step = 300
    t = int(time.time()) - 2000 * step
    # MaxSeries 1: one series per shard (of 64); the newcomer lands in the
    # shard of the series that alerts
    shard = store_shard("ctl/evict-a/gauge-x/value")
    newcomer = next("ctl/evict-n%d/gauge-x" % i for i in range(10000)
                    if store_shard("ctl/evict-n%d/gauge-x/value" % i) == shard)
    import random
    rnd = random.Random(5)
    okays = lambda cd: [n for n in cd.notifications() if n.get("Plugin") == "evict" and n["Severity"] == "OKAY"]
    with ml_on_unixsock(tmp_path, "evict", "MaxSeries 1") as (cd, u, sock):
        for i in range(1506):  # five days at 50, then a shift to 80
            u.send("PUTVAL ctl/evict-a/gauge-x interval=%d %d:%.4f" % (step, t, (50 if i < 1500 else 80)
                                                                       + 2 * rnd.gauss(0, 1)))
            t += step
        wait_for(lambda: [n for n in cd.notifications() if n.get("Plugin") == "evict"
                          and n["Severity"] != "OKAY"], 60, "the anomaly")
        assert okays(cd) == []
        t0 = time.time()
        u.send("PUTVAL %s interval=%d %d:1" % (newcomer, step, t))
        ok = wait_for(lambda: okays(cd), 30, "the OKAY of the evicted series")
        print("OKAY %.1f s after the new series" % (time.time() - t0))
        assert ok[0]["PluginInstance"] == "a" and ok[0]["meta"].get("ended") == "evicted", ok[0]
        assert ok[0]["meta"].get("model") == "anomaly", ok[0]
        assert ok[0]["message"] == ("gauge x of evict a is dropped to make room for a new series, "
                                    "MaxSeries (1) being reached: its anomaly alert ends"), ok[0]
        wait_for(lambda: "1 series evicted since the last interval" in cd.log_text(), 20, "the eviction warning")
        time.sleep(3)  # one OKAY only
        assert len(okays(cd)) == 1, okays(cd)


@pytest.mark.parametrize("several", [False, True], ids=["one value", "several values"])
def test_a_peer_outlier_that_stops_reporting_gets_its_okay_once_forgotten(tmp_path, several):
    """A broker named the odd one out that then stops reporting (removed,
    renamed) is no longer compared; once forgotten after IdleTimeout it
    gets its OKAY, or its alert would stay up for a member that no longer
    exists (alertmanager-notify --refresh keeps it firing). The same for a
    block judging several values (Types)."""
    peers = """IdleTimeout 5
  <Peers "brokers">
    Plugin "^kafka$"
    %s
    Persist "2s"
  </Peers>""" % ('Types "kafka_messages_in" "kafka_rtt"' if several
               else 'Type "^kafka_messages_in$"\n    GroupBy "Host" "Type"')
    named = lambda cd, sev: [n for n in cd.notifications() if n["meta"].get("model") == "peers"
                             and n["Severity"] == sev]
    with ml_on_unixsock(tmp_path, "none", peers) as (cd, u, sock):
        def second(with_3):
            now = int(time.time())
            for b in range(1, 6):
                if b != 3 or with_3:
                    u.send("PUTVAL cluster/kafka-broker-%d/kafka_messages_in interval=1 %d:%d"
                           % (b, now, 6000 if b == 3 else 1000 + 7 * b))
                    if several:
                        u.send("PUTVAL cluster/kafka-broker-%d/kafka_rtt interval=1 %d:%d" % (b, now, 5 + b))
            time.sleep(1)
        deadline = time.time() + 30
        while not named(cd, "WARNING") and time.time() < deadline:
            second(True)
        assert named(cd, "WARNING") and named(cd, "WARNING")[0]["PluginInstance"] == "broker-3", cd.notifications()
        stopped = time.time()
        deadline = stopped + 30
        while not named(cd, "OKAY") and time.time() < deadline:
            second(False)
        ok = named(cd, "OKAY")
        assert ok, cd.log_text()[-2000:]
        print("OKAY %.1f s after broker-3 stopped" % (time.time() - stopped))
        assert ok[0]["PluginInstance"] == "broker-3" and ok[0]["meta"].get("ended") == "idle", ok[0]
        assert ok[0]["Type"] == named(cd, "WARNING")[0]["Type"], ok[0]  # the alert it ends
        assert ok[0]["message"] == ("broker-3 has had no value for 5 s (IdleTimeout): it is no longer "
                                    "compared with its peers%s and its outlier alert ends"
                                    % ("" if several else " (kafka_messages_in)")), ok[0]
        for _ in range(3):
            second(False)
        assert len(named(cd, "OKAY")) == 1 and len(named(cd, "WARNING")) == 1, named(cd, "OKAY")


def test_maintenance_window_and_reset_requests(tmp_path):
    """An operator's requests as PUTNOTIF through a real collectd's unixsock:
    a maintenance window keeps a level shift of one series from paging while
    the same shift of a twin pages; a reset ends the twin's open incident
    with an OKAY and it learns again; a request without a duration is
    refused with a log line; one matching no series is a warning."""
    step = 300
    t0 = int(time.time()) - 2000 * step
    ids = ["ctl/planned-a/gauge-x", "ctl/planned-b/gauge-x"]
    import random
    rnd = random.Random(5)

    def feed(u, t, level):
        for i in ids:
            u.send("PUTVAL %s interval=%d %d:%.4f" % (i, step, t, level + 2 * rnd.gauss(0, 1)))

    def anomalies(cd, series, severity=None):
        return [n for n in cd.notifications()
                if n.get("Plugin") == "planned" and n.get("PluginInstance") == series
                and n["meta"].get("model") == "anomaly"
                and (severity is None or n["Severity"] == severity)]

    with ml_on_unixsock(tmp_path, "planned") as (cd, u, sock):
        t = t0
        for _ in range(1500):  # five days of normal behaviour
            feed(u, t, 50)
            t += step
        u.send('PUTNOTIF severity=okay time=%d plugin=ml type=maintenance '
               's:series=^ctl/planned-a/ message="no duration"' % t)
        wait_for(lambda: 'meta data "duration" is missing' in cd.log_text(), 20, "the refusal")
        # a mistyped series matches nothing: a warning naming a real key
        u.send('PUTNOTIF severity=okay time=%d plugin=ml type=maintenance '
               's:series=^ctl/planed-a/ s:duration=2h message="typo"' % t)
        wait_for(lambda: 'maintenance request for "^ctl/planed-a/" matched none of the 2 series'
                 in cd.log_text(), 20, "the warning for a request matching nothing")
        assert 'e.g. "ctl/planned-' in cd.log_text(), cd.log_text()[-2000:]
        # the window is asked for as the man page shows it: echo | socat
        # (with the values' time instead of $(date +%s), as they are older)
        line = ('echo "PUTNOTIF severity=okay time=%d plugin=ml type=maintenance \\\n'
                '  s:series=^ctl/planned-a/ s:duration=2h message=\\"deploy a\\"" |\n'
                '  socat - UNIX-CONNECT:%s' % (t, sock))
        p = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stdout.startswith("0 Success"), (line, p.stdout, p.stderr)
        wait_for(lambda: 'maintenance of 1 series matching "^ctl/planned-a/"' in cd.log_text(), 20,
                 "the maintenance request in the log")
        for _ in range(6):  # both move from 50 to 80
            feed(u, t, 80)
            t += step
        bad = wait_for(lambda: [n for n in anomalies(cd, "b") if n["Severity"] != "OKAY"], 60,
                       "the twin's anomaly notification")
        assert float(bad[0]["meta"]["value"]) > 70, bad
        u.send('PUTNOTIF severity=okay time=%d plugin=ml type=reset '
               's:series=^ctl/planned-b/ message="offsets reset"' % t)
        ok = wait_for(lambda: anomalies(cd, "b", "OKAY"), 30, "the OKAY of the reset")
        assert ok[0]["meta"].get("ended") == "reset", ok
        assert "was reset on request" in ok[0]["message"], ok
        assert 'reset 1 series matching "^ctl/planned-b/"' in cd.log_text()
        for _ in range(320):  # a day more at the new level
            feed(u, t, 80)
            t += step
        # the window's series never paged; the reset one learned again in
        # silence; one problem notification in all
        wait_for(lambda: len(cd.values("ctl", "planned", "gauge", "b", "x")) >= 1826, 60,
                 "the last values written")
        time.sleep(3)  # notifications wait for the read callback
        u.close()
        assert anomalies(cd, "a") == [], anomalies(cd, "a")
        assert len([n for n in anomalies(cd, "b") if n["Severity"] != "OKAY"]) == 1, anomalies(cd, "b")


def test_a_reset_ends_an_open_forecast_alert_with_its_okay(tmp_path):
    """A series with an open forecast alert (its threshold forecast to be
    crossed) is reset on request: its model starts again, so its forecast
    alert ends with one OKAY saying why, or it would stay open downstream
    until the new model forecast the crossing again."""
    fc = """<Match "fc">
    Plugin "^rampy$"
    Models "forecast"
    Forecast "30m"
    Threshold 1000
  </Match>"""
    step = 60
    t = int(time.time()) - 700 * step
    forecast = lambda cd, sev: [n for n in cd.notifications() if n.get("Plugin") == "rampy"
                                and n["meta"].get("model") == "forecast" and n["Severity"] == sev]
    with ml_on_unixsock(tmp_path, "none", fc) as (cd, u, sock):
        for i in range(625):  # 200 calm values at 100, then 2 more a minute up to 950
            u.send("PUTVAL ctl/rampy/gauge-x interval=%d %d:%d" % (step, t, 100 + 2 * max(0, i - 200)))
            t += step
        wait_for(lambda: forecast(cd, "WARNING"), 60, "the forecast WARNING")
        assert not forecast(cd, "FAILURE") and not forecast(cd, "OKAY"), cd.notifications()
        u.send('PUTNOTIF severity=okay time=%d plugin=ml type=reset '
               's:series=^ctl/rampy/ message="moved"' % t)
        ok = wait_for(lambda: forecast(cd, "OKAY"), 30, "the forecast OKAY of the reset")
        assert ok[0]["meta"].get("ended") == "reset", ok
        assert ok[0]["message"] == "gauge x of rampy was reset on request: its forecast alert ends", ok
        time.sleep(3)  # one OKAY only, and no anomaly OKAY (no anomaly was open)
        assert len(forecast(cd, "OKAY")) == 1, forecast(cd, "OKAY")
        assert not [n for n in cd.notifications() if n.get("Plugin") == "rampy"
                    and n["meta"].get("model") == "anomaly"], cd.notifications()


def test_a_lag_that_keeps_rising_stays_open_until_the_models_memory(tmp_path):
    """A slow consumer through a real collectd: its lag jumps, then keeps
    rising. The incident is notified once and stays open while the lag
    rises (no "accepted at its new level" after 3 h), and when it ends at
    the model's memory the OKAY says the series still moves."""
    step = 300
    days = 2 + 6  # two normal days, then six of a rising lag
    t0 = int(time.time()) - days * 86400
    import random
    rnd = random.Random(7)
    with ml_on_unixsock(tmp_path, "slow") as (cd, u, sock):
        t = t0
        for i in range(days * 86400 // step):
            since = t - (t0 + 2 * 86400)
            lag = 10 + 2 * rnd.gauss(0, 1)
            if since >= 0:
                lag += 30 + 60 * since / 3600  # 60 s more every hour
            u.send("PUTVAL ctl/slow-g/gauge-lag interval=%d %d:%.3f" % (step, t, lag))
            t += step
        wait_for(lambda: len(cd.values("ctl", "slow", "gauge", "g", "lag")) >= days * 288 - 1, 60,
                 "the last values written")
        time.sleep(3)  # notifications wait for the read callback
        u.close()
        got = [n for n in cd.notifications()
               if n.get("Plugin") == "slow" and n["meta"].get("model") == "anomaly"]
        problems = [n for n in got if n["Severity"] != "OKAY"]
        okays = [n for n in got if n["Severity"] == "OKAY"]
        assert len(problems) == 1, got
        assert okays, got
        assert not any("new level" in n["message"] for n in okays), okays
        # open for at least the memory (5 days) of the series' own time
        assert float(okays[0]["Time"]) - float(problems[0]["Time"]) >= 5 * 86400 - step, got
        assert okays[0]["meta"].get("ended") == "memory", okays[0]
        assert "has kept changing for as long as the model remembers" in okays[0]["message"], okays[0]


def test_a_slow_consumer_beside_benign_pauses_is_notified_by_its_trend(tmp_path):
    """A consumer whose lag has a daily swing and benign pauses (lag up to
    70 s for a minute), then falls behind: its lag grows with the square of
    time, never faster than the pauses within a minute. The anomaly model
    notifies it within 8 h, and the notification says the trend view found
    it: the slope of the last hour is far steeper than any in memory."""
    import math
    import random
    step = 60
    t0 = int(time.time()) // 86400 * 86400 - 4 * 86400
    start = t0 + 3 * 86400  # three healthy days, then 8 h of a slow consumer
    rnd = random.Random(1)
    pause_at, pause_len = t0 + 3600, 30
    with ml_on_unixsock(tmp_path, "slow") as (cd, u, sock):
        n = 0
        for t in range(t0, start + 8 * 3600, step):
            lag = 2 * (1 + 0.6 * math.sin(2 * math.pi * (t % 86400) / 86400)) + abs(0.5 * rnd.gauss(0, 1))
            if t >= pause_at:
                if t - pause_at < pause_len:
                    lag += 10 + (t - pause_at)
                else:
                    pause_at = t + 600 + 7200 * rnd.random()
                    pause_len = 10 + 50 * rnd.random()
            if t > start:
                lag += 5 * ((t - start) / 3600) ** 2
            u.send("PUTVAL ctl/slow-g/gauge-lag interval=%d %d:%.3f" % (step, t, lag))
            n += 1
        wait_for(lambda: len(cd.values("ctl", "slow", "gauge", "g", "lag")) >= n - 1, 60,
                 "the last values written")
        time.sleep(3)  # notifications wait for the read callback
        u.close()
        got = [n for n in cd.notifications()
               if n.get("Plugin") == "slow" and n["meta"].get("model") == "anomaly"]
        problems = [n for n in got if n["Severity"] != "OKAY"]
        assert len(problems) == 1, got
        assert start < float(problems[0]["Time"]) <= start + 8 * 3600, problems
        assert problems[0]["meta"].get("view") == "trend", problems[0]
        assert "trend view" in problems[0]["message"], problems[0]
