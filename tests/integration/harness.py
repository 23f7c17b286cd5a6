"""Real parts for the integration tests: a Kafka cluster started by
tests/kafka/cluster, the kafkactl helper, and a real collectd daemon with a
generated configuration whose values are read back from the csv plugin and
whose notifications are read from the logfile plugin and an exec
NotificationExec script.

Environment (set by tools/test):
  KML_BUILD      build directory (holds plugin/.libs and tests/tools/kafkactl)
  KML_BOOTSTRAP  bootstrap list of the running single-broker cluster
  KML_KAFKA_DIR  state directory of that cluster
"""
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("KML_BUILD") or (os.path.join(SRC, "build") if os.path.isdir(os.path.join(SRC, "build", "plugin")) else SRC)
COLLECTD = shutil.which("collectd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
CLUSTER = os.path.join(SRC, "tests", "kafka", "cluster")
KAFKACTL = os.path.join(BUILD, "tests", "tools", "kafkactl")
DEBIAN_PLUGINS = ("logfile", "csv", "exec", "unixsock", "network", "match_regex", "target_notification",
                  "write_prometheus", "write_log")
TYPES = [
    "/usr/share/collectd/types.db",
    os.path.join(SRC, "collectd.conf.d", "kafka.types.db"),
    os.path.join(SRC, "collectd.conf.d", "ml.types.db"),
]


def collectd_env():
    """collectd's environment. Under tools/test --sanitize the plugins are
    built with ASan and UBSan but collectd is not: its runtime is preloaded
    (KML_COLLECTD_PRELOAD), reports go to files (ASAN_OPTIONS log_path)."""
    env = dict(os.environ)
    if os.environ.get("KML_COLLECTD_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["KML_COLLECTD_PRELOAD"]
        # collectd's own leaks at exit are not ours to report
        if os.environ.get("KML_COLLECTD_ASAN_OPTIONS"):
            env["ASAN_OPTIONS"] = os.environ["KML_COLLECTD_ASAN_OPTIONS"]
    return env


def readable_copy(path):
    """A copy of path that a daemon running as another user (exec's
    "nobody") can read: a clone in a 0700 home cannot be read by it."""
    base = os.environ.get("KML_RUN_DIR") or tempfile.gettempdir()
    d = os.path.join(base, "kml-shared.%d" % os.getpid())
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    dst = os.path.join(d, os.path.basename(path))
    shutil.copy(path, dst)
    os.chmod(dst, 0o755)
    return dst


def bootstrap():
    b = os.environ.get("KML_BOOTSTRAP")
    if b:
        return b
    return subprocess.check_output([CLUSTER, "bootstrap"], text=True).strip()


def kafkactl(*args, boot=None, check=True):
    """Run kafkactl against the cluster; returns CompletedProcess."""
    cmd = [KAFKACTL, boot or bootstrap()] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("kafkactl %s failed: %s" % (" ".join(cmd[2:]), p.stderr))
    return p


def wait_for(pred, timeout, what, step=0.25):
    """Poll pred() until it returns a truthy value; fail naming what."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


class Collectd:
    """A collectd -f process with the project's plugins and a generated config.

    body: configuration text placed after the harness's own part (which loads
    csv, logfile and, when notify_exec is set, exec with a recorder script).
    """

    def __init__(self, body, interval=1, notify_exec=False, plugins=("kafka", "ml"), write_threads=None,
                 netns=None):
        # under tools/test's run directory when there is one, so that an
        # interrupted run can stop exactly the daemons it started
        self.dir = tempfile.mkdtemp(prefix="kml-collectd.", dir=os.environ.get("KML_RUN_DIR") or None)
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "csv")
        self.log = os.path.join(self.dir, "collectd.log")
        self.notif_dir = os.path.join(self.dir, "notifications")
        os.makedirs(self.notif_dir)
        os.chmod(self.notif_dir, 0o777)
        self.conf = os.path.join(self.dir, "collectd.conf")
        # collectd has one PluginDir and refuses symlinks: copy the Debian
        # plugins the tests use and ours into a private one.
        plugindir = os.path.join(self.dir, "plugins")
        os.makedirs(plugindir)
        for name in DEBIAN_PLUGINS:
            shutil.copy("/usr/lib/collectd/%s.so" % name, plugindir)
        for name in ("kafka", "ml", "ports"):
            shutil.copy(os.path.join(BUILD, "plugin", ".libs", name + ".so"), plugindir)
        lines = [
            'BaseDir "%s"' % self.dir,
            'PIDFile "%s/collectd.pid"' % self.dir,
            'PluginDir "%s"' % plugindir,
            "TypesDB " + " ".join('"%s"' % t for t in TYPES),
            "Interval %s" % interval,
            "AutoLoadPlugin false",
            # bursts of values (exec feeders) keep their order with one writer
            "WriteThreads %d" % (write_threads or 5),
            "FQDNLookup false",
            'Hostname "testhost"',
            "LoadPlugin logfile",
            "<Plugin logfile>",
            "  LogLevel info",
            '  File "%s"' % self.log,
            "  Timestamp true",
            "  PrintSeverity true",
            "</Plugin>",
            "LoadPlugin csv",
            "<Plugin csv>",
            '  DataDir "%s"' % self.data,
            "  StoreRates false",
            "</Plugin>",
        ]
        if notify_exec:
            rec = os.path.join(self.dir, "record-notification")
            with open(rec, "w") as f:
                # written under a dot name, then renamed: a reader never
                # sees a notification half written
                f.write("#!/bin/sh\nd=\"%s\"\ncat > \"$d/.n.$$\" && "
                        "mv \"$d/.n.$$\" \"$d/n.$$.$(date +%%s%%N)\"\n" % self.notif_dir)
            os.chmod(rec, 0o755)
            lines += [
                "LoadPlugin exec",
                "<Plugin exec>",
                '  NotificationExec "nobody" "%s"' % rec,
                "</Plugin>",
            ]
        for p in plugins:
            lines.append("LoadPlugin %s" % p)
        lines.append(body)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        # run inside a network namespace (ip netns exec NAME): its sockets
        # and sysctls are the ones the plugins read
        self.prefix = ["ip", "netns", "exec", netns] if netns else []

    def check(self):
        """collectd -t: parse only. Returns (returncode, output)."""
        p = subprocess.run([COLLECTD, "-t", "-C", self.conf], capture_output=True, text=True,
                           env=collectd_env())
        return p.returncode, p.stdout + p.stderr

    def test_once(self):
        """collectd -T: load plugins and run one read cycle. Returns (rc, output+log)."""
        p = subprocess.run([COLLECTD, "-T", "-C", self.conf], capture_output=True, text=True, timeout=120,
                           env=collectd_env())
        self._keep_stderr(p.stdout + p.stderr)
        return p.returncode, p.stdout + p.stderr + self.log_text()

    def start(self):
        self.proc = subprocess.Popen(self.prefix + [COLLECTD, "-f", "-C", self.conf],
                                     stdout=open(os.path.join(self.dir, "stdout"), "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=collectd_env())
        wait_for(lambda: "Initialization complete" in self.log_text() or self.proc.poll() is not None,
                 30, "collectd to start")
        if self.proc.poll() is not None:
            with open(os.path.join(self.dir, "stdout"), errors="replace") as f:
                out = f.read()
            raise AssertionError("collectd exited at start:\n" + out + self.log_text())
        return self

    def kill9(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def _keep_stderr(self, text):
        """Under tools/test --sanitize, keep collectd's output (UBSan writes
        its reports there) where the run counts reports."""
        d = os.environ.get("KML_SAN_LOGS")
        if d and text:
            with open(os.path.join(d, "collectd-ubsan.%d.%d" % (os.getpid(), id(self))), "a") as f:
                f.write(text)

    def cleanup(self):
        self.stop()
        try:
            with open(os.path.join(self.dir, "stdout"), errors="replace") as f:
                self._keep_stderr(f.read())
        except FileNotFoundError:
            pass
        if os.environ.get("KML_KEEP_TMP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if exc[0] is not None:
            print("---- collectd log ----\n" + self.log_text()[-6000:])
        self.cleanup()

    # ---------------------------------------------------------- reading back
    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def values(self, host, plugin, type_, plugin_instance="", type_instance=""):
        """All (time, [values...]) rows the csv plugin wrote for one identifier."""
        pdir = plugin + ("-" + plugin_instance if plugin_instance else "")
        tname = type_ + ("-" + type_instance if type_instance else "")
        rows = []
        for path in sorted(glob.glob(os.path.join(self.data, host, pdir, tname + "-*"))):
            # type names may prefix others (kafka_offset vs kafka_offset_low)
            if not os.path.basename(path)[len(tname):].startswith("-2"):
                continue
            with open(path) as f:
                for line in f:
                    if line.startswith("epoch"):
                        continue
                    parts = line.strip().split(",")
                    try:
                        rows.append((float(parts[0]), [float(x) for x in parts[1:]]))
                    except ValueError:
                        pass
        return rows

    def last(self, host, plugin, type_, plugin_instance="", type_instance=""):
        rows = self.values(host, plugin, type_, plugin_instance, type_instance)
        return rows[-1][1][0] if rows else None

    def wait_value(self, host, plugin, type_, plugin_instance="", type_instance="",
                   pred=lambda v: v is not None, timeout=30):
        return wait_for(lambda: (lambda v: (v,) if v is not None and pred(v) else None)(
            self.last(host, plugin, type_, plugin_instance, type_instance)),
            timeout, "%s/%s-%s/%s-%s" % (host, plugin, plugin_instance, type_, type_instance))[0]

    def identifiers(self, host):
        """Set of 'plugin-pi/type-ti' the csv plugin created for host."""
        out = set()
        for path in glob.glob(os.path.join(self.data, host, "*", "*")):
            d, f = path.split(os.sep)[-2:]
            out.add(d + "/" + f.rsplit("-", 3)[0])
        return out

    def notifications(self):
        """Notifications as delivered to NotificationExec: list of dicts with
        the headers, 'meta' (dict) and 'message'."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.notif_dir, "n.*")), key=os.path.getmtime):
            with open(path, errors="replace") as f:
                text = f.read()
            head, _, msg = text.partition("\n\n")
            n = {"message": msg.strip(), "meta": {}}
            for line in head.splitlines():
                k, _, v = line.partition(": ")
                # NotificationExec prints meta lines as "key: value" too; the
                # standard headers are capitalised.
                if k in ("Severity", "Time", "Host", "Plugin", "PluginInstance", "Type", "TypeInstance"):
                    n[k] = v
                else:
                    n["meta"][k] = v
            n["_mtime"] = os.path.getmtime(path)
            out.append(n)
        # exec runs one process per notification, concurrently: order by
        # the notification's own time, then by arrival
        out.sort(key=lambda n: (float(n.get("Time", 0) or 0), n["_mtime"]))
        return out


