# shellcheck shell=bash
# The ferryd config of tools/compare.sh's Ferry rows, shared with the scripts
# that re-run one of those rows alone (tools/ferry-bench/w6_row.sh), so a row
# re-run is always the row the table shows. Source it; prints the TOML.
ferry_conf() {  # ferry_conf FLUSH_LIBRARY PORT DATA_DIR [STORAGE_LINES] [BUSY_POLL_US]
  # STORAGE_LINES: extra [plugins.storage] keys for an A/B of a row alone
  # (w7_row.sh), e.g. 'write_mode = "mmap"'; compare.sh passes none.
  # BUSY_POLL_US: kernel.busy_poll_us (compare.sh --busy-poll); empty or 0: off.
  local flush_extra="" storage_extra="${4:-}" kernel_extra=""
  [[ -n ${5:-} && ${5:-} != 0 ]] && kernel_extra="busy_poll_us = $5"
  # Sync flush runs on the pwrite path, as docs/flush.md advises: a sync
  # there costs a third of one through the mapping.
  [[ $1 == ferry_flush_sync ]] && flush_extra='timeout = "5s"' && storage_extra='write_mode = "pwrite"'$'\n'"$storage_extra"
  cat <<EOF
[kernel]
listen = "127.0.0.1:$2"
data_dir = "$3"
log_level = "warn"
max_frame_bytes = "16MiB"
$kernel_extra
[broker]
cluster = "DefaultCluster"
name = "broker-a"
id = 0
[plugins.storage]
library = "ferry_storage_mmaplog"
segment_size = "1GiB"
$storage_extra
[plugins.flush]
library = "$1"
$flush_extra
[plugins.registry]
library = "ferry_routing_namesrv"
mode = "registry"
[plugins.registration]
library = "ferry_routing_namesrv"
mode = "registration"
name_servers = ["127.0.0.1:$2"]
EOF
}
