#!/usr/bin/env python3
"""The ml plugin's cost inside a real collectd, as a share of what
collectd itself spends per value.

Two configurations of Debian's collectd run alternately, RUNS times each,
on the same stream of values:

  A  network plugin listening on 127.0.0.1 (receive, parse, dispatch, value
     cache, write queue, write threads) with a Server and Forward false:
     its write callback, the one collectd needs, returns at once for a
     received value. collectd's own path
  B  the same plus the ml plugin with its documented defaults: one
     <Match> block selecting the series, Models "anomaly" (the forecaster
     learns, is not evaluated), no DerivedValues, MaxSeries 100000,
     IdleTimeout 1d, a StateFile (saved every 15m, as shipped)
  C  (--csv) the same as A plus the csv plugin writing every value into a
     temporary directory: a common write plugin, for scale

The sender in this script speaks collectd's binary network protocol: S gauge
series (type "gauge", 100 per host), one value each per round, the time
advancing by INTERVAL seconds each round (synthetic times: rounds go as
fast as collectd takes them). WARMUP rounds bring the models past their
warm-up (one day and at least 32 values, then about 72 values before the
views rank anything); the timed window is the ROUNDS rounds after them.
One extra series (plugin "benchsync") carries the round number: the sender
waits for collectd's value cache to hold it (unixsock GETVAL) before the
next round, and paces itself within a round on the listening socket's
receive queue (/proc/net/udp), so no datagram overflows the socket. The
socket's drop counter (/proc/net/udp) and the value cache (LISTVAL: every
series at the last round's time) verify that collectd took every value;
more than --max-drop of them lost fails the run (exit status 1).

CPU is the whole collectd process's (every thread: the sum of the
threads' /proc/PID/task/*/schedstat) over the timed window, after the
window's last value is cached and the CPU counters have stopped moving,
divided by the values of the window. The ml plugin's share: (B - A) / A
per run and the median over runs. Memory: VmRSS after the run less VmRSS
after start, B less A, per series.

Work done per second rather than per value is measured apart, since the
window compresses days of values into seconds: collectd's CPU while idle
after the run and the CPU of the shutdown (where the ml plugin saves its
state, as it does every StateInterval), each B less A; they are printed per
value at a real pace of one value per series every 10 s and every INTERVAL
s. The idle CPU is taken in IDLE_WINDOWS windows of one collectd Interval
each, by thread: collectd's main thread (its value cache's timeout scan,
uc_check_timeout, which visits every cache entry each Interval, in A as in
B), the read threads (read callbacks: the network plugin's ReportStats,
the ml plugin's expiry and ml_series) and the write threads (the values
those callbacks dispatch); the median window of each, and the spread of
the windows, since B less A is a small difference of two noisy figures.

usage: bench/collectd_cost.py [--series 20000] [--interval 300] [--rounds 100]
                              [--runs 3] [--csv] [--quick] [--build DIR] [--json FILE]
                              [--idle-windows 6] [--perf DIR]
"""
import argparse
import json
import math
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTD = shutil.which("collectd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") or "/usr/sbin/collectd"
TICK = os.sysconf("SC_CLK_TCK")
PACKET = 1452  # collectd's default network buffer: datagrams above it are cut
HOST_SERIES = 100  # series per host
WARMUP_SECONDS = 86400  # src/ml/detector.c: one day, at least 32 values
RANK_VALUES = 72  # values before the views rank anything (src/ml/model.h)
STATE_INTERVAL = 900  # the ml plugin's default StateInterval (collectd.conf.d/ml.conf)

# collectd's binary protocol (network.h): part types
P_HOST, P_PLUGIN, P_PLUGIN_INSTANCE, P_TYPE, P_TYPE_INSTANCE = 0x0000, 0x0002, 0x0003, 0x0004, 0x0005
P_VALUES, P_TIME_HR, P_INTERVAL_HR = 0x0006, 0x0008, 0x0009
DS_GAUGE = 1


