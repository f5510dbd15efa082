#!/usr/bin/env bash
# GPT-NeoX-shape forward throughput: saestore's NeoXModel (Swift, OpenBLAS) vs transformers'
# GPTNeoXModel (PyTorch, CPU) on the same random model (Pythia-160M shapes to its middle layer,
# written once by bench_torch.py --make), batch 4 x context 128, THREADS threads each, the two
# sides alternating ROUNDS times. Prints best-call tokens/s of each, their ratio, the load
# average and the OpenBLAS kernel set; results in benchmarks/forward-neox/results.json.
#
#   PYTHON=/work/venv/bin/python ROUNDS=2 THREADS=2 benchmarks/forward-neox/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
MODEL=${MODEL:-${TMPDIR:-/tmp}/saestore-neox-bench}
OUT=benchmarks/forward-neox/results.json
BUILD_FLAGS=${BUILD_FLAGS:-}  # e.g. "-Xswiftc -enable-testing" to keep a test build valid

[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release $BUILD_FLAGS --product saestore-bench >/dev/null 2>&1
BENCH=.build/release/saestore-bench
[[ -f "$MODEL/model.safetensors" ]] || "$PYTHON" benchmarks/forward-neox/bench_torch.py --make "$MODEL" 2>/dev/null
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    "$PYTHON" benchmarks/forward-neox/bench_torch.py --model "$MODEL" --threads "$THREADS" 2>/dev/null >>"$RAW"
    "$BENCH" neox-forward --model "$MODEL" --threads "$THREADS" >>"$RAW"
done
python3 - "$RAW" "$OUT" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
best = {impl: max(r["tokens_per_second"] for r in rows if r["impl"] == impl) for impl in ("torch", "swift")}
kernel = next(r["kernel_set"] for r in rows if r["impl"] == "swift")
summary = {"torch_tokens_per_second": best["torch"], "swift_tokens_per_second": best["swift"],
           "ratio_swift_over_torch": best["swift"] / best["torch"], "kernel_set": kernel,
           "load_average_at_end": sys.argv[3], "runs": rows}
print(f"GPT-NeoX forward (Pythia-160M shapes, {rows[0]['layers']} blocks, batch {rows[0]['batch']} x {rows[0]['context']}, "
      f"{rows[0]['threads']} threads), best call: torch {best['torch']:.0f} tok/s, saestore {best['swift']:.0f} tok/s, "
      f"ratio {best['swift'] / best['torch']:.2f}x, OpenBLAS kernel set {kernel}, load average {sys.argv[3]} (noisy)")
json.dump(summary, open(sys.argv[2], "w"), indent=1, sort_keys=True)
PY
