#!/usr/bin/env bash
# Throughput with 1, 100 and 10,000 topics written at once, side by side in
# one run against one standalone ferryd (mmaplog + async flush, name server
# in the same process). docs/benchmarks.md ("Many topics") quotes its output.
#   scripts/locked tests/core/topics_bench.sh build-core
# Env: DUR (seconds per step, 10), ROUNDS (passes over 1/100/10000, 2),
#      PERF=dir (perf record -g of ferryd during each step's first round),
#      STORAGE_CONF (more [plugins.storage] lines), KEEP=1 (keep the data dir).
# The topics are created through admin calls by ferry-bench --create (4
# queues each), then every step runs with --warmup (one untimed send per
# topic: routes cached, queues seen) so it measures the steady state.
# Before round 1 every count gets one untimed warm-up pass and the script
# waits for two mmaplog checkpoints (CHECKPOINTED=1, the default; 0 skips
# it): the checkpoint after the first entries of 10,000 topics creates their
# 40,000 queue files and 50,000 directories (1-5 s of ferryd CPU,
# docs/benchmarks.md "Session 15 (topics)"), which landed in round 1's clock.
# Not a test.
set -euo pipefail
DUR=${DUR:-10}
ROUNDS=${ROUNDS:-2}
. "$(dirname "$0")/bench_broker.sh"
bench_broker_start "${1:-build}" ferry-topics-bench

bench() { "$B/bin/ferry-bench" produce -n "$ADDR" -m async -w 256 -s 1024 --json "$@"; }
summary() {
  python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); l=j["latency_ms"]; print("msgs/s %d  p50 %.2f ms  p99 %.2f ms  failed %d" % (j["msgs_per_s"], l["p50"], l["p99"], j["failed"]))'
}

echo "== create: ferry-bench produce --create --create-target $ADDR -q 4 (1, 100, 10000 topics), 1 message each"
for spec in "mt1 1" "mt100 100" "mt10k 10000"; do
  set -- $spec
  bench -t "$1" --topics "$2" --create --create-target "$ADDR" -q 4 -N 1 -d 60 --quiet > /dev/null
done

echo "== warm-up: one untimed send per topic, then two checkpoints (the queue files' creation)"
for spec in "mt1 1" "mt100 100" "mt10k 10000"; do
  set -- $spec
  bench -t "$1" --topics "$2" --warmup -N "$2" -d 60 --quiet > /dev/null
done
[ "${CHECKPOINTED:-1}" = 0 ] || bench_broker_checkpointed || true

for round in $(seq 1 "$ROUNDS"); do
  for spec in "mt1 1" "mt100 100" "mt10k 10000"; do
    set -- $spec
    echo "== round $round, $2 topic(s): ferry-bench produce -t $1 --topics $2 --warmup -m async -w 256 -s 1024 -d $DUR"
    PERF_PID=""
    if [ -n "${PERF:-}" ] && [ "$round" = 1 ]; then
      mkdir -p "$PERF"
      (sleep 3; perf record -g -F 999 -o "$PERF/ferryd-$2.data" -p "$PID" -- sleep 5 > /dev/null 2>&1) &
      PERF_PID=$!
    fi
    bench -t "$1" --topics "$2" --warmup -d "$DUR" --quiet | tee -a "$T/runs.json" | summary
    [ -z "$PERF_PID" ] || wait "$PERF_PID" || true
  done
done
