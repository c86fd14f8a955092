#!/usr/bin/env bash
# ferryd CPU per message with 1, 100 and 10,000 topics, for storage changes
# compared side by side: throughput on the shared 2-core machine swings by
# more than the effect (docs/benchmarks.md, "Many topics"), CPU time per
# message much less. Not a test.
#   scripts/locked tests/storage/bench/topics_cpu.sh NAME=BUILD_DIR[@STORAGE_CONF] ...
#
# Every step (one topic count of one config in one round) runs in its own
# fresh ferryd (tests/core/bench_broker.sh) brought to the same storage state
# first, so the topic counts are compared in equal conditions (issue 5's
# 10,000-vs-1 ratio). Why: the commit log's state moves the result more than
# the topic count does. With segment_prefill (the default) a fresh log's
# first 1 GiB segment is sparse (allocated as it is written) while the next
# one is being pre-filled with zeros beside it; from the second segment on, the
# head writes over pre-filled blocks. When every count ran in one ferryd one
# after the other, the first step (1 topic) ran in the sparse first segment
# and the 10,000-topic step after the roll, which made 10,000 topics come out
# up to 1.4x *faster* than 1 (docs/benchmarks.md, "Session 11 (lead)");
# without the pre-fill the pre-fault thread still cost more in a later step
# ("Session 11 (topics)"). So each step:
#   1. starts a fresh ferryd and creates every count's topics (all of TOPICS,
#      so the topic table, the name-server registrations and the checkpoint's
#      topic list are the same in every step; only the count written differs);
#   2. writes FILL_MSGS messages (untimed) to one other topic: with 1 KiB
#      bodies the default rolls the log past its first segment, so the timed
#      step starts in a pre-filled segment at the same offset every time;
#   3. sends WARM messages per topic of its count (untimed), waits for two
#      checkpoints (CHECKPOINTED=1, the default; 0 skips it: the warm-up's
#      entries are buffered in memory and the checkpoint that writes them
#      creates the queues' files, 1-5 s of ferryd CPU at 10,000 topics that
#      fell into that count's timed run only: 2.9 s in a 6-s run once), then
#      the timed run. The wait is 10-20 s per step.
# The order of the counts also alternates per round (odd rounds as TOPICS,
# even rounds reversed), so what a previous step leaves on the machine (the
# page cache, write-back of the removed data) falls on each count alike.
# Env: DUR (seconds per step, 6), ROUNDS (3), TOPICS ("1 100 10000"),
#      FILL_MSGS (untimed messages before each step, 1000000 = ~1.1 GiB of
#      log with 1 KiB bodies; 0 skips the fill, then a step starts in the
#      sparse first segment),
#      PERF=dir (perf record -g of ferryd during each step of round 1;
#      PERF_CLIENT=1 records ferry-bench too, as $PERF/NAME-TOPICS-client.data),
#      WARM (messages per topic sent before each timed step, 1; 4 or more
#      touch every queue of the 4 per topic first, so the step measures a
#      steady state instead of creating three quarters of the queues' files).
#      PIN=1 (ferryd's threads on CPU 0, ferry-bench on CPU 1: ferryd's CPU per
#      message is then steadier than when the two share both vCPUs,
#      docs/benchmarks.md "Session 12 (topics)").
# Prints one line per step: config, round, topics, msgs/s, ferryd CPU µs per
# message (utime+stime from /proc), minor faults per message, and the
# client's CPU per message (ferry-bench shares the 2 cores), and what else
# ran meanwhile: other processes' CPU and the hypervisor's steal, in % of one
# CPU over the step; then, per config, the 10,000-vs-1 style ratio of the
# last and first count of TOPICS for each round.
set -euo pipefail
DUR=${DUR:-6}
ROUNDS=${ROUNDS:-3}
TOPICS=${TOPICS:-"1 100 10000"}
FILL_MSGS=${FILL_MSGS:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
TICK=$(getconf CLK_TCK)

proc_cpu() {  # utime+stime ticks and minor faults of pid $1
  awk '{ print $14 + $15, $10 }' "/proc/$1/stat"
}

machine_cpu() {  # busy (user+nice+system+irq+softirq) and steal ticks of all CPUs
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9; exit }' /proc/stat
}

one_step() {  # name build_dir storage_conf round topics
  (
    STORAGE_CONF=$3
    n=$5
    . "$HERE/../../core/bench_broker.sh"
    bench_broker_start "$2" ferry-topics-cpu
    bench_broker_client
    for k in $TOPICS; do
      bench -t "mt$k" --topics "$k" --create --create-target "$ADDR" -q 4 -N 1 -d 60 --quiet > /dev/null
    done
    if [ "$FILL_MSGS" -gt 0 ]; then
      bench -t fill --topics 1 --create --create-target "$ADDR" -q 4 -N "$FILL_MSGS" -d 120 --quiet > /dev/null
    fi
    bench -t "mt$n" --topics "$n" --warmup -N "$((n * ${WARM:-1}))" -d 60 --quiet > /dev/null || true
    [ "${CHECKPOINTED:-1}" = 0 ] || bench_broker_checkpointed || true
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
    out=$(/usr/bin/time -f '%U %S' -o "$T/client.time" "${client_perf[@]}" "${pin[@]}" "$B/bin/ferry-bench" produce -n "$ADDR" \
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
  )
}

RESULTS=$(mktemp /tmp/topics-cpu-results.XXXXXX)
trap 'rm -f "$RESULTS"' EXIT
for round in $(seq 1 "$ROUNDS"); do
  order=$TOPICS
  if [ $((round % 2)) = 0 ]; then order=$(echo "$TOPICS" | tr ' ' '\n' | tac | tr '\n' ' '); fi
  for spec in "$@"; do
    name=${spec%%=*}
    rest=${spec#*=}
    dir=${rest%%@*}
    conf=""
    [ "$rest" = "$dir" ] || conf=${rest#*@}
    for n in $order; do
      one_step "$name" "$dir" "$conf" "$round" "$n" | tee -a "$RESULTS"
    done
  done
done
# Per config and round: msgs/s of the last count of TOPICS over the first's
# (10,000 over 1 with TOPICS="1 10000"), then the median over the rounds.
python3 - "$RESULTS" $TOPICS <<'PY'
import re, statistics, sys
first, last = sys.argv[2], sys.argv[-1]
rate = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+)\s+round (\d+)\s+(\d+) topics\s+msgs/s\s+(\d+)", line)
    if m:
        rate[(m[1], int(m[2]), m[3])] = int(m[4])
for name in dict.fromkeys(k[0] for k in rate):
    rs = [(r, rate[(name, r, last)] / rate[(name, r, first)]) for r in sorted({k[1] for k in rate if k[0] == name})
          if (name, r, first) in rate and (name, r, last) in rate]
    if rs:
        print("%-10s %s vs %s topics per round: %s  median %.3f" % (
            name, last, first, " ".join("%.3f" % x for _, x in rs), statistics.median(x for _, x in rs)))
PY
