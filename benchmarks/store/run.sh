#!/usr/bin/env bash
# Store codecs on real activations: the tiny trained GPT-2 in ../shared/data run over
# tinyshakespeare (blocks.2.hook_resid_pre, 128-token windows), stored with every codec,
# with and without the byte shuffle, against a raw .npy of the same floats.
# Prints one JSON line per configuration and writes benchmarks/store/results.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=${MODEL:-../shared/data/models/tiny-shakespeare-gpt2}
CORPUS=${CORPUS:-../shared/data/corpora/tinyshakespeare.txt}
swift build -c release --product saestore-bench >/dev/null
.build/release/saestore-bench store --model "$MODEL" --corpus "$CORPUS" --tokens "${TOKENS:-200000}" | tee benchmarks/store/results.jsonl
python3 - <<'PY'
import json
rows = [json.loads(l) for l in open("benchmarks/store/results.jsonl")]
raw = rows[0]
print(f"\n{'config':32} {'bytes/value':>11} {'vs raw':>7} {'write MB/s':>10} {'read MB/s':>10} {'rel.err':>8}")
for r in rows:
    print(f"{r['config']:32} {r['bytes_per_value']:11.3f} {raw['bytes_per_value']/r['bytes_per_value']:6.2f}x "
          f"{r['write_MBps']:10.0f} {r['read_MBps']:10.0f} {r.get('relative_error', 0):8.5f}")
json.dump(rows, open("benchmarks/store/results.json", "w"), indent=1)
PY
rm -f benchmarks/store/results.jsonl
