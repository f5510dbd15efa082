#!/usr/bin/env bash
# SAE training throughput: saestore (Swift, OpenBLAS) vs PyTorch (CPU) on the same SAE and the
# same activations, and saestore streaming from a store vs from an in-memory array (same process).
#
#   gpt2 : gpt2-small-shaped activation-like data (d_in 768, 8x = 6144 latents), ROWS rows
#          written once as .npy by make_data.py (f16-exact values) and imported into an f16 store
#   tiny : the tiny Shakespeare model's real blocks.2.hook_resid_pre (d_in 128, 1024 latents),
#          all of tinyshakespeare (tiny_acts.py; skipped when ../shared/data is absent)
#
# Both SAEs of docs/SAE.md (tied = the seed's, standard = SAELens'), Adam lr 1e-3, λ 1e-3, batch
# 512, the same loss. Each measurement starts a fresh SAE, runs WARMUP steps, then times STEPS
# steps; the timed steps' mean L0 is reported beside tokens/s. PyTorch reads an in-memory tensor
# (uniform batches); Swift reads the same rows from memory (ArrayBatchSource) and from the store
# (StoreBatchSource, BUFFER_ROWS-row shuffle buffer, WORKERS decode threads). THREADS threads each.
# The CPU is shared, so the sides alternate ROUNDS times; the table gives the best round of each
# (least disturbed) with the median beside it.
#
#   benchmarks/train/run.sh                       # results in benchmarks/train/results.json
#   ROUNDS=3 STEPS=40 WORK=/tmp/x benchmarks/train/run.sh
#
# OpenBLAS picks its kernel at load time or takes OPENBLAS_CORETYPE from the environment; the
# kernel it reports is printed and recorded. PyTorch uses its own (MKL/oneDNN) kernels.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venv/bin/python}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-20}
STEPS=${STEPS:-40}
TINY_STEPS=${TINY_STEPS:-400}
ROWS=${ROWS:-65536}
THREADS=${THREADS:-2}
BUFFER_ROWS=${BUFFER_ROWS:-16384}
WORKERS=${WORKERS:-1}
WORK=${WORK:-${TMPDIR:-/tmp}/saestore-train-bench}
OUT=benchmarks/train/results.json
DATA=../shared/data

swift build -c release --product saestore >/dev/null 2>&1
swift build -c release --product saestore-bench >/dev/null 2>&1
SAESTORE=.build/release/saestore
BENCH=.build/release/saestore-bench
mkdir -p "$WORK"
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT

if [[ ! -f "$WORK/gpt2-$ROWS.npy" ]]; then
    "$PYTHON" benchmarks/train/make_data.py "$WORK/gpt2-$ROWS.npy" --rows "$ROWS" >&2
fi
if [[ ! -d "$WORK/gpt2-$ROWS.store" ]]; then
    "$SAESTORE" import "$WORK/gpt2-$ROWS.store" --column acts "$WORK/gpt2-$ROWS.npy" --dtype f16 --quiet >&2
fi
DATASETS=(gpt2)
if [[ -d "$DATA/models/tiny-shakespeare-gpt2" ]]; then
    DATASETS+=(tiny)
    if [[ ! -f "$WORK/tiny.npy" ]]; then "$PYTHON" benchmarks/train/tiny_acts.py "$WORK/tiny.npy" 2>/dev/null >&2; fi
    if [[ ! -d "$WORK/tiny.store" ]]; then
        "$SAESTORE" import "$WORK/tiny.store" --column acts "$WORK/tiny.npy" --dtype f16 --quiet >&2
    fi
fi

label() { sed "s/^{/{\"dataset\":\"$1\",/"; }

for round in $(seq "$ROUNDS"); do
    for dataset in "${DATASETS[@]}"; do
        if [[ $dataset == gpt2 ]]; then npy="$WORK/gpt2-$ROWS.npy" store="$WORK/gpt2-$ROWS.store" steps=$STEPS
        else npy="$WORK/tiny.npy" store="$WORK/tiny.store" steps=$TINY_STEPS; fi
        echo "round $round/$ROUNDS $dataset (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
        "$PYTHON" benchmarks/train/bench_torch.py "$npy" --arch tied standard --warmup "$WARMUP" --steps "$steps" \
            --threads "$THREADS" 2>/dev/null | label "$dataset" >>"$RAW"
        "$BENCH" train --data "$npy" --store "$store" --arch tied standard --warmup "$WARMUP" --steps "$steps" \
            --threads "$THREADS" --buffer-rows "$BUFFER_ROWS" --workers "$WORKERS" | label "$dataset" >>"$RAW"
    done
