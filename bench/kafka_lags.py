#!/usr/bin/env python3
"""Per-partition consumer lag from three tools, for bench/kafka.sh.

  kafka_lags.py collectd SOCKET          kafka_lag of every group partition in
                                         collectd's cache (unixsock plugin)
  kafka_lags.py prometheus METRIC GROUP_LABEL TOPIC_LABEL PARTITION_LABEL < metrics
  kafka_lags.py compare OURS [PEER ...]  agreement on the partitions all report

Each extraction prints "group topic partition lag" lines."""
import re
import socket
import sys


def collectd(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rw")

    def ask(cmd):
        f.write(cmd + "\n")
        f.flush()
        head = f.readline()
        n = int(head.split()[0])
        return [f.readline().rstrip("\n") for _ in range(max(n, 0))]

    for line in ask("LISTVAL"):
        ident = line.split(" ", 1)[1]
        m = re.match(r"^[^/]+/kafka-group-(.+)/kafka_lag-(.+)-(\d+)$", ident)
        if not m:
            continue
        vals = ask('GETVAL "%s"' % ident)
        if vals:
            print(m.group(1), m.group(2), m.group(3), float(vals[0].split("=", 1)[1]))


def prometheus(metric, gl, tl, pl):
    pat = re.compile(r"^%s\{([^}]*)\}\s+(\S+)" % re.escape(metric))
    for line in sys.stdin:
        m = pat.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        print(labels[gl], labels[tl], labels[pl], float(m.group(2)))


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            g, t, p, v = line.split()
            out[(g, t, int(p))] = float(v)
    return out


def compare(paths):
    sets = [load(p) for p in paths]
    names = [p.rsplit("/", 1)[-1] for p in paths]
    for n, s in zip(names, sets):
        print("  %-28s %6d group partitions with a lag" % (n, len(s)))
    common = set(sets[0])
    for s in sets[1:]:
        common &= set(s)
    differ = [k for k in sorted(common) if len({s[k] for s in sets}) > 1]
    print("  reported by all: %d, lag equal on %d, different on %d"
          % (len(common), len(common) - len(differ), len(differ)))
    for k in differ[:5]:
        print("    differs:", k, [s[k] for s in sets])
    for n, s in zip(names, sets):
        only = set(s) - common
        if only:
            ex = sorted(only)[:2]
            print("  only %s reports %d (e.g. %s)" % (n, len(only), ", ".join(
                "%s/%s-%d=%g" % (k[0], k[1], k[2], s[k]) for k in ex)))
    return 1 if differ else 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "collectd":
        collectd(sys.argv[2])
    elif cmd == "prometheus":
        prometheus(*sys.argv[2:6])
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2:]))
    else:
        print(__doc__)
        sys.exit(2)
