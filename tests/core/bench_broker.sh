# shellcheck shell=bash
# Sourced by the core bench scripts: one standalone ferryd (mmaplog + async
# flush, name server in the same process) on a free loopback port, data in
# $T/data, stopped and cleaned up on exit. Not a test.
#   bench_broker_start BUILD_DIR TMP_PREFIX [WAIT_CMD...]
# Sets B (absolute build dir), T (temp dir), ADDR, PID. STORAGE_CONF adds
# lines to [plugins.storage]; KEEP=1 keeps $T. A file the caller must place
# in $T/data before the broker starts goes in bench_broker_prepare().
bench_broker_cleanup() {
  if [ -n "${PID:-}" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T"; fi
}

bench_broker_start() {
  B=$(cd "$1" && pwd)
  T=$(mktemp -d "/tmp/$2.XXXXXX")
  shift 2
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  ADDR=127.0.0.1:$port
  PID=""
  trap bench_broker_cleanup EXIT
  mkdir -p "$T/data"
  if declare -F bench_broker_prepare > /dev/null; then bench_broker_prepare; fi
  cat > "$T/broker.toml" <<CONF
[kernel]
listen = "$ADDR"
data_dir = "$T/data"
log_level = "warn"
[broker]
cluster = "BenchCluster"
name = "broker-bench"
[plugins.storage]
library = "ferry_storage_mmaplog"
segment_size = "1GiB"
${STORAGE_CONF:-}
[plugins.flush]
library = "ferry_flush_async"
[plugins.registry]
library = "ferry_routing_namesrv"
mode = "registry"
[plugins.registration]
library = "ferry_routing_namesrv"
mode = "registration"
name_servers = ["$ADDR"]
CONF
  "$B/bin/ferryd" --config "$T/broker.toml" > "$T/ferryd.log" 2>&1 &
  PID=$!
  # Ready when the wait command (default: the cluster is listed) succeeds.
  local ready=("$@")
  [ ${#ready[@]} -gt 0 ] || ready=(cluster list)
  for _ in $(seq 1 100); do
    "$B/bin/ferryctl" -n "$ADDR" "${ready[@]}" > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "ferryd did not come up; log: $T/ferryd.log" >&2
  return 1
}

# A produce client for the started broker: bench ARGS... runs ferry-bench
# produce (async, window 256, 1 KiB, --json). PIN=1 first pins ferryd to
# CPU 0 and the client to CPU 1, so the two do not trade cores mid-run.
bench_broker_client() {
  pin=()
  if [ "${PIN:-0}" = 1 ]; then
    taskset -a -p -c 0 "$PID" > /dev/null
    pin=(taskset -c 1)
  fi
  bench() { "${pin[@]}" "$B/bin/ferry-bench" produce -n "$ADDR" -m async -w 256 -s 1024 --json "$@"; }
}

# Waits (up to 60 s) until mmaplog has completed two checkpoints after the
# call: the second one started after the call, so every consume-queue entry
# the warm-up left buffered in memory (queue_buffer_bytes) is on file and each
# queue's directory and file exist. Why: with buffering, a queue's first file
# is created by the 10 s checkpoint, not by the message that first touches
# it; at 10,000 topics that checkpoint makes 50,000 directories and 40,000
# files: 1-5 s of ferryd CPU on this machine (ext4 without a journal skips,
# one by one, the inodes the previous step's cleanup just deleted), a
# one-time cost that otherwise falls into timed runs (docs/benchmarks.md,
# "Session 15 (topics)"). Reads $T/data/store/checkpoint (the default storage
# path); returns 1 on timeout (the callers go on).
bench_broker_checkpointed() {
  local cp="$T/data/store/checkpoint" last seen=0 now
  last=$(stat -c %i "$cp" 2> /dev/null || echo none)
  for _ in $(seq 1 300); do
    now=$(stat -c %i "$cp" 2> /dev/null || echo none)
    if [ "$now" != "$last" ]; then
      seen=$((seen + 1))
      last=$now
      [ "$seen" -ge 2 ] && return 0
    fi
    sleep 0.2
  done
  echo "no second checkpoint within 60 s" >&2
  return 1
}
