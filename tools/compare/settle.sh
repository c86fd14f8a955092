# shellcheck shell=bash
# Waiting for brokers to go quiet before a measured row, shared by
# tools/compare.sh and the scripts that re-run one of its rows
# (tools/ferry-bench/w7_row.sh): a row must not start while a broker still
# works off the previous one (a backlog, the segment fill ahead, a flush),
# or the row pays for that work (benchmarks.md "Session 20 runs": ferryd's
# fill halved the plain write() measured right after Ferry's w7 row).
# The sourcing script keeps the broker PIDs in the array `pids`.
# shellcheck disable=SC2154  # pids: the sourcing script's

# brokers_ns [EXCEPT_PID]: on-CPU ns of every thread of every broker in pids.
# shellcheck disable=SC2120  # compare.sh passes EXCEPT_PID
brokers_ns() {
  local p sum=0 t
  for p in "${pids[@]}"; do
    [[ $p == "${1:-}" ]] && continue
    for t in /proc/"$p"/task/*/schedstat; do
      [[ -r $t ]] && sum=$((sum + $(cut -d' ' -f1 "$t" 2>/dev/null || echo 0)))
    done
  done
  echo "$sum"
}

# settle NAME: wait (at most 10 s) until the brokers together use under 5 %
# of a core over 0.2 s. When they do not: prints why and returns 1.
settle() {
  local i a b
  for ((i = 0; i < 50; i++)); do
    a=$(brokers_ns ""); sleep 0.2; b=$(brokers_ns "")
    ((b - a < 10000000)) && return 0
  done
  echo "brokers still busy 10 s before $1 ($(((b - a) / 2000000)) % of a core)"
  return 1
}
