#!/usr/bin/env bash
# GPT-2 forward throughput: saestore (Swift, OpenBLAS) vs transformers (PyTorch, CPU) on the
# same work: random gpt2-small-shaped weights, batch 8 x context 128, stopping after 6 and 12
# blocks, THREADS threads each. Also measures this machine's sgemm rate at the forward's
# shapes and reports which fraction of it the forward's sgemm work achieves.
#
#   benchmarks/forward/run.sh            # from anywhere; results in benchmarks/forward/results.json
#   PYTHON=/path/to/python ROUNDS=3 ITERATIONS=5 THREADS=2 benchmarks/forward/run.sh
#
# The CPU is shared with other work, so the two sides run alternately, ROUNDS times, and the
# table reports the best (least disturbed) call of each, with the median of all calls beside it.
#
# OpenBLAS picks its kernels at load time, or takes OPENBLAS_CORETYPE from the environment.
# When that variable is set, the Swift side is also measured with it unset ("swift-auto",
# OpenBLAS's own choice). PyTorch uses MKL and ignores it.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venv/bin/python}
ROUNDS=${ROUNDS:-3}
ITERATIONS=${ITERATIONS:-5}
THREADS=${THREADS:-2}
OUT=benchmarks/forward/results.json

# SKIP_BUILD=1 uses the binaries already in .build/release (e.g. a test build), so a run does
# not rebuild the whole package with other flags.
[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release --product saestore-bench >/dev/null 2>&1
BENCH=.build/release/saestore-bench
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT

label() { sed "s/^{/{\"run\":\"$1\",/"; }

for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    "$PYTHON" benchmarks/forward/bench_torch.py --layers 6 12 --iterations "$ITERATIONS" --threads "$THREADS" \
        2>/dev/null | label torch >>"$RAW"
    "$BENCH" forward --layers 6 12 --iterations "$ITERATIONS" --threads "$THREADS" | label swift >>"$RAW"
    "$BENCH" sgemm --threads "$THREADS" | label sgemm >>"$RAW"
    if [[ -n "${OPENBLAS_CORETYPE:-}" ]]; then
        env -u OPENBLAS_CORETYPE "$BENCH" forward --layers 6 12 --iterations "$ITERATIONS" --threads "$THREADS" \
            | label swift-auto >>"$RAW"
        env -u OPENBLAS_CORETYPE "$BENCH" sgemm --threads "$THREADS" | label sgemm-auto >>"$RAW"
    fi
done

python3 - "$RAW" "$OUT" "${OPENBLAS_CORETYPE:-}" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]

def calls(run, layers):
    picked = [r for r in rows if r["run"] == run and r["layers"] == layers]
    return picked, [s for r in picked for s in r["seconds_all"]]

def best_sgemm(run):
    return max(r["gflops_per_second"] for r in rows if r["run"] == run and r["shape"] == "forward_mix")

print(f"OPENBLAS_CORETYPE={sys.argv[3] or '(unset)'}; best call (median of all calls)")
print(f"{'run':<11}{'OpenBLAS':<11}{'layers':>6}{'torch tok/s':>17}{'swift tok/s':>17}{'ratio':>14}"
      f"{'fwd sgemm GF/s':>16}{'sgemm GF/s':>12}{'fraction':>10}")
summary = []
for run in ("swift", "swift-auto"):
    if not any(r["run"] == run for r in rows):
        continue
    sgemm = best_sgemm(run.replace("swift", "sgemm"))
    for layers in (6, 12):
        torch_rows, torch_s = calls("torch", layers)
        swift_rows, swift_s = calls(run, layers)
        tokens = swift_rows[0]["batch"] * swift_rows[0]["context"]
        flops = swift_rows[0]["sgemm_gflops_per_second"] * swift_rows[0]["seconds_median"]  # GFLOP per call
        t_best, t_med = tokens / min(torch_s), tokens / statistics.median(torch_s)
        s_best, s_med = tokens / min(swift_s), tokens / statistics.median(swift_s)
        fwd_rate = flops / min(swift_s)
        print(f"{run:<11}{swift_rows[0]['openblas_core']:<11}{layers:>6}{t_best:>9.0f} ({t_med:>4.0f}){s_best:>10.0f} ({s_med:>4.0f})"
              f"{s_best / t_best:>7.2f}x ({s_med / t_med:.2f}x){fwd_rate:>11.0f}{sgemm:>12.0f}{fwd_rate / sgemm:>10.2f}")
        summary.append({"run": run, "openblas_core": swift_rows[0]["openblas_core"], "layers": layers,
                        "torch_tokens_per_second_best": t_best, "torch_tokens_per_second_median": t_med,
                        "swift_tokens_per_second_best": s_best, "swift_tokens_per_second_median": s_med,
                        "ratio_best": s_best / t_best, "ratio_median": s_med / t_med,
                        "forward_sgemm_gflops_per_second_best": fwd_rate,
                        "sgemm_forward_mix_gflops_per_second_best": sgemm,
                        "fraction_of_sgemm_rate": fwd_rate / sgemm})
json.dump({"summary": summary, "raw": rows}, open(sys.argv[2], "w"), indent=1)
print("fraction = (forward's sgemm GFLOP / best forward time) / best sgemm rate at the forward's shapes,\n"
      f"so it also charges the non-sgemm work (LayerNorm, softmax, GELU, copies). Raw: {sys.argv[2]}")
PY
