#!/usr/bin/env bash
# Ferry side by side with NATS JetStream and Redis Streams, on this machine,
# in one run (docs/benchmarks.md "Side by side"). Installs what it lacks from
# Debian, builds Ferry and the load generators (tools/compare/), starts each
# broker on 127.0.0.1 at free ports with its data in a temp dir and
# persistence on, runs the 7 workloads of issue 7 with 1 KiB messages,
# stops every process it started (by PID), and prints one table. The
# systems take turns workload by workload (who goes first rotates), all
# brokers up at once, a `sync` before every row: a minute the host steals
# then lands on every system's row of that workload, not on one system.
#
#   scripts/locked tools/compare.sh            # the full run (runs <= 10 min once built)
#   tools/compare.sh --quick --ferry-only      # smoke run of Ferry's path (ctest)
#
# Options:
#   --quick          1 s per workload, a 20,000-message backlog, workload 6 once
#   --ferry-only     no NATS / Redis (nothing to install for them)
#   --strace         also count fsync-family calls (strace -c -f) of ferryd
#                    (sync flush) and redis (appendfsync always) in workload 4
#   --build-dir DIR  default build-compare; --no-build uses it as it is
#   --keep           keep the temp dir (data, logs, every raw JSON result)
#   --producer-set "k=v ..."  libferry producer settings for Ferry's workloads
#                    1-3 (ferry-bench --set), e.g. "async_batch_max_messages=64
#                    async_batch_linger_ms=0" (client-side batching: benchmarks.md
#                    "Session 19 (batch)"); the table names them, and its client
#                    column says for every Ferry row of async sends (2, 3, 4, 6)
#                    whether they were batched, from ferry-bench's summary
#   --consumer-set "k=v ..."  libferry settings for Ferry's push consumer in
#                    workload 6 (ferry-bench consume --set), e.g.
#                    "consume_on_io_thread=true" (the listener on the
#                    consumer's I/O thread: benchmarks.md "Session 21 (w6t)");
#                    the w6 row's client column names them
#   --busy-poll US   workload 1 with the opt-in busy-poll (0..10000 us) on its
#                    own ferryd: kernel.busy_poll_us and libferry's
#                    busy_poll_us; its durability / client columns say so.
#                    Every other row runs as without it (busy-poll costs
#                    workload 2 ~10 % and helps workload 6 not: benchmarks.md)
#   --w6-runs N      run workload 6 N times per system (1..9; default: $W6_RUNS,
#                    else 3, with --quick 1). Every system gets the same N, each
#                    run its own paced producer + consumer on the same broker;
#                    the table's w6 row is the run with the median p99 (for an
#                    even N the lower middle one) and every run's p99 is listed
#                    under the table. Each extra run adds ~8 s per system.
# Every row also reports the host's steal: the share of all CPUs' time the
# hypervisor took during the row (/proc/stat), so a stolen minute shows.
# To measure exactly one commit while others edit the tree, run it from an
# export: git archive HEAD | tar -x -C DIR; FERRY_COMMIT=<hash> DIR/tools/compare.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0 ferry_only=0 with_strace=0 build=1 keep=0 producer_set="" consumer_set="" busy_poll=0 w6_runs=${W6_RUNS:-}
build_dir="$here/build-compare"
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --ferry-only) ferry_only=1 ;;
    --strace) with_strace=1 ;;
    --no-build) build=0 ;;
    --keep) keep=1 ;;
    --build-dir) build_dir=$(cd "$2" 2>/dev/null && pwd || echo "$2"); shift ;;
    --producer-set) producer_set=$2; shift ;;
    --consumer-set) consumer_set=$2; shift ;;
    --busy-poll)
      if ! [[ ${2:-} =~ ^[0-9]{1,5}$ ]] || ((10#$2 > 10000)); then
        echo "compare.sh: --busy-poll takes 0..10000 (us; 0 = off)" >&2
        exit 2
      fi
      busy_poll=$((10#$2)); shift ;;
    --w6-runs) w6_runs=${2:-}; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Exit codes: 0 done, 1 a run failed, 2 usage, 77 a needed tool is missing
# (ctest treats 77 as skipped).
SKIP=77
if ((quick)); then
  D=1 D7=1 BACKLOG=20000 E2E_WARMUP=2
else
  D=5 D7=10 BACKLOG=1000000 E2E_WARMUP=3
fi
# Workload 6 (end-to-end p99) is the row one host hiccup decides on this
# machine (one 5 s run of the same binary: p99 3-38 ms, benchmarks.md
# "Session 18 (background)"), so it runs W6_RUNS times and reports the median.
if [[ -z $w6_runs ]]; then
  if ((quick)); then w6_runs=1; else w6_runs=3; fi
fi
if ! [[ $w6_runs =~ ^[1-9]$ ]]; then
  echo "compare.sh: --w6-runs / W6_RUNS takes 1..9" >&2
  exit 2
fi
SIZE=1024
started_at=$(date +%s)
budget_s=600  # every run below is bounded; this is the whole script's ceiling

log() { printf '[compare %3ds] %s\n' $(($(date +%s) - started_at)) "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
check_budget() {
  (($(date +%s) - started_at < budget_s)) || die "over the ${budget_s}s budget before: $*"
}

# ---------------------------------------------------------------- installs
need_apt=()
if ((!ferry_only)); then
  for p in nats-server redis-server redis-tools libnats-dev libhiredis-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
  done
fi
if ((with_strace)) && ! command -v strace >/dev/null; then need_apt+=(strace); fi
if ((build)); then
  # install-deps.sh installs only what is missing (the build's packages, and
  # with FERRY_WITH_COMPARE=1 the peers, their C clients and strace).
  ((${#need_apt[@]})) && log "missing: ${need_apt[*]}"
  FERRY_WITH_COMPARE=$((1 - ferry_only)) "$here/scripts/install-deps.sh"
  if ((with_strace)) && ! command -v strace >/dev/null; then
    sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends strace
  fi
  log "building Ferry and the load generators into $build_dir"
  cmake -S "$here" -B "$build_dir" -G Ninja >/dev/null
  targets=(ferryd ferry_plugins ferry-bench ferryctl compare-pingpong compare-seqwrite)
  ((ferry_only)) || targets+=(compare-nats compare-redis)
  cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >&2
fi
bin="$build_dir/bin"
for t in ferryd ferry-bench ferryctl compare-pingpong compare-seqwrite; do
  [[ -x "$bin/$t" ]] || { log "SKIP: $bin/$t is not built"; exit $SKIP; }
done
if ((!ferry_only)); then
  for t in nats-server redis-server redis-cli; do
    command -v "$t" >/dev/null || { log "SKIP: $t not installed (run without --no-build to install)"; exit $SKIP; }
  done
  for t in compare-nats compare-redis; do
    [[ -x "$bin/$t" ]] || { log "SKIP: $bin/$t not built (libnats-dev / libhiredis-dev missing at configure time)"; exit $SKIP; }
  done
fi
if ((with_strace)) && ! command -v strace >/dev/null; then log "SKIP: strace missing"; exit $SKIP; fi
started_at=$(date +%s)  # the budget counts the runs, not a first build
command -v python3 >/dev/null || { log "SKIP: python3 missing (the table)"; exit $SKIP; }

# ------------------------------------------------------- processes and temp
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-compare.XXXXXX")
res="$tmp/results"
mkdir -p "$res"
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  if ((keep)); then log "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$rc"
}
# SIGTERM to one process we started, SIGKILL after 10 s; always reaped.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}
stop_server() {  # stop_server PID: stop it and forget it
  local pid=$1 kept=() p
  stop_pid "$pid"
  for p in "${pids[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  pids=("${kept[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_for() {  # wait_for SECONDS DESCRIPTION CMD...: bounded readiness poll
  local secs=$1 what=$2 i; shift 2
  for ((i = 0; i < secs * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$what not ready after ${secs}s"
}
cpu_ticks() {  # utime + stime of a live PID, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
hz=$(getconf CLK_TCK)
steal_ticks() {  # "steal total" of all CPUs from /proc/stat (total: user..steal)
  awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t; exit }' /proc/stat
}

# shellcheck source=tools/compare/settle.sh
source "$here/tools/compare/settle.sh"
# run_row W SYSTEM DURABILITY CLIENT SERVER_PID NAME CMD...
# Runs one bounded client, its own CPU measured by bash's `time`, the
# server's from /proc/<pid>/stat over the same interval, the host's steal
# from /proc/stat over it too, and the CPU of the brokers that idle during
# the row (every system's broker is up at once); appends a row. First (not
# timed) a `sync` and a settle, so no row pays for the dirty pages or the
# leftover work of an earlier row, which with the systems interleaved would
# be another system's.
run_row() {
  local w=$1 sys=$2 dur=$3 client=$4 spid=$5 name=$6; shift 6
  check_budget "$name"
  timeout 120 sync || log "sync before $name did not finish in 120 s"
  local busy; busy=$(settle "$name") || log "$busy"
  log "workload $w: $sys ($client)"
  local t0 rc=0 TIMEFORMAT='%3U %3S %3R' bound=(timeout -k 5 120)
  declare -F "$1" >/dev/null && bound=()  # shell functions bound their own children
  local s0 o0 o1; s0=$(steal_ticks)
  t0=$(cpu_ticks "$spid"); o0=$(brokers_ns "$spid")
  { time "${bound[@]}" "$@" >"$res/$name.json" 2>"$res/$name.err"; } 2>"$res/$name.time" || rc=$?
  local t1 s1; t1=$(cpu_ticks "$spid"); o1=$(brokers_ns "$spid"); s1=$(steal_ticks)
  if ((rc != 0)); then
    log "workload $w $sys exited $rc: $(tail -n 3 "$res/$name.err" | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$w" "$sys" "$dur" "$client" "$name" \
    "$(awk '{ print $1 + $2, $3 }' "$res/$name.time")" "$((t1 - t0))" \
    "$(echo "$s0 $s1" | awk '{ print $3 - $1, $4 - $2 }')" "$((o1 - o0))" >>"$res/rows.tsv"
}
failures=0
: >"$res/rows.tsv"
{
  echo "hz $hz"
  # FERRY_COMMIT names the commit when the tree is an export (git archive) of it.
  echo "commit ${FERRY_COMMIT:-$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet HEAD 2>/dev/null || echo '+dirty')}"
  echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
  echo "quick $quick"
  echo "backlog $BACKLOG"
  echo "producer_set $producer_set"
  echo "consumer_set $consumer_set"
  echo "busy_poll_us $busy_poll"
  echo "w6_runs $w6_runs"
  ((ferry_only)) || echo "order interleaved"
  echo "steal_start $(steal_ticks)"
} >"$res/meta.txt"
# The added time, so the 10-minute bound stays visible: a Ferry w6 run is
# ~E2E_WARMUP + D + 2 s (its consumer subscribes first), a peer's ~D + 3 s.
w6_systems=3; ((ferry_only)) && w6_systems=1
log "workload 6: $w6_runs run(s) per system, median p99 reported;" \
  "~$(((w6_runs - 1) * (E2E_WARMUP + D + 2 + (w6_systems - 1) * (D + 3)))) s more than one run (whole run bound ${budget_s} s)"

# --------------------------------------------------------------- baselines
bench=("$bin/ferry-bench")
run_row 1 "loopback ping-pong" "-" "1 conn, 1 KiB req, 64 B answer" 0 w1.pingpong \
  "$bin/compare-pingpong" -s $SIZE -d $D

# ----------------------------------------------------------------- brokers
# Every system's broker runs for the whole of workloads 1-3 and 5-7, and the
# systems take turns workload by workload, the first of a turn rotating, so
# a minute the host steals lands on every system's row of that workload, not
# on one system's block (benchmarks.md "Session 20 (interleave)").
# shellcheck source=tools/compare/ferry_conf.sh
source "$here/tools/compare/ferry_conf.sh"
ferry_pid=0 ferry_ns="" ferry_busy_poll=0
start_ferry() {  # start_ferry FLUSH_LIBRARY NAME TOPIC...  (ferry_busy_poll: its kernel.busy_poll_us)
  local port dir; port=$(free_port); dir="$tmp/$2"
  mkdir -p "$dir/data"
  ferry_conf "$1" "$port" "$dir/data" "" "$ferry_busy_poll" >"$dir/ferryd.toml"
  "$bin/ferryd" --config "$dir/ferryd.toml" >"$dir/ferryd.log" 2>&1 &
  ferry_pid=$!
  pids+=("$ferry_pid")
  ferry_ns="127.0.0.1:$port"
  wait_for 20 "ferryd ($2)" "$bin/ferryctl" -n "$ferry_ns" --timeout 500 cluster list
  shift 2
  local t
  for t in "$@"; do
    "$bin/ferryctl" -n "$ferry_ns" topic create "$t" -q 4 --target "$ferry_ns" >/dev/null ||
      die "ferryctl topic create $t (log: $dir/ferryd.log)"
  done
  for t in "$@"; do wait_for 30 "route of $t" "$bin/ferryctl" -n "$ferry_ns" --timeout 500 topic route "$t"; done
}
fb_produce() { timeout -k 5 120 "${bench[@]}" produce -n "$ferry_ns" --json --quiet -s $SIZE "$@"; }
start_nats() {
  nport=$(free_port)
  mkdir -p "$tmp/nats"
  nats-server -a 127.0.0.1 -p "$nport" -js -sd "$tmp/nats" >"$tmp/nats/nats.log" 2>&1 &
  nats_pid=$!
  pids+=("$nats_pid")
  wait_for 20 "nats-server" bash -c "exec 3<>/dev/tcp/127.0.0.1/$nport"
}
nats() { timeout -k 5 120 "$bin/compare-nats" --port "$nport" -s $SIZE "$@"; }
start_redis() {  # start_redis FSYNC_POLICY
  rport=$(free_port)
  mkdir -p "$tmp/redis-$1"
  redis-server --bind 127.0.0.1 --port "$rport" --dir "$tmp/redis-$1" --appendonly yes \
    --appendfsync "$1" --save "" --daemonize no --protected-mode yes >"$tmp/redis-$1/redis.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  wait_for 20 "redis-server ($1)" bash -c "redis-cli -p $rport ping | grep -q PONG"
}
redis() { timeout -k 5 120 "$bin/compare-redis" --port "$rport" -s $SIZE "$@"; }

systems=(ferry)
((ferry_only)) || systems+=(nats redis)
turn=0
in_turn() {  # in_turn FUNC: FUNC SYSTEM for every system; who goes first rotates per call
  local n=${#systems[@]} i
  for ((i = 0; i < n; i++)); do "$1" "${systems[(turn + i) % n]}"; done
  turn=$((turn + 1))
}

# --producer-set: libferry settings for workloads 1-3 (ferry-bench --set k=v).
pset=()
for kv in $producer_set; do pset+=(--set "$kv"); done
# --consumer-set: libferry settings for workload 6's push consumer.
cset=()
for kv in $consumer_set; do cset+=(--set "$kv"); done
w6_consumer="push consumer"
[[ -n $consumer_set ]] && w6_consumer="push consumer ($consumer_set)"
A="async flush (ack before fsync)"
N="JetStream file, acks before fsync"
R="AOF everysec (ack before fsync)"
log "brokers: ferryd (mmaplog, pwrite, async flush)$( ((ferry_only)) || echo ", nats-server (JetStream file storage), redis-server (appendonly, everysec)")"
start_ferry ferry_flush_async ferry-async W1 W2 W3 W5 W6 W7
async_ferry_pid=$ferry_pid async_ferry_ns=$ferry_ns
if ((!ferry_only)); then
  start_nats
  start_redis everysec
fi

# libferry's sync caller spins for its answer (sync_direct_spin_us, default
# 50 us, adaptive: benchmarks.md "Session 20 (spin)"); the row says so.
w1_spin_us=50
for kv in $producer_set; do [[ $kv == sync_direct_spin_us=* ]] && w1_spin_us=${kv#*=}; done
w1_spin=""
[[ $w1_spin_us != 0 ]] && w1_spin=", answer spin <= $w1_spin_us us (adaptive)"
w1_row() {
  case $1 in
    ferry)
      if ((busy_poll > 0)); then
        # --busy-poll: workload 1 alone on a ferryd with kernel.busy_poll_us,
        # the producer with busy_poll_us; every other row runs without it.
        ferry_busy_poll=$busy_poll
        start_ferry ferry_flush_async ferry-w1-busy-poll W1
        ferry_busy_poll=0
        run_row 1 Ferry "$A; ferryd busy-poll $busy_poll us" "1 thread, sync send, busy-poll $busy_poll us" \
          "$ferry_pid" w1.ferry "${bench[@]}" produce -n "$ferry_ns" --json --quiet -t W1 -s $SIZE -m sync -d $D \
          ${pset[@]+"${pset[@]}"} --set "busy_poll_us=$busy_poll"
        stop_server "$ferry_pid"
        ferry_pid=$async_ferry_pid ferry_ns=$async_ferry_ns
      else
        run_row 1 Ferry "$A" "1 thread, sync send$w1_spin" "$ferry_pid" w1.ferry \
          "${bench[@]}" produce -n "$ferry_ns" --json --quiet -t W1 -s $SIZE -m sync -d $D ${pset[@]+"${pset[@]}"}
      fi ;;
    nats) run_row 1 "NATS JetStream" "$N" "1 conn, js_Publish" "$nats_pid" w1.nats nats --stream W1 --create -m sync -d $D ;;
    redis) run_row 1 "Redis Streams" "$R" "1 conn, XADD round trip" "$redis_pid" w1.redis redis --stream W1 -m sync -d $D ;;
  esac
}
w2_row() {
  case $1 in
    ferry) run_row 2 Ferry "$A" "1 thread, async window 256" "$ferry_pid" w2.ferry \
      "${bench[@]}" produce -n "$ferry_ns" --json --quiet -t W2 -s $SIZE -m async -w 256 -d $D ${pset[@]+"${pset[@]}"} ;;
    nats) run_row 2 "NATS JetStream" "$N" "1 conn, PublishAsync MaxPending 256" "$nats_pid" w2.nats \
      nats --stream W2 --create -m async -w 256 -d $D ;;
    redis) run_row 2 "Redis Streams" "$R" "1 conn, pipeline of 256" "$redis_pid" w2.redis redis --stream W2 -m async -w 256 -d $D ;;
  esac
}
w3_row() {
  case $1 in
    # Four producers, as the workload says and as the peers' four
    # connections: four libferry producers, each its own connection and I/O
    # thread (one shared producer's I/O thread carried all four senders:
    # docs/benchmarks.md "Session 23 (lead)").
    ferry) run_row 3 Ferry "$A" "4 threads, 4 SDK producers (4 conns), window 256 each" "$ferry_pid" w3.ferry \
      "${bench[@]}" produce -n "$ferry_ns" --json --quiet -t W3 -s $SIZE -m async -w 256 -c 4 --producers 4 -d $D \
      ${pset[@]+"${pset[@]}"} ;;
    nats) run_row 3 "NATS JetStream" "$N" "4 conns, MaxPending 256 each" "$nats_pid" w3.nats \
      nats --stream W3 --create -m async -w 256 -c 4 -d $D ;;
    redis) run_row 3 "Redis Streams" "$R" "4 conns, pipeline of 256 each" "$redis_pid" w3.redis \
      redis --stream W3 -m async -w 256 -c 4 -d $D ;;
  esac
}
in_turn w1_row
in_turn w2_row
in_turn w3_row

# Workload 5: every backlog is filled first (not measured), then the
# consumers take turns.
filled_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok"])' "$1"; }
w5_fill() {
  log "workload 5: $1 backlog of $BACKLOG (fill, not measured)"
  case $1 in
    ferry) fb_produce -t W5 -m batch -b 64 -N $BACKLOG -d 90 >"$res/w5.ferry-fill.json" 2>"$res/w5.ferry-fill.err" ||
      die "Ferry backlog fill: $(tail -n 2 "$res/w5.ferry-fill.err")" ;;
    nats) nats --stream W5 --create -m async -w 256 -N $BACKLOG -d 90 >"$res/w5.nats-fill.json" 2>"$res/w5.nats-fill.err" ||
      die "NATS backlog fill: $(tail -n 2 "$res/w5.nats-fill.err")" ;;
    redis) redis --stream W5 -m batch -b 64 -N $BACKLOG -d 90 >"$res/w5.redis-fill.json" 2>"$res/w5.redis-fill.err" ||
      die "Redis backlog fill: $(tail -n 2 "$res/w5.redis-fill.err")" ;;
  esac
}
w5_row() {
  local filled; filled=$(filled_of "$res/w5.$1-fill.json")
  case $1 in
    # Pull batch 256 as NATS's Fetch 256 below (libferry's default is 32).
    ferry) run_row 5 Ferry "$A" "1 pull consumer, 1 poll thread, pull batch 256" "$ferry_pid" w5.ferry \
      "${bench[@]}" consume -n "$ferry_ns" --json --quiet -t W5 -m pull --from first --pull-batch 256 -N "$filled" -d 60 ;;
    nats) run_row 5 "NATS JetStream" "$N" "1 pull subscriber, Fetch 256, AckAll" "$nats_pid" w5.nats \
      nats --stream W5 -m consume -N "$filled" -d 60 ;;
    redis) run_row 5 "Redis Streams" "$R" "1 conn, XREAD COUNT 512" "$redis_pid" w5.redis \
      redis --stream W5 -m consume -N "$filled" -d 60 ;;
  esac
}
for s in "${systems[@]}"; do w5_fill "$s"; done
in_turn w5_row

