#!/usr/bin/env python3
"""An exec-plugin feeder for the ml integration tests: prints PUTVAL lines
for one gauge series with explicit timestamps, then idles (so collectd's
exec plugin does not restart it).

usage: feeder.py SPEC...   where SPEC is  COUNT:LEVEL[:NOISE]
                           or ramp:COUNT:FROM:TO[:NOISE]
  values start at time T0 (env KML_T0, default now - total*STEP) and are STEP
  (env KML_STEP, default 60) seconds apart (env KML_T0S: one start time per
  SPEC, comma-separated, instead); noise is seeded and reproducible;
  env KML_SEASON=A adds a daily cycle of amplitude A; env KML_IDENT2 names
  series (blank-separated identifiers) fed 2 * value + 5 at the same times.
"""
import os
import random
import sys
import math
import time

specs = [s.split(":") for s in sys.argv[1:]]
total = sum(int(s[1] if s[0] == "ramp" else s[0]) for s in specs)
step = float(os.environ.get("KML_STEP", "60"))
t = float(os.environ.get("KML_T0", time.time() - total * step))
rnd = random.Random(7)
ident = os.environ.get("KML_IDENT", "feeder/exec-test/gauge-signal")
starts = [float(x) for x in os.environ.get("KML_T0S", "").split(",") if x]
for k, s in enumerate(specs):
    if k < len(starts):
        t = starts[k]
    ramp = s[0] == "ramp"
    if ramp:
        s = s[1:]
    count, level = int(s[0]), float(s[1])
    end = float(s[2]) if ramp else level
    noise = float(s[3 if ramp else 2]) if len(s) > (3 if ramp else 2) else 1.0
    for i in range(count):
        v = level + (end - level) * i / max(1, count - 1) + noise * rnd.gauss(0, 1)
        v += float(os.environ.get("KML_SEASON", "0")) * math.sin(2 * math.pi * (t % 86400) / 86400)
        sys.stdout.write("PUTVAL %s interval=%g %d:%.6f\n" % (ident, step, int(t), v))
        # series that move with it (KML_IDENT2: identifiers, blank-separated)
        for twin in os.environ.get("KML_IDENT2", "").split():
            sys.stdout.write("PUTVAL %s interval=%g %d:%.6f\n" % (twin, step, int(t), 2 * v + 5))
        t += step
sys.stdout.flush()
sys.stderr.write("feeder done, last time %d\n" % int(t - step))
while True:
    time.sleep(3600)
