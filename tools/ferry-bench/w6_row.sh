#!/usr/bin/env bash
# tools/compare.sh's workload-6 Ferry row on its own, for profiling and A/B:
# one ferryd per run with compare.sh's config (mmaplog, pwrite, async flush),
# topic W6 with 4 queues, a push consumer from last (--split), then 3 s later
# ferry-bench produce -m async -w 256 paced at RATE for DUR seconds. Each
# configuration ("label:build_dir:extra consume flags[:storage keys[:extra
# produce flags[:ferryd busy_poll_us]]]", keys separated by ';' as in
# w7_row.sh) runs ROUNDS times, alternated; one line per run: e2e percentiles
# (consumer), the producer's ack p99 and the broker's pull counters. Not a
# test; run it under the lock:
#   scripts/locked tools/ferry-bench/w6_row.sh 54000 5 3 "base:/tmp/ferry-ci8/build:" "pb256:build-x:--pull-batch 256"
#   ... "bp50:build-x:--set busy_poll_us=50::--set busy_poll_us=50:50"   # busy-poll on all three
# KEEP=1 keeps each run's directory (ferryd.log, the two JSON summaries).
set -euo pipefail
(($# >= 4)) || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
RATE=$1 DUR=$2 ROUNDS=$3; shift 3
N=$((RATE * DUR))
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/tools/ferry-bench/row_lib.sh"
trap cleanup EXIT

one_run() {  # one_run BUILD_DIR STORAGE_KEYS PRODUCE_FLAGS BUSY_POLL_US [consume flags...] (a subshell: its own trap)
  trap cleanup EXIT
  local bin ns
  bin=$(cd "$1" && pwd)/bin
  local skeys=${2//;/$'\n'} pflags
  read -ra pflags <<<"$3"
  local bpoll=$4
  shift 4
  tmp=$(mktemp -d /tmp/ferry-w6row.XXXXXX)
  start_row_ferryd "$bin" "$tmp" "$skeys" "$bpoll"
  row_topics "$bin" W6
  timeout -k 5 60 "$bin/ferry-bench" consume -n "$ns" --json --quiet -t W6 -m push --from last -N "$N" \
    -d $((DUR + 9)) --split "$@" >"$tmp/c.json" 2>"$tmp/c.err" &
  local cpid=$!
  sleep 3
  timeout -k 5 60 "$bin/ferry-bench" produce -n "$ns" --json --quiet -t W6 -s 1024 -m async -w 256 \
    -r "$RATE" -N "$N" -d $((DUR + 2)) ${pflags[@]+"${pflags[@]}"} >"$tmp/p.json" 2>"$tmp/p.err" || true
  wait "$cpid" || true
  "$bin/ferryctl" -n "$ns" broker status >"$tmp/status.txt" 2>&1 || true
  python3 "$here/tools/ferry-bench/w6_summary.py" "$tmp"
  cleanup
}

for ((r = 1; r <= ROUNDS; r++)); do
  for cfg in "$@"; do
    label=${cfg%%:*} rest=${cfg#*:}
    IFS=: read -r build flags skeys pflags bpoll <<<"$rest"
    # shellcheck disable=SC2086  # flags are words on purpose
    echo "$(date -u +%H:%M:%S) round $r $label rate $RATE: $(one_run "$build" "$skeys" "${pflags:-}" "${bpoll:-}" $flags)"
  done
done
