#!/usr/bin/env bash
# libferry producer before/after against a real standalone ferryd
# (docs/benchmarks.md, "Client SDK"): ferry-bench runs alternating a BASE
# libferry (a directory holding an older libferry.so.0, put first on
# LD_LIBRARY_PATH; default settings only) with the build's own libferry and
# its opt-in settings (ferry-bench --set). One ferryd (async flush, data in
# a temp dir, free port, always stopped); 1 KiB messages. Not a test; run it
# under scripts/locked.
#   tests/sdk_c/producer_bench.sh <build dir> [base lib dir] [seconds] [repeats]
# Environment: DEFAULTS_ONLY=1 skips the opt-in variants; CPU=1 wraps each
# ferry-bench in `perf stat -e task-clock` and adds its CPU per acked message.
set -u
B=$1; BASE=${2:-}; SECS=${3:-5}; REP=${4:-2}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/ferry-prodbench.XXXXXX)
P=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
sed "/^timeout = /d" "$SRC/conf/standalone.toml" > "$D/standalone.toml"
"$B/bin/ferryd" --config "$D/standalone.toml" --set kernel.data_dir="$D/data" \
  --set kernel.listen=127.0.0.1:$P --set "plugins.registration.name_servers=[\"127.0.0.1:$P\"]" \
  --set plugins.registration.register_interval=1s --set plugins.flush.library=ferry_flush_async > "$D/ferryd.log" 2>&1 &
FP=$!
trap 'kill $FP 2>/dev/null; wait $FP; rm -rf "$D"' EXIT
for _ in $(seq 100); do grep -q "ferryd serving" "$D/ferryd.log" && break; sleep 0.1; done
"$B/bin/ferry-bench" produce -n 127.0.0.1:$P -t ProdB --create --create-target 127.0.0.1:$P -q 4 -N 100 --quiet > /dev/null \
  || { cat "$D/ferryd.log"; exit 1; }
cat > "$D/parse.py" <<'PY'
import json, sys
t = sys.stdin.read()
try:
    j = json.loads(t[t.index("{"):])
except Exception:
    print("unparsed: " + t.replace("\n", " ")[:300])
    sys.exit()
l = j["latency_ms"]
cpu = ""
if len(sys.argv) > 1:  # perf stat -x, output: task-clock in ms
    for line in open(sys.argv[1]):
        f = line.split(",")
        if len(f) > 2 and f[2].startswith("task-clock") and j["ok"]:
            cpu = "  client CPU %.2f us/msg" % (float(f[0]) * 1000.0 / j["ok"])
print("%9.0f msgs/s  ok %d failed %d  p50 %.3f ms  p99 %.3f ms%s" % (j["msgs_per_s"], j["ok"], j["failed"], l["p50"], l["p99"], cpu))
PY
echo "== ferryd 127.0.0.1:$P (async flush), 1 KiB, ${SECS}s per run, $REP repeats; base lib: ${BASE:-none}"
run() {  # label, lib dir or "", ferry-bench args...
  local label=$1 lib=$2; shift 2
  local out perf=() stat=()
  [ -n "${CPU:-}" ] && perf=(perf stat -x, -e task-clock -o "$D/perf.txt" --) && stat=("$D/perf.txt")
  out=$(LD_LIBRARY_PATH=$lib "${perf[@]}" "$B/bin/ferry-bench" produce -n 127.0.0.1:$P -t ProdB -s 1024 -d "$SECS" --quiet --json "$@" 2>&1)
  echo "$label | $* | $(echo "$out" | python3 "$D/parse.py" "${stat[@]}")"
}
opt() { [ -z "${DEFAULTS_ONLY:-}" ] && run "$@"; return 0; }
SYNC_FAST="--set sync_io_spin_us=60 --set sync_spin_us=100"
BATCH="--set async_batch_max_messages=64"
for r in $(seq "$REP"); do
  echo "-- repeat $r"
  [ -n "$BASE" ] && run "base" "$BASE" --mode sync -c 1
  run "new " "" --mode sync -c 1
  opt "new " "" --mode sync -c 1 --set sync_io_spin_us=60
  opt "new " "" --mode sync -c 1 $SYNC_FAST
  [ -n "$BASE" ] && run "base" "$BASE" --mode async --window 256 -c 1
  run "new " "" --mode async --window 256 -c 1
  opt "new " "" --mode async --window 256 -c 1 $BATCH
  opt "new " "" --mode async --window 256 -c 1 $BATCH --set async_batch_linger_ms=1
  [ -n "$BASE" ] && run "base" "$BASE" --mode async --window 256 -c 4
  run "new " "" --mode async --window 256 -c 4
  opt "new " "" --mode async --window 256 -c 4 $BATCH
  opt "new " "" --mode async --window 256 -c 4 $BATCH --set async_batch_linger_ms=1
done
