#!/usr/bin/env bash
# Installs exactly the Debian packages Ferry's build and tests need, and only
# those that are missing. Safe to run repeatedly; needs root (or sudo) only
# when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git python3
  libboost-dev libboost-filesystem-dev   # Boost.DLL (header-only) + filesystem
  libuv1-dev                             # transport event loop
  libflatbuffers-dev flatbuffers-compiler # wire schema + flatc
  libtomlplusplus-dev                    # config
  libgtest-dev libgmock-dev              # tests
  libbenchmark-dev                       # micro-benchmarks
  libcli11-dev                           # ferryctl / ferry-bench command lines
  zlib1g-dev                             # crc32 (RocketMQ-compatible record checksums)
)
if [[ "${FERRY_WITH_CLANG:-0}" == 1 ]]; then
  packages+=(clang libclang-rt-14-dev)   # sanitizer presets + libFuzzer targets
fi
if [[ "${FERRY_WITH_COMPARE:-0}" == 1 ]]; then
  # tools/compare.sh only (it sets this): the peers and their C clients.
  packages+=(nats-server redis-server redis-tools libnats-dev libhiredis-dev strace)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
