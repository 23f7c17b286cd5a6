#!/usr/bin/env python3
"""bench/ops.py: the kafka plugin's cross-topic ordering alert and rebalance
storm detector, and the ports plugin's reader, on data they were not
designed on: the labelled incidents of `kafka-ml simulate` (seeds other than
the default), through the C code itself (bench/bench_ops).

  bench/ops.py [--build DIR] [--seeds 11,12,13] [--threshold 60]

Ordering: every ordered pair (A, B) of simulated group lag series (stalled
and slow consumers, each with its own benign pauses, rebalance blips and
commit saw-tooth) is one group consuming two topics; the incidents of A and
B are the truth. Storms: rebalances are read off the simulated group
consumption series (a run of steps under 5% of the last hour's median is
one rebalance, counted where it starts), with the storm incident as truth.
Reported: detection delay from the incident (and, for ordering, from the
step where the spread of the two series really passed the threshold),
false notifications per 1,000 series-hours (problem notifications that
start outside every labelled window) and CPU time per collection; and the
ports reader's cost per socket."""
import argparse
import calendar
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def epoch(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%d %H:%M:%S"))


def read_series(path):
    t, v = [], []
    with open(path) as f:
        next(f)
        for line in f:
            a, b = line.rstrip("\n").split(",")
            t.append(epoch(a))
            v.append(float(b))
    return t, v


def run(build, args, lines):
    p = subprocess.run([os.path.join(build, "bench", "bench_ops")] + args, input="".join(lines),
                       capture_output=True, text=True, check=True)
    events, cpu = [], 0.0
    for line in p.stdout.splitlines():
        w = line.split()
        if w[0] == "cpu_ns_per_step":
            cpu = float(w[1])
        else:
            events.append((float(w[0]), w[1], [float(x) for x in w[2:]]))
    return events, cpu


def simulate(build, seed, out):
    subprocess.run([os.path.join(build, "kafka-ml"), "simulate", "-o", out, "--seed", str(seed)],
                   check=True, capture_output=True)
    with open(os.path.join(out, "scenarios.json")) as f:
        scen = {s["file"]: s for s in json.load(f)}
    with open(os.path.join(out, "labels", "combined_windows.json")) as f:
        wins = {k: [(epoch(a[:19]), epoch(b[:19])) for a, b in v] for k, v in json.load(f).items()}
    return scen, wins


def alert_at(events, t):
    """Is the alert up at time t (events: (time, severity, ...))?"""
    up = False
    for e in events:
        if e[0] > t:
            break
        up = e[1] != "OKAY"
    return up


def inside(t, windows):
    return any(a <= t <= b for a, b in windows)


def summary(name, delays, false, hours, cpu, missed, extra=""):
    d = sorted(delays)
    med = statistics.median(d) if d else float("nan")
    print("%s: %d detected, %d missed; delay from the incident median %.0f s (min %.0f, max %.0f)%s; "
          "%d false notification(s) in %.0f series-hours = %.2f per 1,000; CPU %.0f ns per collection"
          % (name, len(d), missed, med, d[0] if d else float("nan"), d[-1] if d else float("nan"), extra,
             false, hours, 1000 * false / hours if hours else float("nan"), cpu))


def ordering(build, sims, threshold):
    delays, after_cross, false, hours, cpus, missed = [], [], 0, 0.0, [], 0
    for scen, wins, out in sims:
        lags = [f for f, s in scen.items() if s["series"] == "group lag (s)"]
        data = {f: read_series(os.path.join(out, "data", f)) for f in lags}
        for a in lags:
            for b in lags:
                if a == b:
                    continue
                ta, va = data[a]
                tb, vb = data[b]
                n = min(len(ta), len(tb))
                lines = ["%d %.4f %.4f\n" % (ta[i], va[i], vb[i]) for i in range(n)]
                events, cpu = run(build, ["ordering", str(threshold)], lines)
                cpus.append(cpu)
                hours += (ta[n - 1] - ta[0]) / 3600
                truth = wins.get(a, []) + wins.get(b, [])
                warns = [t for t, s, _ in events if s == "WARNING"]
                false += sum(1 for t in warns if not inside(t, truth))
                inc = epoch(scen[a]["incident"])
                # the alert raised for A's incident, or already up (B's
                # slow consumer never recovers) when A's incident begins
                on = alert_at(events, inc)
                hit = [inc] if on else [t for t in warns if t >= inc and inside(t, wins.get(a, []))]
                if not hit:
                    missed += 1
                    continue
                delays.append(hit[0] - inc)
                cross = next((ta[i] for i in range(n) if ta[i] >= inc and abs(va[i] - vb[i]) > threshold), None)
                if cross is not None and not on:
                    after_cross.append(hit[0] - cross)
    extra = "; after the spread passed %g s: median %.0f s, max %.0f s" % (
        threshold, statistics.median(after_cross), max(after_cross)) if after_cross else ""
    summary("ordering (OrderingSkewSeconds %g, %d group pairs)" % (threshold, len(cpus)),
            delays, false, hours, statistics.mean(cpus), missed, extra)


def rebalances(t, v, step):
    """A run of steps under 5% of the previous hour's median is one
    rebalance, counted at the step where it starts."""
    out, low, hist = [], False, []
    span = int(3600 / step)
    for i in range(len(t)):
        med = statistics.median(hist) if hist else v[i]
        now = med > 0 and v[i] < 0.05 * med
        out.append("%d %d\n" % (t[i], 1 if now and not low else 0))
        low = now
        if not now:
            hist.append(v[i])
            if len(hist) > span:
                hist.pop(0)
    return out


def storms(build, sims, window, floor):
    delays, false, hours, cpus, missed = [], 0, 0.0, [], 0
    for scen, wins, out in sims:
        for f, s in scen.items():
            if s["kind"] != "rebalance_storm":
                continue
            t, v = read_series(os.path.join(out, "data", f))
            events, cpu = run(build, ["storm", str(window), str(floor)], rebalances(t, v, t[1] - t[0]))
            cpus.append(cpu)
            hours += (t[-1] - t[0]) / 3600
            warns = [e for e in events if e[1] == "WARNING"]
            false += sum(1 for e in warns if not inside(e[0], wins.get(f, [])))
            inc = epoch(s["incident"])
            hit = [e[0] for e in warns if e[0] >= inc and inside(e[0], wins.get(f, []))]
            if hit:
                delays.append(hit[0] - inc)
            else:
                missed += 1
    summary("storms (RebalanceStormWindow %gs, RebalanceStormMin %d, %d groups)" % (window, floor, len(cpus)),
            delays, false, hours, statistics.mean(cpus), missed)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--seeds", default="11,12,13")
    ap.add_argument("--threshold", type=float, default=60)
    a = ap.parse_args()
    subprocess.run(["make", "-s", "-C", a.build, "bench/bench_ops"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        sims = []
        for seed in a.seeds.split(","):
            out = os.path.join(tmp, "seed%s" % seed)
            scen, wins = simulate(a.build, seed, out)
            sims.append((scen, wins, out))
        ordering(a.build, sims, a.threshold)
        for window in (600, 3600):
            storms(a.build, sims, window, 4)
    p = subprocess.run([os.path.join(a.build, "bench", "bench_ops"), "ports", "100000", "5"],
                       capture_output=True, text=True, check=True)
    print("ports reader: " + p.stdout.strip() + " (best of 5 scans of a 100,000-socket table)")


if __name__ == "__main__":
    sys.exit(main())
