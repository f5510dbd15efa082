#!/usr/bin/env bash
# Installs what saestore needs from Debian's packages (zstd, LMDB, OpenBLAS, zlib headers
# and pkg-config; Open MPI for data-parallel runs and their tests, which saestore loads only
# under mpirun, docs/MPI.md), then builds the release binary. Safe to run again: installed packages
# are skipped, and apt-get update runs only when something is missing.
#
#   scripts/setup.sh               the packages saestore needs, then the release build
#   scripts/setup.sh --no-build    the packages only
#   scripts/setup.sh --test-tools  also the Debian tools the test suite checks against
#                                  (Chromium for the report test); implies --no-build
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
packages=(pkg-config libzstd-dev liblmdb-dev libopenblas-dev zlib1g-dev openmpi-bin)
for argument in "$@"; do
  case $argument in
    --no-build) build=0 ;;
    # Headless Chromium runs the report's and the serve page's JavaScript (FeatureReportTests,
    # ServePageTests); curl fetches from a running `saestore serve` (ServeProcessTests).
    # node --check parses the report's script (ReportAssetsTests); Debian's nodejs unless a node is on PATH.
    --test-tools) build=0; packages+=(chromium curl); command -v node >/dev/null || packages+=(nodejs) ;;
    *) echo "setup: unknown option $argument (--no-build, --test-tools)" >&2; exit 2 ;;
  esac
done
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
  # Another apt-get (another checkout's setup) may hold dpkg's lock: wait for it, not fail.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

if [ $build = 1 ]; then
  swift build -c release --product saestore
fi
