#!/usr/bin/env bash
# Feature scan and lookup benchmarks, one run, on this machine:
#  1. scan rows/s: `saestore features` (pass 1: exact top-k, counts, histograms; --quantiles 0)
#     against a PyTorch CPU implementation of the same top-k scan (bench_torch.py, 2 threads)
#     on the same rows (.npy → `saestore import`, f16 store) and the same SAELens SAE, for a
#     GPT-2-small-like shape (768 → 6144) and the tiny model's (128 → 1024). Also the full
#     two-pass scan (quantile samples) for reference. Then `saestore-bench scan-fold`: the scan
#     with the dense fold (every activation) and the sparse fold (the encoder's CSR) A/B.
#  2. lookups on a 1M-row store with documents: `saestore-bench lookup` builds the store, an
#     SAE on it and `saestore features` results, then prints p50/p99 and lookups/s, cold
#     (page cache dropped) and warm, of StoreReader.context (`saestore lookup`) and of one
#     feature's examples through FeatureInspector.detail (`saestore feature`), from the stored
#     windows and resolved from the store. Target: p99 < 1 ms warm for both.
# ONLY=lookup runs part 2 alone (no torch needed; the scan rows of results.json are kept).
# Results: benchmarks/features/results.json. Needs /work/venv-style python with torch,
# numpy, safetensors (PYTHON=...). Shared cores make single runs noisy: compare ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venv/bin/python}
SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/saestore-features-bench}
CONFIGS=${CONFIGS:-"100000:768:6144 1000000:128:1024"}
swift build -c release --product saestore >/dev/null
swift build -c release --product saestore-bench >/dev/null
BIN=.build/release
mkdir -p "$SCRATCH"
: > benchmarks/features/results.jsonl
[ "${ONLY:-}" = lookup ] && CONFIGS=""
for cfg in $CONFIGS; do
  IFS=: read -r rows din dsae <<<"$cfg"
  dir="$SCRATCH/$rows-$din-$dsae"
  if [ ! -f "$dir/store/index/data.mdb" ]; then
    rm -rf "$dir"
    "$PYTHON" benchmarks/features/make_data.py "$dir" --rows "$rows" --d-in "$din" --d-sae "$dsae" >/dev/null
    "$BIN/saestore" import "$dir/store" --column blocks.0.hook_resid_pre "$dir/x.npy" --dtype f16 --quiet >/dev/null
    # Torch reads the same values the store holds (f16-rounded).
    "$PYTHON" - "$dir" <<'PY'
import sys, numpy as np
d = sys.argv[1]
x = np.load(f"{d}/x.npy", mmap_mode="r+")
for s in range(0, x.shape[0], 65536): x[s:s+65536] = x[s:s+65536].astype(np.float16).astype(np.float32)
x.flush()
PY
  fi
  torch_json=$("$PYTHON" benchmarks/features/bench_torch.py "$dir/x.npy" "$dir/sae" --top-k 20 --threads 2)
  swift_json=$("$BIN/saestore" features --store "$dir/store" --sae "$dir/sae" --out "$dir/out1" --top-examples 20 --quantiles 0 --no-report --json --quiet --workers 1)
  full_json=$("$BIN/saestore" features --store "$dir/store" --sae "$dir/sae" --out "$dir/out2" --top-examples 20 --quantiles 10 --no-report --json --quiet --workers 1)
  # Dense vs sparse fold of the scan (same process, alternating; tables checked equal).
  OPENBLAS_NUM_THREADS=1 "$BIN/saestore-bench" scan-fold --store "$dir/store" --sae "$dir/sae" --repeats 3 | sed 's/^{/{"bench": "scan-fold", /' | tee -a benchmarks/features/results.jsonl
  "$PYTHON" - "$cfg" "$torch_json" "$swift_json" "$full_json" "$dir" <<'PY' | tee -a benchmarks/features/results.jsonl
import json, sys
import numpy as np
from safetensors.numpy import load_file
cfg, t, s, f, d = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
rows, din, dsae = map(int, cfg.split(":"))
print(json.dumps({"bench": "scan", "rows": rows, "d_in": din, "d_sae": dsae, "top_k": 20,
                  "torch_rows_per_s": round(t["rows_per_s"]), "saestore_rows_per_s": round(s["rowsPerSecond"]),
                  "ratio_saestore_over_torch": round(s["rowsPerSecond"] / t["rows_per_s"], 2),
                  "saestore_two_pass_rows_per_s": round(f["rowsPerSecond"] / 2),
                  "alive_torch": t["alive"], "alive_saestore": s["featureCount"] - s["deadFeatureCount"]}))
PY
done
"$BIN/saestore-bench" lookup --rows 1000000 --store "$SCRATCH/lookup.store" | grep -v '^{"rows"' | sed 's/^/{"bench": "lookup", /; s/^{"bench": "lookup", {/{"bench": "lookup", /' | tee -a benchmarks/features/results.jsonl
ONLY="${ONLY:-}" "$PYTHON" - <<'PY'
import json, os
rows = [json.loads(l) for l in open("benchmarks/features/results.jsonl")]
if os.environ["ONLY"] == "lookup" and os.path.exists("benchmarks/features/results.json"):
    rows = [r for r in json.load(open("benchmarks/features/results.json")) if r["bench"] != "lookup"] + rows
json.dump(rows, open("benchmarks/features/results.json", "w"), indent=1)
for r in rows:
    if r["bench"] == "scan":
        print(f"scan {r['d_in']}->{r['d_sae']} ({r['rows']} rows): saestore {r['saestore_rows_per_s']:,} rows/s, "
              f"torch {r['torch_rows_per_s']:,} rows/s, ratio {r['ratio_saestore_over_torch']}x "
              f"(full two-pass scan: {r['saestore_two_pass_rows_per_s']:,} rows/s)")
    elif r["bench"] == "scan-fold":
        print(f"scan fold {r['fold']} {r['d_in']}->{r['d_sae']} (density {r['density']:.3f}): best {r['best_rows_per_s']:,.0f} rows/s, "
              f"{r['speedup_over_dense_best']:.2f}x dense (CPU per row {r['best_cpu_us_per_row']:.2f} us, {r['cpu_speedup_over_dense_best']:.2f}x), load {r['load_1min']}")
    elif "p50_ms" in r:
        print(f"{r['stage']}: p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms (CPU time p99 {r['cpu_p99_ms']:.3f} ms), "
              f"{r['per_second']:,.0f}/s on {int(r['store_rows']):,} rows, load {r['load_1min']}")
    elif "ms" in r:
        print(f"{r['stage']}: {r['ms']:.1f} ms")
    elif r["stage"] == "features scan":
        print(f"lookup store scanned: {r['rows_per_second']:,.0f} rows/s; {int(r['examples']):,} example windows stored in "
              f"{r['example_windows_seconds']:.2f} s ({r['examples_file_bytes'] / 1e6:.1f} MB)")
PY
rm -f benchmarks/features/results.jsonl
