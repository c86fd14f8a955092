# shellcheck shell=bash
# What the scripts that re-run one of compare.sh's Ferry rows alone share
# (w6_row.sh, w6_cpu.sh, w7_row.sh): a ferryd with compare.sh's own config
# (tools/compare/ferry_conf.sh) and topics it routes. Source it.
# shellcheck source=tools/compare/ferry_conf.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../compare" && pwd)/ferry_conf.sh"

# start_row_ferryd BIN_DIR RUN_DIR [STORAGE_KEYS [BUSY_POLL_US]]: ferryd with async flush,
# data in RUN_DIR/data, log in RUN_DIR/ferryd.log, at a free port; waits
# (<= 10 s) until it answers. Sets fpid and ns (declare them local first to
# keep them local).
start_row_ferryd() {
  local bin=$1 dir=$2 port i
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  ns=127.0.0.1:$port
  mkdir -p "$dir/data"
  ferry_conf ferry_flush_async "$port" "$dir/data" "${3:-}" "${4:-}" >"$dir/ferryd.toml"
  "$bin/ferryd" --config "$dir/ferryd.toml" >"$dir/ferryd.log" 2>&1 &
  # shellcheck disable=SC2034  # the sourcing script stops it
  fpid=$!
  for ((i = 0; i < 100; i++)); do "$bin/ferryctl" -n "$ns" --timeout 500 cluster list >/dev/null 2>&1 && break; sleep 0.1; done
}

# row_topics BIN_DIR TOPIC...: creates each with 4 queues on $ns and waits
# (<= 30 s each) until its route is registered.
row_topics() {
  local bin=$1 t i
  shift
  for t; do "$bin/ferryctl" -n "$ns" topic create "$t" -q 4 --target "$ns" >/dev/null; done
  for t; do
    for ((i = 0; i < 300; i++)); do "$bin/ferryctl" -n "$ns" --timeout 500 topic route "$t" >/dev/null 2>&1 && break; sleep 0.1; done
  done
}

# row_prefill BIN_DIR: with PREFILL=N in the environment, first N async
# sends (window 256) to a topic W2 on $ns, output in $tmp: an aged broker,
# as in compare.sh where workload 6 follows five other workloads (key index
# slots touched, a later log segment). Nothing without PREFILL.
row_prefill() {
  [[ -n ${PREFILL:-} ]] || return 0
  row_topics "$1" W2
  timeout -k 5 120 "$1/ferry-bench" produce -n "$ns" --json --quiet -t W2 -s 1024 -m async -w 256 -N "$PREFILL" \
    -d 100 >"$tmp/prefill.json" 2>"$tmp/prefill.err" || echo "prefill: $(tail -1 "$tmp/prefill.err")" >&2
}

# The run's ferryd stopped and its directory removed (KEEP=1 keeps it);
# a script sets `trap cleanup EXIT` (w6_cpu.sh keeps its own variant).
fpid="" tmp=""
cleanup() {
  if [[ -n $fpid ]]; then
    kill "$fpid" 2>/dev/null || true
    wait "$fpid" 2>/dev/null || true
  fi
  if [[ -n $tmp && -z ${KEEP:-} ]]; then rm -rf "$tmp"; fi
  fpid="" tmp=""
}

# parse_cfg "LABEL:BUILD[:SETS[:STORAGE]]": sets cfg_label, cfg_build, cfg_setargs
# (SETS: comma-separated libferry keys, as `ferry-bench produce --set k=v`
# words; empty when there are none) and cfg_storage (STORAGE: extra
# [plugins.storage] lines for ferryd, e.g. 'segment_prefill = false'; empty
# when none). peak_ab.sh and paced_ab.sh take these.
# shellcheck disable=SC2034  # cfg_* are for the sourcing script
parse_cfg() {
  local rest=${1#*:} sets kv kvs
  cfg_label=${1%%:*} cfg_build=${rest%%:*} sets=${rest#*:} cfg_setargs=() cfg_storage=""
  [[ $sets == "$rest" ]] && sets=""
  if [[ $sets == *:* ]]; then cfg_storage=${sets#*:} sets=${sets%%:*}; fi
  IFS=, read -ra kvs <<<"$sets"
  for kv in ${kvs[@]+"${kvs[@]}"}; do [[ -n $kv ]] && cfg_setargs+=(--set "$kv"); done
  return 0
}
