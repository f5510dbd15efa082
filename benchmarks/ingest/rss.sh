#!/usr/bin/env bash
# Peak memory of `saestore ingest` as the corpus grows: the same model and settings over
# 1,000 and then all ~7,200 paragraphs of tinyshakespeare. Peak RSS should stay flat.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
swift build -c release --product saestore >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for docs in 1000 4000 100000; do
  /usr/bin/time -v .build/release/saestore ingest --model demo/model --corpus ../shared/data/corpora/tinyshakespeare.txt \
    --separator '\n\n' --store "$scratch/s$docs" --hook blocks.2.hook_resid_pre --max-docs $docs --quiet 2>"$scratch/time" \
    | sed 's/^/  /'
  echo "  max-docs $docs: peak RSS $(awk '/Maximum resident/ {print int($6/1024)}' "$scratch/time") MiB"
done
