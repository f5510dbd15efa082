#!/usr/bin/env bash
# Gemma 2 forward throughput: saestore's Gemma2Model (Swift, OpenBLAS) vs transformers'
# Gemma2Model (PyTorch, CPU, eager attention: the one that soft-caps) on the same random model (Gemma-2-2B shapes, a few blocks,
# written once by bench_torch.py --make), batch BATCH x context 128, THREADS threads each, the two
# sides alternating ROUNDS times. Prints best-call tokens/s of each, their ratio, the load
# average and the OpenBLAS kernel set; results in benchmarks/forward-gemma2/results.json.
#
#   PYTHON=/work/venv/bin/python ROUNDS=2 THREADS=2 BATCH=4 ITERATIONS=3 benchmarks/forward-gemma2/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
BATCH=${BATCH:-4}
ITERATIONS=${ITERATIONS:-3}
MODEL=${MODEL:-${TMPDIR:-/tmp}/saestore-gemma2-bench}
OUT=benchmarks/forward-gemma2/results.json

[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release -Xswiftc -enable-testing --product saestore-bench >/dev/null 2>&1
BENCH=.build/release/saestore-bench
[[ -f "$MODEL/model.safetensors" ]] || "$PYTHON" benchmarks/forward-gemma2/bench_torch.py --make "$MODEL" 2>/dev/null
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    "$PYTHON" benchmarks/forward-gemma2/bench_torch.py --model "$MODEL" --threads "$THREADS" --batch "$BATCH" --iterations "$ITERATIONS" 2>/dev/null >>"$RAW"
    "$BENCH" gemma2-forward --model "$MODEL" --threads "$THREADS" --batch "$BATCH" --iterations "$ITERATIONS" >>"$RAW"
done
python3 - "$RAW" "$OUT" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
best = {impl: max(r["tokens_per_second"] for r in rows if r["impl"] == impl) for impl in ("torch", "swift")}
kernel = next(r["kernel_set"] for r in rows if r["impl"] == "swift")
summary = {"torch_tokens_per_second": best["torch"], "swift_tokens_per_second": best["swift"],
           "ratio_swift_over_torch": best["swift"] / best["torch"], "kernel_set": kernel,
           "load_average_at_end": sys.argv[3], "runs": rows}
print(f"Gemma 2 forward (Gemma-2-2B shapes, {rows[0]['layers']} blocks, batch {rows[0]['batch']} x {rows[0]['context']}, "
      f"{rows[0]['threads']} threads), best call: torch {best['torch']:.0f} tok/s, saestore {best['swift']:.0f} tok/s, "
      f"ratio {best['swift'] / best['torch']:.2f}x, OpenBLAS kernel set {kernel}, load average {sys.argv[3]} (noisy)")
json.dump(summary, open(sys.argv[2], "w"), indent=1, sort_keys=True)
PY
