#!/usr/bin/env bash
# Single-thread GPT-2 tokenizer throughput: saestore vs tiktoken (and HF tokenizers), same file,
# same run. Builds release, makes ~10 MB of text that does not repeat (bench_tiktoken.py
# make-input: tinyshakespeare once, Debian changelogs, Python's standard library), times each
# best-of-3 (saestore with and without its word cache), checks the token counts agree, prints
# the ratios and writes benchmarks/tokenizer/results.json.
#
#   benchmarks/tokenizer/run.sh            # from anywhere; env: PYTHON, SAESTORE_DATA, MEGABYTES
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-${SAESTORE_PYTHON:-python3}}
DATA=${SAESTORE_DATA:-../shared/data}
MEGABYTES=${MEGABYTES:-10}
HERE=benchmarks/tokenizer
INPUT=$(mktemp -t saestore-tokenizer-bench.XXXXXX.txt)
trap 'rm -f "$INPUT"' EXIT

swift build -c release --product saestore >&2
INPUT_JSON=$(SAESTORE_DATA="$DATA" "$PYTHON" "$HERE/bench_tiktoken.py" make-input "$INPUT" --megabytes "$MEGABYTES" 2>&1 >/dev/null)
echo "input: $INPUT_JSON"

SWIFT_JSON=$(.build/release/saestore tokenize --model "$DATA/gpt2-tokenizer" --bench "$INPUT" --bench-repeats 3)
PEER_JSON=$(SAESTORE_DATA="$DATA" "$PYTHON" "$HERE/bench_tiktoken.py" run "$INPUT" --repeats 3)

INPUT_JSON="$INPUT_JSON" SWIFT_JSON="$SWIFT_JSON" PEER_JSON="$PEER_JSON" "$PYTHON" - "$HERE/results.json" <<'PY'
import json, os, platform, sys, datetime
swift = json.loads(os.environ["SWIFT_JSON"])
peers = [json.loads(line) for line in os.environ["PEER_JSON"].splitlines() if line.strip()]
rows = [("saestore", swift["token_count"], swift["megabytes_per_second"], swift["first_run_megabytes_per_second"]),
        ("saestore, no word cache", swift["token_count"], swift["uncached_megabytes_per_second"], float("nan"))]
rows += [(p["library"], p["token_count"], p["megabytes_per_second"], p["byte_count"] / 1e6 / p["first_run_seconds"]) for p in peers]
print(f"input: {swift['byte_count'] / 1e6:.1f} MB, single thread, best of {swift['repeats']}")
print(f"{'library':<24}{'tokens':>12}{'MB/s best':>12}{'MB/s first':>12}")
for name, count, best, first in rows:
    print(f"{name:<24}{count:>12}{best:>12.2f}{first:>12.2f}")
ok = all(p["token_count"] == swift["token_count"] for p in peers)
ratios = {p["library"]: swift["megabytes_per_second"] / p["megabytes_per_second"] for p in peers}
ratios_uncached = {p["library"]: swift["uncached_megabytes_per_second"] / p["megabytes_per_second"] for p in peers}
for name, ratio in ratios.items():
    print(f"saestore / {name}: {ratio:.2f}x (without the word cache {ratios_uncached[name]:.2f}x)")
print(f"load average: {os.getloadavg()[0]:.2f} (other work on the machine slows every row alike)")
print("token counts agree" if ok else "TOKEN COUNTS DIFFER")
json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": platform.machine(),
           "cpu_count": os.cpu_count(), "load_average": os.getloadavg()[0], "input": json.loads(os.environ["INPUT_JSON"]),
           "saestore": swift, "peers": peers, "ratios": ratios, "ratios_without_word_cache": ratios_uncached,
           "token_counts_agree": ok}, open(sys.argv[1], "w"), indent=2)
sys.exit(0 if ok else 1)
PY
