#!/usr/bin/env bash
# ferry_flush_bench of two or more builds, alternated (issue 4's sync-flush
# targets: x one fdatasync per message, ack p99 / one fdatasync's p99).
# Usage: flush_ab.sh "LABEL=BUILD ..." "ORDER" BENCH_ARGS...
#   each letter of ORDER runs BUILD/bin/ferry_flush_bench (its own plugins:
#   FERRY_BUILD_DIR=BUILD) on a fresh directory with BENCH_ARGS, appends the
#   report to $OUT/<label>.out (OUT defaults to a temp dir, printed), and
#   prints the round's row: label, msgs/s, ack p50 / p99 us, x, p99 x.
# Fresh 256 MiB log (session 10's command):
#   scripts/locked timeout 295 tests/storage/bench/flush_ab.sh "O=/tmp/a/build N=build" "O N O N O N" \
#     --seconds 2 --write-mode pwrite --interleave 1 --loops 2 --slices 8
# After the first roll: add --segment-size 64MiB --warmup-mib 64 (--slices 4).
set -euo pipefail
if (($# < 2)); then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
declare -A build
for kv in $1; do build[${kv%%=*}]=$(cd "${kv#*=}" && pwd); done
order=$2
shift 2
OUT=${OUT:-$(mktemp -d /tmp/ferry-flush-ab.XXXXXX)}
dir=$(mktemp -d /tmp/ferry-flush-ab-data.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "reports in $OUT"
for o in $order; do
  b=${build[$o]:?"no build for $o"}
  rm -rf "${dir:?}"/*
  FERRY_BUILD_DIR=$b "$b/bin/ferry_flush_bench" --dir "$dir" "$@" >>"$OUT/$o.out" 2>>"$OUT/$o.err"
  echo "$(date -u +%T) $o $(grep -E '^\| 1 ' "$OUT/$o.out" | tail -1 | awk -F'|' '{print $7, $9, $10, $12}')"
done