class Unixsock:
    """collectd's unixsock plugin: PUTVAL and PUTNOTIF lines, each answered
    with a status line."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rw")

    def send(self, line):
        self.f.write(line + "\n")
        self.f.flush()
        reply = self.f.readline()
        assert reply.startswith("0 "), (line, reply)

    def close(self):
        self.f.close()
        self.s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def own_cluster(brokers=3, props=None, prefix="kml-kafka3."):
    """A Kafka cluster of this test module's own (tests/kafka/cluster):
    (state directory, bootstrap list); stopped and removed afterwards
    (kept with KML_KEEP_TMP set). props: extra broker properties
    (KML_KAFKA_PROPS). A start that fails stops the brokers that did
    start."""
    d = tempfile.mkdtemp(prefix=prefix)
    env = dict(os.environ, KML_KAFKA_PROPS=props) if props else None
    try:
        try:
            boot = subprocess.check_output([CLUSTER, "start", "--brokers", str(brokers), "--dir", d],
                                           text=True, env=env).strip()
        except subprocess.CalledProcessError:
            subprocess.call([CLUSTER, "stop", "--dir", d])
            raise
        try:
            yield d, boot
        finally:
            subprocess.call([CLUSTER, "stop", "--dir", d])
    finally:
        if not os.environ.get("KML_KEEP_TMP"):
            subprocess.call(["rm", "-rf", d])


class StallingProxy:
    """A TCP proxy on 127.0.0.1 in front of upstream ("host:port"), run by
    threads of the test process. While stalled it accepts connections and
    then neither reads nor answers (a hung load balancer, a broker stuck in
    GC: the TCP handshake completes, the TLS one never does); forward()
    closes the connections held so far and relays every later one both
    ways. close() stops it: the listening socket, every connection and
    every thread."""

    def __init__(self, upstream):
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.lsock.settimeout(0.2)
        self.address = "127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.accepted = 0   # connections accepted while stalled
        self.forwarded = 0  # connections relayed
        self._lock = threading.Lock()
        self._held, self._open, self._threads = [], [], []
        self._forwarding = False
        self._closed = threading.Event()
        self._spawn(self._accept_loop)

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        with self._lock:
            self._threads.append(t)
        t.start()

    def _accept_loop(self):
        while not self._closed.is_set():
            try:
                s, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                if self._closed.is_set():
                    s.close()
                    return
                if not self._forwarding:
                    self.accepted += 1
                    self._held.append(s)
                    continue
                self.forwarded += 1
                self._open.append(s)
            self._spawn(self._relay, s)

    def _relay(self, client):
        try:
            up = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        up.settimeout(None)
        with self._lock:
            if self._closed.is_set():  # close() has shut the others
                up.close()
                client.close()
                return
            self._open.append(up)
        self._spawn(self._pump, up, client)
        self._pump(client, up)

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def forward(self):
        with self._lock:
            self._forwarding = True
            held, self._held = self._held, []
        for s in held:
            s.close()

    def close(self):
        with self._lock:
            self._closed.set()
            socks = self._held + self._open
            self._held, self._open = [], []
        self.lsock.close()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        # every thread sees a closed socket now; a relay starting a pump
        # may add one more while the first are joined
        end = time.time() + 5
        while time.time() < end:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive:
                return
            alive[0].join(timeout=max(0.0, end - time.time()))
        raise AssertionError("a proxy thread did not stop")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
