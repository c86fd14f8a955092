#!/usr/bin/env bash
# Workload 1 (one producer, sync sends one at a time, 1 KiB; compare.sh's
# w1 row) for several libferry settings side by side, with NATS JetStream's
# w1 and the raw blocking ping-pong in the same hold: one ferryd of BUILD
# (compare.sh's async-flush config, or sync flush with FLUSH=sync), one
# nats-server (file storage, as compare.sh), then per round every variant
# for DUR s, the order reversed every other round (REVERSE=1 starts
# reversed: swap it between holds).
# Per run: msgs/s, send p50 / p99 (ms), the client's CPU (% of one core,
# user + sys of the bench process) and the server's (ferryd or nats-server,
# /proc/PID/stat over the run). Raw lines go to stdout, then medians,
# ratios to NATS and the ping-pong, and "lower in k of n" against the first
# Ferry variant (w1_ab_summary.py).
# Usage: w1_ab.sh BUILD ROUNDS DUR LABEL[:SETS] [LABEL[:SETS]...]
#   SETS: comma-separated libferry keys (ferry-bench produce --set k=v).
#   scripts/locked timeout 295 tools/ferry-bench/w1_ab.sh build 4 5 off:sync_direct_spin_us=0 default
#   THREADS=4 NATS=0 ... (4 sending threads, -c 4; no NATS / ping-pong)
#   FLUSH=sync NATS=0 ... (a sync-flush ferryd: answers after the fsync)
#   PROCS=2 NATS=0 ... (two ferry-bench processes at once, each its own
#     producer: msgs/s and CPU summed, p50 / p99 the larger of the two)
# Needs nats-server on PATH and BUILD/bin/compare-nats, compare-pingpong
# unless NATS=0.
set -uo pipefail
if (($# < 4)); then
  sed -n '2,23p' "$0" >&2
  exit 2
fi
BUILD=$1 ROUNDS=$2 DUR=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tools/ferry-bench/row_lib.sh
source "$here/row_lib.sh"
bin=$(cd "$BUILD" && pwd)/bin
THREADS=${THREADS:-1} NATS=${NATS:-1} FLUSH=${FLUSH:-async} PROCS=${PROCS:-1}
scratch=$(mktemp -d /tmp/ferry-w1-ab.XXXXXX)
npid=""
trap 'cleanup; [[ -n $npid ]] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null; rm -rf "$scratch"' EXIT
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

tmp=$scratch/ferry
if [[ $FLUSH == sync ]]; then
  # compare.sh's sync-flush row config (ferry_conf's ferry_flush_sync).
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  ns=127.0.0.1:$port
  mkdir -p "$tmp/data"
  ferry_conf ferry_flush_sync "$port" "$tmp/data" >"$tmp/ferryd.toml"
  "$bin/ferryd" --config "$tmp/ferryd.toml" >"$tmp/ferryd.log" 2>&1 &
  fpid=$!
  for ((i = 0; i < 100; i++)); do "$bin/ferryctl" -n "$ns" --timeout 500 cluster list >/dev/null 2>&1 && break; sleep 0.1; done
else
  start_row_ferryd "$bin" "$tmp" ""
fi
row_topics "$bin" W1
labels=()
if ((NATS)); then
  nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  mkdir -p "$scratch/nats"
  nats-server -a 127.0.0.1 -p "$nport" -js -sd "$scratch/nats" >"$scratch/nats/nats.log" 2>&1 &
  npid=$!
  for ((i = 0; i < 100; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$nport") 2>/dev/null && break; sleep 0.1; done
  labels+=(pingpong nats)
fi
declare -A sets
for v; do
  labels+=("${v%%:*}")
  sets[${v%%:*}]=""
  [[ $v == *:* ]] && sets[${v%%:*}]=${v#*:}
done
echo "# w1_ab $(date -u '+%F %T') UTC build=$bin threads=$THREADS procs=$PROCS flush=$FLUSH dur=$DUR rounds=$ROUNDS order=${labels[*]} reverse=${REVERSE:-0}"
echo "# round label msgs_per_s p50_ms p99_ms client_cpu_pct server_cpu_pct failed"

run() {  # run ROUND LABEL
  local l=$2 out=$scratch/r$1.$2 spid=0 s0 s1 cmd kv
  case $l in
    pingpong) cmd=("$bin/compare-pingpong" -s 1024 -d "$DUR") ;;
    nats)
      cmd=("$bin/compare-nats" --port "$nport" -s 1024 --stream W1 -m sync -d "$DUR")
      [[ ! -e $scratch/nats.created ]] && cmd+=(--create) && touch "$scratch/nats.created"
      spid=$npid
      ;;
    *)
      cmd=("$bin/ferry-bench" produce -n "$ns" --json --quiet -t W1 -s 1024 -m sync -c "$THREADS" -d "$DUR")
      IFS=, read -ra kvs <<<"${sets[$l]}"
      for kv in ${kvs[@]+"${kvs[@]}"}; do [[ -n $kv ]] && cmd+=(--set "$kv"); done
      spid=$fpid
      ;;
  esac
  s0=0; ((spid)) && s0=$(ticks "$spid")
  local n=1 k cpids=()
  [[ $l != nats && $l != pingpong ]] && n=$PROCS
  for ((k = 0; k < n; k++)); do
    /usr/bin/time -f "%U %S %e" -o "$out.$k.time" timeout -k 5 120 "${cmd[@]}" >"$out.$k.json" 2>"$out.$k.err" &
    cpids+=($!)
  done
  wait "${cpids[@]}"  # not the servers
  s1=0; ((spid)) && s1=$(ticks "$spid")
  python3 - "$1" "$l" "$out" "$n" "$((s1 - s0))" "$hz" <<'EOF'
import json, sys
rnd, label, out, n, sticks, hz = sys.argv[1:]
rate = cpu = el = 0.0
p50 = p99 = 0.0
failed = 0
try:
    for k in range(int(n)):
        j = json.load(open("%s.%d.json" % (out, k)))
        u, s, e = map(float, open("%s.%d.time" % (out, k)).read().split()[-3:])
        lat = j.get("latency_ms", {})
        rate += j["msgs_per_s"]
        cpu += 100.0 * (u + s) / e
        el = max(el, e)
        p50, p99 = max(p50, lat.get("p50", 0.0)), max(p99, lat.get("p99", 0.0))
        failed += j.get("failed", 0)
except Exception:
    print(rnd, label, "FAILED"); sys.exit(0)
srv = 100.0 * int(sticks) / int(hz) / el if int(sticks) else float("nan")
print(rnd, label, "%.0f" % rate, "%.3f" % p50, "%.3f" % p99, "%.0f" % cpu, "%.0f" % srv, failed)
EOF
}

for ((r = 0; r < ROUNDS; r++)); do
  order=("${labels[@]}")
  if (((r + ${REVERSE:-0}) % 2)); then
    order=()
    for ((k = ${#labels[@]} - 1; k >= 0; k--)); do order+=("${labels[k]}"); done
  fi
  for l in "${order[@]}"; do run "$r" "$l"; done
done
