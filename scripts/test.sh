#!/usr/bin/env bash
# Build everything once and run the whole test suite (what CI runs).
#   scripts/test.sh                 # all labels
#   CTEST_ARGS="-L unit" scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${FERRY_BUILD_DIR_NAME:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
scripts/locked cmake --build "$build" -j2
cd "$build"
# -j2: the machine has two cores; integration tests keep their clusters small.
ctest --output-on-failure -j2 --timeout 600 ${CTEST_ARGS:-}
