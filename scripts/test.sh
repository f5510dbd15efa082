#!/usr/bin/env bash
# Runs the whole test suite: installs the system packages if missing, builds every target
# (the crash tests run the crash-writer executable), then runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --no-build
swift build --build-tests
swift test --skip-build "$@"
