#!/usr/bin/env bash
# Peak rows of two or more builds, alternated: per round and per LABEL:BUILD
# (a build dir with bin/ferryd, bin/ferry-bench and the plugins) or
# LABEL:BUILD:SETS (SETS: comma-separated libferry keys for the w2/w3
# producers, `ferry-bench produce --set`) or LABEL:BUILD:SETS:STORAGE
# (STORAGE: extra [plugins.storage] lines, e.g. 'segment_prefill = false'),
# a fresh ferryd of that build in a
# temp dir, topics with 4 queues, then for DUR s each
#   w2  produce -s 1024 -m async -w 256       (compare.sh's workload 2)
#   w3  the same with -c 4 --producers 4     (workload 3; W3_PRODUCERS=N)
#   w5  (W5=1) compare.sh's w5 backlog fill, produce -m batch -b 64 -N W5N
#       (default 1000000), on the same ferryd
#   w6  (W6RATE=R) an "aged" workload 6 after them on the same ferryd:
#       w6_row.sh's push consumer and paced producer, 5 s at R msgs/s
#   w6full (W6FULL=1) a push consumer from last + unpaced w2 into W6
# Per row: msgs/s, the client's and ferryd's CPU µs per message, the ack
# p50 / p99 (ms) and failures, and per
# ferryd thread (schedstat run time): ferry-prefault (µs/msg, % of one
# core), the loop (comm ferryd), ferry-dispatch.
# Usage: peak_ab.sh ROUNDS DUR LABEL:BUILD[:SETS[:STORAGE]] [LABEL:BUILD[:SETS[:STORAGE]]...]
#   scripts/locked timeout 295 tools/ferry-bench/peak_ab.sh 3 5 old:/tmp/a/build new:build
#   ... peak_ab.sh 2 5 off:build: b64:build:async_batch_max_messages=64,async_batch_linger_ms=0
#   W5=1 W6RATE=120000 scripts/locked timeout 295 tools/ferry-bench/peak_ab.sh 3 5 a:/tmp/a b:/tmp/b
#   ... peak_ab.sh 3 5 'fill:build:K=V' 'nofill:build:K=V:segment_prefill = false'
# Summary of pairs: tools/ferry-bench/peak_ab_summary.py a b OUT...
# Swap the order of the builds between holds; the machine drifts.
set -uo pipefail
if (($# < 3)); then
  sed -n '2,26p' "$0" >&2
  exit 2
fi
ROUNDS=$1 DUR=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/row_lib.sh"
scratch=$(mktemp -d /tmp/ferry-peak-ab.XXXXXX)
trap 'cleanup; rm -rf "$scratch"' EXIT

# snap PID OUT: "comm<TAB>run_ns" per thread (schedstat field 1), summed by comm.
snap() {
  local t
  for t in "/proc/$1"/task/*; do
    printf '%s\t%s\n' "$(cat "$t/comm" 2>/dev/null)" "$(awk '{print $1}' "$t/schedstat" 2>/dev/null)"
  done >"$2"
  printf '__t\t%s\n' "$(date +%s%N)" >>"$2"
}

one() {  # one BUILD [--set k=v ...] (for w2/w3)
  local bin setargs=("${@:2}")
  bin=$(cd "$1" && pwd)/bin
  tmp=$(mktemp -d "$scratch/run.XXXXXX")
  start_row_ferryd "$bin" "$tmp" "$cfg_storage"
  row_topics "$bin" W2 W3 W5 W6
  local w c t
  for w in w2 w3 w5; do
    [[ $w == w5 && ${W5:-0} != 1 ]] && continue
    c=1 t=W2 pr=()
    # w3 as compare.sh runs it since session 23: four SDK producers
    # (W3_PRODUCERS=1 for builds whose ferry-bench has no --producers).
    [[ $w == w3 ]] && c=4 t=W3 pr=(--producers "${W3_PRODUCERS:-4}")
    snap "$fpid" "$tmp/$w.s0"
    if [[ $w == w5 ]]; then
      /usr/bin/time -f "%U %S %e" -o "$tmp/$w.time" timeout -k 5 120 "$bin/ferry-bench" produce -n "$ns" \
        --json --quiet -t W5 -s 1024 -m batch -b 64 -N "${W5N:-1000000}" -d 90 >"$tmp/$w.json" 2>/dev/null
    else
      /usr/bin/time -f "%U %S %e" -o "$tmp/$w.time" timeout -k 5 $((DUR + 30)) "$bin/ferry-bench" produce -n "$ns" \
        --json --quiet -t $t -s 1024 -m async -w 256 -c $c "${pr[@]}" -d "$DUR" ${setargs[@]+"${setargs[@]}"} >"$tmp/$w.json" 2>/dev/null
    fi
    snap "$fpid" "$tmp/$w.s1"
  done
  if [[ -n ${W6RATE:-} ]]; then
    # Aged w6: w6_row.sh's row on this same ferryd, after w2/w3/w5 fill.
    local n6=$((W6RATE * 5))
    snap "$fpid" "$tmp/w6.s0"
    timeout -k 5 60 "$bin/ferry-bench" consume -n "$ns" --json --quiet -t W6 -m push --from last -N "$n6" \
      -d 14 --split >"$tmp/c6.json" 2>/dev/null &
    local cp=$!
    sleep 3
    timeout -k 5 60 "$bin/ferry-bench" produce -n "$ns" --json --quiet -t W6 -s 1024 -m async -w 256 \
      -r "$W6RATE" -N "$n6" -d 7 >"$tmp/p6.json" 2>/dev/null || true
    wait $cp || true
    snap "$fpid" "$tmp/w6.s1"
  fi
  if [[ ${W6FULL:-0} == 1 ]]; then
    timeout -k 5 $((DUR + 30)) "$bin/ferry-bench" consume -n "$ns" --json --quiet -t W6 -m push --from last \
      -N 100000000 -d $((DUR + 6)) --split >"$tmp/cf.json" 2>/dev/null &
    local cpf=$!
    sleep 3
    timeout -k 5 $((DUR + 30)) "$bin/ferry-bench" produce -n "$ns" --json --quiet -t W6 -s 1024 -m async -w 256 \
      -d "$DUR" >"$tmp/w6full.json" 2>/dev/null
    wait $cpf
  fi
  du -sm "$tmp/data" | awk '{print $1}' >"$tmp/du"
  python3 - "$tmp" <<'PY'
import json, os, sys
from collections import defaultdict
d = sys.argv[1]
def load(f):
    try:
        return json.load(open(os.path.join(d, f)))
    except Exception:
        return None
def snap(f):
    m = defaultdict(int)
    for line in open(os.path.join(d, f)):
        p = line.rstrip("\n").split("\t")
        if len(p) == 2 and p[1]:
            m[p[0]] += int(p[1])
    return m
out = []
for w in ("w2", "w3", "w5"):
    j = load(w + ".json")
    if j is None and not os.path.exists(os.path.join(d, w + ".s0")):
        continue
    try:
        u, s, e = map(float, open(os.path.join(d, w + ".time")).read().split()[-3:])
        a, b = snap(w + ".s0"), snap(w + ".s1")
        th = {k: (b[k] - a.get(k, 0)) / 1e3 for k in b if k != "__t"}  # us
        n = max(j["ok"], 1)
        srv = sum(th.values())
        el = j.get("elapsed_s") or j.get("duration_s") or e
        pf = th.get("ferry-prefault", 0.0)
        lp = th.get("ferryd", 0.0)
        out.append("%s %.0f cli_us %.2f srv_us %.2f pf_us %.3f pf_pct %.1f loop_us %.2f disp_us %.2f"
                   " p50 %.2f p99 %.2f fail %d" % (
            w, j["msgs_per_s"], 1e6 * (u + s) / n, srv / n, pf / n, 100 * pf / 1e6 / max(el, 1e-3),
            lp / n, th.get("ferry-dispatch", 0.0) / n, j["latency_ms"]["p50"], j["latency_ms"]["p99"], j["failed"]))
    except Exception as ex:
        out.append("%s FAIL (%s)" % (w, ex))
w6, c = load("w6full.json"), load("cf.json")
if w6 or c:
    cs = ("got %d e2e p50 %.2f p99 %.2f" % (c["ok"], c["latency_ms"]["p50"], c["latency_ms"]["p99"])) if c else "FAIL"
    out.append("w6full %s (%s)" % ("%.0f" % w6["msgs_per_s"] if w6 else "FAIL", cs))
c6, p6 = load("c6.json"), load("p6.json")
if c6 or p6:
    try:
        a, b = snap("w6.s0"), snap("w6.s1")
        pf = (b.get("ferry-prefault", 0) - a.get("ferry-prefault", 0)) / 1e9
        span = (b["__t"] - a["__t"]) / 1e9
        out.append("w6 %.0f e2e p50 %.3f p99 %.3f got %d pf_pct %.1f" % (p6["msgs_per_s"], c6["latency_ms"]["p50"],
                   c6["latency_ms"]["p99"], c6["ok"], 100 * pf / span))
    except Exception as ex:
        out.append("w6 FAIL (%s)" % ex)
out.append("du_mb %s" % open(os.path.join(d, "du")).read().strip())
print(" | ".join(out))
PY
  cleanup
}

for ((r = 1; r <= ROUNDS; r++)); do
  for cfg in "$@"; do
    parse_cfg "$cfg"
    echo "$(date -u +%H:%M:%S) round $r $cfg_label: $(one "$cfg_build" ${cfg_setargs[@]+"${cfg_setargs[@]}"})"
  done
done
