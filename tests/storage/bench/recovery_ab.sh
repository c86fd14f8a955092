#!/usr/bin/env bash
# Recovery after a crash vs a cold sequential read (issue 4: <= 2x), two or
# more builds alternated: storage_bench's recovery-pwrite row on 1 GiB of
# log in 1 GiB segments with the segment pre-fill on and SETTLE ms (8,000)
# for the fill to finish, so the head's segment ends in pre-filled zeros.
# Usage: recovery_ab.sh "LABEL=BUILD ..." "ORDER"
#   scripts/locked timeout 295 tests/storage/bench/recovery_ab.sh "O=/tmp/a/build N=build" "N O"
# STORAGE_BENCH_RECOVERY_MIB=512 measures a log ending mid-segment.
set -euo pipefail
if (($# < 2)); then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
declare -A build
for kv in $1; do build[${kv%%=*}]=$(cd "${kv#*=}" && pwd); done
dir=$(mktemp -d /tmp/ferry-recovery-ab.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for o in $2; do
  b=${build[$o]:?"no build for $o"}
  echo "== $o $(date -u +%T) ${STORAGE_BENCH_RECOVERY_MIB:+mib=$STORAGE_BENCH_RECOVERY_MIB}"
  STORAGE_BENCH_SETTLE_MS=${SETTLE:-8000} STORAGE_BENCH_SEGMENT_MIB=1024 STORAGE_BENCH_PREFILL=1 \
    "$b/bin/storage_bench" "$dir/run" 512 recovery-pwrite 2>&1 | grep -E "recovery|read\(\)"
  rm -rf "${dir:?}"/*
done
