#!/usr/bin/env bash
# Corpus reading throughput: saestore's CorpusReader (via `saestore corpus`) vs a Python read
# loop (stdlib json, orjson) on the same ~100 MB OpenWebText-like JSONL, plain, .zst and .gz,
# same run. Best of 3 each; checks document and text-byte counts agree, prints MB/s of
# decompressed JSONL and the ratios, writes benchmarks/corpus/results.json.
#
#   benchmarks/corpus/run.sh     # from anywhere; env: PYTHON, SAESTORE_DATA, MEGABYTES
# Needs the zstd and gzip CLIs; the Python peers need `pip install zstandard orjson` (optional).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venv/bin/python}
DATA=${SAESTORE_DATA:-../shared/data}
MEGABYTES=${MEGABYTES:-100}
HERE=benchmarks/corpus
WORK=$(mktemp -d -t saestore-corpus-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# The CLI links OpenBLAS, whose idle worker threads would otherwise spin on a 2-core machine.
export OPENBLAS_NUM_THREADS=1

swift build -c release --product saestore >&2
SAESTORE_DATA="$DATA" "$PYTHON" "$HERE/bench_python.py" make-input "$WORK/owt.jsonl" --megabytes "$MEGABYTES"
zstd -q -3 "$WORK/owt.jsonl" -o "$WORK/owt.jsonl.zst"
gzip -6 -k "$WORK/owt.jsonl"

RESULTS=""
for file in owt.jsonl owt.jsonl.zst owt.jsonl.gz; do
    for repeat in 1 2 3; do
        RESULTS+="$(.build/release/saestore corpus "$WORK/$file" --json | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); d["library"]="saestore"; print(json.dumps(d))')"$'\n'
        for parser in json orjson; do
            RESULTS+="$("$PYTHON" "$HERE/bench_python.py" run "$WORK/$file" --parser "$parser" 2>/dev/null || true)"$'\n'
        done
    done
done

RESULTS="$RESULTS" "$PYTHON" - "$HERE/results.json" <<'PY'
import json, os, platform, sys, datetime
runs = [json.loads(line) for line in os.environ["RESULTS"].splitlines() if line.strip()]
best = {}
for run in runs:
    key = (run["library"], os.path.basename(run.get("file") or run.get("path")))
    if key not in best or run["seconds"] < best[key]["seconds"]:
        best[key] = run
files = ["owt.jsonl", "owt.jsonl.zst", "owt.jsonl.gz"]
libraries = sorted({library for library, _ in best}, key=lambda name: (name != "saestore", name))
print(f"input: {best[('saestore', 'owt.jsonl')]['decompressed_bytes'] / 1e6:.1f} MB JSONL, single thread, best of 3, MB/s of decompressed JSONL")
print(f"{'reader':<16}" + "".join(f"{name:>16}" for name in files))
for library in libraries:
    print(f"{library:<16}" + "".join(f"{best[(library, name)]['decompressed_megabytes_per_second']:>16.0f}" if (library, name) in best else f"{'-':>16}" for name in files))
ratios, agree = {}, True
for (library, name), run in best.items():
    ours = best[("saestore", name)]
    if library == "saestore":
        continue
    ratios[f"{name}: saestore / {library}"] = run["seconds"] / ours["seconds"]
    agree &= run["documents"] == ours["documents"] and run["text_bytes"] == ours["text_bytes"]
for key, ratio in sorted(ratios.items()):
    print(f"{key}: {ratio:.2f}x")
print("document and text-byte counts agree" if agree else "COUNTS DIFFER")
json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": platform.machine(),
           "cpu_count": os.cpu_count(), "best": [best[key] for key in sorted(best)], "ratios": ratios,
           "counts_agree": agree}, open(sys.argv[1], "w"), indent=2)
sys.exit(0 if agree else 1)
PY
