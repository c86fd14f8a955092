#!/usr/bin/env bash
# ferryd CPU per message with 1, 100 and 10,000 topics, for storage changes
# compared side by side: throughput on the shared 2-core machine swings by
# more than the effect (docs/benchmarks.md, "Many topics"), CPU time per
# message much less. Each config gets its own ferryd (tests/core/bench_broker.sh),
# the configs alternate within every round. Not a test.
#   scripts/locked tests/storage/bench/topics_cpu.sh NAME=BUILD_DIR[@STORAGE_CONF] ...
# Env: DUR (seconds per step, 6), ROUNDS (3), TOPICS ("1 100 10000"),
#      PERF=dir (perf record -g of ferryd during each step of round 1;
#      PERF_CLIENT=1 records ferry-bench too, as $PERF/NAME-TOPICS-client.data),
#      WARM (messages per topic sent before each timed step, 1; 4 or more
#      touch every queue of the 4 per topic first, so the step measures a
#      steady state instead of creating three quarters of the queues' files).
# Prints one line per step: config, round, topics, msgs/s, ferryd CPU µs per
# message (utime+stime from /proc), minor faults per message, and the
# client's CPU per message (ferry-bench shares the 2 cores), and what else
# ran meanwhile: other processes' CPU and the hypervisor's steal, in % of one
# CPU over the step.
set -euo pipefail
DUR=${DUR:-6}
ROUNDS=${ROUNDS:-3}
TOPICS=${TOPICS:-"1 100 10000"}
HERE=$(cd "$(dirname "$0")" && pwd)
TICK=$(getconf CLK_TCK)

proc_cpu() {  # utime+stime ticks and minor faults of pid $1
  awk '{ print $14 + $15, $10 }' "/proc/$1/stat"
}

machine_cpu() {  # busy (user+nice+system+irq+softirq) and steal ticks of all CPUs
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9; exit }' /proc/stat
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
      client_perf=()  # the client too, with PERF_CLIENT=1 (its CPU figure then includes perf's)
      if [ -n "$perf_pid" ] && [ -n "${PERF_CLIENT:-}" ]; then
        client_perf=(perf record -g -F 999 -o "$PERF/$1-$n-client.data" --)
      fi
      read -r c0 f0 < <(proc_cpu "$PID")
      read -r m0 st0 < <(machine_cpu)
      w0=$(date +%s.%N)
      out=$(/usr/bin/time -f '%U %S' -o "$T/client.time" "${client_perf[@]}" "$B/bin/ferry-bench" produce -n "$ADDR" \
              -m async -w 256 -s 1024 --json -t "mt$n" --topics "$n" -d "$DUR" --quiet) ||
        echo "$1 round $4 $n topics: ferry-bench exited $? ($out)" >&2
      read -r c1 f1 < <(proc_cpu "$PID")
      read -r m1 st1 < <(machine_cpu)
      w1=$(date +%s.%N)
      [ -z "$perf_pid" ] || wait "$perf_pid" || true
      python3 - "$1" "$4" "$n" "$((c1 - c0))" "$((f1 - f0))" "$TICK" "$out" "$(tail -1 "$T/client.time")" \
        "$((m1 - m0))" "$((st1 - st0))" "$w0" "$w1" <<'PY' || true
import json, sys
name, rnd, n, ticks, faults, tick, out, client, mbusy, msteal, w0, w1 = sys.argv[1:]
j = json.loads(out)
ok = max(j["ok"], 1)
cu, cs = (float(x) for x in client.split())
# What else ran on the machine meanwhile (all CPUs' busy time minus ferryd's
# and the client's, and the hypervisor's steal), in % of one CPU over the
# step: a round with other load or steal is visible instead of only noisy.
wall = max(float(w1) - float(w0), 1e-3)
others = (int(mbusy) / int(tick) - int(ticks) / int(tick) - (cu + cs)) / wall * 100
print("%-10s round %s  %5s topics  msgs/s %7d  ferryd cpu us/msg %6.2f  minflt/msg %6.3f  "
      "client cpu us/msg %5.2f  p99 %.1f ms  failed %d  others %3.0f%%  steal %3.0f%%" % (
    name, rnd, n, j["msgs_per_s"], int(ticks) / int(tick) * 1e6 / ok, int(faults) / ok,
    (cu + cs) * 1e6 / ok, j["latency_ms"]["p99"], j["failed"], max(others, 0),
    int(msteal) / int(tick) / wall * 100))
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
