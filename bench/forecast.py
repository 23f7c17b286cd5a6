#!/usr/bin/env python3
"""Forecast accuracy of the ml plugin's forecaster, as MASE (mean absolute
error scaled by the in-sample error of the seasonal naive forecast, one day
back), next to the seasonal naive forecast itself and statsmodels'
Holt-Winters (additive damped trend and daily season) refit on the same
history at a sample of the same points, in the same run.

usage: bench/forecast.py [--nab DIR] [--horizon-steps 12] [--points 15]
Series: NAB's daily-seasonal ones (when a NAB tree is available: --nab DIR,
$KML_NAB or shared/nab beside the project) and the simulated Kafka traffic
of `kafka-ml simulate`; means are reported per data source, never pooled.
Needs python3-statsmodels for the Holt-Winters column.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import warnings
from datetime import datetime

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nabscore  # noqa: E402
NAB_SERIES = [
    "artificialNoAnomaly/art_daily_small_noise.csv",
    "realKnownCause/nyc_taxi.csv",
    "realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv",
    "realAWSCloudwatch/elb_request_count_8c0756.csv",
]


def load(path):
    rows = list(csv.DictReader(open(path)))
    t = [datetime.strptime(r["timestamp"][:19], "%Y-%m-%d %H:%M:%S").timestamp() for r in rows]
    return t, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kafka-ml", default=os.path.join(TOP, "build", "kafka-ml"))
    ap.add_argument("--nab", help="NAB tree (default: $KML_NAB or shared/nab beside the project)")
    ap.add_argument("--horizon-steps", type=int, default=12)
    ap.add_argument("--points", type=int, default=15, help="Holt-Winters refits per series")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="kml-forecast.")
    inputs = []
    nab = nabscore.find_nab(a.nab, TOP)
    if nab:
        print("NAB tree:", nab)
        inputs += [(f, os.path.join(nab, "data", f)) for f in NAB_SERIES]
    else:
        print("NAB: skipped (no NAB tree: give --nab DIR or set KML_NAB)")
    sim = os.path.join(work, "sim")
    subprocess.check_call([a.kafka_ml, "simulate", "-o", sim, "--copies", "2", "--days", "10",
                           "--step", "300"],
                          stderr=subprocess.DEVNULL)
    for f in sorted(os.listdir(os.path.join(sim, "data", "kafkaTraffic"))):
        inputs.append(("sim/" + f, os.path.join(sim, "data", "kafkaTraffic", f)))
    try:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
        import numpy as np
        warnings.simplefilter("ignore")
    except ImportError:
        ExponentialSmoothing = None
    print("%-50s %8s %8s %8s %10s" % ("series (h = %d steps)" % a.horizon_steps, "ours",
                                      "s-naive", "HW", "ours@HWpts"))
    tot = {}
    for name, path in inputs:
        t, rows = load(path)
        x = [float(r["value"]) for r in rows]
        step = t[1] - t[0]
        m = int(round(86400 / step))  # values per day
        h = a.horizon_steps
        out = os.path.join(work, "r", name.replace("/", "_"))
        subprocess.check_call([a.kafka_ml, "replay", "-q", "-o", out, "--horizon", str(h * step), path])
        res = list(csv.DictReader(open(os.path.join(out, os.path.basename(path)))))
        fc = [float(r["forecast"]) if r["forecast"] not in ("", "nan") else None for r in res]
        n = len(x)
        start = max(n // 2, 2 * m)  # evaluate on the second half, after two days
        # MASE scale: in-sample seasonal naive error (one day back) before start
        scale = sum(abs(x[i] - x[i - m]) for i in range(m, start)) / max(1, start - m)
        if scale == 0:
            continue
        pts = [i for i in range(start, n - h) if fc[i] is not None]
        ours = sum(abs(fc[i] - x[i + h]) for i in pts) / len(pts) / scale
        naive = sum(abs(x[i + h - m] - x[i + h]) for i in pts) / len(pts) / scale
        hw = ours_hw = float("nan")
        if ExponentialSmoothing is not None:
            sample = pts[:: max(1, len(pts) // a.points)][: a.points]
            errs, mine = [], []
            for i in sample:
                hist = np.array(x[max(0, i + 1 - 7 * m): i + 1])
                try:
                    f = ExponentialSmoothing(hist, trend="add", damped_trend=True, seasonal="add",
                                             seasonal_periods=m).fit()
                    errs.append(abs(f.forecast(h)[-1] - x[i + h]))
                    mine.append(abs(fc[i] - x[i + h]))
                except Exception:
                    pass
            if errs:
                hw = sum(errs) / len(errs) / scale
                ours_hw = sum(mine) / len(mine) / scale
        src = tot.setdefault("simulated" if name.startswith("sim/") else "NAB daily",
                             {"ours": [], "naive": [], "hw": [], "ours_hw": []})
        for k, v in (("ours", ours), ("naive", naive), ("hw", hw), ("ours_hw", ours_hw)):
            if v == v:
                src[k].append(v)
        print("%-50s %8.3f %8.3f %8.3f %10.3f" % (name, ours, naive, hw, ours_hw))
    for src, t in tot.items():
        avg = {k: (sum(v) / len(v) if v else float("nan")) for k, v in t.items()}
        print("%-50s %8.3f %8.3f %8.3f %10.3f" % ("mean MASE, %s (%d)" % (src, len(t["ours"])),
                                                  avg["ours"], avg["naive"], avg["hw"], avg["ours_hw"]))
    subprocess.call(["rm", "-rf", work])


if __name__ == "__main__":
    main()
