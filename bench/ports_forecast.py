#!/usr/bin/env python3
"""bench/ports_forecast.py: the "ports exhausted in ~N min" forecast
(collectd.conf.d/ports.conf: forecast model, Threshold at the range,
Forecast 30m) on series it was not designed on, through kafka-ml replay
(the plugin's model code): simulated daily/weekly traffic (kafka-ml
simulate, traffic_normal) scaled so that its peak uses 75% of Linux's
default range (28232 ports) never runs out: every warning is false; the
simulated retention-overtake series (a share that climbs past 100%) scaled
to the range runs out: the lead time is how long before the crossing the
warning came.

  bench/ports_forecast.py [--build DIR] [--seeds 11,12,13]"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile

POOL = 28232


def replay(build, src, out):
    subprocess.run([os.path.join(build, "kafka-ml"), "replay", "-q", "-o", out, "--threshold", str(POOL),
                    "--horizon", "30m", src], check=True)


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def scaled(src, dst, factor):
    with open(src) as f, open(dst, "w") as g:
        r = csv.reader(f)
        w = csv.writer(g)
        w.writerow(next(r))
        for t, v in r:
            w.writerow([t, "%.3f" % (float(v) * factor)])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                   "build"))
    ap.add_argument("--seeds", default="11,12,13")
    a = ap.parse_args()
    false, hours, leads, missed = 0, 0.0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in a.seeds.split(","):
            sim = os.path.join(tmp, "sim" + seed)
            subprocess.run([os.path.join(a.build, "kafka-ml"), "simulate", "-o", sim, "--seed", seed],
                           check=True, capture_output=True)
            for kind, folder in (("traffic_normal", "kafkaTraffic"), ("retention_overtake", "kafkaRetention")):
                for i in (1, 2, 3):
                    name = "%s_%d.csv" % (kind, i)
                    src = os.path.join(sim, "data", folder, name)
                    vals = [float(r["value"]) for r in rows(src)]
                    factor = 0.75 * POOL / max(vals) if kind == "traffic_normal" else POOL / 100.0
                    dst = os.path.join(tmp, "%s-%s" % (seed, name))
                    scaled(src, dst, factor)
                    out = os.path.join(tmp, "out-%s-%s" % (seed, name))
                    replay(a.build, dst, out)
                    res = rows(os.path.join(out, os.path.basename(dst)) if os.path.isdir(out) else out)
                    alerts = [r for k, r in enumerate(res)
                              if r["forecast_alert"] not in ("", "0") and
                              (k == 0 or res[k - 1]["forecast_alert"] in ("", "0"))]
                    if kind == "traffic_normal":
                        false += len(alerts)
                        hours += len(res) * 10 / 3600
                        continue
                    cross = next((k for k, r in enumerate(res) if float(r["value"]) >= POOL), None)
                    warn = next((k for k, r in enumerate(alerts)), None)
                    if cross is None:
                        continue
                    first = next((k for k, r in enumerate(res) if r["forecast_alert"] not in ("", "0")), None)
                    if first is None or first > cross:
                        missed += 1
                    else:
                        leads.append((cross - first) * 10)
    print("ports forecast (Threshold %d, Forecast 30m): %d false warning(s) in %.0f series-hours of traffic "
          "peaking at 75%% of the range = %.2f per 1,000 series-hours" % (POOL, false, hours, 1000 * false / hours))
    if leads:
        leads.sort()
        print("exhaustion (retention_overtake shapes scaled to the range): %d warned, %d missed; lead time before "
              "the range ran out: median %.0f s, min %.0f s, max %.0f s"
              % (len(leads), missed, leads[len(leads) // 2], leads[0], leads[-1]))


if __name__ == "__main__":
    sys.exit(main())
