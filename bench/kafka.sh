#!/usr/bin/env bash
# bench/kafka.sh: collection cost on a big cluster, this plugin against
# kafka_exporter measured in the same run.
#
#   bench/kafka.sh [--topics 100] [--partitions 100] [--groups 1000]
#
# Starts its own 3-broker Kafka 3.9.1 on 127.0.0.1 (tests/kafka/cluster),
# creates TOPICS x PARTITIONS partitions and GROUPS consumer groups with
# committed offsets (group i commits 10 partitions of topic i % TOPICS),
# then measures
#   - this plugin's collection (bench/bench_collect: the same code as the
#     read callback): wall time, Kafka requests, peak RSS;
#   - kafka_exporter v1.9.0 (go install, Go module proxy): wall time of a
#     /metrics scrape, peak RSS of the exporter process;
# and prints the ratios. Needs Go for the peer; without it only our side.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
topics=100
partitions=100
groups=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --topics) topics=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done

build=$("$top/tools/build" | tail -1)
(cd "$build" && make -s benchmarks >/dev/null)
kdir=$(mktemp -d /tmp/kml-bench-kafka.XXXXXX)
exporter_pid=""
cleanup() {
  [ -n "$exporter_pid" ] && kill "$exporter_pid" 2>/dev/null || true
  "$top/tests/kafka/cluster" stop --dir "$kdir" >/dev/null 2>&1 || true
  rm -rf "$kdir"
}
trap cleanup EXIT

echo "starting a 3-broker cluster ..."
KML_KAFKA_HEAP=${KML_KAFKA_HEAP:-768m} boot=$("$top/tests/kafka/cluster" start --brokers 3 --dir "$kdir")
ctl="$build/tests/tools/kafkactl"
t0=$(date +%s)
"$ctl" "$boot" create-topics bench "$topics" "$partitions" 1
echo "created $topics topics x $partitions partitions in $(( $(date +%s) - t0 )) s"
# wait until metadata shows every partition with a leader
for _ in $(seq 1 120); do
  n=$(kcat -b "$boot" -L 2>/dev/null | grep -c "partition .*leader [0-9]" || true)
  [ "$n" -ge $((topics * partitions)) ] && break
  sleep 1
done
# the first commit creates __consumer_offsets: wait for it to work
for _ in $(seq 1 60); do
  "$ctl" "$boot" commit bench-warmup bench-0 0 0 2>/dev/null && break
  sleep 2
done
t0=$(date +%s)
"$ctl" "$boot" commit-groups bench-group "$groups" bench "$topics" 10 0
echo "committed offsets for $groups groups in $(( $(date +%s) - t0 )) s"

echo
echo "== collectd-kafka-ml (bench_collect, 5 collections)"
"$build/bench/bench_collect" "$boot" 5 60 | tee "$kdir/ours.txt"
ours_s=$(sed -n 's/^best_seconds //p' "$kdir/ours.txt")
ours_mib=$(sed -n 's/^peak_rss_mib //p' "$kdir/ours.txt")

exporter=${KAFKA_EXPORTER:-}
if [ -z "$exporter" ] && command -v go >/dev/null; then
  gobin="${XDG_CACHE_HOME:-$HOME/.cache}/collectd-kafka-ml/gobin"
  if [ ! -x "$gobin/kafka_exporter" ]; then
    echo "installing kafka_exporter v1.9.0 (go install) ..."
    GOBIN="$gobin" go install github.com/danielqsj/kafka_exporter@v1.9.0 >/dev/null 2>&1 || true
  fi
  [ -x "$gobin/kafka_exporter" ] && exporter="$gobin/kafka_exporter"
fi
if [ -z "$exporter" ]; then
  echo "kafka_exporter unavailable (no Go?): no peer ratio"
  exit 0
fi

echo
echo "== kafka_exporter v1.9.0 (5 scrapes of /metrics)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
servers=""
for b in ${boot//,/ }; do servers="$servers --kafka.server=$b"; done
# shellcheck disable=SC2086
"$exporter" $servers --kafka.version=3.9.0 --web.listen-address="127.0.0.1:$port" \
  --log.level=error >"$kdir/exporter.log" 2>&1 &
exporter_pid=$!
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
  sleep 0.5
done
best=""
for i in 1 2 3 4 5; do
  s=$( { /usr/bin/time -f %e curl -sf -o "$kdir/metrics.txt" "http://127.0.0.1:$port/metrics"; } 2>&1 | tail -1)
  lines=$(grep -c '^kafka_consumergroup_lag{' "$kdir/metrics.txt" || true)
  echo "scrape $i: $s s, $lines consumer-group lag series"
  if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
done
peer_mib=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$exporter_pid/status")
echo "best_seconds $best"
echo "peak_rss_mib $peer_mib"

echo
echo "== ratios (kafka_exporter / collectd-kafka-ml): higher is better for us"
awk -v a="$best" -v b="$ours_s" 'BEGIN{printf "collection time: %.1fx faster (%.3f s vs %.3f s)\n", a/b, b, a}'
awk -v a="$peer_mib" -v b="$ours_mib" 'BEGIN{printf "peak memory:     %.1fx smaller (%.1f MiB vs %.1f MiB)\n", a/b, b, a}'
