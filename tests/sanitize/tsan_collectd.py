#!/usr/bin/env python3
"""ThreadSanitizer on the ml plugin inside a real collectd: WriteThreads 4,
a few thousand series every 2 s from an exec feeder (tsan_feeder.py), the
anomaly and forecast models with notifications, two peers blocks, a
MaxSeries below the number of series (evictions), and the state file saved
every second by the saver thread; then a normal shutdown (last save).

usage: tsan_collectd.py SECONDS
  KML_BUILD            a build of the tree with -fsanitize=thread
  KML_COLLECTD_PRELOAD the ThreadSanitizer runtime (collectd is not
                       instrumented; the runtime must load first)
  TSAN_OPTIONS         where reports go (log_path); tests/sanitize/run tsan
                       counts them

Prints what the run exercised and exits 1 when it did not do its job (too
few series modeled, no notification of a kind): zero reports from a run
that never reached the code would prove nothing."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import SRC, Collectd, readable_copy, wait_for  # noqa: E402

TOPICS, PARTITIONS, GROUPS, HISTORY = 80, 30, 20, 20
STEP = 2  # seconds between values (collectd's Interval too)


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    feeder = readable_copy(os.path.join(SRC, "tests", "sanitize", "tsan_feeder.py"))
    series = (TOPICS + GROUPS) * PARTITIONS + HISTORY
    body = """
LoadPlugin exec
<Plugin exec>
  # the feeder runs without the runtime collectd has preloaded
  Exec "nobody" "/usr/bin/env" "-u" "LD_PRELOAD" "/usr/bin/python3" "%(feeder)s" "%(topics)d" "%(parts)d" "%(groups)d" "%(history)d" "%(seconds)d" "%(step)d"
</Plugin>
<Plugin ml>
  StateFile "%(state)s"
  StateInterval 1
  MaxSeries %(max_series)d
  <Match "history">
    Plugin "^exec$"
    Models "anomaly"
    DerivedValues true
  </Match>
  <Match "lag">
    Plugin "^kafka$"
    Type "^kafka_lag$"
    Models "anomaly" "forecast"
    Forecast "30m"
    Threshold 500
  </Match>
  <Match "offsets">
    Plugin "^kafka$"
    Type "^kafka_offset$"
    Models "anomaly"
  </Match>
  <Peers "partitions">
    Plugin "^kafka$"
    PluginInstance "^topic-"
    Type "^kafka_offset$"
    GroupBy "Host" "PluginInstance" "Type"
    Persist 0
  </Peers>
  <Peers "lag">
    Plugin "^kafka$"
    Type "^kafka_lag$"
    GroupBy "Host" "PluginInstance" "Type"
    Persist "2s"
  </Peers>
</Plugin>
"""
    cd = Collectd("", interval=STEP, plugins=("ml",), write_threads=4)
    cd_body = body % {"feeder": feeder, "topics": TOPICS, "parts": PARTITIONS, "groups": GROUPS,
                      "history": HISTORY, "seconds": seconds, "step": STEP, "state": os.path.join(cd.dir, "ml.state"),
                      "max_series": series - 200}
    with open(cd.conf, "a") as f:
        f.write(cd_body)
    start = time.time()
    ok = True
    with cd:
        wait_for(lambda: "tsan feeder done" in cd.log_text(), seconds + 120, "the feeder to finish")
        time.sleep(3)  # the last interval's evaluation and notifications
        rc = cd.stop()  # a normal shutdown: the saver thread ends, a last save
        log = cd.log_text()
    if rc != 0:
        print("tsan collectd: collectd exited with status %s" % rc)
        ok = False
    notes = re.findall(r"Notification: severity = (\w+).*?message = (.*)", log)
    kinds = {
        "anomaly": sum(1 for s, m in notes if m.startswith("anomaly in")),
        "forecast": sum(1 for s, m in notes if "above the threshold" in m or "will exceed" in m),
        "peers": sum(1 for s, m in notes if "outlier among" in m),
    }
    print("tsan collectd: %d s, %d series every %d s (%d write threads), %d notifications "
          "(anomaly %d, forecast %d, peers %d), %.0f s in all"
          % (seconds, series - HISTORY, STEP, 4, len(notes), kinds["anomaly"], kinds["forecast"],
             kinds["peers"], time.time() - start))
    saved = [int(n) for n in re.findall(r"saved (\d+) series to", log)]
    print("tsan collectd: series in the last state save: %s (MaxSeries %d)"
          % (saved[-1] if saved else "none", series - 200))
    if not saved or saved[-1] < 2000:
        print("tsan collectd: too few series modeled")
        ok = False
    for k in ("forecast", "peers"):
        if kinds[k] == 0:
            print("tsan collectd: no %s notification: that path was not exercised" % k)
            ok = False
    if "evicted" not in log:
        print("tsan collectd: no eviction under MaxSeries")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
