#!/usr/bin/env bash
# Shuffle quality of the streaming loader (StoreBatchSource) on long, contiguously stored
# documents: a synthetic store of DOCS documents of DOC_TOKENS rows (positions in 128-token
# windows with a BOS, as saestore ingest lays documents out), chunks of CHUNK_ROWS rows. For a
# contiguous (unshuffled) read and several shuffle-buffer sizes, over one whole epoch of batches
# of 512: mean distinct documents per batch and mean largest share of a batch from one document,
# against batches drawn uniformly from the same rows (ShuffleQuality.measure).
#
#   benchmarks/train/shuffle.sh        # results in benchmarks/train/shuffle.json
set -euo pipefail
cd "$(dirname "$0")/../.."
DOCS=${DOCS:-200}
DOC_TOKENS=${DOC_TOKENS:-2000}
CHUNK_ROWS=${CHUNK_ROWS:-"8192 2048"}
BUFFERS=${BUFFERS:-"2048 8192 32768 65536 131072"}
WORK=${WORK:-${TMPDIR:-/tmp}/saestore-train-bench}
OUT=benchmarks/train/shuffle.json
swift build -c release --product saestore-bench >/dev/null 2>&1
mkdir -p "$WORK"
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT
for chunk in $CHUNK_ROWS; do
    # shellcheck disable=SC2086
    .build/release/saestore-bench shuffle --docs "$DOCS" --doc-tokens "$DOC_TOKENS" --chunk-rows "$chunk" \
        --buffer-rows $BUFFERS --scratch "$WORK/shuffle-store" >>"$RAW"
done
python3 - "$RAW" "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r0 = rows[0]
print(f"{r0['documents']} documents x {r0['store_rows'] // r0['documents']} rows stored contiguously; batches of {r0['batch']}, "
      f"one epoch ({r0['batches']} batches) each")
print(f"{'chunk rows':>10}{'read':>12}{'buffer rows':>12}{'distinct docs':>15}{'uniform':>9}{'largest share':>15}{'uniform':>9}")
for r in rows:
    print(f"{r['chunk_rows']:>10}{r['read']:>12}{r['buffer_rows'] or '-':>12}{r['distinct_documents']:>15.1f}"
          f"{r['uniform_distinct_documents']:>9.1f}{r['largest_document_share']:>15.3f}{r['uniform_largest_document_share']:>9.3f}")
json.dump(rows, open(sys.argv[2], "w"), indent=1)
PY