# Workload 6 runs everyone at half of Ferry's peak (workloads 2 and 3).
peak=$(python3 -c 'import json,sys; print(int(max(json.load(open(f))["msgs_per_s"] for f in sys.argv[1:])))' \
  "$res/w2.ferry.json" "$res/w3.ferry.json")
rate=$((peak / 2))
((rate >= 100)) || die "Ferry's peak rate $peak msgs/s is too low to pace workload 6"
e2e_count=$((rate * D))
echo "e2e_rate $rate" >>"$res/meta.txt"
# e2e_ferry: a push consumer from the last offset, then a paced producer
# (run_row's `time` covers both: the consumer is waited for here); its files
# are named after the run (w6_run).
e2e_ferry() {
  local n=$w6_run
  timeout -k 5 120 "${bench[@]}" consume -n "$ferry_ns" --json --quiet -t W6 -m push --from last \
    -N "$e2e_count" -d $((D + E2E_WARMUP + 6)) ${cset[@]+"${cset[@]}"} >"$res/$n-consumer.json" 2>"$res/$n-consumer.err" &
  local consumer=$! prc=0 crc=0
  sleep "$E2E_WARMUP"
  timeout -k 5 120 "${bench[@]}" produce -n "$ferry_ns" --json --quiet -t W6 -s $SIZE -m async -w 256 \
    -r "$rate" -N "$e2e_count" -d $((D + 2)) >"$res/$n-producer.json" 2>"$res/$n-producer.err" || prc=$?
  wait "$consumer" || crc=$?
  # Both exit 1 when --count is not reached; as for the peers, not holding
  # the pace is a result (noted), a lost or failed message is a failure
  # (checked when the two summaries are merged below).
  ((prc <= 1 && crc <= 1)) && [[ -s "$res/$n-producer.json" && -s "$res/$n-consumer.json" ]]
}
# merge_e2e_ferry NAME: one JSON for the row: the consumer's end-to-end
# latency, the producer's rate.
merge_e2e_ferry() {
  python3 - "$res" "$1" "$e2e_count" <<'PY' || { log "workload 6 Ferry ($1): failed or lost messages"; failures=$((failures + 1)); }
import json, sys
r, n = sys.argv[1], sys.argv[2]
c = json.load(open(f"{r}/{n}-consumer.json")); p = json.load(open(f"{r}/{n}-producer.json"))
c["msgs_per_s"], c["mb_per_s"] = p["msgs_per_s"], p["mb_per_s"]
c["failed"] = c["failed"] + p["failed"] + max(0, p["ok"] - c["ok"])
if p["ok"] < int(sys.argv[3]):
    c["note"] = (c.get("note", "") + "; " if c.get("note") else "") + \
        f"could not hold --rate: {p['ok']} of {sys.argv[3]} sent within --duration"
else:
    c["note"] = ""  # the consumer's own count note is the producer's story
json.dump(c, open(f"{r}/{n}.json", "w"))
sys.exit(1 if c["failed"] else 0)
PY
}
# One NATS stream for all runs, created by the first (as Ferry's one topic W6).
nats_w6() {
  local first=(); [[ $w6_run == *.r1 ]] && first=(--create)
  nats "$@" ${first[@]+"${first[@]}"}
}
# Workload 6, W6_RUNS times for every system (table.py reports the run with
# the median p99); run K of system S is named w6.S.rK.
w6_run=""
w6_row() {
  w6_run=w6.$1.r$w6_k
  case $1 in
    ferry) run_row 6 Ferry "$A" "async window 256 at ${rate}/s -> $w6_consumer" "$ferry_pid" "$w6_run" e2e_ferry ;;
    nats) run_row 6 "NATS JetStream" "$N" "PublishAsync at ${rate}/s -> push subscriber" "$nats_pid" "$w6_run" \
      nats_w6 --stream W6 -m e2e -w 256 -r "$rate" -N "$e2e_count" -d $((D + 2)) ;;
    redis) run_row 6 "Redis Streams" "$R" "pipeline at ${rate}/s -> XREAD BLOCK" "$redis_pid" "$w6_run" \
      redis --stream W6 -m e2e -w 256 -r "$rate" -N "$e2e_count" -d $((D + 2)) ;;
  esac
}
for ((w6_k = 1; w6_k <= w6_runs; w6_k++)); do in_turn w6_row; done
for ((k = 1; k <= w6_runs; k++)); do merge_e2e_ferry "w6.ferry.r$k"; done

