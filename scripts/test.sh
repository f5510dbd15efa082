#!/usr/bin/env bash
# Runs the whole test suite: installs the system packages, the Debian test tools (Chromium)
# and the Python test tools if missing, builds every target (the crash tests run the
# crash-writer and saestore executables), runs the XCTest suite, then the Python tests
# (python/tests, pytest), then builds every fuzz harness and runs each for a few seconds
# (scripts/fuzz.sh --smoke, FUZZ_SECONDS, default 3), and closes with one summary line over the
# tests: "tests: N passed, N failed, N skipped", and last checks that a package depending on
# this one by version builds and runs (scripts/check_dependency.sh). With arguments (an XCTest
# filter) only the XCTest run happens. Under CI=true a missing tool fails the tests that need it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test-tools
python=${SAESTORE_PYTHON:-python3}
# The real tools the tests compare against (numpy, tensorboard, wandb, …); pip is quick when
# everything is already there. Never torch: CI has none.
"$python" -m pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
# Optimised, with -enable-testing for @testable imports: the tests run real kernels on real
# model files (10-100x slower unoptimised), and Package.swift carries no -O of its own (unsafe
# flags would stop anyone depending on saestore by version). CLITests run the binaries beside
# the test bundle, so they use this build's. Benchmarks build release without -enable-testing,
# so alternating the two rebuilds (a fresh clone builds once).
build=(-c release -Xswiftc -enable-testing)
swift build "${build[@]}" --build-tests
log=$(mktemp)
pylog=$(mktemp)
trap 'rm -f "$log" "$pylog"' EXIT
status=0
swift test "${build[@]}" --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?
passed=0; failed=0; skipped=0
summary=$(grep -E "Executed [0-9]+ tests?, with" "$log" | tail -1 || true)
if [ -n "$summary" ]; then
  executed=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
  failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
  if grep -qE "[0-9]+ tests? skipped" <<<"$summary"; then
    skipped=$(sed -E 's/.* ([0-9]+) tests? skipped.*/\1/' <<<"$summary")
  fi
  passed=$((executed - failed - skipped))
fi
# Python tests only when no XCTest filter was given (a filter names Swift tests).
if [ $# -eq 0 ] && [ -d python/tests ]; then
  pystatus=0
  "$python" -m pytest -q -p no:cacheprovider python/tests 2>&1 | tee "$pylog" || pystatus=$?
  # pytest's exit 5 = no tests collected: that is a failure here, not a pass.
  [ $pystatus -eq 0 ] || status=1
  line=$(grep -E "^=*.*[0-9]+ (passed|failed|skipped|error)" "$pylog" | tail -1 || true)
  for kind in passed failed skipped; do
    n=$(grep -oE "[0-9]+ $kind" <<<"$line" | grep -oE "[0-9]+" || true)
    case $kind in passed) passed=$((passed + ${n:-0}));; failed) failed=$((failed + ${n:-0}));; skipped) skipped=$((skipped + ${n:-0}));; esac
  done
  errors=$(grep -oE "[0-9]+ errors?" <<<"$line" | grep -oE "[0-9]+" || true)
  failed=$((failed + ${errors:-0}))
fi
# The fuzz harnesses compile module sources outside SwiftPM, so only building them here keeps
# them from rotting; a crash or a build failure fails the run.
fuzzline=""
if [ $# -eq 0 ]; then
  fuzzlog=$(mktemp)
  fuzzstatus=0
  FUZZ_SECONDS=${FUZZ_SECONDS:-3} FUZZ_JOBS=${FUZZ_JOBS:-2} ./scripts/fuzz.sh --smoke 2>&1 | tee "$fuzzlog" || fuzzstatus=$?
  [ $fuzzstatus -eq 0 ] || status=1
  fuzzline=$(tail -1 "$fuzzlog")
  rm -f "$fuzzlog"
fi
# A package depending on this one by version builds and runs (import ActStore, a store, a row).
depline=""
if [ $# -eq 0 ]; then
  deplog=$(mktemp)
  depstatus=0
  ./scripts/check_dependency.sh 2>&1 | tee "$deplog" || depstatus=$?
  [ $depstatus -eq 0 ] && depline="dependency by version: ok" || { status=1; depline="dependency by version: FAILED"; }
  rm -f "$deplog"
fi
# Every public declaration carries ///, but for the folders scripts/doc_comments_todo.txt still lists.
docline=""
if [ $# -eq 0 ]; then
  doclog=$(mktemp)
  docstatus=0
  "$python" scripts/check_doc_comments.py >"$doclog" 2>&1 || docstatus=$?
  grep -v "(todo)$" "$doclog" | grep -v "^doc comments:" || true
  docline=$(tail -1 "$doclog")
  [ $docstatus -eq 0 ] || { status=1; docline="$docline: FAILED"; }
  rm -f "$doclog"
fi
[ -z "$fuzzline" ] || echo "$fuzzline"
[ -z "$docline" ] || echo "$docline"
[ -z "$depline" ] || echo "$depline"
# The closing line stands alone, as CI reads it.
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
