#!/usr/bin/env bash
# Growth curves (issue 16): how the loader's row filter (peak RSS), loader resume (early vs
# late in an epoch), index lookups, one append and verify grow with the store's row count.
# Stores of SIZES rows of documents (128 tokens each, width-16 f16 activations: a narrow
# column, so the row count grows, not the bytes), one saestore-bench process per phase so each
# peak RSS is its own. Prints a table and writes benchmarks/scale/results.json.
#
#   benchmarks/scale/run.sh                                 # 1M, 10M and 100M rows
#   SIZES="1000000 10000000" WORK=/tmp/x benchmarks/scale/run.sh
# Stores are kept in WORK for reruns (about 40 bytes a row on disk); KEEP=0 removes them.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${SIZES:-"1000000 10000000 100000000"}
WORK=${WORK:-${TMPDIR:-/tmp}/saestore-scale-bench}
PHASES=${PHASES:-"build filter resume lookup append verify"}
OUT=benchmarks/scale/results.json
# SAESTORE_BENCH: an already built saestore-bench (skips the build).
if [[ -z ${SAESTORE_BENCH:-} ]]; then swift build -c release --product saestore-bench >/dev/null; fi
BENCH=${SAESTORE_BENCH:-$PWD/.build/release/saestore-bench}
mkdir -p "$WORK"
LINES=$(mktemp)
trap 'rm -f "$LINES"' EXIT

for rows in $SIZES; do
    store="$WORK/scale-$rows.store"
    for phase in $PHASES; do
        echo "$rows rows: $phase (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
        "$BENCH" scale --phase "$phase" --rows "$rows" --store "$store" | tee -a "$LINES"
    done
    [[ ${KEEP:-1} == 0 ]] && rm -rf "$store"
done

python3 - "$LINES" "$OUT" <<'PY'
import json, sys, platform
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}
for l in lines:
    by.setdefault(int(l["store_rows"]), {})[l["phase"]] = l
sizes = sorted(by)
def get(n, phase, key):
    return by[n].get(phase, {}).get(key)
rows = [
    ("row filter: peak RSS (MiB), 300 batches, --min-position 1", "filter", "peak_rss_mib", "{:.0f}"),
    ("row filter: anonymous RSS at the end (MiB)", "filter", "rss_anon_mib", "{:.0f}"),
    ("fresh start: open, count the filtered rows, first batch (ms)", "resume", "fresh_start_ms", "{:.1f}"),
    ("resume at 10% of an epoch: open, restore, first batch (ms)", "resume", "at_10pct_resume_ms", "{:.1f}"),
    ("resume at 90% of an epoch: open, restore, first batch (ms)", "resume", "at_90pct_resume_ms", "{:.1f}"),
    ("  replaying the draws to 90% instead (s)", "resume", "at_90pct_draws_seconds", "{:.1f}"),
    ("lookup context(row, ±12) warm p50 (ms)", "lookup", "warm_context_p50_ms", "{:.3f}"),
    ("lookup context(row, ±12) warm p99 (ms)", "lookup", "warm_context_p99_ms", "{:.3f}"),
    ("row -> document warm p99 (ms)", "lookup", "warm_row_to_document_p99_ms", "{:.4f}"),
    ("row -> chunk warm p99 (ms)", "lookup", "warm_row_to_chunk_p99_ms", "{:.4f}"),
    ("reader open (ms)", "lookup", "open_ms", "{:.1f}"),
    ("info (ms)", "lookup", "info_ms", "{:.1f}"),
    ("index bytes per row", "lookup", "index_bytes_per_row", "{:.2f}"),
    ("append 8192 rows as one part, p50 (ms)", "append", "append_8192_rows_p50_ms", "{:.1f}"),
    ("verify (s)", "verify", "seconds", "{:.1f}"),
    ("build (s)", "build", "seconds", "{:.1f}"),
]
header = f"{'cost':58}" + "".join(f"{n:>14,}" for n in sizes) + f"{'last/first':>12}"
print("\n" + header)
table = []
for label, phase, key, fmt in rows:
    values = [get(n, phase, key) for n in sizes]
    cells = "".join(f"{(fmt.format(v) if v is not None else '-'):>14}" for v in values)
    ratio = (values[-1] / values[0]) if values and values[0] and values[-1] is not None else None
    print(f"{label:58}{cells}{(f'{ratio:.2f}x' if ratio is not None else '-'):>12}")
    table.append({"cost": label, "values": dict(zip(map(str, sizes), values)), "last_over_first": ratio})
kernel = lines[0].get("kernel_set", "?") if lines else "?"
loads = sorted({round(l.get("load_1min", 0), 2) for l in lines})
print(f"\nrows per store: {', '.join(f'{n:,}' for n in sizes)}; width 16 f16; kernel set {kernel} (no phase calls BLAS); "
      f"load average (1 min) during the run {min(loads)}-{max(loads)}")
json.dump({"sizes": sizes, "table": table, "lines": lines, "machine": platform.platform(), "kernel_set": kernel},
          open(sys.argv[2], "w"), indent=1)
PY
