#!/usr/bin/env python3
"""Forecast accuracy of the ml plugin's forecaster and coverage of its 95%
band, next to peers run in the same command on the same points.

Accuracy is MASE: mean absolute error h steps ahead, scaled by the
in-sample error of the seasonal naive forecast (one day back). Peers: the
seasonal naive forecast (one day back), the weekly naive one (one week
back) and, when python3-statsmodels is installed, Holt-Winters (additive
damped trend and daily season) refit on the last week at a sample of the
points. Coverage is out of sample: the share of values inside the band the
forecaster gave one horizon earlier (goal 93-97%), with the shares below
and above it (each should be near 2.5%).

usage: bench/forecast.py [--nab DIR] [--horizon-steps 12] [--points 15]
                         [--build DIR] [--sim-days 28] [--sim-copies 4]
                         [NAME=VALUE ...]
Series: NAB's daily-seasonal ones (NAB tree from --nab DIR, $KML_NAB or
shared/nab beside the project; "skipped" without one) and the simulated
Kafka traffic of `kafka-ml simulate` at 5 min. Everything is evaluated on
the second half of each series. Means are per data source, never pooled.
NAME=VALUE sets a forecaster setting (bench/bench_forecast.c) to compare
a variant with the defaults.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import warnings
from datetime import datetime, timezone

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
    t, x = [], []
    for r in csv.DictReader(open(path)):
        d = datetime.strptime(r["timestamp"][:19], "%Y-%m-%d %H:%M:%S")
        t.append(d.replace(tzinfo=timezone.utc).timestamp())
        x.append(float(r["value"]))
    return t, x


def forecasts(driver, t, x, horizon, settings):
    """Forecast, lower, upper for every value (None while not given)."""
    inp = "".join("%.0f %.17g\n" % p for p in zip(t, x))
    out = subprocess.run([driver, "%.0f" % horizon] + settings, input=inp, text=True,
                         capture_output=True, check=True).stdout
    res = []
    for line in out.splitlines():
        f = [float(v) for v in line.split()[2:5]]
        res.append(None if any(v != v for v in f) else f)
    return res


def holt_winters(x, pts, m, h, npoints):
    try:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
        import numpy as np
        warnings.simplefilter("ignore")
    except ImportError:
        return None, []
    sample = pts[:: max(1, len(pts) // npoints)][:npoints]
    errs, used = [], []
    for i in sample:
        hist = np.array(x[max(0, i + 1 - 7 * m): i + 1])
        try:
            f = ExponentialSmoothing(hist, trend="add", damped_trend=True, seasonal="add",
                                     seasonal_periods=m).fit()
            errs.append(abs(f.forecast(h)[-1] - x[i + h]))
            used.append(i)
        except Exception:
            pass
    return (sum(errs) / len(errs) if errs else None), used


def score(driver, name, path, a):
    t, x = load(path)
    step = t[1] - t[0]
    m = int(round(86400 / step))  # values per day
    w = 7 * m
    h = a.horizon_steps
    fc = forecasts(driver, t, x, h * step, a.settings)
    n = len(x)
    start = max(n // 2, 2 * m)  # the second half, after two days
    scale = sum(abs(x[i] - x[i - m]) for i in range(m, start)) / max(1, start - m)
    pts = [i for i in range(start, n - h) if fc[i] is not None]
    if scale == 0 or not pts:
        return None
    r = {"n": len(pts)}
    r["ours"] = sum(abs(fc[i][0] - x[i + h]) for i in pts) / len(pts) / scale
    r["naive"] = sum(abs(x[i + h - m] - x[i + h]) for i in pts) / len(pts) / scale
    wpts = [i for i in pts if i + h - w >= 0]
    r["wnaive"] = (sum(abs(x[i + h - w] - x[i + h]) for i in wpts) / len(wpts) / scale
                   if wpts else float("nan"))
    below = sum(x[i + h] < fc[i][1] for i in pts)
    above = sum(x[i + h] > fc[i][2] for i in pts)
    r["cover"] = 100.0 * (len(pts) - below - above) / len(pts)
    r["below"] = 100.0 * below / len(pts)
    r["above"] = 100.0 * above / len(pts)
    hw, used = holt_winters(x, pts, m, h, a.points)
    r["hw"] = hw / scale if hw is not None else float("nan")
    r["ours_hw"] = (sum(abs(fc[i][0] - x[i + h]) for i in used) / len(used) / scale
                    if used else float("nan"))
    return r


COLS = ["ours", "naive", "wnaive", "hw", "ours_hw", "cover", "below", "above"]
FMT = "%-48s %6.3f %7.3f %7.3f %6.3f %7.3f %6.1f%% %5.1f%% %5.1f%%"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--kafka-ml", help="kafka-ml binary (default: BUILD/kafka-ml)")
    ap.add_argument("--nab", help="NAB tree (default: $KML_NAB or shared/nab beside the project)")
    ap.add_argument("--horizon-steps", type=int, default=12)
    ap.add_argument("--points", type=int, default=15, help="Holt-Winters refits per series")
    ap.add_argument("--sim-days", type=int, default=28)
    ap.add_argument("--sim-copies", type=int, default=4)
    ap.add_argument("settings", nargs="*", help="forecaster settings NAME=VALUE")
    a = ap.parse_args()
    kafka_ml = a.kafka_ml or os.path.join(a.build, "kafka-ml")
    driver = os.path.join(a.build, "bench", "bench_forecast")
    subprocess.check_call(["make", "-s", "-C", a.build, "bench/bench_forecast"])
    work = tempfile.mkdtemp(prefix="kml-forecast.")
    inputs = []
    nab = nabscore.find_nab(a.nab, TOP)
    if nab:
        print("NAB tree:", nab)
        inputs += [("NAB daily", f, os.path.join(nab, "data", f)) for f in NAB_SERIES]
    else:
        print("NAB: skipped (no NAB tree: give --nab DIR or set KML_NAB)")
    sim = os.path.join(work, "sim")
    subprocess.check_call([kafka_ml, "simulate", "-o", sim, "--copies", str(a.sim_copies),
                           "--days", str(a.sim_days), "--step", "300"],
                          stderr=subprocess.DEVNULL)
    d = os.path.join(sim, "data", "kafkaTraffic")
    for f in sorted(os.listdir(d)):
        inputs.append(("simulated", "sim/" + f, os.path.join(d, f)))
    if a.settings:
        print("settings:", " ".join(a.settings))
    print("MASE at %d steps ahead (scale: in-sample seasonal naive error); band coverage "
          "one horizon ahead" % a.horizon_steps)
    print("%-48s %6s %7s %7s %6s %7s %7s %6s %6s" % (
        "series", "ours", "s-naive", "w-naive", "HW", "ours@HW", "cover", "below", "above"))
    tot = {}
    for src, name, path in inputs:
        r = score(driver, name, path, a)
        if r is None:
            print("%-48s skipped (constant or too short)" % name)
            continue
        per = tot.setdefault(src, {k: [] for k in COLS})
        for k in COLS:
            if r[k] == r[k]:
                per[k].append(r[k])
        print(FMT % ((name,) + tuple(r[k] for k in COLS)))
    for src, per in tot.items():
        avg = [sum(v) / len(v) if v else float("nan") for v in (per[k] for k in COLS)]
        print(FMT % (("mean, %s (%d series)" % (src, len(per["ours"])),) + tuple(avg)))
    subprocess.call(["rm", "-rf", work])


if __name__ == "__main__":
    main()
