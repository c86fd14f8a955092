#!/usr/bin/env bash
# Issue 5's ratio (msgs/s with 10,000 topics over 1 topic) measured in the
# same machine phase: both counts take turns in one ferryd, a few seconds
# each, instead of in separate steps minutes apart. Not a test.
#   scripts/locked timeout 295 tests/storage/bench/topics_ratio.sh NAME=BUILD_DIR ...
#
# Why: this machine's speed moves up to 2x between neighbouring minutes, so
# topics_cpu.sh's per-round ratio (1-topic and 10,000-topic steps ~25 s apart,
# each in its own ferryd) swings 0.65-1.25 with the same binaries
# (docs/benchmarks.md, "Session 12 (topics)", "Session 13 (topics)"): wider
# than the 10 % the target allows. Here each config gets one fresh ferryd per
# round (tests/core/bench_broker.sh) with every count's topics created and
# WARM messages per topic of each count; then PAIRS pairs of SLICE-second
# runs, one per count, in ABBA order (1 10000 10000 1 1 ...), so a drift
# within the step falls on both counts alike. No fill by default: pinned, a
# ferryd slows down 2-4x within seconds of writing (ferryd µs/msg 2.3 -> 5-12
# at 1 topic; docs/benchmarks.md, "Session 14 (topics)"), so topics_cpu.sh's
# 1.1 GB fill puts its timed steps in that slow phase; pair 1 here runs
# before it. Each slice is its own
# ferry-bench (routes prepared before its clock starts); ferryd's CPU is read
# when the client reports its routes prepared and when it exits, so the
# 10,000 route look-ups of the prepare are not charged to the messages.
# After the warm-up the step waits for two checkpoints (CHECKPOINTED=1, the
# default; 0 skips it), so the queues' files exist before the first slice:
# the checkpoint that creates them (buffered entries are written there) would
# otherwise take half of CPU 0 for 10-15 s (1-5 s of ferryd CPU at 10,000
# topics) in whichever slices it meets, of either count.
# Configs alternate per round (odd rounds as given, even rounds reversed).
# Each step first waits (up to 60 s) until the page cache's dirty + write-back
# memory is under SETTLE_MB (256): the previous step's writes are out.
# Env: SLICE (seconds per slice, 2), PAIRS (slice pairs per step, 4), ROUNDS
#      (2), TOPICS (two counts, "1 10000"), FILL_MSGS (untimed messages to
#      another topic before the warm-up, 0; topics_cpu.sh uses 1000000),
#      WARM (4), SETTLE_MB (256), STORAGE_CONF (lines for [plugins.storage]),
#      PIN=1 (ferryd's threads on CPU 0, ferry-bench on CPU 1).
# Prints one line per slice (config, round, pair, topics, msgs/s, ferryd and
# client CPU µs per message — the client's includes its prepare), one per
# step (the two counts' msgs/s summed over the step's slices, their ratio, the
# pairs' ratios and their median, ferryd µs/msg per count), then per config
# the medians over the steps, over all pairs and over each step's first pair.
set -euo pipefail
SLICE=${SLICE:-2}
PAIRS=${PAIRS:-4}
ROUNDS=${ROUNDS:-2}
TOPICS=${TOPICS:-"1 10000"}
FILL_MSGS=${FILL_MSGS:-0}
WARM=${WARM:-4}
HERE=$(cd "$(dirname "$0")" && pwd)
TICK=$(getconf CLK_TCK)
read -r LO HI <<< "$TOPICS"