def part_string(kind, s):
    b = s.encode() + b"\0"
    return struct.pack("!HH", kind, 4 + len(b)) + b


# a values part of one gauge: its head; the 8 bytes of the double follow
VALUES_HEAD = struct.pack("!HHHB", P_VALUES, 4 + 2 + 9, 1, DS_GAUGE)


def full_record(h, p, t, ti):
    """One value with every part of its identity (the first of a datagram,
    or a datagram of its own): host, plugin, type, type instance, values
    head."""
    return (part_string(P_HOST, h) + part_string(P_PLUGIN, p) + part_string(P_TYPE, t) +
            part_string(P_TYPE_INSTANCE, ti) + VALUES_HEAD)


def part_number(kind, n):
    return struct.pack("!HHQ", kind, 12, n)


def cdtime(seconds):
    return int(seconds * (1 << 30))


class Stream:
    """The datagrams of one round, built once as templates: per round only
    the time and the doubles change (struct.pack_into at known offsets)."""

    def __init__(self, series, interval):
        self.series = series
        self.interval = interval
        self.packets = []  # (bytearray, time offset, [(offset, series index)])
        hosts = ["bench-%04d" % (i // HOST_SERIES) for i in range(series)]
        idents = [(hosts[i], "bench", "gauge", "v%02d" % (i % HOST_SERIES)) for i in range(series)]
        # the probe: a second <Match> with DerivedValues, whose ml_score says
        # the models rank values; then the round marker
        idents.append(("bench-probe", "benchprobe", "gauge", "p"))
        idents.append(("bench-probe", "benchsync", "gauge", "round"))
        self.n_idents = len(idents)
        head = part_number(P_TIME_HR, 0) + part_number(P_INTERVAL_HR, cdtime(interval))
        buf, slots, cur = None, None, None
        for i, (h, p, t, ti) in enumerate(idents):
            rec = b""
            if buf is None:
                buf, slots, cur = bytearray(head), [], (None, None, None)
            if cur[0] != h:
                rec += part_string(P_HOST, h)
            if cur[1] != p:
                rec += part_string(P_PLUGIN, p)
            if cur[2] != t:
                rec += part_string(P_TYPE, t)
            rec += part_string(P_TYPE_INSTANCE, ti) + VALUES_HEAD
            if len(buf) + len(rec) + 8 > PACKET:
                self.packets.append((buf, slots))
                buf, slots = bytearray(head), []
                rec = full_record(h, p, t, ti)
            buf += rec
            slots.append((len(buf), i))
            buf += b"\0" * 8
            cur = (h, p, t)
        self.packets.append((buf, slots))
        # the marker alone, resent when the kernel dropped a datagram of the
        # round (send_round): the time at offset 4, the value at the end
        self.marker = bytearray(head + full_record(*idents[-1]) + b"\0" * 8)
        # per series: a level, a daily amplitude and a phase; noise from a table
        self.base = [50 + (i * 37) % 900 for i in range(self.n_idents)]
        self.amp = [0.1 * b for b in self.base]
        self.phase = [(i * 0.618) % 1.0 for i in range(self.n_idents)]
        rnd = __import__("random").Random(1)
        self.noise = [rnd.gauss(0, 1) for _ in range(4099)]

    def round(self, r, t):
        """Fill every template for round r at time t; yields datagrams."""
        pack_t = struct.Struct("!Q").pack_into
        pack_d = struct.Struct("<d").pack_into
        day = 2 * math.pi * (t % 86400) / 86400
        noise, n_noise = self.noise, len(self.noise)
        sync = self.n_idents - 1
        for buf, slots in self.packets:
            pack_t(buf, 4, cdtime(t))
            for off, i in slots:
                if i == sync:
                    v = float(r)
                else:
                    v = self.base[i] + self.amp[i] * math.sin(day + 6.283 * self.phase[i]) + \
                        0.02 * self.base[i] * noise[(i * 7919 + r * 104729) % n_noise]
                pack_d(buf, off, v)
            yield bytes(buf)

    def marker_only(self, r, t):
        struct.pack_into("!Q", self.marker, 4, cdtime(t))
        struct.pack_into("<d", self.marker, len(self.marker) - 8, float(r))
        return bytes(self.marker)


def udp_socket_state(port):
    """(rx_queue bytes, drops) of the socket bound to 127.0.0.1:port."""
    want = "0100007F:%04X" % port
    with open("/proc/net/udp") as f:
        for line in f:
            x = line.split()
            if len(x) > 12 and x[1] == want:
                return int(x[4].split(":")[1], 16), int(x[12])
    return None


def cpu_ns(pid):
    """CPU time of every thread of pid, in ns: the sum of the threads'
    schedstat (ns resolution; collectd's threads live as long as it does),
    or utime + stime of /proc/PID/stat (clock ticks) without schedstat."""
    total = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                    total += int(f.read().split()[0])
            except FileNotFoundError:
                pass
        return total
    except OSError:
        with open("/proc/%d/stat" % pid) as f:
            x = f.read().rsplit(")", 1)[1].split()
        return (int(x[11]) + int(x[12])) * 1e9 / TICK


def thread_cpu(pid):
    """CPU in ns of pid's threads by kind: "main" (collectd's main thread:
    after start it only runs the value cache's timeout scan each Interval),
    "read" (reader#N: read callbacks), "write" (writer#N: write callbacks),
    "other" (network, unixsock, the ml plugin's saver)."""
    out = {"main": 0, "read": 0, "write": 0, "other": 0}
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                ns = int(f.read().split()[0])
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                comm = f.read().strip()
        except FileNotFoundError:
            continue
        kind = "main" if int(t) == pid else "read" if comm.startswith("reader") else \
            "write" if comm.startswith("writer") else "other"
        out[kind] += ns
    return out


IDLE_KINDS = ("main", "read", "write", "other")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """A collectd -f started with a generated configuration in its own
    temporary directory; stopped by its PID only."""

    def __init__(self, kind, build, collectd_interval):
        self.kind = kind
        # under tools/test's run directory when there is one, so that an
        # interrupted run can stop exactly the daemons it started
        self.dir = tempfile.mkdtemp(prefix="kml-cost.%s." % kind, dir=os.environ.get("KML_RUN_DIR") or None)
        self.port = free_udp_port()
        # where collectd's own values go (Server below): bound, never read
        self.sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sink.bind(("127.0.0.1", 0))
        self.sock = os.path.join(self.dir, "unixsock")
        self.log = os.path.join(self.dir, "collectd.log")
        plugindir = os.path.join(self.dir, "plugins")
        os.makedirs(plugindir)
        # collectd has one PluginDir and refuses symlinks: copy
        names = ["logfile", "unixsock", "network"] + (["csv"] if kind == "C" else [])
        for n in names:
            shutil.copy("/usr/lib/collectd/%s.so" % n, plugindir)
        if kind == "B":
            shutil.copy(os.path.join(build, "plugin", ".libs", "ml.so"), plugindir)
        types = ["/usr/share/collectd/types.db", os.path.join(TOP, "collectd.conf.d", "ml.types.db")]
        lines = [
            'BaseDir "%s"' % self.dir,
            'PIDFile "%s/collectd.pid"' % self.dir,
            'PluginDir "%s"' % plugindir,
            "TypesDB " + " ".join('"%s"' % t for t in types),
            "Interval %s" % collectd_interval,
            "AutoLoadPlugin false",
            "FQDNLookup false",
            'Hostname "benchhost"',
            "LoadPlugin logfile",
            "<Plugin logfile>",
            "  LogLevel info",
            '  File "%s"' % self.log,
            "  Timestamp true",
            "</Plugin>",
            "LoadPlugin unixsock",
            "<Plugin unixsock>",
            '  SocketFile "%s"' % self.sock,
            "</Plugin>",
            "LoadPlugin network",
            "<Plugin network>",
            '  Listen "127.0.0.1" "%d"' % self.port,
            # collectd needs a write callback (without one it logs a line
            # per value): the network plugin's own, with Forward false (the
            # default) returning at once for every received value; only
            # collectd's own values (ReportStats, ml's) go to this port
            '  Server "127.0.0.1" "%d"' % self.sink.getsockname()[1],
            "  Forward false",
            "  ReportStats true",
            "</Plugin>",
        ]
        if kind == "C":
            lines += ["LoadPlugin csv", "<Plugin csv>", '  DataDir "%s/csv"' % self.dir, "  StoreRates false",
                      "</Plugin>"]
        if kind == "B":
            lines += [
                "LoadPlugin ml",
                "<Plugin ml>",
                '  StateFile "%s/ml.state"' % self.dir,
                '  StateInterval "%ds"' % STATE_INTERVAL,
                "  MaxSeries 100000",
                '  IdleTimeout "1d"',
                '  <Match "bench">',
                '    Plugin "^bench$"',
                "  </Match>",
                '  <Match "probe">',
                '    Plugin "^benchprobe$"',
                "    DerivedValues true",
                "  </Match>",
                "</Plugin>",
            ]
        self.conf = os.path.join(self.dir, "collectd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.us = None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self):
        self.proc = subprocess.Popen([COLLECTD, "-f", "-C", self.conf], stdout=open(os.path.join(self.dir, "stdout"), "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        end = time.time() + 30
        while time.time() < end and "Initialization complete" not in self.log_text():
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.proc.poll() is not None or "Initialization complete" not in self.log_text():
            with open(os.path.join(self.dir, "stdout"), errors="replace") as f:
                out = f.read()
            self.stop()
            raise SystemExit("collectd (%s) did not start:\n%s%s" % (self.kind, out, self.log_text()))
        while udp_socket_state(self.port) is None:
            time.sleep(0.05)
        self.us = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.us.connect(self.sock)
        self.usf = self.us.makefile("rw")
        return self

    def command(self, line):
        """One unixsock command on the connection kept open (a connection
        costs collectd a thread; a command on it a few microseconds)."""
        self.usf.write(line + "\n")
        self.usf.flush()
        head = self.usf.readline()
        n = int(head.split(" ", 1)[0])
        return head, [self.usf.readline().rstrip("\n") for _ in range(max(n, 0))]

    def getval(self, ident):
        head, lines = self.command('GETVAL "%s"' % ident)
        if int(head.split(" ", 1)[0]) < 0:
            return None
        return dict(l.split("=", 1) for l in lines)

    def stop(self):
        if self.us is not None:
            self.us.close()
            self.us = None
        if self.proc is None or self.proc.poll() is not None:
            return None
        # the CPU of the shutdown (the ml plugin saves its state then): the
        # process's total from wait4 less what it had used before
        before = cpu_ns(self.proc.pid)
        self.proc.terminate()  # collectd -f: this PID only
        end = time.time() + 60
        while time.time() < end:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid == self.proc.pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                return (ru.ru_utime + ru.ru_stime) * 1e9 - before
            time.sleep(0.05)
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        return None

    def cleanup(self):
        self.sink.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def send_round(d, stream, out, r, t, limit):
    """Send round r, pacing on the socket's receive queue; then wait until
    the value cache holds the round's marker. A datagram the kernel drops
    is counted (the drops column of /proc/net/udp, reported per run); when
    the queue is empty, drops rose and the marker has not arrived, the
    marker alone is sent again, so a lost marker costs a second, not the
    run."""
    st = udp_socket_state(d.port)
    drops0 = st[1] if st else 0
    sent = 0
    for k, dgram in enumerate(stream.round(r, t)):
        if k % 8 == 0:
            while True:
                st = udp_socket_state(d.port)
                if st is None or st[0] < limit:
                    break
                time.sleep(0.0005)
        out.send(dgram)
        sent += 1
    ident = "bench-probe/benchsync/gauge-round"
    end = time.time() + 120
    resend = time.time() + 1.0
    pause = 0.0005
    while True:
        v = d.getval(ident)
        if v is not None and float(v["value"]) >= r:
            return sent
        if time.time() > resend:
            resend = time.time() + 1.0
            st = udp_socket_state(d.port)
            if st is not None and st[0] == 0 and st[1] > drops0:
                out.send(stream.marker_only(r, t))
                sent += 1
        if time.time() > end or d.proc.poll() is not None:
            raise SystemExit("collectd (%s) did not take round %d:\n%s" % (d.kind, r, d.log_text()[-3000:]))
        time.sleep(pause)
        pause = min(pause * 1.5, 0.005)


def settle(pid, quiet=0.3, timeout=30):
    """Wait until the process's CPU counter stops moving (its write threads
    have finished the last values); returns the counter."""
    end = time.time() + timeout
    last = cpu_ns(pid)
    while time.time() < end:
        time.sleep(quiet)
        now = cpu_ns(pid)
        if now - last <= 0.01 * quiet * 1e9:
            return now
        last = now
    return last


def at_time(d, t):
    """Series sent (plugin bench and the probe) whose cached value is the
    one of time t (unixsock LISTVAL)."""
    _, listed = d.command("LISTVAL")
    return sum(1 for l in listed if l.split(" ", 1)[1].split("/")[1] in ("bench", "benchprobe") and
               abs(float(l.split(" ", 1)[0]) - t) < 1e-3)


def drain(d, t, expect, timeout=60):
    """Wait until every series sent holds its value of time t and the CPU
    counters have stopped moving: a write thread that the scheduler left
    waiting would look quiet, a value not yet cached would not. Returns
    how many series hold it."""
    end = time.time() + timeout
    while True:
        settle(d.proc.pid)
        n = at_time(d, t)
        if n >= expect or time.time() > end:
            return n


def one_run(kind, a, stream, t0):
    d = Daemon(kind, a.build, a.collectd_interval).start()
    try:
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out.connect(("127.0.0.1", d.port))
        limit = int(open("/proc/sys/net/core/rmem_default").read()) // 4
        drops0 = udp_socket_state(d.port)[1]
        settle(d.proc.pid)
        rss0 = rss_kib(d.proc.pid)
        datagrams = 0
        for r in range(a.warmup):
            datagrams += send_round(d, stream, out, r, t0 + r * a.interval, limit)
        drain(d, t0 + (a.warmup - 1) * a.interval, stream.n_idents - 1)
        c0 = cpu_ns(d.proc.pid)
        perf = None
        if a.perf:
            # where the time goes: perf over the timed window, this PID only
            perf = subprocess.Popen(["perf", "record", "-q", "-g", "-p", str(d.proc.pid), "-o",
                                     os.path.join(a.perf, "perf.%s.data" % kind)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        w0 = time.time()
        for r in range(a.warmup, a.warmup + a.rounds):
            datagrams += send_round(d, stream, out, r, t0 + r * a.interval, limit)
        last_t = t0 + (a.warmup + a.rounds - 1) * a.interval
        at_last = drain(d, last_t, stream.n_idents - 1)
        c1 = cpu_ns(d.proc.pid)
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        wall = time.time() - w0
        rss1 = rss_kib(d.proc.pid)
        drops = udp_socket_state(d.port)[1] - drops0
        log = d.log_text()
        rejected = sum(log.count(s) for s in ("Value too old", "parse_packet", "parse_part"))
        res = {"kind": kind, "cpu_ns": c1 - c0, "wall": wall, "rss0": rss0, "rss1": rss1, "drops": drops,
               "datagrams": datagrams, "at_last": at_last, "rejected": rejected,
               "values": a.rounds * stream.n_idents}
        if kind == "B":
            # ml_series is dispatched by the plugin's read callback each Interval
            end = time.time() + 3 * a.collectd_interval + 5
            held = None
            while time.time() < end:
                v = d.getval("benchhost/ml/ml_series")
                held = float(v["held"]) if v else None
                if held is not None and held >= a.series + 1:
                    break
                time.sleep(0.2)
            score = d.getval("bench-probe/ml-benchprobe/ml_score-gauge-p")
            res["ml_held"] = held
            res["probe_score"] = float(score["value"]) if score else None
        for s in ("ERROR", "error:"):
            if s in log and kind != "C":
                res.setdefault("errors", []).extend(l for l in log.splitlines() if s in l)
        # what collectd spends without values, per second, in windows of one
        # Interval (each holds one timeout scan and one call of each read
        # callback), by kind of thread; the median window of each kind
        windows = []
        for _ in range(a.idle_windows):
            i0, w0 = thread_cpu(d.proc.pid), time.time()
            time.sleep(a.collectd_interval)
            i1, dt = thread_cpu(d.proc.pid), time.time() - w0
            win = {k: (i1[k] - i0[k]) / dt for k in IDLE_KINDS}
            win["total"] = sum(win.values())
            windows.append(win)
        res["idle_windows"] = windows
        res["idle"] = {k: statistics.median(w[k] for w in windows) for k in IDLE_KINDS + ("total",)}
        res["idle_ns_per_s"] = res["idle"]["total"]
        res["shutdown_ns"] = d.stop()
        state = os.path.join(d.dir, "ml.state")
        res["state_bytes"] = os.path.getsize(state) if os.path.exists(state) else 0
        return res
    finally:
        d.stop()
        d.cleanup()


def collectd_version():
    p = subprocess.run([COLLECTD, "-h"], capture_output=True, text=True)
    for line in (p.stdout + p.stderr).splitlines():
        if line.startswith("collectd "):
            return line.split(",")[0]
    return COLLECTD


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=20000)
    ap.add_argument("--interval", type=float, default=300, help="seconds between a series' values (synthetic)")
    ap.add_argument("--rounds", type=int, default=100, help="timed rounds after the warm-up")
    ap.add_argument("--warmup", type=int, default=None, help="untimed rounds first (default: the warm-up + 10)")
    ap.add_argument("--runs", type=int, default=3, help="A/B pairs, alternated")
    ap.add_argument("--collectd-interval", type=float, default=10, help="collectd's Interval (read callbacks)")
    ap.add_argument("--idle-windows", type=int, default=6,
                    help="windows of one Interval in which idle CPU is measured after the run")
    ap.add_argument("--csv", action="store_true", help="also C: A plus the csv plugin")
    ap.add_argument("--max-drop", type=float, default=0.001, help="share of values that may be lost")
    ap.add_argument("--quick", action="store_true", help="a smoke test: 2000 series at 3600 s, 2 runs")
    ap.add_argument("--build", default=os.environ.get("KML_BUILD") or os.path.join(TOP, "build"))
    ap.add_argument("--perf", metavar="DIR", help="record perf profiles of the timed windows (perf.A.data, ...) in DIR")
    ap.add_argument("--json", help="also write every run's figures to this file")
    a = ap.parse_args()
    if a.quick:
        a.series, a.interval, a.rounds, a.runs, a.collectd_interval = 2000, 3600, 30, 2, 1
        a.idle_windows = min(a.idle_windows, 3)
    a.idle_windows = max(a.idle_windows, 1)
    warm_values = max(math.ceil(WARMUP_SECONDS / a.interval), 32) + 1
    if a.warmup is None:
        a.warmup = max(warm_values, RANK_VALUES) + 10
    if not os.path.exists(os.path.join(a.build, "plugin", ".libs", "ml.so")):
        raise SystemExit("no ml.so under %s/plugin/.libs: run tools/build" % a.build)
    stream = Stream(a.series, a.interval)
    # synthetic times ending now, aligned to the interval
    t0 = math.floor(time.time() / a.interval) * a.interval - (a.warmup + a.rounds) * a.interval
    past = a.rounds * a.series if a.warmup >= warm_values else max(0, a.warmup + a.rounds - warm_values) * a.series
    per_dgram = max(len(slots) for _, slots in stream.packets)
    kinds = ["A", "B"] + (["C"] if a.csv else [])
    print("%s; %d series (+2: a probe with DerivedValues, the round marker) of type gauge, %d per host, "
          "every %g s (synthetic); %d untimed rounds, then %d timed rounds: %d values per run, %d of them past "
          "the models' warm-up (%d values at %g s); collectd Interval %g; %d datagrams a round"
          % (collectd_version(), a.series, HOST_SERIES, a.interval, a.warmup, a.rounds,
             a.rounds * stream.n_idents, past, warm_values, a.interval, a.collectd_interval, len(stream.packets)),
          flush=True)
    results = {k: [] for k in kinds}
    failed = []
    for run in range(a.runs):
        # alternate the order too, so neither configuration always goes first
        order = kinds if run % 2 == 0 else kinds[::-1]
        for k in order:
            r = one_run(k, a, stream, t0)
            results[k].append(r)
            # a dropped datagram held at most per_dgram values
            share = (r["drops"] * per_dgram + r["rejected"]) / max(r["values"], 1)
            ns = r["cpu_ns"] / r["values"]
            r["ns"] = ns
            extra = ""
            if k == "B":
                extra = "; ml_series held %s, probe ml_score %s" % (r["ml_held"], r["probe_score"])
            print("  run %d %s: %d values in %.1f s, CPU %.2f s = %.0f ns/value; RSS %d -> %d KiB; datagrams "
                  "dropped %d, values refused %d, series at the last round's time %d of %d%s"
                  % (run + 1, k, r["values"], r["wall"], r["cpu_ns"] / 1e9, ns, r["rss0"], r["rss1"], r["drops"],
                     r["rejected"], r["at_last"], a.series + 1, extra), flush=True)
            if r.get("errors"):
                print("    log errors: %s" % r["errors"][:5])
            if share > a.max_drop or r["at_last"] < a.series + 1 - a.max_drop * a.series:
                failed.append("run %d %s: %d datagrams dropped, %d values refused, %d of %d series at the last time"
                              % (run + 1, k, r["drops"], r["rejected"], r["at_last"], a.series + 1))
    if failed:
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"failed": failed, "runs": results}, f, indent=1)
        print("FAILED: collectd did not take every value:\n  " + "\n  ".join(failed), flush=True)
        sys.exit(1)
    ratios = []
    for i in range(a.runs):
        A, B = results["A"][i], results["B"][i]
        ratio = (B["ns"] - A["ns"]) / A["ns"]
        ratios.append(ratio)
        mem = ((B["rss1"] - B["rss0"]) - (A["rss1"] - A["rss0"])) * 1024 / (a.series + 1)
        line = "  run %d: A %.0f ns/value, B %.0f ns/value: ml %.0f ns/value inside collectd, (B - A) / A = %.3f; " \
               "memory B - A %.0f bytes per series" % (i + 1, A["ns"], B["ns"], B["ns"] - A["ns"], ratio, mem)
        if "C" in results:
            C = results["C"][i]
            line += "; C (csv) %.0f ns/value, csv's own %.0f ns/value" % (C["ns"], C["ns"] - A["ns"])
        print(line)
        B["mem"] = mem
    med = statistics.median(ratios)
    ml_ns = statistics.median(results["B"][i]["ns"] - results["A"][i]["ns"] for i in range(a.runs))
    mem = statistics.median(results["B"][i]["mem"] for i in range(a.runs))
    print("median over %d runs: A %.0f ns/value, B %.0f ns/value; ml %.0f ns/value inside collectd; "
          "ratio (B - A) / A = %.3f (goal <= 0.25); memory %.0f bytes per series (model 1,416 + store)"
          % (a.runs, statistics.median(r["ns"] for r in results["A"]), statistics.median(r["ns"] for r in results["B"]),
             ml_ns, med, mem))
    if "C" in results:
        print("csv (C - A) / A median %.3f" % statistics.median(
            (results["C"][i]["ns"] - results["A"][i]["ns"]) / results["A"][i]["ns"] for i in range(a.runs)))
    # Work done per second or per StateInterval, not per value: the timed
    # window compresses days of values into seconds, so it holds little of
    # it. Per value at a real pace of one value per series every INTERVAL s:
    # the read callbacks' CPU per second times INTERVAL, and the state save
    # (measured at shutdown, where the plugin saves too) every StateInterval.
    n = a.series + 1
    # idle CPU by kind of thread: each run's median window, B less A, and
    # the spread of the single windows, so that a difference of the size of
    # the windows' own noise reads as such
    print("idle CPU per second (%d windows of one Interval per run; median window per run, all runs' "
          "windows min-max):" % a.idle_windows)
    idle_by = {}
    for k in IDLE_KINDS + ("total",):
        meds = {x: [r["idle"][k] for r in results[x]] for x in ("A", "B")}
        diff = [meds["B"][i] - meds["A"][i] for i in range(a.runs)]
        spread = {x: [w[k] for r in results[x] for w in r["idle_windows"]] for x in ("A", "B")}
        idle_by[k] = statistics.median(diff)
        print("  %-5s A %s us (windows %.0f-%.0f), B %s us (windows %.0f-%.0f); B - A %s us, median %.1f us "
              "(%.2f ns per series and Interval)"
              % (k, " ".join("%.1f" % (x / 1e3) for x in meds["A"]), min(spread["A"]) / 1e3, max(spread["A"]) / 1e3,
                 " ".join("%.1f" % (x / 1e3) for x in meds["B"]), min(spread["B"]) / 1e3, max(spread["B"]) / 1e3,
                 " ".join("%+.1f" % (x / 1e3) for x in diff), idle_by[k] / 1e3,
                 idle_by[k] * a.collectd_interval / n))
    idle = idle_by["total"]
    a_idle = statistics.median(r["idle_ns_per_s"] for r in results["A"])
    print("  collectd's own (A) idle CPU: %.0f ns per series and Interval, %.2f us per value at one value "
          "every %g s (not in A's per-value figure)" % (a_idle * a.collectd_interval / n, a_idle * a.interval / n / 1e3,
                                                        a.interval))
    shut = [results["B"][i]["shutdown_ns"] - results["A"][i]["shutdown_ns"] for i in range(a.runs)
            if results["B"][i]["shutdown_ns"] is not None and results["A"][i]["shutdown_ns"] is not None]
    save = statistics.median(shut) if shut else float("nan")
    a_ns = statistics.median(r["ns"] for r in results["A"])
    print("periodic work of the ml plugin for %d series: idle CPU %.0f ns per second more than A "
          "(%.1f ns per series and Interval of %g s); state save at shutdown %.1f ms more than A (%.0f ns per "
          "series; %d bytes per series on disk)"
          % (n, idle, idle * a.collectd_interval / n, a.collectd_interval, save / 1e6, save / n,
             results["B"][-1]["state_bytes"] / n))
    periodic = {}
    for iv in sorted({10.0, float(a.interval)}):
        per_value = idle * iv / n + save * iv / STATE_INTERVAL / n
        periodic[iv] = per_value
        print("  at one value per series every %g s: +%.0f ns per value, ratio with it %.3f"
              % (iv, per_value, (ml_ns + per_value) / a_ns))
    print("RESULT ratio=%.4f ml_ns=%.1f mem_bytes=%.0f" % (med, ml_ns, mem))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"series": n, "values_per_run": a.rounds * stream.n_idents, "past_warmup": past,
                       "ratio": med, "ratios": ratios, "ml_ns": ml_ns, "mem_bytes": mem,
                       "idle_ns_per_s": idle, "idle_by_thread": idle_by, "save_ns": save, "periodic_ns_per_value": periodic,
                       "runs": results}, f, indent=1)


if __name__ == "__main__":
    main()
