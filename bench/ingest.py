#!/usr/bin/env python3
"""Ingest cost of the ml plugin's models per value, with the peer measured
in the same run: statsmodels Holt-Winters (ExponentialSmoothing, additive
trend and daily season) and STL refit at every point, the way a Python
sidecar would score a streaming value. Prints the ratio.

usage: bench/ingest.py [--series 100000] [--rounds 20] [--build DIR]
Needs python3-statsmodels (Debian) for the peer; without it only our side
is printed.
"""
import argparse
import os
import subprocess
import time
import warnings

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ours(build, series, rounds, threads, extra=()):
    out = subprocess.check_output([os.path.join(build, "bench", "bench_ingest"),
                                   str(series), str(rounds), str(threads)] + list(extra), text=True)
    return dict(l.split(" ", 1) for l in out.strip().splitlines()[1:]), out


def statsmodels_per_point(points=40, history=288 * 3):
    import numpy as np
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.seasonal import STL
    rng = np.random.default_rng(1)
    n = history + points
    t = np.arange(n)
    y = 100 + 20 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 2, n)
    res = {}
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    for i in range(history, n):
        m = ExponentialSmoothing(y[i - history:i], trend="add", seasonal="add",
                                 seasonal_periods=288).fit()
        m.forecast(1)
    res["holt_winters"] = (time.perf_counter() - t0) / points * 1e9
    t0 = time.perf_counter()
    for i in range(history, n):
        STL(y[i - history:i], period=288).fit()
    res["stl"] = (time.perf_counter() - t0) / points * 1e9
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    a = ap.parse_args()
    # the driver is built here, so a figure never comes from a stale binary
    subprocess.check_call(["make", "-s", "-C", a.build, "bench/bench_ingest"])
    r1, raw = ours(a.build, a.series, a.rounds, 1)
    r2, _ = ours(a.build, a.series, a.rounds, 2)
    r3, _ = ours(a.build, a.series, a.rounds, 1, ["forecast"])
    ns = float(r1["ns_per_value"])
    print("collectd-kafka-ml models, %d series, timed after %s untimed values per series "
          "(past the warm-up: %.0f%% of series scored):" % (
              a.series, r1["warmup_values"], 100 * float(r1["scored_share"])))
    print("  1 thread : %8.1f ns/value (%s values/s)" % (ns, r1["values_per_second"]))
    print("  2 threads: %8.1f ns/value wall (%s values/s)" % (float(r2["ns_per_value"]),
                                                            r2["values_per_second"]))
    print("  1 thread, forecast evaluated per value: %8.1f ns/value" % float(r3["ns_per_value"]))
    print("  state: %s bytes of model per series, %s MiB resident per 100k series" % (
        r1["model_bytes"], r1["rss_mib_per_100k_series"]))
    try:
        peer = statsmodels_per_point()
    except ImportError:
        print("statsmodels not installed (apt-get install python3-statsmodels): no peer ratio")
        return
    for k, v in peer.items():
        print("statsmodels %-12s refit per point: %12.0f ns/value  -> ratio %.0fx" % (k, v, v / ns))


if __name__ == "__main__":
    main()
