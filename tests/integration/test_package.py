"""The Debian package: dpkg-buildpackage -b makes collectd-kafka-ml_*.deb with
the plugins, kafka-ml, types, snippets and both man pages where Debian's
collectd looks; lintian finds no error; unpacked into a throw-away root, its
plugins run in a real collectd with the shipped snippets against the test
broker."""
import gzip
import os
import re
import socket
import subprocess
import urllib.request
import uuid

from harness import Collectd, bootstrap, kafkactl, readable_copy, wait_for
from package import built_package, use_packaged


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_package_layout_and_dependencies():
    pkg = built_package()
    root = pkg["root"]
    for path in ("usr/lib/collectd/kafka.so", "usr/lib/collectd/ml.so", "usr/lib/collectd/ports.so",
                 "usr/bin/kafka-ml", "usr/share/collectd-kafka-ml/collectd.conf.d/ports.conf",
                 "usr/share/collectd-kafka-ml/kafka.types.db", "usr/share/collectd-kafka-ml/ml.types.db",
                 "usr/share/collectd-kafka-ml/collectd.conf.d/kafka.conf",
                 "usr/share/collectd-kafka-ml/collectd.conf.d/ml.conf",
                 "usr/share/collectd-kafka-ml/collectd.conf.d/alertmanager.conf",
                 "usr/share/collectd-kafka-ml/collectd.conf.d/prometheus.conf",
                 "usr/share/man/man5/collectd-kafka-ml.5.gz", "usr/share/man/man1/kafka-ml.1.gz",
                 "usr/share/doc/collectd-kafka-ml/copyright"):
        assert os.path.isfile(os.path.join(root, path)), path
    assert os.access(os.path.join(root, "usr/libexec/collectd-kafka-ml/alertmanager-notify"), os.X_OK)
    assert not [f for _, _, fs in os.walk(root) for f in fs if f.endswith(".la")]
    depends = subprocess.check_output(["dpkg-deb", "-f", pkg["deb"], "Depends"], text=True)
    for dep in ("collectd-core", "librdkafka1", "libgsl27"):
        assert re.search(r"(^|, )%s\b" % dep, depends), (dep, depends)
    # man pages: right section in the header, made without perldoc
    for page, th in (("man5/collectd-kafka-ml.5.gz", ".TH COLLECTD-KAFKA-ML 5"),
                     ("man1/kafka-ml.1.gz", ".TH KAFKA-ML 1")):
        with gzip.open(os.path.join(root, "usr/share/man", page), "rt") as f:
            text = f.read()
        assert th in text, page
    # the snippets name the package's own paths
    with open(os.path.join(root, "usr/share/collectd-kafka-ml/collectd.conf.d/alertmanager.conf")) as f:
        assert "/usr/libexec/collectd-kafka-ml/alertmanager-notify" in f.read()
    # kafka-ml runs from the package (its libraries are the system's)
    p = subprocess.run([os.path.join(root, "usr/bin/kafka-ml"), "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "replay" in p.stdout + p.stderr


def test_lintian_finds_no_error():
    out = built_package()["lintian"]
    errors = [ln for ln in out.splitlines() if ln.startswith("E:")]
    assert errors == [], out


def errors(log):
    """Error lines and disabled blocks, less write_prometheus's note that
    libmicrohttpd's logger option came second (Debian's collectd 5.12)."""
    return [ln for ln in log.splitlines()
            if ("[error]" in ln or "disabled" in ln) and "MHD_OPTION_EXTERNAL_LOGGER" not in ln]


def shipped_snippets(root, cd_dir, port, interval=1):
    """kafka.conf, ml.conf and prometheus.conf as the package ships them,
    pointed at the test broker, a state file in cd_dir and a free port."""
    conf = os.path.join(root, "usr/share/collectd-kafka-ml/collectd.conf.d")
    parts = []
    for name in ("kafka.conf", "ml.conf", "prometheus.conf"):
        with open(os.path.join(conf, name)) as f:
            text = f.read()
        text = text.replace('Brokers "127.0.0.1:9092"', 'Brokers "%s"' % bootstrap())
        text = re.sub(r"^(\s*)Interval \d+", r"\g<1>Interval %d" % interval, text, flags=re.M)
        text = text.replace('"/var/lib/collectd/ml.state"', '"%s/ml.state"' % cd_dir)
        text = text.replace('Port "9103"', 'Host "127.0.0.1"\n  Port "%d"' % port)
        parts.append(text)
    return "\n".join(parts)


def refreshing(path):
    """PIDs of `path --refresh` processes (read only). The same script as
    NotificationExec may still retry a notification of the run for up to
    its --retry time: those are not counted."""
    pids = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
                if path.encode() in argv and b"--refresh" in argv:
                    pids.append(int(pid))
        except (OSError, ValueError):
            continue
    return pids


def test_packaged_plugins_run_the_shipped_snippets():
    root = built_package()["root"]
    topic, group = "pkg-%s" % uuid.uuid4().hex[:8], "g-pkg-%s" % uuid.uuid4().hex[:8]
    kafkactl("create-topic", topic, 2, 1)
    kafkactl("produce", topic, 0, 25)
    kafkactl("commit", group, topic, 0, 5, 1, 0)
    port = free_port()
    cd = Collectd("", plugins=())
    with open(cd.conf, "a") as f:
        f.write(shipped_snippets(root, cd.dir, port))
    use_packaged(cd, root)
    # collectd -T: every snippet loads (the Alertmanager recipe too)
    with open(cd.conf) as f:
        base = f.read()
    # the recipe runs the packaged script (a copy "nobody" can read)
    libexec = "/usr/libexec/collectd-kafka-ml/alertmanager-notify"
    script = readable_copy(os.path.join(root, libexec.lstrip("/")))
    with open(os.path.join(root, "usr/share/collectd-kafka-ml/collectd.conf.d/alertmanager.conf")) as f:
        recipe = f.read()
    assert recipe.count(libexec) == 2, recipe  # NotificationExec and the --refresh Exec
    with open(cd.conf, "w") as out:
        out.write(base + recipe.replace(libexec, script))
    rc, out = cd.test_once()
    assert rc == 0, out
    assert errors(out) == [], out
    # collectd -T exits after one read: the --refresh it started must too
    # (it may have started after collectd exited)
    wait_for(lambda: not refreshing(script), 20, "alertmanager-notify --refresh to exit with collectd -T")
    with open(cd.conf, "w") as f:
        f.write(base)
    with cd:
        pi = "group-" + group
        assert cd.wait_value("local", "kafka", "kafka_up", "cluster", timeout=60) == 1
        assert cd.wait_value("local", "kafka", "kafka_lag", pi, "%s-0" % topic, timeout=60) == 20
        assert cd.wait_value("local", "kafka", "kafka_lag", pi, "total") == 20

        def scraped():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
                    text = r.read().decode()
            except OSError:
                return None
            m = re.search(r'^collectd_kafka_kafka_lag\{[^}]*kafka="%s"[^}]*type="total"[^}]*\} (\S+)'
                          % re.escape(pi), text, re.M)
            return m and float(m.group(1))

        assert wait_for(scraped, 30, "group lag on write_prometheus") == 20
        log = cd.log_text()
        assert errors(log) == [], log
        assert 'plugin "ml" successfully loaded' in log