done

"$PYTHON" - "$RAW" "$OUT" "${OPENBLAS_CORETYPE:-}" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]

def pick(dataset, arch, impl, source=None):
    return [r for r in rows if r["dataset"] == dataset and r["arch"] == arch and r["impl"] == impl
            and (source is None or r.get("source") == source)]

def best_median(runs):
    rates = [r["tokens_per_second"] for r in runs]
    return max(rates), statistics.median(rates)

core = next(r["openblas_core"] for r in rows if r["impl"] == "swift")
torch_info = next(r for r in rows if r["impl"] == "torch")
print(f"\nOpenBLAS kernel {core} (OPENBLAS_CORETYPE={sys.argv[3] or 'unset'}); torch {torch_info['torch']} "
      f"({torch_info['cpu_capability']}); {torch_info['threads']} threads each; best round (median)")
print(f"{'data':<5}{'arch':<9}{'d_in x d_sae':>13}{'torch tok/s':>17}{'swift mem tok/s':>19}{'swift store tok/s':>19}"
      f"{'swift/torch':>16}{'store/mem':>16}{'L0 torch':>10}{'L0 swift':>10}")
summary = []
for dataset in dict.fromkeys(r["dataset"] for r in rows):
    for arch in ("tied", "standard"):
        t, m, s = pick(dataset, arch, "torch"), pick(dataset, arch, "swift", "memory"), pick(dataset, arch, "swift", "store")
        if not (t and m and s):
            continue
        (tb, tm), (mb, mm), (sb, sm) = best_median(t), best_median(m), best_median(s)
        # store/memory per round (the two run back to back in one process), then best and median
        per_round = [b["tokens_per_second"] / a["tokens_per_second"] for a, b in zip(m, s)]
        l0_t = statistics.median(r["l0"] for r in t)
        l0_s = statistics.median(r["l0"] for r in m + s)
        shape = f"{m[0]['d_in']}x{m[0]['d_sae']}"
        print(f"{dataset:<5}{arch:<9}{shape:>13}{tb:>10.0f} ({tm:>4.0f}){mb:>12.0f} ({mm:>4.0f}){sb:>12.0f} ({sm:>4.0f})"
              f"{mb / tb:>9.2f}x ({mm / tm:.2f}x){max(per_round):>9.3f} ({statistics.median(per_round):.3f}){l0_t:>10.0f}{l0_s:>10.0f}")
        summary.append({"dataset": dataset, "arch": arch, "d_in": m[0]["d_in"], "d_sae": m[0]["d_sae"],
                        "batch": m[0]["batch"], "threads": m[0]["threads"], "openblas_core": core,
                        "steps": m[0]["steps"], "warmup_steps": m[0]["warmup_steps"],
                        "torch_tokens_per_second_best": tb, "torch_tokens_per_second_median": tm,
                        "swift_memory_tokens_per_second_best": mb, "swift_memory_tokens_per_second_median": mm,
                        "swift_store_tokens_per_second_best": sb, "swift_store_tokens_per_second_median": sm,
                        "swift_over_torch_best": mb / tb, "swift_over_torch_median": mm / tm,
                        "store_over_memory_best_round": max(per_round),
                        "store_over_memory_median_round": statistics.median(per_round),
                        "store_buffer_rows": s[0]["buffer_rows"], "store_workers": s[0]["workers"],
                        "l0_torch_median": l0_t, "l0_swift_median": l0_s})
json.dump({"summary": summary, "raw": rows}, open(sys.argv[2], "w"), indent=1)
print(f"swift/torch: in-memory Swift vs PyTorch; store/mem: streamed vs in-memory in the same process.\nRaw: {sys.argv[2]}")
PY
