#!/usr/bin/env bash
# End-to-end evaluation on the tiny Shakespeare model (docs/EVALUATION.md, "Measured"):
# ingest tinyshakespeare (one document, 128-token windows without BOS), train the seed SAE on
# blocks.2.hook_resid_pre over the first 90 % of rows for 3 epochs, evaluate it on the last 10 %
# with the model, then sweep λ. About 10 minutes on 2 busy cores (release build).
#
#   scripts/evaluate_tiny.sh [WORKDIR]      (default /tmp/saestore-evaluate-tiny)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/data
WORK=${1:-/tmp/saestore-evaluate-tiny}
MODEL=$DATA/models/tiny-shakespeare-gpt2
HOOK=blocks.2.hook_resid_pre
# Release (the test build, -enable-testing, is release too): a debug build is 10-100x slower.
swift build -c release --product saestore >/dev/null
BIN=.build/release/saestore
mkdir -p "$WORK"
[ -d "$WORK/shakespeare.store" ] || $BIN ingest --model "$MODEL" --corpus $DATA/corpora/tinyshakespeare.txt \
    --store "$WORK/shakespeare.store" --hook $HOOK --context 128 --no-prepend-bos --quiet
ROWS=$($BIN info "$WORK/shakespeare.store" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rowCount"])')
TRAIN_END=$((ROWS * 9 / 10))
[ -d "$WORK/run-l1e-3/sae" ] || $BIN train --store "$WORK/shakespeare.store" --hook $HOOK --out "$WORK/run-l1e-3" \
    --rows ..$TRAIN_END --epochs 3 --l1 1e-3 --quiet
$BIN evaluate --sae "$WORK/run-l1e-3" --model "$MODEL" --quiet
rm -rf "$WORK/sweep"
$BIN sweep --store "$WORK/shakespeare.store" --hook $HOOK --out "$WORK/sweep" --l1 1e-3,3e-3,1e-2,3e-2,4e-2 \
    --epochs 3 --rows ..$TRAIN_END --model "$MODEL" --quiet
