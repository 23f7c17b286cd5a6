#!/usr/bin/env python3
"""Per-file view of a replayed NAB run: for each labelled window the highest
anomaly score inside it (and how far into the window it came), and the
highest scores outside windows after the probationary period. Shows which
incidents a detector misses and where it raises false alarms.

usage: bench/nab_diag.py RESULTS_DIR [NAB_DIR] [--threshold T]
"""
import csv
import json
import os
import sys
from datetime import datetime


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    thr = 0.99
    if "--threshold" in sys.argv:
        thr = float(sys.argv[sys.argv.index("--threshold") + 1])
    res = args[0]
    nab = args[1] if len(args) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "nab")
    windows = json.load(open(os.path.join(nab, "labels", "combined_windows.json")))
    tot_tp = tot_fn = tot_fp = 0
    for key in sorted(windows):
        path = os.path.join(res, key)
        if not os.path.exists(path):
            continue
        rows = list(csv.DictReader(open(path)))
        ts = [datetime.strptime(r["timestamp"], "%Y-%m-%d %H:%M:%S") for r in rows]
        sc = [float(r["anomaly_score"] or 0) for r in rows]
        prob = min(int(0.15 * len(rows)), 750)
        wins = [(datetime.strptime(a[:19], "%Y-%m-%d %H:%M:%S"), datetime.strptime(b[:19], "%Y-%m-%d %H:%M:%S")) for a, b in windows[key]]
        inwin = [any(a <= t <= b for a, b in wins) for t in ts]
        desc = []
        for a, b in wins:
            idx = [i for i, t in enumerate(ts) if a <= t <= b]
            first = next((i for i in idx if sc[i] >= thr), None)
            m = max(sc[i] for i in idx) if idx else 0
            if first is not None:
                tot_tp += 1
                desc.append("TP@%.2f" % ((first - idx[0]) / max(1, len(idx))))
            else:
                tot_fn += 1
                desc.append("FN(max %.4f)" % m)
        fps = []
        last = -10 ** 9
        for i in range(prob, len(rows)):
            if not inwin[i] and sc[i] >= thr:
                fps.append(i)
        tot_fp += len(fps)
        print("%-60s %s  FP=%d%s" % (key, " ".join(desc), len(fps),
                                      " at " + ",".join(str(i) for i in fps[:6]) if fps else ""))
    print("threshold %.4f: %d windows found, %d missed, %d false alarms" % (thr, tot_tp, tot_fn, tot_fp))


if __name__ == "__main__":
    main()
