#!/usr/bin/env bash
# bench/kafka.sh: the kafka plugin's collection inside a real collectd,
# against KMinion and kafka_exporter v1.9.0 measured in the same run on the
# same cluster, plus an agreement check of their lag numbers.
#
#   bench/kafka.sh [--topics 100] [--partitions 100] [--groups 1000]
#                  [--steps "1000 3000 10000"] [--source auto|topic|admin]
#                  [--collections 5]
#   KMINION=/path/to/kminion KAFKA_EXPORTER=/path/to/kafka_exporter (optional)
#
# Starts its own 3-broker Kafka 3.9.1 on 127.0.0.1 (tests/kafka/cluster),
# creates TOPICS x PARTITIONS partitions, then for each group count in
# --steps (default: --groups alone) adds groups with committed offsets
# (group i commits 10 partitions of topic i % TOPICS) and measures
#   - collectd with the kafka plugin (logfile, unixsock and a csv writer
#     restricted to the cluster-level values by a filter chain): the whole
#     read callback (kafka_read_seconds: collection, report and dispatch),
#     the Kafka requests per collection (kafka_requests), and collectd's
#     peak RSS minus that of the same collectd without the kafka plugin;
#     twice: with every type (the defaults: PartitionDetail true, 4
#     series per topic partition and 4 per group partition, GroupDetail
#     true, 12 per group) and with about the series KMinion exports
#     (PartitionDetail "kafka_offset" "kafka_offset_low" "kafka_lag": high
#     and low water mark per partition, lag per group partition;
#     GroupDetail "kafka_group_state" "kafka_members" "kafka_lag": 4 per
#     group), each series costing collectd about 1.3 KiB of value cache and
#     one dispatch per interval;
#   - KMinion (adminApi mode; its collection runs inside a /metrics scrape)
#     and kafka_exporter: wall time of a /metrics scrape, peak RSS;
# prints the ratios, then compares the per-partition lag of every group
# partition all three report (partitions without a commit differ: none of
# the three reports a lag there, see the closing lines).
# The peers are not built here: pass their binaries by environment.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
topics=100
partitions=100
groups=1000
steps=""
source=auto
collections=5
while [ $# -gt 0 ]; do
  case "$1" in
    --topics) topics=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --collections) collections=$2; shift 2 ;;
    *) sed -n '2,33p' "$0"; exit 2 ;;
  esac
done
[ -n "$steps" ] || steps=$groups

build=$("$top/tools/build" | tail -1)
collectd=$(command -v collectd || echo /usr/sbin/collectd)
kdir=$(mktemp -d /tmp/kml-bench-kafka.XXXXXX)
chmod 755 "$kdir"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$top/tests/kafka/cluster" stop --dir "$kdir/kafka" >/dev/null 2>&1 || true
  [ -n "${KML_KEEP_TMP:-}" ] || rm -rf "$kdir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hwm_mib() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
# CPU seconds (user + system, every thread) a process used so far: robust to
# a busy machine where wall times also count the wait for a core.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

echo "starting a 3-broker cluster ..."
boot=$(KML_KAFKA_HEAP=${KML_KAFKA_HEAP:-768m} "$top/tests/kafka/cluster" start --brokers 3 --dir "$kdir/kafka")
ctl="$build/tests/tools/kafkactl"
t0=$(date +%s)
"$ctl" "$boot" create-topics bench "$topics" "$partitions" 1
for _ in $(seq 1 120); do
  n=$(kcat -b "$boot" -L 2>/dev/null | grep -c "partition .*leader [0-9]" || true)
  [ "$n" -ge $((topics * partitions)) ] && break
  sleep 1
done
echo "created $topics topics x $partitions partitions in $(($(date +%s) - t0)) s"
for _ in $(seq 1 60); do # the first commit creates __consumer_offsets
  "$ctl" "$boot" commit bench-warmup bench-0 0 0 2>/dev/null && break
  sleep 2
done
# 20 messages per partition, so that the committed offset 5 leaves a lag
for t in $(seq 0 $((topics - 1))); do
  "$ctl" "$boot" produce "bench-$t" -1 $((20 * partitions)) >/dev/null
done

