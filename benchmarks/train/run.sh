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
# The CPU is shared (other jobs come and go), so the sides alternate ROUNDS times (memory and store
# swap order every round) and the table gives each one's best round (the least disturbed), the
# median round beside it. tokens/s = timed rows / the timed steps' summed wall-clock time. The Swift
# side also measures the time the trainer spends inside the source's nextBatch ("loader ms/step"),
# which is what streaming adds and is far less sensitive to the machine's load.
#
#   benchmarks/train/run.sh                       # results in benchmarks/train/results.json
#   ROUNDS=3 STEPS=40 WORK=/tmp/x benchmarks/train/run.sh
#
# OpenBLAS picks its kernel at load time or takes OPENBLAS_CORETYPE from the environment; the
# kernel it reports is printed and recorded. PyTorch uses its own (MKL/oneDNN) kernels.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venv/bin/python}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-20}
STEPS=${STEPS:-30}
TINY_STEPS=${TINY_STEPS:-200}
ROWS=${ROWS:-65536}
THREADS=${THREADS:-2}
BUFFER_ROWS=${BUFFER_ROWS:-16384}
WORKERS=${WORKERS:-1}
WORK=${WORK:-${TMPDIR:-/tmp}/saestore-train-bench}
OUT=benchmarks/train/results.json
DATA=../shared/data

[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release --product saestore >/dev/null 2>&1
# SKIP_BUILD=1 uses the binaries already in .build/release (e.g. a test build), so a run does
# not rebuild the whole package with other flags.
[[ -n "${SKIP_BUILD:-}" ]] || swift build -c release --product saestore-bench >/dev/null 2>&1
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
        order=(); (( round % 2 == 0 )) && order=(--store-first)
        "$BENCH" train --data "$npy" --store "$store" --arch tied standard --warmup "$WARMUP" --steps "$steps" \
            --threads "$THREADS" --buffer-rows "$BUFFER_ROWS" --workers "$WORKERS" "${order[@]}" | label "$dataset" >>"$RAW"
    done
done

"$PYTHON" - "$RAW" "$OUT" "${OPENBLAS_CORETYPE:-}" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]

def pick(dataset, arch, impl, source=None):
    return [r for r in rows if r["dataset"] == dataset and r["arch"] == arch and r["impl"] == impl
            and (source is None or r.get("source") == source)]

def best(runs, key="tokens_per_second"):
    return max(r[key] for r in runs)

def median(runs, key="tokens_per_second"):
    return statistics.median(r[key] for r in runs)

core = next(r["openblas_core"] for r in rows if r["impl"] == "swift" and "openblas_core" in r)
torch_info = next(r for r in rows if r["impl"] == "torch")
print(f"\nOpenBLAS kernel {core} (OPENBLAS_CORETYPE={sys.argv[3] or 'unset'}); torch {torch_info['torch']} "
      f"(CPU capability {torch_info['cpu_capability']}); {torch_info['threads']} threads each.")
print("tokens/s: best of the rounds (median round). p10: from each side's 10th-percentile step time, best round.")
print(f"{'data':<5}{'arch':<9}{'d_in x d_sae':>13}{'torch':>16}{'swift memory':>16}{'swift store':>16}"
      f"{'swift/torch (p10)':>19}{'store/memory':>14}{'cost bound':>12}{'L0 torch|swift':>16}")
summary = []
for dataset in dict.fromkeys(r["dataset"] for r in rows):
    decode = [r for r in rows if r["dataset"] == dataset and r.get("source") == "decode"]
    decode_ms = min(r["decode_seconds_per_batch"] for r in decode) * 1e3
    for arch in ("tied", "standard"):
        t, m, s = pick(dataset, arch, "torch"), pick(dataset, arch, "swift", "memory"), pick(dataset, arch, "swift", "store")
        if not (t and m and s):
            continue
        tb, mb, sb = best(t), best(m), best(s)
        tm, mm, sm = median(t), median(m), median(s)
        t10, m10 = best(t, "tokens_per_second_p10_step"), best(m, "tokens_per_second_p10_step")
        fetch_m = median(m, "fetch_seconds_per_step") * 1e3
        fetch_s = median(s, "fetch_seconds_per_step") * 1e3
        # Streaming's cost per step: the extra wait in nextBatch, plus the decode CPU time the
        # worker takes from the two cores the trainer's sgemm uses (charged in full).
        step_ms = m[0]["batch"] / mb * 1e3
        bound = step_ms / (step_ms + max(fetch_s - fetch_m, 0) + decode_ms)
        l0_t, l0_s = median(t, "l0"), median(m + s, "l0")
        shape = f"{m[0]['d_in']}x{m[0]['d_sae']}"
        print(f"{dataset:<5}{arch:<9}{shape:>13}{tb:>8.0f} ({tm:>5.0f}){mb:>8.0f} ({mm:>5.0f}){sb:>8.0f} ({sm:>5.0f})"
              f"{mb / tb:>9.2f} ({m10 / t10:.2f}){sb / mb:>9.3f} ({sm / mm:.2f}){bound:>10.3f}{l0_t:>9.0f} | {l0_s:<5.0f}")
        summary.append({"dataset": dataset, "arch": arch, "d_in": m[0]["d_in"], "d_sae": m[0]["d_sae"],
                        "batch": m[0]["batch"], "threads": m[0]["threads"], "openblas_core": core,
                        "torch": torch_info["torch"], "torch_cpu_capability": torch_info["cpu_capability"],
                        "rounds": len(m), "steps": m[0]["steps"], "warmup_steps": m[0]["warmup_steps"],
                        "torch_tokens_per_second_best": tb, "torch_tokens_per_second_median": tm,
                        "swift_memory_tokens_per_second_best": mb, "swift_memory_tokens_per_second_median": mm,
                        "swift_store_tokens_per_second_best": sb, "swift_store_tokens_per_second_median": sm,
                        "swift_over_torch_best": mb / tb, "swift_over_torch_median": mm / tm,
                        "swift_over_torch_p10_step": m10 / t10,
                        "store_over_memory_best": sb / mb, "store_over_memory_median": sm / mm,
                        "loader_ms_per_step_memory": fetch_m, "loader_ms_per_step_store": fetch_s,
                        "decode_ms_per_batch": decode_ms, "store_over_memory_cost_bound": bound,
                        "store_buffer_rows": s[0]["buffer_rows"], "store_workers": s[0]["workers"],
                        "l0_torch_median": l0_t, "l0_swift_median": l0_s})
json.dump({"summary": summary, "raw": rows}, open(sys.argv[2], "w"), indent=1)
print("swift/torch: Swift from memory vs PyTorch. store/memory: Swift streamed from the store vs from memory\n"
      "(best rounds; median round). cost bound: step / (step + extra ms in nextBatch + one thread's decode ms\n"
      "per batch), the store/memory ratio if the decode worker's CPU time came entirely out of the trainer's.\n"
      f"L0: mean active latents over the timed steps. Raw: {sys.argv[2]}")
PY
