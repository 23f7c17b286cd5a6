#!/usr/bin/env python3
"""bench/cause.py: how well the ml plugin's <Cause> chain names why a group
backed up, on simulated incidents whose cause is known (src/cli/chain_sim.c),
on seeds other than those its defaults were chosen on (1..40), and what the
chain and the several-value brokers block cost per interval, through the C
code itself (bench/bench_cause).

  bench/cause.py [--build DIR] [--from 1001] [--n 200]

Per matching method (detrend, the plugin's; first differences, the older
hint's; plain Pearson on raw values) and rule for naming a best match
(the shipped one: |r| >= 0.5, family-wise chance below 0.1 unless a leader
is an outlier, none when the backlog is the consumer's; "_significant":
without the consumer-side rule; "_fixed": |r| >= 0.5 alone, the older
rule):
  - partitions: precision (named partitions that did back up) and recall
    (backed-up partitions counted / those that did);
  - leader: the slow broker named as the leader of the most backed-up
    partitions, and as an outlier among its peers;
  - precision@1 per scope: the slow broker's own series first among
    application metrics, its host's first among resource metrics;
  - whole chain: all of the above right in one incident;
  - stalled groups: "all partitions backed up" (the consumer side), no
    leader wrongly called an outlier, and how often a series is named as
    the best match all the same (no broker or host caused a stall);
  - the named cause per scope over both kinds: precision (right names
    among all names) and recall (right names per slow-broker incident).
Cost: CPU time per interval of filing a cluster's values and of one
explanation, against the older correlation hint over as many series; and
of a brokers block on four values at once against four single-value blocks
(the same values), measured in the same run."""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def parse(line):
    return dict(kv.split("=", 1) for kv in line.split())


def pct(a, b):
    return "%5.1f%%" % (100.0 * a / b) if b else "  n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.environ.get("KML_BUILD", os.path.join(os.path.dirname(HERE), "build")))
    ap.add_argument("--from", dest="first", type=int, default=1001)
    ap.add_argument("--n", type=int, default=200)
    a = ap.parse_args()
    subprocess.run(["make", "-s", "-C", a.build, "bench/bench_cause"], check=True)
    exe = os.path.join(a.build, "bench", "bench_cause")
    out = subprocess.run([exe, "precision", str(a.first), str(a.n)], capture_output=True, text=True,
                         check=True).stdout
    print("chain on %d incidents of each kind, seeds %d..%d" % (a.n, a.first, a.first + a.n - 1))
    print("%-12s %-20s %9s %8s %7s %8s %8s %8s %6s %10s" % (
        "kind", "method", "parts.prec", "recall", "leader", "outlier", "app@1", "res@1", "whole",
        "explain_us"))
    rows = {}
    for line in out.splitlines():
        r = {k: (v if not v.lstrip("-").isdigit() else int(v)) for k, v in parse(line).items()}
        rows[(r["kind"], r["method"])] = r
        n = r["cases"]
        prec = pct(r["partitions_right"], r["partitions_named"])
        rec = pct(min(r["partitions_backed_counted"], r["partitions_backed_true"]), r["partitions_backed_true"])
        if r["kind"] == "slow_broker":
            print("%-12s %-20s %9s %8s %7s %8s %8s %8s %6s %10s" % (
                r["kind"], r["method"], prec, rec, pct(r["leader"], n), pct(r["leader_outlier"], n),
                pct(r["application_at1"], n), pct(r["resource_at1"], n), pct(r["whole_chain"], n),
                r["explain_us"]))
        else:
            print("%-12s %-20s %9s %8s  consumer side %s, leader wrongly an outlier %s, a match named "
                  "(application %s, resource %s)  %s" % (
                      r["kind"], r["method"], prec, rec, pct(r["consumer_side"], n),
                      pct(r["false_outlier_leader"], n), pct(r["application_named"], n),
                      pct(r["resource_named"], n), r["explain_us"]))
    # The named cause, per scope: precision = right names / all names over
    # both kinds (a stall has no broker or host cause: any name is wrong);
    # recall = right names / slow-broker incidents.
    print()
    print("named cause (both kinds): %-20s %22s %22s" % ("method", "application prec/recall",
                                                         "resource prec/recall"))
    for method in dict.fromkeys(m for _, m in rows):
        sb, st = rows[("slow_broker", method)], rows[("stall", method)]
        cells = []
        for scope, at1 in (("application", "application_at1"), ("resource", "resource_at1")):
            named = sb[scope + "_named"] + st[scope + "_named"]
            cells.append("%s (%d/%d) / %s" % (pct(sb[at1], named), sb[at1], named,
                                              pct(sb[at1], sb["cases"])))
        print("%26s %-20s %22s %22s" % ("", method, cells[0], cells[1]))
    print()
    for b, p in ((5, 8), (16, 64)):
        out = subprocess.run([exe, "cost", str(b), str(p)], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            kind, rest = line.split(" ", 1)
            r = parse(rest)
            if kind == "chain":
                print("chain, %s brokers, %s partitions per topic (%s series): filing %s us per interval; "
                      "one explanation %s us, %s x the older hint over as many series (%s us)" % (
                          r["brokers"], r["partitions"], r["series"], r["feed_us_per_interval"],
                          r["explain_us"], r["explain_vs_hint"], r["hint_us"]))
            else:
                print("brokers block, %s brokers x 4 values: %s us per interval, %s x four single-value "
                      "blocks (%s us)" % (r["brokers"], r["us_per_interval"], r["ratio"],
                                          r["single_value_blocks_us_per_interval"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