# ------------------------------------------------------------ collectd
collectd_conf() { # collectd_conf DIR WITH_KAFKA [PARTITION_DETAIL [GROUP_DETAIL]]
  local d=$1
  mkdir -p "$d/plugins" "$d/csv"
  cp /usr/lib/collectd/{logfile,csv,unixsock,match_regex}.so "$build/plugin/.libs/kafka.so" "$d/plugins/"
  cat >"$d/collectd.conf" <<EOF
BaseDir "$d"
PIDFile "$d/collectd.pid"
PluginDir "$d/plugins"
TypesDB "/usr/share/collectd/types.db" "$top/collectd.conf.d/kafka.types.db"
Interval 10
AutoLoadPlugin false
FQDNLookup false
Hostname "benchhost"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$d/collectd.log"
  Timestamp true
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "$d/csv"
</Plugin>
LoadPlugin unixsock
<Plugin unixsock>
  SocketFile "$d/sock"
</Plugin>
LoadPlugin match_regex
PostCacheChain "bench"
<Chain "bench">
  <Rule "cluster">
    <Match "regex">
      PluginInstance "^cluster\$"
    </Match>
    Target "write"
  </Rule>
  Target "stop"
</Chain>
EOF
  if [ "$2" = 1 ]; then
    cat >>"$d/collectd.conf" <<EOF
LoadPlugin kafka
<Plugin kafka>
  <Cluster "bench">
    Brokers "$boot"
    Timeout 30
    OffsetsSource "$source"
    PartitionDetail ${3:-true}
    GroupDetail ${4:-true}
  </Cluster>
</Plugin>
EOF
  fi
}

start_collectd() { # start_collectd DIR: waits for the start, sets cd_pid
  "$collectd" -f -C "$1/collectd.conf" >"$1/stdout" 2>&1 &
  cd_pid=$!
  pids+=("$cd_pid")
  for _ in $(seq 1 100); do
    grep -q "Initialization complete" "$1/collectd.log" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "collectd did not start"; cat "$1/stdout" "$1/collectd.log"; exit 1
}

stop_collectd() {
  kill "$cd_pid"; wait "$cd_pid" 2>/dev/null || true
}

csv_rows() { # csv_rows DIR TYPE: "time value" of cluster/TYPE, oldest first
  cat "$1"/csv/bench/kafka-cluster/"$2"-* 2>/dev/null | grep -v '^epoch' | tr ',' ' ' | sort -n || true
}

# Baseline: the same collectd without the kafka plugin.
collectd_conf "$kdir/base" 0
start_collectd "$kdir/base"
sleep 3
base_mib=$(hwm_mib "$cd_pid")
stop_collectd

scrape() { # scrape URL OUT: prints seconds, or "timed out" (600 s; no OUT)
  local s
  rm -f "$2"
  s=$({ /usr/bin/time -f %e curl -sf -m 600 -o "$2" "$1"; } 2>&1 | tail -1) || true
  [ -s "$2" ] && echo "$s" || echo "timed out"
}

