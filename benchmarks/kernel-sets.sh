#!/usr/bin/env bash
# Runs one benchmark under the three BLAS settings that matter to a user, one after another in
# one go, and keeps each setting's results beside the others:
#
#   haswell   OPENBLAS_CORETYPE=Haswell (AVX2+FMA kernels, what most x86-64 machines can run)
#   unset     no variable: OpenBLAS's own reading of the CPU (what a user gets out of the box)
#   prescott  OPENBLAS_CORETYPE=Prescott (SSE3): a stand-in for a CPU OpenBLAS cannot identify
#
#   benchmarks/kernel-sets.sh forward          # benchmarks/forward/results-{haswell,unset,prescott}.json
#   benchmarks/kernel-sets.sh train
#   ROUNDS=2 benchmarks/kernel-sets.sh forward-llama
#
# benchmarks/ingest/run.sh does the same three settings itself (and saestore's own selection).
# Setting OPENBLAS_CORETYPE is fine here: this is a benchmark, never a test. Extra environment
# (ROUNDS, ITERATIONS, STEPS, PYTHON, …) passes through to the benchmark's run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: benchmarks/kernel-sets.sh forward|train|sparse|forward-llama}
[[ -x benchmarks/$name/run.sh ]] || { echo "kernel-sets: no benchmarks/$name/run.sh" >&2; exit 2; }
for setting in haswell unset prescott; do
    echo "== $name, $setting (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    case $setting in
        haswell) env OPENBLAS_CORETYPE=Haswell "benchmarks/$name/run.sh" ;;
        unset) env -u OPENBLAS_CORETYPE "benchmarks/$name/run.sh" ;;
        prescott) env OPENBLAS_CORETYPE=Prescott "benchmarks/$name/run.sh" ;;
    esac
    mv "benchmarks/$name/results.json" "benchmarks/$name/results-$setting.json"
done