w7_row() {
  case $1 in
    ferry)
      run_row 7 Ferry "$A" "1 thread, batch 64 x 1 KiB a request" "$ferry_pid" w7.ferry \
        "${bench[@]}" produce -n "$ferry_ns" --json --quiet -t W7 -s $SIZE -m batch -b 64 -d $D7
      # The plain write() of the same bytes right after Ferry's row.
      local w7_msgs
      w7_msgs=$(python3 -c 'import json,sys; print(max(64, json.load(open(sys.argv[1]))["ok"]))' "$res/w7.ferry.json")
      run_row 7 "plain write()" "one fdatasync at the end" "write() of 64 KiB, same bytes, same disk" 0 w7.seqwrite \
        "$bin/compare-seqwrite" --stream "$tmp" -s $SIZE -b 64 -N "$w7_msgs" -d $((D7 * 3)) ;;
    nats) run_row 7 "NATS JetStream" "$N" "64 PublishAsync + AsyncComplete a batch" "$nats_pid" w7.nats \
      nats --stream W7 --create -m batch -b 64 -d $D7 ;;
    redis) run_row 7 "Redis Streams" "$R" "64 XADD pipelined a batch" "$redis_pid" w7.redis \
      redis --stream W7 -m batch -b 64 -d $D7 ;;
  esac
}
in_turn w7_row
stop_server "$ferry_pid"
((ferry_only)) || { stop_server "$nats_pid"; stop_server "$redis_pid"; }

