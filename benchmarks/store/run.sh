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
# vs raw f32 (the .npy, 4 B/value) and vs raw f16 (2 B/value, what an f16 cache without
# compression costs); errors per coordinate: largest |x - x̂| and RMS of x - x̂ (RMS of x beside).
print(f"\n{'config':32} {'bytes/value':>11} {'vs f32':>7} {'vs f16':>7} {'write MB/s':>10} {'read MB/s':>10} "
      f"{'rel.err':>8} {'max err':>9} {'RMS err':>9}")
for r in rows:
    print(f"{r['config']:32} {r['bytes_per_value']:11.3f} {raw['bytes_per_value']/r['bytes_per_value']:6.2f}x "
          f"{2.0/r['bytes_per_value']:6.2f}x {r['write_MBps']:10.0f} {r['read_MBps']:10.0f} {r.get('relative_error', 0):8.5f} "
          f"{r.get('max_abs_error', 0):9.3g} {r.get('rms_error', 0):9.3g}")
print(f"RMS of the activations: {rows[1].get('value_rms', 0):.3g}")
json.dump(rows, open("benchmarks/store/results.json", "w"), indent=1)
PY
rm -f benchmarks/store/results.jsonl
