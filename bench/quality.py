#!/usr/bin/env python3
"""Detection quality of the current models, next to the rolling z-score
baseline run in the same command:

  1. NAB (standard / low-FP / low-FN) with NAB's official scorer, when a NAB
     tree is available (default ../shared/nab beside the project, or --nab);
  2. the simulated Kafka suite (`kafka-ml simulate`): incidents detected,
     false alerts per 1000 series-hours, and for SLA scenarios the minutes
     of warning before the breach (forecast model with the SLA threshold).

usage: bench/quality.py [--kafka-ml PATH] [--nab DIR] [--seed N] [--keep DIR]
Prints numbers; it is a benchmark, not a pass/fail test.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ts(s):
    return datetime.strptime(s[:19], "%Y-%m-%d %H:%M:%S")


def replay(kml, inp, out, extra=()):
    subprocess.check_call([kml, "replay", "-q", "-o", out] + list(extra) + [inp])


def nab_scores(kml, nab, work):
    res = {}
    for name, extra in (("models", []), ("zscore", ["--detector", "zscore"])):
        out = os.path.join(work, "nab-" + name)
        replay(kml, os.path.join(nab, "data"), out, extra)
        p = subprocess.run([os.path.join(nab, "score"), out, "--json"], capture_output=True, text=True)
        if p.returncode != 0:
            return None, p.stdout + p.stderr
        res[name] = json.loads(p.stdout.strip().splitlines()[-1])
    return res, ""


def sim_metrics(kml, sim, work, name, extra):
    scen = json.load(open(os.path.join(sim, "scenarios.json")))
    windows = json.load(open(os.path.join(sim, "labels", "combined_windows.json")))
    out = os.path.join(work, "sim-" + name)
    found = incidents = false_alerts = 0
    hours = 0.0
    leads = []
    for s in scen:
        f = s["file"]
        args = list(extra)
        if "threshold" in s and name == "models":
            args += ["--threshold", str(s["threshold"]), "--horizon", "3600"]
        replay(kml, os.path.join(sim, "data", f), os.path.join(out, os.path.dirname(f)), args)
        rows = list(csv.DictReader(open(os.path.join(out, f))))
        t = [ts(r["timestamp"]) for r in rows]
        hours += (t[-1] - t[0]).total_seconds() / 3600
        # Ignore the first day: every model needs to learn what normal is.
        start = t[0].timestamp() + 86400
        wins = [(ts(a), ts(b)) for a, b in windows[f]]
        alerts = [i for i, r in enumerate(rows) if r["alert"] == "1" and t[i].timestamp() >= start]
        for a, b in wins:
            incidents += 1
            if any(a <= t[i] <= b for i in alerts):
                found += 1
        false_alerts += sum(1 for i in alerts if not any(a <= t[i] <= b for a, b in wins))
        if "threshold" in s and s.get("breach"):
            breach = ts(s["breach"])
            inc = ts(s["incident"])
            col = "forecast_alert" if name == "models" else "alert"
            warn = [t[i] for i, r in enumerate(rows)
                    if r.get(col) in ("1", "2") and inc <= t[i] <= breach]
            if name == "models":
                # first WARNING of the forecast (state 1) before the breach
                warn = [t[i] for i, r in enumerate(rows)
                        if r.get("forecast_alert") == "1" and inc <= t[i] <= breach]
            leads.append((breach - warn[0]).total_seconds() / 60 if warn else 0.0)
    return {
        "incidents": incidents,
        "detected": found,
        "false_alerts_per_1000h": 1000.0 * false_alerts / hours if hours else 0,
        "sla_warning_minutes": leads,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kafka-ml", default=os.path.join(TOP, "build", "kafka-ml"))
    ap.add_argument("--nab", default=os.path.join(TOP, "..", "shared", "nab"))
    ap.add_argument("--seed", default="1")
    ap.add_argument("--keep", help="keep results in this directory")
    a = ap.parse_args()
    work = a.keep or tempfile.mkdtemp(prefix="kml-quality.")
    os.makedirs(work, exist_ok=True)
    try:
        print("== NAB (official scorer; null detector 0, perfect 100)")
        if os.path.exists(os.path.join(a.nab, "score")):
            res, err = nab_scores(a.kafka_ml, a.nab, work)
            if res is None:
                print("   scorer failed:", err[-500:])
            else:
                print("   %-10s %9s %12s %12s" % ("detector", "standard", "low-FP", "low-FN"))
                for k in ("models", "zscore"):
                    r = res[k]
                    print("   %-10s %9.2f %12.2f %12.2f" % (k, r["standard"], r["reward_low_FP_rate"],
                                                          r["reward_low_FN_rate"]))
                print("   ratio models/zscore (standard): %.2f" % (res["models"]["standard"] /
                                                                   max(res["zscore"]["standard"], 1e-9)))
        else:
            print("   skipped: no NAB tree at", a.nab)

        print("== simulated Kafka incidents (kafka-ml simulate --seed %s)" % a.seed)
        sim = os.path.join(work, "sim")
        shutil.rmtree(sim, ignore_errors=True)
        subprocess.check_call([a.kafka_ml, "simulate", "-o", sim, "--seed", a.seed],
                              stderr=subprocess.DEVNULL)
        for name, extra in (("models", []), ("zscore", ["--detector", "zscore"])):
            m = sim_metrics(a.kafka_ml, sim, work, name, extra)
            leads = m["sla_warning_minutes"]
            print("   %-7s incidents detected %d/%d, false alerts %.2f per 1000 series-hours, "
                  "SLA warning before breach (min): %s" % (
                      name, m["detected"], m["incidents"], m["false_alerts_per_1000h"],
                      ", ".join("%.0f" % x for x in leads) or "-"))
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
