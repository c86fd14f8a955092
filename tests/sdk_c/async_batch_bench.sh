#!/usr/bin/env bash
# Would client-side batching of async sends pay? (docs/sdk.md, "Client-side
# batching"). Starts a standalone ferryd with the given flush plugin (data in
# a temp dir, free port, always stopped), creates BatchT (4 queues) and runs
# ferry-bench: async single sends with W in flight against batch requests
# holding the same number in flight. Not a test; run it under scripts/locked.
#   tests/sdk_c/async_batch_bench.sh <build dir> <ferry_flush_async|ferry_flush_sync> [seconds]
set -u
B=$1; FLUSH=$2; SECS=${3:-5}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/ferry-batchbench.XXXXXX)
P=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
sed "/^timeout = /d" "$SRC/conf/standalone.toml" > "$D/standalone.toml"  # the sync flush's key
"$B/bin/ferryd" --config "$D/standalone.toml" --set kernel.data_dir="$D/data" \
  --set kernel.listen=127.0.0.1:$P --set "plugins.registration.name_servers=[\"127.0.0.1:$P\"]" \
  --set plugins.registration.register_interval=1s --set plugins.flush.library=$FLUSH > "$D/ferryd.log" 2>&1 &
FP=$!
trap 'kill $FP 2>/dev/null; wait $FP; rm -rf "$D"' EXIT
for _ in $(seq 100); do grep -q "ferryd serving" "$D/ferryd.log" && break; sleep 0.1; done
"$B/bin/ferryctl" -n 127.0.0.1:$P topic create BatchT -q 4 --target 127.0.0.1:$P > /dev/null || { cat "$D/ferryd.log"; exit 1; }
for _ in $(seq 100); do "$B/bin/ferryctl" -n 127.0.0.1:$P topic route BatchT > /dev/null 2>&1 && break; sleep 0.1; done
echo "== $FLUSH (ferryd 127.0.0.1:$P), 1 KiB, ${SECS}s per run"
run() { echo "-- $*"; "$B/bin/ferry-bench" produce -n 127.0.0.1:$P -t BatchT -s 1024 -d "$SECS" --quiet "$@" 2>&1 | grep -E "ok,|throughput|latency"; }
run --mode async --window 256 -c 1
run --mode batch --batch 64 -c 4
run --mode batch --batch 256 -c 1
run --mode async --window 64 -c 1
run --mode batch --batch 16 -c 4
run --mode async --window 256 -c 1
