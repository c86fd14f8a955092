#!/bin/sh
# batch 64 vs async window 256 against a standalone ferryd (sync flush):
# throughput plus ferryd's CPU time (/proc/<pid>/stat) during each run.
# Run under scripts/locked; FERRY_BIN=build-tools/bin picks another build.
set -e
cd "$(dirname "$0")/../.."
B=${FERRY_BIN:-build/bin}
D=$(mktemp -d); P=${1:?usage: depth_vs_batch.sh <free port>}
$B/ferryd --config conf/standalone.toml --set kernel.data_dir=$D/data --set kernel.listen=127.0.0.1:$P \
  --set "plugins.registration.name_servers=[\"127.0.0.1:$P\"]" --set plugins.registration.register_interval=1s > $D/log 2>&1 &
FP=$!
sleep 1
$B/ferryctl -n 127.0.0.1:$P topic create Bench1K -q 4 --target 127.0.0.1:$P
for i in $(seq 1 50); do $B/ferryctl -n 127.0.0.1:$P topic route Bench1K >/dev/null 2>&1 && break; sleep 0.2; done
cpu() { awk '{print $14+$15}' /proc/$FP/stat; }
run() {
  c0=$(cpu); t0=$(date +%s.%N)
  $B/ferry-bench produce -n 127.0.0.1:$P -t Bench1K "$@" -s 1024 -d 10 --quiet --json > $D/out.json
  c1=$(cpu); t1=$(date +%s.%N)
  echo "$* :: $(python3 -c "import json;d=json.load(open('$D/out.json'));print('msgs/s %.0f p50 %.3f p99 %.3f'%(d['msgs_per_s'],d['latency_ms']['p50'],d['latency_ms']['p99']))") ferryd_cpu $(echo "($c1-$c0)/100/($t1-$t0)" | bc -l | cut -c1-5)"
}
run --mode async --window 256 -c 1
run --mode batch --batch 64 -c 1
run --mode batch --batch 64 -c 4
run --mode async --window 64 -c 1
kill $FP; wait $FP || true
rm -rf $D