measure_ours() { # measure_ours all|kminion: one collectd with the plugin
  local variant=$1 d="$kdir/ours-$want-$1"
  echo
  echo "== $want groups: collectd-kafka-ml, per-partition series: $variant (OffsetsSource $source, $collections collections after the first complete one)"
  if [ $variant = all ]; then
    collectd_conf "$d" 1 true
  else
    collectd_conf "$d" 1 '"kafka_offset" "kafka_offset_low" "kafka_lag"' \
      '"kafka_group_state" "kafka_members" "kafka_lag"'
  fi
  start_collectd "$d"
  # wait for a collection that measured every group (the follower reads the
  # offsets topic from its beginning first), then $collections more
  t0=$(date +%s.%N)
  for _ in $(seq 1 240); do
    groups_now=$(csv_rows "$d" kafka_groups | tail -1 | awk '{print $2+0}')
    [ "${groups_now:-0}" -ge "$want" ] && break
    sleep 0.5
  done
  first=$(echo "$(date +%s.%N) - $t0" | bc)
  # the whole read callback; builds without that value give the collection
  timing=kafka_read_seconds
  grep -q '^kafka_read_seconds' "$top/collectd.conf.d/kafka.types.db" || {
    timing=kafka_collect_seconds
    echo "(this build has no kafka_read_seconds: timing the collection step only)"
  }
  n0=$(csv_rows "$d" $timing | wc -l)
  c0=$(cpu_s "$cd_pid")
  for _ in $(seq 1 $((collections * 12))); do
    [ "$(csv_rows "$d" $timing | wc -l)" -ge $((n0 + collections)) ] && break
    sleep 1
  done
  n1=$(csv_rows "$d" $timing | wc -l)
  ours_cpu=$(echo "scale=3; ($(cpu_s "$cd_pid") - $c0) / ($n1 - $n0)" | bc)
  ours_mib=$(hwm_mib "$cd_pid")
  csv_rows "$d" $timing | tail -n "$collections" >"$d/read.txt"
  csv_rows "$d" kafka_requests | tail -n "$collections" >"$d/requests.txt"
  # every per-partition group lag from collectd's cache
  python3 "$top/bench/kafka_lags.py" collectd "$d/sock" >"$d/lags.txt"
  series=$(python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"LISTVAL\n"); print(s.makefile().readline().split()[0])' "$d/sock")
  stop_collectd
  ours_best=$(awk '{print $2}' "$d/read.txt" | sort -g | head -1)
  ours_mean=$(awk '{s+=$2} END {printf "%.3f", s/NR}' "$d/read.txt")
  ours_req=$(awk '{print $2}' "$d/requests.txt" | sort -g | tail -1)
  plugin_mib=$(echo "$ours_mib - $base_mib" | bc)
  echo "first complete collection after ${first%.*} s; read callback best ${ours_best} s, mean ${ours_mean} s; CPU ${ours_cpu} s per collection (collectd, every thread); ${ours_req} requests; ${series} series; collectd peak RSS ${ours_mib} MiB (${plugin_mib} MiB over a collectd without the plugin)"
  eval "best_$variant=\$ours_best cpu_$variant=\$ours_cpu mib_$variant=\$plugin_mib req_$variant=\$ours_req series_$variant=\$series"
}

have_groups=0
report="$kdir/report.txt"
: >"$report"
for want in $steps; do
  if [ "$want" -gt "$have_groups" ]; then
    t0=$(date +%s)
    "$ctl" "$boot" commit-groups "bench-group-$have_groups" $((want - have_groups)) bench "$topics" 10 5
    echo "committed offsets for $((want - have_groups)) more groups in $(($(date +%s) - t0)) s"
    have_groups=$want
  fi
  measure_ours all
  measure_ours kminion
  lags="$kdir/ours-$want-all/lags.txt"

  km_best="" km_mib="" ke_best="" ke_mib="" km_cpu="" ke_cpu=""
  if [ -n "${KMINION:-}" ]; then
    port=$(free_port)
    cat >"$kdir/kminion.yaml" <<EOF
logger:
  level: warn
kafka:
  brokers: [$(echo "$boot" | sed 's/,/, /g')]
minion:
  consumerGroups:
    enabled: true
    scrapeMode: adminApi
    granularity: partition
  topics:
    granularity: partition
  logDirs:
    enabled: false
exporter:
  host: "127.0.0.1"
  port: $port
