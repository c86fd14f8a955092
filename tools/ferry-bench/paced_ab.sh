#!/usr/bin/env bash
# The ack latency of compare.sh's workload-2 shape at a fixed rate, under
# libferry settings and/or builds, alternated (what client-side batching
# costs in latency below the peak): per round and LABEL:BUILD:SETS (as
# peak_ab.sh), a fresh ferryd of BUILD (tools/compare/ferry_conf.sh),
# topic W2 with 4 queues, then
#   ferry-bench produce -s 1024 -m async -w 256 -c 1 --rate RATE -d DUR
# Prints msgs/s and the ack p50 / p99 / p999 (ms) per run.
# Usage: paced_ab.sh ROUNDS RATE DUR LABEL:BUILD:SETS [LABEL:BUILD:SETS...]
#   scripts/locked timeout 295 tools/ferry-bench/paced_ab.sh 2 150000 5 off:build: \
#     b64l0:build:async_batch_max_messages=64,async_batch_linger_ms=0
set -uo pipefail
if (($# < 4)); then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/row_lib.sh"
trap cleanup EXIT
ROUNDS=$1 RATE=$2 DUR=$3
shift 3
for ((r = 1; r <= ROUNDS; r++)); do
  for cfg in "$@"; do
    parse_cfg "$cfg"
    bin=$(cd "$cfg_build" && pwd)/bin
    tmp=$(mktemp -d /tmp/ferry-paced.XXXXXX)
    start_row_ferryd "$bin" "$tmp" ""
    row_topics "$bin" W2
    timeout -k 5 $((DUR + 30)) "$bin/ferry-bench" produce -n "$ns" --json --quiet -t W2 -s 1024 -m async -w 256 -c 1 \
      --rate "$RATE" -d "$DUR" ${cfg_setargs[@]+"${cfg_setargs[@]}"} >"$tmp/p.json" 2>/dev/null
    echo "$(date -u +%H:%M:%S) round $r $cfg_label: $(python3 -c '
import json, sys
try:
    j = json.load(open(sys.argv[1])); l = j["latency_ms"]
    print("%.0f msgs/s p50 %.3f p99 %.3f p999 %.3f fail %d" % (j["msgs_per_s"], l["p50"], l["p99"], l["p999"], j["failed"]))
except Exception as e:
    print("FAIL (%s)" % e)' "$tmp/p.json")"
    cleanup
  done
done
