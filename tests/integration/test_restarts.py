"""Rolling restarts of a 3-broker cluster while consumer groups commit: the
kafka plugin must survive every coordinator move (librdkafka 2.0.2 crashes
a client without a group handle when an OffsetFetch answer says
NOT_COORDINATOR, upstream issue 5040) and keep reporting the exact lag.

Two collectd daemons watch the cluster: one reads committed offsets from
__consumer_offsets, the other through the admin API. Each cycle takes one
broker away, which moves the leaders it held, coordinators of the
__consumer_offsets partitions included, and brings it back, which lets the
controller's leader rebalancing (every second here) move them back. A
broker goes away in one of three ways: a controlled shutdown (SIGTERM) or
a crash (SIGKILL), each followed by a restart of the broker, or a hang
(SIGSTOP until it is fenced, then SIGCONT), which moves the same leaders
without the cost of a JVM start. Each of the 3 brokers is restarted once
(two shutdowns, one crash), the other cycles hang one. After every move
the groups commit new offsets and both daemons must report lag = produced
- committed on every partition. Every lag value ever written must be one
the test made true at some point: no zero for an unknown value, no stale
commit.

Every wait polls for the state it needs (leaders moved, commits
acknowledged, lag exact). A restarted broker's JVM starts while the lag
after its departure is checked, so that check may straddle its return;
the check after the return comes after the leaders moved back. CI: 10
cycles (20 moves: 4 after shutdowns, 2 after the crash, 14 after hangs);
KML_RESTARTS_CYCLES=N runs a longer soak. The time of each phase is
printed at the end."""
import json
import os
import subprocess
import threading
import time

import pytest

from harness import CLUSTER, KAFKACTL, Collectd, kafkactl, own_cluster, wait_for

TOPIC = "rs"
PARTS = 6
PRODUCED = 100
GROUPS = ["rsg-%d" % i for i in range(4)]
LIVE = "rsg-live"  # a real consumer (auto commit), a member of its group
SOURCES = ("viatopic", "viaadmin")
CYCLES = int(os.environ.get("KML_RESTARTS_CYCLES", "10"))
# How broker cycle % 3 + 1 goes away in each cycle (repeated for soaks):
# each broker restarted once, the rest hangs (no JVM start, the same moves).
PLAN = ("term", "kill", "term", "hang", "hang", "hang", "hang", "hang", "hang", "hang")


@pytest.fixture(scope="module")
def cluster3():
    with own_cluster(3, prefix="kml-kafka-rs.", props=(
            "leader.imbalance.check.interval.seconds=1 "
            "leader.imbalance.per.broker.percentage=0 "
            # a killed broker is fenced (its leaders moved) after 4 s, not 9
            "broker.session.timeout.ms=4000 broker.heartbeat.interval.ms=1000")) as c:
        yield c


def metadata(boot, topic):
    """{partition: (leader, set(isr))} from kcat, or None while unreadable."""
    p = subprocess.run(["kcat", "-b", boot, "-L", "-t", topic, "-J", "-m", "5"],
                       capture_output=True, text=True, timeout=30)
    try:
        t = json.loads(p.stdout)["topics"][0]
        return {q["partition"]: (q["leader"], {r["id"] for r in q.get("isrs", [])})
                for q in t["partitions"]}
    except (ValueError, KeyError, IndexError):
        return None


def conf(boot, name, source):
    return """<Plugin kafka>
  <Cluster "%s">
    Brokers "%s"
    Timeout 2
    TopicsInclude "^%s$"
    GroupsInclude "^rsg-"
    OffsetsSource "%s"
  </Cluster>
</Plugin>
""" % (name, boot, TOPIC, source)


