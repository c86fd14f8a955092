#!/usr/bin/env bash
# tools/compare.sh's workload-6 Ferry row on its own, for profiling and A/B:
# one ferryd per run with compare.sh's config (mmaplog, pwrite, async flush),
# topic W6 with 4 queues, a push consumer from last (--split), then 3 s later
# ferry-bench produce -m async -w 256 paced at RATE for DUR seconds. Each
# configuration ("label:build_dir:extra consume flags[:storage keys[:extra
# produce flags[:ferryd busy_poll_us[:batch]]]]", keys separated by ';' as in
# w7_row.sh) runs ROUNDS times, alternated; one line per run: e2e percentiles
# (consumer), the producer's ack p99 and the broker's pull counters. Not a
# test; run it under the lock:
#   scripts/locked tools/ferry-bench/w6_row.sh 54000 5 3 "base:/tmp/ferry-ci8/build:" "pb256:build-x:--pull-batch 256"
#   ... "bp50:build-x:--set busy_poll_us=50::--set busy_poll_us=50:50"   # busy-poll on all three
#   ... "cb:build-x:::::c" "hb:build-x:::::h"   # SCHED_BATCH (batch = letters, below)
# batch: SCHED_BATCH for c = the consumer ferry-bench (chrt --batch 0: all its
# threads), p = the producer's, h = ferryd's threads other than the main
# (loop) thread, m = ferryd's main thread (h and m set by TID once the topic
# exists; threads started later inherit their creator's policy).
# Each line ends with ferryd's loop thread over the producer's run
# (/proc/PID/schedstat, /proc/PID/status): ms on CPU, ms runnable but
# waiting for a CPU, involuntary switches.
# KEEP=1 keeps each run's directory (ferryd.log, the two JSON summaries).
# PREFILL=N ages each run's ferryd first (row_lib.sh row_prefill).
set -euo pipefail
(($# >= 4)) || { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
RATE=$1 DUR=$2 ROUNDS=$3; shift 3
N=$((RATE * DUR))
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/tools/ferry-bench/row_lib.sh"
trap cleanup EXIT

# loop_stat PID: "on-CPU ns, runqueue-wait ns, involuntary switches" of the main thread.
loop_stat() {
  echo "$(cut -d' ' -f1,2 "/proc/$1/task/$1/schedstat") $(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "/proc/$1/task/$1/status")"
}

# ferryd_batch PID LETTERS: SCHED_BATCH on ferryd's main thread (m) and/or
# its other threads (h); prints the threads set, "name:policy" (3 = BATCH).
ferryd_batch() {
  local t comm out=""
  for t in /proc/"$1"/task/*; do
    comm=$(<"$t/comm")
    if [[ ${t##*/} == "$1" ]]; then [[ $2 == *m* ]] || continue; else [[ $2 == *h* ]] || continue; fi
    chrt --batch -p 0 "${t##*/}" && out+=" $comm:$(awk '/^policy/ {print $3}' "$t/sched")"
  done
  echo "${out# }"
}

one_run() {  # one_run BUILD_DIR STORAGE_KEYS PRODUCE_FLAGS BUSY_POLL_US BATCH [consume flags...] (a subshell: its own trap)
  trap cleanup EXIT
  local bin ns
  bin=$(cd "$1" && pwd)/bin
  local skeys=${2//;/$'\n'} pflags
  read -ra pflags <<<"$3"
  local bpoll=$4 batch=$5 cchrt=() pchrt=() bset=""
  shift 5
  [[ $batch == *c* ]] && cchrt=(chrt --batch 0)
  [[ $batch == *p* ]] && pchrt=(chrt --batch 0)
  tmp=$(mktemp -d /tmp/ferry-w6row.XXXXXX)
  start_row_ferryd "$bin" "$tmp" "$skeys" "$bpoll"
  row_topics "$bin" W6
  row_prefill "$bin"
  [[ $batch == *[hm]* ]] && bset=$(ferryd_batch "$fpid" "$batch")
  timeout -k 5 60 ${cchrt[@]+"${cchrt[@]}"} "$bin/ferry-bench" consume -n "$ns" --json --quiet -t W6 -m push --from last -N "$N" \
    -d $((DUR + 9)) --split "$@" >"$tmp/c.json" 2>"$tmp/c.err" &
  local cpid=$!
  sleep 3
  local s0 s1
  s0=$(loop_stat "$fpid")
  timeout -k 5 60 ${pchrt[@]+"${pchrt[@]}"} "$bin/ferry-bench" produce -n "$ns" --json --quiet -t W6 -s 1024 -m async -w 256 \
    -r "$RATE" -N "$N" -d $((DUR + 2)) ${pflags[@]+"${pflags[@]}"} >"$tmp/p.json" 2>"$tmp/p.err" || true
  s1=$(loop_stat "$fpid")
  wait "$cpid" || true
  "$bin/ferryctl" -n "$ns" broker status >"$tmp/status.txt" 2>&1 || true
  echo "$(python3 "$here/tools/ferry-bench/w6_summary.py" "$tmp") | loop $(echo "$s0 $s1" |
    awk '{printf "run %.0f wait %.0f ms nivcsw %d", ($4 - $1) / 1e6, ($5 - $2) / 1e6, $6 - $3}')"
  [[ -n ${W6_SHOW_BATCH:-} && -n $bset ]] && echo "  ferryd batch: $bset"
  cleanup
}

for ((r = 1; r <= ROUNDS; r++)); do
  for cfg in "$@"; do
    label=${cfg%%:*} rest=${cfg#*:}
    IFS=: read -r build flags skeys pflags bpoll batch <<<"$rest"
    # shellcheck disable=SC2086  # flags are words on purpose
    echo "$(date -u +%H:%M:%S) round $r $label rate $RATE: $(one_run "$build" "$skeys" "${pflags:-}" "${bpoll:-}" "${batch:-}" $flags)"
  done
done
