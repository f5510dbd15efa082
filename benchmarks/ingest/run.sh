#!/usr/bin/env bash
# `saestore ingest` as a whole process vs the PyTorch script a researcher would write for the
# same job (bench_torch.py: tokenizers + transformers GPT2Model cut at the hooked layer, the same
# windows and BOS, f16 .npy out), on gpt2-small shapes with random weights, hook
# blocks.6.hook_resid_pre, context 128, batch 8, THREADS threads each, over a jsonl of short
# documents and one of long ones, under three BLAS settings in one go:
#
#   haswell   OPENBLAS_CORETYPE=Haswell (an AVX2 machine)
#   unset     OpenBLAS's own choice (saestore with SAESTORE_BLAS_AUTO=0), then saestore's selection
#   prescott  OPENBLAS_CORETYPE=Prescott, a stand-in for a CPU OpenBLAS cannot identify
#             (saestore must respect it; `saestore doctor` must warn)
#
#   benchmarks/ingest/run.sh          # results in benchmarks/ingest/results.json
#   PYTHON=python3 THREADS=2 SHORT_DOCS=600 LONG_DOCS=12 SKIP_BUILD=1 benchmarks/ingest/run.sh
#
# Times are whole processes (interpreter start to exit for PyTorch, which uses its own MKL
# kernels and ignores OPENBLAS_CORETYPE). The CPU may be shared: the load average is printed
# beside every run. Setting OPENBLAS_CORETYPE here is fine: this is a benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
THREADS=${THREADS:-2}
SHORT_DOCS=${SHORT_DOCS:-600}
LONG_DOCS=${LONG_DOCS:-12}
CONFIG=${CONFIG:-release}
OUT=benchmarks/ingest/results.json
WORK=benchmarks/work/ingest
mkdir -p "$WORK"

# SKIP_BUILD=1 uses the binary already built (e.g. while another build holds .build's lock).
[[ -n ${SKIP_BUILD:-} ]] || swift build -j 1 -c "$CONFIG" --product saestore >/dev/null
SAESTORE=.build/$CONFIG/saestore
"$PYTHON" benchmarks/ingest/make_data.py "$WORK" "$SHORT_DOCS" "$LONG_DOCS"
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
# run LABEL SETTING CORPUS ENV... -- COMMAND...: one JSON line with the whole process's seconds.
run() {
    local label=$1 setting=$2 corpus=$3; shift 3
    local envs=()
    while [[ $1 != -- ]]; do envs+=("$1"); shift; done; shift
    local before start end output
    before=$(load); start=$(now)
    output=$(env "${envs[@]}" "$@")
    end=$(now)
    "$PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(run=sys.argv[2], setting=sys.argv[3], corpus=sys.argv[4], wall_seconds=float(sys.argv[6])-float(sys.argv[5]), load_average=float(sys.argv[7])); print(json.dumps(d))' \
        "$(sed -n '/^{/,$p' <<<"$output")" "$label" "$setting" "$corpus" "$start" "$end" "$before" >>"$RAW"
}
doctor() {
    local setting=$1; shift
    env "$@" "$SAESTORE" doctor --json --sgemm-seconds 1 | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"run":"doctor","setting":sys.argv[1],"kernel_set":d["kernel_set"],"origin":d["origin"],"reason":d["reason"],"warnings":d["warnings"],"sgemm_gflops_per_second":d["sgemm"]["bestGigaflopsPerSecond"],"cpu":d["cpu"]["brand"],"cpu_level":d["cpu_level"]}))' "$setting" >>"$RAW"
}
ingest() {  # ingest LABEL SETTING CORPUS ENV...
    local label=$1 setting=$2 corpus=$3; shift 3
    rm -rf "$WORK/$corpus-$label.store"
    run "$label" "$setting" "$corpus" "$@" -- "$SAESTORE" ingest --model "$WORK/gpt2-small" --corpus "$WORK/$corpus.jsonl" \
        --store "$WORK/$corpus-$label.store" --hook blocks.6.hook_resid_pre --context 128 --batch 8 --threads "$THREADS" --json --quiet
}
torch() {  # torch SETTING CORPUS ENV...
    local setting=$1 corpus=$2; shift 2
    run torch "$setting" "$corpus" "$@" -- "$PYTHON" benchmarks/ingest/bench_torch.py --model "$WORK/gpt2-small" \
        --corpus "$WORK/$corpus.jsonl" --layer 6 --context 128 --batch 8 --threads "$THREADS" --out "$WORK/$corpus-torch.npy"
}

UNSET=(-u OPENBLAS_CORETYPE -u SAESTORE_BLAS_AUTO)
for corpus in short long; do
    # PyTorch once per corpus unless TORCH_EACH=1 (its MKL kernels ignore OPENBLAS_CORETYPE).
    echo "$corpus: haswell (load average $(load))" >&2
    torch haswell "$corpus" OPENBLAS_CORETYPE=Haswell
    ingest saestore haswell "$corpus" OPENBLAS_CORETYPE=Haswell
    echo "$corpus: unset (load average $(load))" >&2
    ingest saestore-openblas unset "$corpus" "${UNSET[@]}" SAESTORE_BLAS_AUTO=0
    ingest saestore unset "$corpus" "${UNSET[@]}"
    [[ -z ${TORCH_EACH:-} ]] || torch unset "$corpus" "${UNSET[@]}"
    echo "$corpus: prescott (load average $(load))" >&2
    ingest saestore prescott "$corpus" OPENBLAS_CORETYPE=Prescott
    [[ -z ${TORCH_EACH:-} ]] || torch prescott "$corpus" OPENBLAS_CORETYPE=Prescott
    # The same numbers: saestore's stored f16 rows against PyTorch's f16 .npy.
    "$SAESTORE" export "$WORK/$corpus-saestore.store" --column blocks.6.hook_resid_pre --dtype f16 --out "$WORK/$corpus-saestore.npy" --quiet
    "$PYTHON" -c 'import json,sys,numpy as np; a=np.load(sys.argv[1]).astype(np.float32); b=np.load(sys.argv[2]).astype(np.float32); assert a.shape==b.shape,(a.shape,b.shape); d=np.abs(a-b); print(json.dumps({"run":"compare","corpus":sys.argv[3],"rows":a.shape[0],"max_abs_error":float(d.max()),"mean_abs_error":float(d.mean()),"max_abs_value":float(np.abs(b).max())}))' \
        "$WORK/$corpus-saestore.npy" "$WORK/$corpus-torch.npy" "$corpus" >>"$RAW"
done
doctor haswell OPENBLAS_CORETYPE=Haswell
doctor unset-openblas "${UNSET[@]}" SAESTORE_BLAS_AUTO=0
doctor unset "${UNSET[@]}"
doctor prescott OPENBLAS_CORETYPE=Prescott

"$PYTHON" benchmarks/ingest/summarize.py "$RAW" "$OUT"