EOF
    CONFIG_FILEPATH="$kdir/kminion.yaml" "$KMINION" >"$kdir/kminion.log" 2>&1 &
    km_pid=$!
    pids+=("$km_pid")
    for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.5; done
    c0=$(cpu_s "$km_pid")
    for i in $(seq 1 "$collections"); do
      s=$(scrape "http://127.0.0.1:$port/metrics" "$kdir/kminion.txt")
      echo "KMinion scrape $i: $s s"
      [ "$s" = "timed out" ] && continue
      if [ -z "$km_best" ] || awk "BEGIN{exit !($s < $km_best)}"; then km_best=$s; fi
    done
    km_cpu=$(echo "scale=3; ($(cpu_s "$km_pid") - $c0) / $collections" | bc)
    km_mib=$(hwm_mib "$km_pid")
    [ -f "$kdir/kminion.txt" ] || : >"$kdir/kminion.txt"
    python3 "$top/bench/kafka_lags.py" prometheus kminion_kafka_consumer_group_topic_partition_lag \
      group_id topic_name partition_id <"$kdir/kminion.txt" >"$kdir/kminion-$want.lags"
    kill "$km_pid"; wait "$km_pid" 2>/dev/null || true
    echo "KMinion: best ${km_best} s, CPU ${km_cpu} s per scrape, peak RSS ${km_mib} MiB"
  fi
  if [ -n "${KAFKA_EXPORTER:-}" ]; then
    port=$(free_port)
    servers=""
    for b in ${boot//,/ }; do servers="$servers --kafka.server=$b"; done
    # shellcheck disable=SC2086
    "$KAFKA_EXPORTER" $servers --kafka.version=3.9.0 --web.listen-address="127.0.0.1:$port" \
      --log.level=error >"$kdir/exporter.log" 2>&1 &
    ke_pid=$!
    pids+=("$ke_pid")
    for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
    c0=$(cpu_s "$ke_pid")
    for i in $(seq 1 "${KE_SCRAPES:-2}"); do
      s=$(scrape "http://127.0.0.1:$port/metrics" "$kdir/exporter.txt")
      echo "kafka_exporter scrape $i: $s s"
      [ "$s" = "timed out" ] && continue
      if [ -z "$ke_best" ] || awk "BEGIN{exit !($s < $ke_best)}"; then ke_best=$s; fi
    done
    ke_cpu=$(echo "scale=3; ($(cpu_s "$ke_pid") - $c0) / ${KE_SCRAPES:-2}" | bc)
    ke_mib=$(hwm_mib "$ke_pid")
    [ -f "$kdir/exporter.txt" ] || : >"$kdir/exporter.txt" # every scrape timed out
    python3 "$top/bench/kafka_lags.py" prometheus kafka_consumergroup_lag \
      consumergroup topic partition <"$kdir/exporter.txt" >"$kdir/exporter-$want.lags"
    kill "$ke_pid"; wait "$ke_pid" 2>/dev/null || true
    echo "kafka_exporter: best ${ke_best} s, CPU ${ke_cpu} s per scrape, peak RSS ${ke_mib} MiB"
  fi

  echo "-- agreement on per-partition lag ($want groups)"
  python3 "$top/bench/kafka_lags.py" compare "$lags" \
    ${KMINION:+"$kdir/kminion-$want.lags"} ${KAFKA_EXPORTER:+"$kdir/exporter-$want.lags"} || true
  for variant in all kminion; do
    eval "ours_best=\$best_$variant ours_cpu=\$cpu_$variant plugin_mib=\$mib_$variant"
    if [ -n "$km_best" ]; then
      awk -v a="$km_best" -v b="$ours_best" -v v=$variant 'BEGIN{printf "ours (%s) vs KMinion: %.2fx its time (%.3f s vs %.3f s)\n", v, b/a, b, a}'
      awk -v a="$km_cpu" -v b="$ours_cpu" 'BEGIN{printf "                   %.2fx its CPU (%.3f s vs %.3f s)\n", b/a, b, a}'
      awk -v a="$km_mib" -v b="$plugin_mib" 'BEGIN{printf "                   %.2fx its memory (%.1f MiB vs %.1f MiB)\n", b/a, b, a}'
    fi
    if [ -n "$ke_best" ]; then
      awk -v a="$ke_best" -v b="$ours_best" -v v=$variant 'BEGIN{printf "ours (%s) vs kafka_exporter: %.3fx its time (%.3f s vs %.3f s)\n", v, b/a, b, a}'
      awk -v a="$ke_cpu" -v b="$ours_cpu" 'BEGIN{printf "                   %.3fx its CPU (%.3f s vs %.3f s)\n", b/a, b, a}'
      awk -v a="$ke_mib" -v b="$plugin_mib" 'BEGIN{printf "                   %.2fx its memory (%.1f MiB vs %.1f MiB)\n", b/a, b, a}'
    fi
  done
  echo "$want groups: ours all ${best_all}s (cpu ${cpu_all}s) ${req_all}req ${series_all}series ${mib_all}MiB, kminion-set ${best_kminion}s (cpu ${cpu_kminion}s) ${series_kminion}series ${mib_kminion}MiB | kminion ${km_best:-n/a}s (cpu ${km_cpu:-n/a}s) ${km_mib:-n/a}MiB | kafka_exporter ${ke_best:-n/a}s (cpu ${ke_cpu:-n/a}s) ${ke_mib:-n/a}MiB" >>"$report"
done
echo
echo "== summary"
cat "$report"
