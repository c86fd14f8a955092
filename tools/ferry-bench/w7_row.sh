#!/usr/bin/env bash
# tools/compare.sh's workload-7 rows on their own, for profiling and A/B:
# one ferryd per run with compare.sh's config (mmaplog, async flush) plus the
# configuration's extra storage keys, topic W7 with 4 queues, optionally
# PREFILL seconds of workload 2's load on W2 first (compare.sh runs w7 after
# workloads 1-6 wrote ~6 GB: a full page cache is part of its state), then
# ferry-bench produce -m batch -b 64 -s 1024 for DUR seconds, then
# compare-seqwrite of the same message count into the same temp dir (the
# "plain write()" row). Each configuration ("label:build_dir:storage keys",
# keys separated by ';') runs ROUNDS times, alternated; one line per run:
# msgs/s, MB/s, ferryd's CPU, the plain write's MB/s and the ratio.
# Not a test; run it under the lock:
#   scripts/locked tools/ferry-bench/w7_row.sh 10 0 3 "pw:/tmp/ferry-ci15/build:" \
#     "mm:/tmp/ferry-ci15/build:write_mode = \"mmap\""
# KEEP=1 keeps each run's directory; PERF_OUT=path records a ferryd profile; TMPROOT picks the disk (default /tmp).
# A sync precedes Ferry's row and the plain write, as in compare.sh (benchmarks.md
# "Session 20 runs": without it the plain write pays for Ferry's writeback), and
# the plain write waits (<= 10 s) until ferryd is idle (tools/compare/settle.sh);
# NOSYNC=1 runs them back to back as before session 20.
set -euo pipefail
(($# >= 4)) || { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
DUR=$1 PREFILL=$2 ROUNDS=$3; shift 3
NOSYNC=${NOSYNC:-0}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/tools/ferry-bench/row_lib.sh"
# shellcheck source=tools/compare/settle.sh
source "$here/tools/compare/settle.sh"
hz=$(getconf CLK_TCK)
trap cleanup EXIT
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

one_run() {  # one_run BUILD_DIR STORAGE_KEYS (runs in a subshell: its own trap)
  trap cleanup EXIT
  local bin ns t0 t1 s0 s1
  bin=$(cd "$1" && pwd)/bin
  tmp=$(mktemp -d "${TMPROOT:-/tmp}/ferry-w7row.XXXXXX")
  start_row_ferryd "$bin" "$tmp" "${2//;/$'\n'}"
  row_topics "$bin" W2 W7
  if ((PREFILL > 0)); then
    timeout -k 5 120 "$bin/ferry-bench" produce -n "$ns" --json --quiet -t W2 -s 1024 -m async -w 256 \
      -d "$PREFILL" >"$tmp/fill.json" 2>"$tmp/fill.err" || true
  fi
  # Every 100 ms: the system's dirty and writeback pages (MiB) and how many
  # ferryd threads sleep in balance_dirty_pages (dirty-page throttling).
  (
    trap - EXIT
    while kill -0 "$fpid" 2>/dev/null; do
      awk '/^nr_dirty |^nr_writeback /{ printf "%d ", $2 / 256 }' /proc/vmstat
      cat /proc/"$fpid"/task/*/wchan 2>/dev/null | tr '\0' '\n' | grep -c balance_dirty || true
      sleep 0.1
    done
  ) >"$tmp/vm.txt" &
  local vmpid=$!
  # PERF_OUT=path: perf record of ferryd for 5 s from 2 s into the w7 run.
  if [[ -n ${PERF_OUT:-} ]]; then
    (trap - EXIT; sleep 2; perf record -q -F 999 -g -p "$fpid" -o "$PERF_OUT.$label.$r" -- sleep 5 >/dev/null 2>&1) &
  fi
  ((NOSYNC)) || sync
  t0=$(ticks "$fpid") s0=$(date +%s.%N)
  timeout -k 5 120 "$bin/ferry-bench" produce -n "$ns" --json --quiet -t W7 -s 1024 -m batch -b 64 \
    -d "$DUR" >"$tmp/w7.json" 2>"$tmp/w7.err" || true
  t1=$(ticks "$fpid") s1=$(date +%s.%N)
  kill "$vmpid" 2>/dev/null || true
  wait "$vmpid" 2>/dev/null || true
  local n
  n=$(python3 -c 'import json,sys; print(max(64, json.load(open(sys.argv[1]))["ok"]))' "$tmp/w7.json" 2>/dev/null || echo 64)
  # As compare.sh: the plain write pays neither for Ferry's dirty pages nor
  # for ferryd's leftover work (the fill of the next segment).
  if ((!NOSYNC)); then
    sync
    local pids=("$fpid") busy
    busy=$(settle "plain write") || echo "$busy" >&2
  fi
  "$bin/compare-seqwrite" --stream "$tmp" -s 1024 -b 64 -N "$n" -d $((DUR * 3)) >"$tmp/seq.json" 2>"$tmp/seq.err" || true
  python3 - "$tmp" "$((t1 - t0))" "$hz" "$s0" "$s1" <<'PY'
import json, sys
d, ticks, hz, s0, s1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
try:
    f = json.load(open(d + "/w7.json")); w = json.load(open(d + "/seq.json"))
except Exception as e:
    print("FAILED (%s)" % e); sys.exit()
cpu = ticks / hz / (s1 - s0) * 100
vm = [l.split() for l in open(d + "/vm.txt") if len(l.split()) == 3]
vmtxt = "dirty max %d MiB writeback max %d MiB throttled %d/%d samples" % (
    max([int(v[0]) for v in vm] or [0]), max([int(v[1]) for v in vm] or [0]),
    sum(1 for v in vm if int(v[2]) > 0), len(vm))
print("ferry %.0f msgs/s %.1f MB/s ferryd %.0f %% CPU %.2f us/msg p99 %.3f ms | plain %.1f MB/s | ratio %.2f | %s"
      % (f["msgs_per_s"], f["mb_per_s"], cpu, ticks / hz * 1e6 / max(1, f["ok"]), f["latency_ms"]["p99"],
         w["mb_per_s"], f["mb_per_s"] / w["mb_per_s"], vmtxt))
PY
  cleanup
}

for ((r = 1; r <= ROUNDS; r++)); do
  for cfg in "$@"; do
    label=${cfg%%:*} rest=${cfg#*:}
    build=${rest%%:*} keys=${rest#*:}
    echo "$(date -u +%H:%M:%S) round $r $label: $(one_run "$build" "$keys")"
  done
done
