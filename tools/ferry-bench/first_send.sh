#!/usr/bin/env bash
# The latency of a producer's very first send, with and without
# ferry_producer_prepare (same binary): one ferryd (tests/core/bench_broker.sh),
# topic F1 with 4 queues, then ROUNDS x, for sync and for async, a fresh
# `ferry-bench produce -N 1` without and with --no-prepare, alternated. One
# line per process: the one message's ack latency and the process's wall
# time. Not a test; run it under the lock:
#   scripts/locked timeout 200 tools/ferry-bench/first_send.sh BUILD_DIR [ROUNDS]
set -euo pipefail
(($# >= 1)) || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
ROUNDS=${2:-8}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/core/bench_broker.sh
. "$here/tests/core/bench_broker.sh"
bench_broker_start "$1" ferry-first-send
bin=$B/bin/ferry-bench
"$bin" produce -n "$ADDR" -t F1 --create --create-target "$ADDR" -q 4 -N 1 -d 30 --quiet --json > /dev/null
for mode in sync async; do
  for ((i = 1; i <= ROUNDS; i++)); do
    for flag in "" "--no-prepare"; do
      w0=$(date +%s%N)
      # shellcheck disable=SC2086  # an empty flag is no word
      out=$("$bin" produce -n "$ADDR" -t F1 -m "$mode" -N 1 -d 30 --quiet --json $flag)
      w1=$(date +%s%N)
      python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print("%-5s %-12s first-send ms %.3f  process ms %.1f" % (sys.argv[2], sys.argv[3] or "prepare", j["latency_ms"]["max"], (int(sys.argv[5]) - int(sys.argv[4])) / 1e6))' \
        "$out" "$mode" "$flag" "$w0" "$w1"
    done
  done
done