# -------------------------------------------- workload 4: fsync before ack
log "brokers: ferryd (mmaplog, pwrite, sync flush)$( ((ferry_only)) || echo ", redis-server (appendonly, always)")"
start_ferry ferry_flush_sync ferry-sync W4
((ferry_only)) || start_redis always
count_fsyncs() {  # count_fsyncs PID NAME CMD...: strace -c -f the broker while CMD sends for 2 s
  local pid=$1 name=$2 st; shift 2
  log "workload 4: counting $name's fsync-family calls (strace -c -f, not a measured row)"
  strace -c -f -e trace=fsync,fdatasync,msync,sync_file_range -p "$pid" -o "$res/w4.$name.strace" &
  st=$!
  sleep 1
  "$@" >"$res/w4.$name-strace.json" 2>/dev/null || true
  kill -INT "$st" 2>/dev/null || true; wait "$st" 2>/dev/null || true
}
w4_row() {
  case $1 in
    ferry)
      run_row 4 Ferry "sync flush, pwrite (fsync before ack)" "1 thread, async window 64" "$ferry_pid" w4.ferry \
        "${bench[@]}" produce -n "$ferry_ns" --json --quiet -t W4 -s $SIZE -m async -w 64 -d $D
      if ((with_strace)); then count_fsyncs "$ferry_pid" ferry fb_produce -t W4 -m async -w 64 -d 2; fi ;;
    nats) ;;  # NATS 2.9 acknowledges before it fsyncs: no workload-4 row
    redis)
      run_row 4 "Redis Streams" "AOF always (fsync before reply)" "1 conn, pipeline of 64" "$redis_pid" w4.redis \
        redis --stream W4 -m async -w 64 -d $D
      if ((with_strace)); then count_fsyncs "$redis_pid" redis redis --stream W4s -m async -w 64 -d 2; fi ;;
  esac
}
in_turn w4_row
stop_server "$ferry_pid"
((ferry_only)) || stop_server "$redis_pid"

echo "steal_end $(steal_ticks)" >>"$res/meta.txt"
log "done in $(($(date +%s) - started_at)) s"
python3 "$here/tools/compare/table.py" "$res"
((failures == 0)) || die "$failures run(s) failed (see the table's notes; --keep keeps the raw output)"
