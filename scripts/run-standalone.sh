#!/usr/bin/env bash
# Build Ferry and run the standalone broker (name server + one master broker
# in one process, data under ./data) in the foreground, with ferryctl and
# ferry-bench built beside it. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
scripts/locked cmake --build build -j2 --target ferryd ferry_plugins ferryctl ferry-bench
exec build/bin/ferryd --config conf/standalone.toml "$@"
