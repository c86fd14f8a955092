#!/usr/bin/env bash
# Core benchmarks side by side in one run against one standalone ferryd
# (mmaplog + async flush, name server in the same process): long-poll wake-up
# at low load and at 50 % of the measured peak, and throughput with 1, 100
# and 10,000 topics written at once. docs/benchmarks.md quotes its output.
#   scripts/locked tests/core/core_bench.sh build-core
# Not a test. Topics are written into the broker's topic table before it
# starts (creating 10,000 through admin would wait for 10,000 routes).
set -euo pipefail
DUR=${DUR:-10}
. "$(dirname "$0")/bench_broker.sh"
bench_broker_prepare() {
  mkdir -p "$T/data/core"
  {
    echo "# ferry topic table v1: name read_queues write_queues perm flags"
    echo "mt1 4 4 6 0"
    for i in $(seq 0 99); do echo "mt100-$i 4 4 6 0"; done
    for i in $(seq 0 9999); do echo "mt10k-$i 4 4 6 0"; done
  } > "$T/data/core/topics.conf"
}
bench_broker_start "${1:-build}" ferry-core-bench topic route mt10k-9999

bench() { "$B/bin/ferry-bench" produce -n "$ADDR" -m async -w 256 -s 1024 --quiet --json "$@"; }
rate_of() { python3 -c 'import json,sys; print(round(json.loads(sys.stdin.read())["msgs_per_s"]))'; }

echo "== long-poll wake-up, low load (only the measuring pair)"
"$B/bin/ferry_core_longpoll_bench" 300 "$ADDR" "low load"

echo "== peak: ferry-bench produce -t mt1 -m async -w 256 -s 1024 -d $DUR"
PEAK_JSON=$(bench -t mt1 -d "$DUR")
echo "$PEAK_JSON"
PEAK=$(echo "$PEAK_JSON" | rate_of)
HALF=$((PEAK / 2))

echo "== long-poll wake-up while ferry-bench holds $HALF msgs/s (50 % of $PEAK)"
bench -t mt1 -r "$HALF" -d $((DUR + 10)) > "$T/half.json" &
LOAD=$!
sleep 3
"$B/bin/ferry_core_longpoll_bench" 300 "$ADDR" "50% of peak"
wait "$LOAD"
cat "$T/half.json"

for n in 1 100 10000; do
  case $n in 1) t=mt1; extra=();; 100) t=mt100; extra=(--topics 100);; 10000) t=mt10k; extra=(--topics 10000);; esac
  echo "== $n topic(s): ferry-bench produce -t $t ${extra[*]} -m async -w 256 -s 1024 -d $DUR"
  bench -t "$t" "${extra[@]}" -d "$DUR"
done