class Committers:
    """kafkactl commit-loop per group, each committing what its file says."""

    def __init__(self, boot, d):
        self.files = {g: os.path.join(d, g + ".target") for g in GROUPS}
        self.targets = {}
        self.procs = []
        self.boot = boot

    def set(self, cycle):
        """New targets; waits (up to 90 s) until the broker acknowledged
        them. The truth is what was acknowledged, whatever the wait gave."""
        for i, g in enumerate(GROUPS):
            target = (cycle * 7 + i * 13) % 90 + 5
            tmp = self.files[g] + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % target)
            os.rename(tmp, self.files[g])
            self.targets[g] = target
        try:
            wait_for(lambda: all(self.acked(g)[-1:] == [self.targets[g]] for g in GROUPS),
                     90, "commits to be acknowledged")
        except AssertionError:
            print("not all commits acknowledged:", {g: self.acked(g)[-1:] for g in GROUPS})

    def acked(self, g):
        try:
            with open(self.files[g] + ".ack") as f:
                return [int(x) for x in f.read().split()]
        except FileNotFoundError:
            return []

    def truth(self, g):
        return self.acked(g)[-1]

    def start(self):
        for g in GROUPS:
            self.procs.append(subprocess.Popen(
                [KAFKACTL, self.boot, "commit-loop", g, TOPIC, str(PARTS), self.files[g], "3600"],
                stdout=subprocess.PIPE, stderr=open(self.files[g] + ".log", "w"), text=True))
        self.procs.append(subprocess.Popen(
            [KAFKACTL, self.boot, "consume-rate", LIVE, TOPIC, "50", "3600"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def lag_rows(cds, block, group, part):
    return cds[block].values(block, "kafka", "kafka_lag", "group-" + group, "%s-%d" % (TOPIC, part))


def alive(cds, what):
    for block, cd in cds.items():
        if cd.proc.poll() is not None:
            with open(os.path.join(cd.dir, "stdout"), errors="replace") as f:
                out = f.read()
            raise AssertionError("collectd (%s) died %s: %s" % (block, what, out[-500:]))


def expect_lags(cds, com, timeout=60):
    """Both blocks report produced - target on every partition of every
    group, and 0 for the live consumer once it consumed everything."""
    def ok():
        alive(cds, "while the lag was checked")
        bad = []
        for block in SOURCES:
            for g in GROUPS:
                want = PRODUCED - com.truth(g)
                for p in range(PARTS):
                    rows = lag_rows(cds, block, g, p)
                    if not rows or rows[-1][1][0] != want:
                        bad.append((block, g, p, rows[-1][1][0] if rows else None, want))
            for p in range(PARTS):
                rows = lag_rows(cds, block, LIVE, p)
                if not rows or rows[-1][1][0] != 0:
                    bad.append((block, LIVE, p, rows[-1][1][0] if rows else None, 0))
        # one line per (block, group): what it shows vs what is true
        return not bad or (False, sorted({(b, g, str(v), w) for b, g, _, v, w in bad}))
    last = [None]

    def pred():
        r = ok()
        last[0] = r
        return r is True
    try:
        wait_for(pred, timeout, "exact lag in both blocks")
    except AssertionError:
        raise AssertionError("lag not right after %ss: %r" % (timeout, last[0]))


def leaders(boot):
    md = metadata(boot, "__consumer_offsets")
    return {p: l for p, (l, _) in md.items()} if md else None


def wait_moved(boot, before, pred, what, timeout=60):
    return wait_for(lambda: (lambda now: now if now and now != before and pred(now) else None)(leaders(boot)),
                    timeout, what, step=0.5)


class Phases:
    """Seconds spent per phase (total, count, longest), printed at the end:
    where CI time goes."""

    def __init__(self):
        self.spent = {}
        self.t = time.time()

    def lap(self, name):
        now = time.time()
        tot, n, mx = self.spent.get(name, (0, 0, 0))
        self.spent[name] = (tot + now - self.t, n + 1, max(mx, now - self.t))
        self.t = now

    def __str__(self):
        return ", ".join("%s %.0f s (%d, longest %.1f s)" % ((k,) + v) for k, v in
                         sorted(self.spent.items(), key=lambda kv: -kv[1][0]))


def take_away(d, b, how):
    """Stop, kill or hang broker b; returns the running `cluster term`
    (whose wait for the exit overlaps the checks) or None."""
    if how == "term":
        return subprocess.Popen([CLUSTER, "term", str(b), "--dir", d])
    subprocess.check_call([CLUSTER, "kill" if how == "kill" else "pause", str(b), "--dir", d])
    return None


class Return(threading.Thread):
    """Brings broker b back: resumes a hung one; restarts a stopped one
    once its process exited (started before the checks of its departure,
    so that the JVM starts while they run)."""

    def __init__(self, d, b, how, stopping):
        super().__init__(daemon=True)
        self.args_ = (d, b, how, stopping)
        self.error = None

    def run(self):
        d, b, how, stopping = self.args_
        try:
            if stopping is not None and stopping.wait(timeout=120) != 0:
                raise AssertionError("broker %d did not stop" % b)
            subprocess.check_call([CLUSTER, "resume" if how == "hang" else "restart", str(b), "--dir", d])
        except Exception as e:  # noqa: BLE001 (reported by done())
            self.error = e

    def done(self):
        self.join(timeout=150)
        assert not self.is_alive() and self.error is None, "broker %d not back: %r" % (self.args_[1], self.error)


def check_move(cds, com, cycle, what, ph):
    com.set(cycle)
    ph.lap("commits acknowledged")
    expect_lags(cds, com)
    alive(cds, what)
    ph.lap("lag exact")


def test_collectd_survives_rolling_restarts_with_exact_lag(cluster3):
    d, boot = cluster3
    kafkactl("create-topic", TOPIC, PARTS, 3, boot=boot)
    for p in range(PARTS):
        kafkactl("produce", TOPIC, p, PRODUCED, boot=boot)
    com = Committers(boot, d)
    com.start()
    com.set(0)
    moves = {"term": 0, "kill": 0, "hang": 0}
    ph = Phases()
    try:
        wait_for(lambda: leaders(boot), 60, "__consumer_offsets to exist")
        # one collectd per source, so that a death names its path
        with Collectd(conf(boot, "viatopic", "topic"), plugins=("kafka",)) as ct, \
                Collectd(conf(boot, "viaadmin", "admin"), plugins=("kafka",)) as ca:
            cds = {"viatopic": ct, "viaadmin": ca}
            expect_lags(cds, com, timeout=90)
            ph.lap("start")
            for cycle in range(CYCLES):
                b = cycle % 3 + 1
                how = PLAN[cycle % len(PLAN)]
                before = leaders(boot)
                stopping = take_away(d, b, how)
                gone = wait_moved(boot, before, lambda now: b not in now.values(),
                                  "coordinators to leave broker %d (%s)" % (b, how))
                ph.lap("leaders leave (%s)" % how)
                moves[how] += 1
                back = Return(d, b, how, stopping)
                if how != "hang":  # a JVM start overlaps the checks
                    back.start()
                check_move(cds, com, 2 * cycle + 1, "after broker %d went away (%s)" % (b, how), ph)

                before = gone
                if how == "hang":
                    back.start()
                back.done()
                # the controller moves preferred leaders back once b is in sync
                wait_moved(boot, before, lambda now: b in now.values(),
                           "coordinators to return to broker %d" % b, timeout=180)
                ph.lap("leaders return (%s)" % how)
                moves[how] += 1
                check_move(cds, com, 2 * cycle + 2, "after broker %d came back" % b, ph)
                print("cycle %d (broker %d, %s): moves %r" % (cycle, b, how, moves))

            # Every lag value ever written was true at some point.
            for block in SOURCES:
                for g in GROUPS:
                    allowed = {PRODUCED - t for t in com.acked(g)}
                    for p in range(PARTS):
                        seen = {v[0] for _, v in lag_rows(cds, block, g, p)}
                        assert seen <= allowed, (block, g, p, seen - allowed)
                for p in range(PARTS):
                    seen = {v[0] for _, v in lag_rows(cds, block, LIVE, p)}
                    assert all(0 <= v <= PRODUCED for v in seen), (block, p, seen)
            alive(cds, "at the end")
    finally:
        com.stop()
        print("phases:", ph)
    assert sum(moves.values()) >= 2 * CYCLES
    if CYCLES >= 10:
        assert sum(moves.values()) >= 20 and all(n >= 2 for n in moves.values()), moves
    for p in com.procs[:len(GROUPS)]:
        out = p.stdout.read() if p.stdout else ""
        assert "commits ok" in out, out
