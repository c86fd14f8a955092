#!/usr/bin/env bash
# Peak rows of two or more builds, alternated: per round and per LABEL:BUILD
# (a build dir with bin/ferryd, bin/ferry-bench and the plugins), a fresh
# ferryd of that build in a temp dir, topics W2/W3 with 4 queues, then
#   w2  produce -s 1024 -m async -w 256       (compare.sh's workload 2)
#   w3  the same with -c 4                    (workload 3)
#   w6full (W6FULL=1) a push consumer from last + unpaced w2 into W6
# for DUR s each. Prints msgs/s and, for w2/w3, the client's and ferryd's
# CPU microseconds per message (both builds' server and client differ).
# Usage: peak_ab.sh ROUNDS DUR LABEL:BUILD [LABEL:BUILD...]
#   scripts/locked timeout 295 tools/ferry-bench/peak_ab.sh 3 5 old:/tmp/a/build new:build
# Swap the order of the builds between holds; the machine drifts.
set -uo pipefail
if (($# < 3)); then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
ROUNDS=$1 DUR=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/row_lib.sh"
trap cleanup EXIT
scratch=$(mktemp -d /tmp/ferry-peak-ab.XXXXXX)
trap 'cleanup; rm -rf "$scratch"' EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

one() {
  local bin
  bin=$(cd "$1" && pwd)/bin
  tmp=$(mktemp -d "$scratch/run.XXXXXX")
  start_row_ferryd "$bin" "$tmp" ""
  row_topics "$bin" W2 W3 W6
  local w c t s0
  for w in w2 w3; do
    c=1 t=W2
    [[ $w == w3 ]] && c=4 t=W3
    s0=$(cpu_ticks "$fpid")
    /usr/bin/time -f "%U %S" -o "$tmp/$w.time" timeout -k 5 $((DUR + 30)) "$bin/ferry-bench" produce -n "$ns" \
      --json --quiet -t $t -s 1024 -m async -w 256 -c $c -d "$DUR" >"$tmp/$w.json" 2>/dev/null
    echo $(($(cpu_ticks "$fpid") - s0)) >"$tmp/$w.srv"
  done
  if [[ ${W6FULL:-0} == 1 ]]; then
    timeout -k 5 $((DUR + 30)) "$bin/ferry-bench" consume -n "$ns" --json --quiet -t W6 -m push --from last \
      -N 100000000 -d $((DUR + 6)) --split >"$tmp/c.json" 2>/dev/null &
    local cp=$!
    sleep 3
    timeout -k 5 $((DUR + 30)) "$bin/ferry-bench" produce -n "$ns" --json --quiet -t W6 -s 1024 -m async -w 256 \
      -d "$DUR" >"$tmp/w6.json" 2>/dev/null
    wait $cp
  fi
  python3 - "$tmp" <<'PY'
import json, os, sys
d = sys.argv[1]
hz = os.sysconf("SC_CLK_TCK")
def load(f):
    try:
        return json.load(open(os.path.join(d, f)))
    except Exception:
        return None
out = []
for w in ("w2", "w3"):
    j = load(w + ".json")
    try:
        u, s = map(float, open(os.path.join(d, w + ".time")).read().split()[-2:])
        srv = int(open(os.path.join(d, w + ".srv")).read()) / hz
        n = max(j["ok"], 1)
        out.append("%s %.0f cli_us %.2f srv_us %.2f" % (w, j["msgs_per_s"], 1e6 * (u + s) / n, 1e6 * srv / n))
    except Exception as e:
        out.append("%s FAIL (%s)" % (w, e))
w6, c = load("w6.json"), load("c.json")
if w6 or c:
    cs = ("got %d e2e p50 %.2f p99 %.2f" % (c["ok"], c["latency_ms"]["p50"], c["latency_ms"]["p99"])) if c else "FAIL"
    out.append("w6full %s (%s)" % ("%.0f" % w6["msgs_per_s"] if w6 else "FAIL", cs))
print(" | ".join(out))
PY
  cleanup
}

for ((r = 1; r <= ROUNDS; r++)); do
  for cfg in "$@"; do
    echo "$(date -u +%H:%M:%S) round $r ${cfg%%:*}: $(one "${cfg#*:}")"
  done
done
