#!/usr/bin/env bash
# compare.sh's workloads 2 and 3 (1 KiB, async window 256; -c 1 and -c 4)
# under libferry settings and/or builds, alternated: per round and per
# LABEL:BUILD:SETS (SETS: comma-separated libferry keys passed as
# `ferry-bench produce --set`, may be empty), a fresh ferryd of BUILD in a
# temp dir (tools/compare/ferry_conf.sh, as compare.sh), topics W2/W3 with
# 4 queues, then w2 and w3 for DUR s each. Prints msgs/s, the client's and
# ferryd's CPU microseconds per message (as peak_ab.sh) and the ack latency
# p50 / p99 (ms) per row.
# Usage: batch_ab.sh ROUNDS DUR LABEL:BUILD:SETS [LABEL:BUILD:SETS...]
#   scripts/locked timeout 295 tools/ferry-bench/batch_ab.sh 2 5 off:/tmp/ferry-ci51/build: \
#     b64:/tmp/ferry-ci51/build:async_batch_max_messages=64
# Swap the order of the configs between holds; the machine drifts.
set -uo pipefail
if (($# < 3)); then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
ROUNDS=$1 DUR=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/row_lib.sh"
trap cleanup EXIT
scratch=$(mktemp -d /tmp/ferry-batch-ab.XXXXXX)
trap 'cleanup; rm -rf "$scratch"' EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

one() {  # one BUILD SETS
  local bin setargs=() kv
  bin=$(cd "$1" && pwd)/bin
  IFS=, read -ra kvs <<<"${2:-}"
  for kv in "${kvs[@]}"; do [[ -n $kv ]] && setargs+=(--set "$kv"); done
  tmp=$(mktemp -d "$scratch/run.XXXXXX")
  start_row_ferryd "$bin" "$tmp" ""
  row_topics "$bin" W2 W3
  local w c t s0
  for w in w2 w3; do
    c=1 t=W2
    [[ $w == w3 ]] && c=4 t=W3
    s0=$(cpu_ticks "$fpid")
    /usr/bin/time -f "%U %S" -o "$tmp/$w.time" timeout -k 5 $((DUR + 30)) "$bin/ferry-bench" produce -n "$ns" \
      --json --quiet -t $t -s 1024 -m async -w 256 -c $c -d "$DUR" "${setargs[@]}" >"$tmp/$w.json" 2>"$tmp/$w.err"
    echo $(($(cpu_ticks "$fpid") - s0)) >"$tmp/$w.srv"
  done
  python3 - "$tmp" <<'PY'
import json, os, sys
d = sys.argv[1]
hz = os.sysconf("SC_CLK_TCK")
out = []
for w in ("w2", "w3"):
    try:
        j = json.load(open(os.path.join(d, w + ".json")))
        u, s = map(float, open(os.path.join(d, w + ".time")).read().split()[-2:])
        srv = int(open(os.path.join(d, w + ".srv")).read()) / hz
        n = max(j["ok"], 1)
        out.append("%s %.0f cli_us %.2f srv_us %.2f p50 %.2f p99 %.2f fail %d" % (
            w, j["msgs_per_s"], 1e6 * (u + s) / n, 1e6 * srv / n,
            j["latency_ms"]["p50"], j["latency_ms"]["p99"], j["failed"]))
    except Exception as e:
        err = open(os.path.join(d, w + ".err")).read().strip()[:200]
        out.append("%s FAIL (%s %s)" % (w, e, err))
print(" | ".join(out))
PY
  cleanup
}

for ((r = 1; r <= ROUNDS; r++)); do
  for cfg in "$@"; do
    label=${cfg%%:*} rest=${cfg#*:}
    build=${rest%%:*} sets=${rest#*:}
    [[ $sets == "$rest" ]] && sets=""
    echo "$(date -u +%H:%M:%S) round $r $label: $(one "$build" "$sets")"
  done
done