proc_cpu() {  # utime+stime ticks of pid $1
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

dirty_mb() {  # the page cache's dirty + under-writeback MiB
  awk '/^(Dirty|Writeback):/ { s += $2 } END { print int(s / 1024) }' /proc/meminfo
}

settle() {  # wait (up to 60 s) until the previous step's writes are mostly out
  for _ in $(seq 1 120); do [ "$(dirty_mb)" -lt "${SETTLE_MB:-256}" ] && return 0; sleep 0.5; done
}

one_step() {  # name build_dir round
  (
    settle
    . "$HERE/../../core/bench_broker.sh"
    bench_broker_start "$2" ferry-topics-ratio
    bench_broker_client
    for k in $LO $HI; do
      bench -t "mt$k" --topics "$k" --create --create-target "$ADDR" -q 4 -N 1 -d 60 --quiet > /dev/null
    done
    if [ "$FILL_MSGS" -gt 0 ]; then
      bench -t fill --topics 1 --create --create-target "$ADDR" -q 4 -N "$FILL_MSGS" -d 120 --quiet > /dev/null
    fi
    for k in $LO $HI; do
      bench -t "mt$k" --topics "$k" --warmup -N "$((k * WARM))" -d 60 --quiet > /dev/null || true
    done
    [ "${CHECKPOINTED:-1}" = 0 ] || bench_broker_checkpointed || true
    for p in $(seq 1 "$PAIRS"); do
      order="$LO $HI"
      [ $((p % 2)) = 1 ] || order="$HI $LO"
      for n in $order; do
        rm -f "$T/c0"
        # Not --quiet: the "prepared" line on stderr marks the clock's start;
        # the reader samples ferryd's CPU there.
        out=$(/usr/bin/time -f '%U %S' -o "$T/client.time" "${pin[@]}" "$B/bin/ferry-bench" produce -n "$ADDR" \
                -m async -w 256 -s 1024 --json -t "mt$n" --topics "$n" -d "$SLICE" \
                2> >(while IFS= read -r l; do
                       case $l in prepared*) proc_cpu "$PID" > "$T/c0.tmp"; mv "$T/c0.tmp" "$T/c0" ;; esac
                     done > /dev/null)) ||
          echo "$1 round $3 $n topics: ferry-bench exited $? ($out)" >&2
        c1=$(proc_cpu "$PID")
        for _ in $(seq 1 50); do [ -f "$T/c0" ] && break; sleep 0.02; done
        c0=$(cat "$T/c0" 2> /dev/null || echo "$c1")
        python3 - "$1" "$3" "$p" "$n" "$((c1 - c0))" "$TICK" "$out" "$(tail -1 "$T/client.time")" "$(dirty_mb)" <<'PY' || true
import json, sys
name, rnd, pair, n, ticks, tick, out, client, dirty = sys.argv[1:]
j = json.loads(out)
ok = max(j["ok"], 1)
cu, cs = (float(x) for x in client.split())
print("%-10s round %s pair %s  %5s topics  msgs/s %7d  ferryd cpu us/msg %6.2f  client cpu us/msg %5.2f  "
      "ok %d  secs %.2f  failed %d  dirty %s MiB" % (name, rnd, pair, n, j["msgs_per_s"],
                                       int(ticks) / int(tick) * 1e6 / ok, (cu + cs) * 1e6 / ok, j["ok"],
                                       j["ok"] / max(j["msgs_per_s"], 1), j["failed"], dirty))
PY
      done
    done
  )
}

RESULTS=$(mktemp /tmp/topics-ratio-results.XXXXXX)
trap 'rm -f "$RESULTS"' EXIT
for round in $(seq 1 "$ROUNDS"); do
  specs=("$@")
  if [ $((round % 2)) = 0 ]; then
    specs=()
    for ((i = $#; i >= 1; i--)); do specs+=("${!i}"); done
  fi
  for spec in "${specs[@]}"; do
    one_step "${spec%%=*}" "${spec#*=}" "$round" | tee -a "$RESULTS"
  done
done
python3 - "$RESULTS" "$LO" "$HI" <<'PY'
import re, statistics, sys
path, lo, hi = sys.argv[1:]
sl = {}
pat = re.compile(r"(\S+)\s+round (\d+) pair (\d+)\s+(\d+) topics\s+msgs/s\s+(\d+)\s+ferryd cpu us/msg\s+([\d.]+)"
                 r".*ok (\d+)\s+secs ([\d.]+)")
for line in open(path):
    m = pat.match(line)
    if m:
        sl[(m[1], int(m[2]), int(m[3]), m[4])] = (int(m[5]), float(m[6]), int(m[7]), float(m[8]))
med = statistics.median
print("step: msgs/s over the step's slices (ferryd us/msg), ratio %s/%s, median of its pairs' ratios" % (hi, lo))
for name in dict.fromkeys(k[0] for k in sl):
    pairs, firsts, steps, us_hi, us_lo = [], [], [], [], []
    for rnd in sorted({k[1] for k in sl if k[0] == name}):
        keys = sorted({k[2] for k in sl if k[0] == name and k[1] == rnd})
        got = {c: [sl[(name, rnd, p, c)] for p in keys if (name, rnd, p, c) in sl] for c in (lo, hi)}
        pr = [sl[(name, rnd, p, hi)][0] / sl[(name, rnd, p, lo)][0] for p in keys
              if (name, rnd, p, hi) in sl and (name, rnd, p, lo) in sl and sl[(name, rnd, p, lo)][0] > 0]
        if not pr:
            continue
        rate = {c: sum(x[2] for x in got[c]) / max(sum(x[3] for x in got[c]), 1e-9) for c in (lo, hi)}
        cpu = {c: sum(x[1] * x[2] for x in got[c]) / max(sum(x[2] for x in got[c]), 1) for c in (lo, hi)}
        steps.append(rate[hi] / rate[lo]); pairs += pr; firsts.append(pr[0])
        us_hi.append(cpu[hi]); us_lo.append(cpu[lo])
        print("%-10s round %d  %s: %7.0f (%.2f)  %s: %7.0f (%.2f)  ratio %.3f  pairs %s  median %.3f" % (
            name, rnd, lo, rate[lo], cpu[lo], hi, rate[hi], cpu[hi], rate[hi] / rate[lo],
            " ".join("%.3f" % x for x in pr), med(pr)))
    if steps:
        print("%-10s %s vs %s: steps' ratios %s  median %.3f; pairs' median %.3f (%d of %d >= 0.90); "
              "first pairs %s  median %.3f; ferryd us/msg median %s %.2f, %s %.2f" % (
            name, hi, lo, " ".join("%.3f" % x for x in steps), med(steps), med(pairs),
            sum(x >= 0.9 for x in pairs), len(pairs), " ".join("%.3f" % x for x in firsts), med(firsts),
            lo, med(us_lo), hi, med(us_hi)))
PY
