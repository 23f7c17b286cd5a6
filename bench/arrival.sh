#!/usr/bin/env bash
# bench/arrival.sh: lag in seconds right after a start, for groups already
# behind, and what dating their messages by Kafka costs a collection.
#
#   bench/arrival.sh [--partitions 100] [--behind 120] [--messages 100]
#                    [--brokers 1] [--current 0]
#
# Starts its own Kafka 3.9.1 on 127.0.0.1 (tests/kafka/cluster), creates
# one topic of PARTITIONS partitions, produces MESSAGES per partition,
# commits a group at offset 0 of every partition (all of it waiting),
# and CURRENT more groups at the end of every partition (caught up),
# waits BEHIND seconds, then runs bench_arrival: one collection through a
# report without lookups (messages dated at the start: the lower bound)
# and one with them, then a second collection. Prints the first
# lag_seconds max of both, the lookups, and the collection+report time
# with lookups against without them, measured on the same snapshot, and
# (ratio_steady) the report's time with lookups against without them once
# nothing is left to look up.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
partitions=100
behind=120
messages=100
brokers=1
current=0
while [ $# -gt 0 ]; do
  case "$1" in
    --partitions) partitions=$2; shift 2 ;;
    --behind) behind=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --brokers) brokers=$2; shift 2 ;;
    --current) current=$2; shift 2 ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
  esac
done

build=$("$top/tools/build" | tail -1)
make -s -C "$build" bench/bench_arrival >/dev/null
kdir=$(mktemp -d /tmp/kml-bench-arrival.XXXXXX)
cleanup() {
  "$top/tests/kafka/cluster" stop --dir "$kdir/kafka" >/dev/null 2>&1 || true
  [ -n "${KML_KEEP_TMP:-}" ] || rm -rf "$kdir"
}
trap cleanup EXIT
echo "starting a $brokers-broker cluster ..."
boot=$("$top/tests/kafka/cluster" start --brokers "$brokers" --dir "$kdir/kafka")
ctl="$build/tests/tools/kafkactl"
"$ctl" "$boot" create-topic waiting "$partitions" 1 >/dev/null
args=()
for ((p = 0; p < partitions; p++)); do
  "$ctl" "$boot" produce waiting "$p" "$messages" >/dev/null
  args+=("$p" 0)
done
"$ctl" "$boot" commit behind waiting "${args[@]}" >/dev/null
ends=()
for ((p = 0; p < partitions; p++)); do ends+=("$p" "$messages"); done
for ((g = 0; g < current; g++)); do
  "$ctl" "$boot" commit "current-$g" waiting "${ends[@]}" >/dev/null
done
echo "$((partitions * messages)) messages on $partitions partitions, group 'behind' at offset 0; waiting $behind s ..."
sleep "$behind"
echo "the group is $behind s behind (plus the setup's seconds)"
"$build/bench/bench_arrival" "$boot" 10
