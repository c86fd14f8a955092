#!/usr/bin/env bash
# Workload 6's Ferry row once (as w6_row.sh: compare.sh's ferryd config,
# topic W6 with 4 queues, push consumer from last, then the producer paced
# at RATE for DUR s), with `perf stat --per-thread` on ferryd, the consumer
# and the producer for DUR-2 s from 1 s after the producer started: CPU
# (task-clock) and context switches per message and the busiest threads of
# each process, beside the e2e percentiles and the broker's pull counters.
# Not a test; run it under the lock:
#   scripts/locked tools/ferry-bench/w6_cpu.sh /tmp/ferry-ci15/build 96000 6
# PERF=record records call graphs (perf.{f,c,p}.data) instead; KEEP=1 keeps
# the run directory (JSON summaries, the consumer's per-second lines).
# PFLAGS="--set async_batch_max_messages=64 --set async_batch_linger_ms=0"
# adds producer flags (client-side batching, as compare.sh --producer-set).
# STORAGE='key = value' adds [plugins.storage] lines (e.g. segment_prefill = false).
# PREFILL=N ages the broker first (row_lib.sh row_prefill).
set -uo pipefail
(($# >= 3)) || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
B=$(cd "$1" && pwd)/bin RATE=$2 DUR=$3
shift 3
N=$((RATE * DUR)) PD=$((DUR - 2))
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/tools/ferry-bench/row_lib.sh"
tmp=$(mktemp -d /tmp/ferry-w6cpu.XXXXXX)
fpid=""
cleanup() {
  [[ -n $fpid ]] && { kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null; }
  if [[ -z ${KEEP:-} ]]; then rm -rf "$tmp"; else rm -rf "$tmp/data"; echo "kept $tmp"; fi
}
trap cleanup EXIT
start_row_ferryd "$B" "$tmp" "${STORAGE:-}"
row_topics "$B" W6
row_prefill "$B"
timeout -k 5 60 "$B/ferry-bench" consume -n "$ns" --json -t W6 -m push --from last -N "$N" -d $((DUR + 9)) --split \
  "$@" >"$tmp/c.json" 2>"$tmp/c.err" &
cpid=$!
sleep 3
timeout -k 5 60 "$B/ferry-bench" produce -n "$ns" --json --quiet -t W6 -s 1024 -m async -w 256 -r "$RATE" -N "$N" \
  -d $((DUR + 2)) ${PFLAGS:-} >"$tmp/p.json" 2>"$tmp/p.err" &
ppid=$!
sleep 1
cons=$(pgrep -P "$cpid" ferry-bench || echo "$cpid")
prod=$(pgrep -P "$ppid" ferry-bench || echo "$ppid")
perfs=()
for w in f:$fpid c:$cons p:$prod; do
  if [[ ${PERF:-} == record ]]; then
    perf record -F 1999 -g -o "$tmp/perf.${w%%:*}.data" -p "${w#*:}" -- sleep "$PD" >/dev/null 2>&1 &
  else
    perf stat --per-thread -e task-clock,context-switches -o "$tmp/stat.${w%%:*}" -p "${w#*:}" -- sleep "$PD" &
  fi
  perfs+=($!)
done
wait "$ppid"
wait "$cpid"
wait "${perfs[@]}"  # not a bare wait: ferryd is a child too
"$B/ferryctl" -n "$ns" broker status >"$tmp/status.txt" 2>&1
python3 "$here/tools/ferry-bench/w6_summary.py" "$tmp"
python3 - "$tmp" "$RATE" "$PD" <<'PY'
import os, sys
d, rate, pd = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
n = rate * pd
for who, name in (("f", "ferryd"), ("c", "consumer"), ("p", "producer")):
    f = d + "/stat." + who
    if not os.path.exists(f): continue
    clock, switches, per = 0.0, 0.0, []
    for line in open(f):
        a = line.split()
        if len(a) < 3 or "not counted" in line: continue
        try: v = float(a[1].replace(",", ""))
        except ValueError: continue
        if "task-clock" in line: clock += v; per.append((a[0], v))
        elif "context-switches" in line: switches += v
    per.sort(key=lambda x: -x[1])
    print("  %-8s %5.2f cores, %6.2f us CPU and %.2f switches per message; %s"
          % (name, clock / 1000 / pd, clock * 1000 / n, switches / n, " ".join("%s %.0f ms" % t for t in per[:4])))
PY
