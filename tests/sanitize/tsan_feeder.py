#!/usr/bin/env python3
"""exec-plugin feeder for the ThreadSanitizer run of the ml plugin
(tests/sanitize/run tsan): thousands of series every second, so that
collectd's write threads meet in the series store, the peers blocks and
the notification queue while the read callback scans, evaluates peers and
the saver thread writes the state file.

usage: tsan_feeder.py TOPICS PARTITIONS GROUPS HISTORY SECONDS STEP

  every STEP seconds for SECONDS:
  TOPICS x PARTITIONS offsets (kafka_offset, a counter); the first
      partition of every 10th topic runs 20 times faster after 10 s: peer
      outliers;
  GROUPS x PARTITIONS lags (kafka_lag); the first group's first partition
      grows past 500 after 10 s: forecast FAILUREs;
  HISTORY series with 400 values 300 s apart ending now, then 5 values
      far off: anomaly notifications, whose correlation hints scan the
      store while the writers write.
Then it idles (collectd's exec plugin would restart it)."""
import random
import sys
import time

topics, parts, groups, history, seconds, step = (int(a) for a in sys.argv[1:7])
host = "tsan"
rnd = random.Random(5)
out = sys.stdout

now = int(time.time())
for h in range(history):
    t = now - 405 * 300
    for i in range(405):
        v = 100 + 10 * ((i % 12) / 12.0) + rnd.gauss(0, 1) + (500 if i >= 400 else 0)
        out.write("PUTVAL %s/exec-history/gauge-h%d interval=300 %d:%.3f\n" % (host, h, t, v))
        t += 300
out.flush()

offsets = [[rnd.randint(0, 10 ** 6) for _ in range(parts)] for _ in range(topics)]
start = time.time()
while time.time() - start < seconds:
    t = int(time.time())
    late = time.time() - start >= 10
    lines = []
    for k in range(topics):
        for p in range(parts):
            rate = 100 * (20 if k % 10 == 0 and p == 0 and late else 1)
            offsets[k][p] += step * rate + rnd.randint(0, 5)
            lines.append("PUTVAL %s/kafka-topic-t%d/kafka_offset-t%d-%d interval=%d %d:%d\n"
                         % (host, k, k, p, step, t, offsets[k][p]))
    for g in range(groups):
        for p in range(parts):
            lag = rnd.randint(0, 10)
            if g == 0 and p == 0 and late:
                lag = int(100 * (time.time() - start))
            lines.append("PUTVAL %s/kafka-group-g%d/kafka_lag-t%d-%d interval=%d %d:%d\n"
                         % (host, g, g, p, step, t, lag))
    out.write("".join(lines))
    out.flush()
    time.sleep(max(0.0, t + step - time.time()))
sys.stderr.write("tsan feeder done\n")
while True:
    time.sleep(3600)
