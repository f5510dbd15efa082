#!/usr/bin/env bash
# Installs what saestore needs from Debian's packages (zstd, LMDB, OpenBLAS, zlib headers
# and pkg-config; Open MPI for data-parallel runs and their tests, which saestore loads only
# under mpirun, docs/MPI.md), then builds the release binary. Safe to run again: installed packages
# are skipped, and apt-get update runs only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config libzstd-dev liblmdb-dev libopenblas-dev zlib1g-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  # "install ok installed" only: a removed package keeps its config files and a `dpkg -s` entry.
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  if ! command -v apt-get >/dev/null; then
    echo "setup: no apt-get here; install zstd, lmdb, openblas and zlib development packages and pkg-config by hand (and Open MPI for mpirun runs)" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--no-build" ]; then
  swift build -c release --product saestore
fi
