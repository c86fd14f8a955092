#!/usr/bin/env bash
# ferryd CPU per message with 1, 100 and 10,000 topics, for storage changes
# compared side by side: throughput on the shared 2-core machine swings by
# more than the effect (docs/benchmarks.md, "Many topics"), CPU time per
# message much less. Each config gets its own ferryd (tests/core/bench_broker.sh),
# the configs alternate within every round. Not a test.
#   scripts/locked tests/storage/bench/topics_cpu.sh NAME=BUILD_DIR[@STORAGE_CONF] ...
# Env: DUR (seconds per step, 6), ROUNDS (3), TOPICS ("1 100 10000"),
#      PERF=dir (perf record -g of ferryd during each step of round 1),
#      WARM (messages per topic sent before each timed step, 1; 4 or more
#      touch every queue of the 4 per topic first, so the step measures a
#      steady state instead of creating three quarters of the queues' files).
# Prints one line per step: config, round, topics, msgs/s, ferryd CPU µs per
# message (utime+stime from /proc), minor faults per message, and the
# client's CPU per message (ferry-bench shares the 2 cores).
set -euo pipefail
DUR=${DUR:-6}
ROUNDS=${ROUNDS:-3}
TOPICS=${TOPICS:-"1 100 10000"}
HERE=$(cd "$(dirname "$0")" && pwd)
TICK=$(getconf CLK_TCK)

proc_cpu() {  # utime+stime ticks and minor faults of pid $1
  awk '{ print $14 + $15, $10 }' "/proc/$1/stat"
}

one_config() {  # name build_dir storage_conf round
  (
    STORAGE_CONF=$3
    . "$HERE/../../core/bench_broker.sh"
    bench_broker_start "$2" ferry-topics-cpu
    bench() { "$B/bin/ferry-bench" produce -n "$ADDR" -m async -w 256 -s 1024 --json "$@"; }
    for n in $TOPICS; do
      bench -t "mt$n" --topics "$n" --create --create-target "$ADDR" -q 4 -N 1 -d 60 --quiet > /dev/null
    done
    for n in $TOPICS; do
      bench -t "mt$n" --topics "$n" --warmup -N "$((n * ${WARM:-1}))" -d 60 --quiet > /dev/null || true
      perf_pid=""
      if [ -n "${PERF:-}" ] && [ "$4" = 1 ]; then
        mkdir -p "$PERF"
        perf record -g -F 999 -o "$PERF/$1-$n.data" -p "$PID" -- sleep "$DUR" > /dev/null 2>&1 &
        perf_pid=$!
      fi
      read -r c0 f0 < <(proc_cpu "$PID")
      out=$(/usr/bin/time -f '%U %S' -o "$T/client.time" "$B/bin/ferry-bench" produce -n "$ADDR" \
              -m async -w 256 -s 1024 --json -t "mt$n" --topics "$n" -d "$DUR" --quiet) ||
        echo "$1 round $4 $n topics: ferry-bench exited $? ($out)" >&2
      read -r c1 f1 < <(proc_cpu "$PID")
      [ -z "$perf_pid" ] || wait "$perf_pid" || true
      python3 - "$1" "$4" "$n" "$((c1 - c0))" "$((f1 - f0))" "$TICK" "$out" "$(tail -1 "$T/client.time")" <<'PY' || true
import json, sys
name, rnd, n, ticks, faults, tick, out, client = sys.argv[1:]
j = json.loads(out)
ok = max(j["ok"], 1)
cu, cs = (float(x) for x in client.split())
print("%-10s round %s  %5s topics  msgs/s %7d  ferryd cpu us/msg %6.2f  minflt/msg %6.3f  "
      "client cpu us/msg %5.2f  p99 %.1f ms  failed %d" % (
    name, rnd, n, j["msgs_per_s"], int(ticks) / int(tick) * 1e6 / ok, int(faults) / ok,
    (cu + cs) * 1e6 / ok, j["latency_ms"]["p99"], j["failed"]))
PY
    done
  )
}

for round in $(seq 1 "$ROUNDS"); do
  for spec in "$@"; do
    name=${spec%%=*}
    rest=${spec#*=}
    dir=${rest%%@*}
    conf=""
    [ "$rest" = "$dir" ] || conf=${rest#*@}
    one_config "$name" "$dir" "$conf" "$round"
  done
done
