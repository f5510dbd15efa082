#!/usr/bin/env bash
# The sparsity frontier on the tiny Shakespeare model (docs/SAE.md, "Frontier"): each
# architecture at a few sparsities on blocks.2.hook_resid_pre, trained 3 epochs on the first
# 90 % of rows and evaluated (FVE, L0, dead latents, CE with the model, monosemanticity) on the
# held-out 10 %, then one table and one SVG plot (FVE vs L0, ΔCE vs L0, a line per architecture).
#
#   scripts/frontier.sh [WORKDIR] [MEMBERS...]   (default /tmp/saestore-frontier; members below)
#
# All members train from ONE pass over the store (`saestore sweep --member`, each on its own
# thread), so they see the same batches in the same order and are evaluated on the same rows;
# WORKDIR/sweep/sweep.md has the sweep's own table (with the monosemanticity medians and the
# MLP-neuron and residual baselines). A member is a sweep --member SPEC (docs/EVALUATION.md,
# "Sweeps"). A finished sweep is kept; delete WORKDIR/sweep to retrain.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/data
WORK=${1:-/tmp/saestore-frontier}
shift || true
MODEL=$DATA/models/tiny-shakespeare-gpt2
HOOK=blocks.2.hook_resid_pre
MEMBERS=("$@")
if [ ${#MEMBERS[@]} -eq 0 ]; then
    MEMBERS=(
        "tied:l1=1e-2"
        "topk:k=16"
        "batchtopk:k=16"
        "batchtopk:k=16:auxk=0.03125:dead-window=100000"
        "jumprelu:l0=1"
        "gated:l1=3e-2"
        "matryoshka:k=16:widths=64,256"
    )
fi
# SAESTORE=path/to/saestore uses that binary instead of building one.
BIN=${SAESTORE:-.build/release/saestore}
[ -n "${SAESTORE:-}" ] || swift build -c release --product saestore >/dev/null
mkdir -p "$WORK"
[ -d "$WORK/shakespeare.store" ] || $BIN ingest --model "$MODEL" --corpus $DATA/corpora/tinyshakespeare.txt \
    --store "$WORK/shakespeare.store" --hook $HOOK --context 128 --no-prepend-bos --quiet
ROWS=$($BIN info "$WORK/shakespeare.store" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rowCount"])')
TRAIN_END=$((ROWS * 9 / 10))
if [ ! -f "$WORK/sweep/sweep.json" ]; then
    rm -rf "$WORK/sweep"
    args=()
    for member in "${MEMBERS[@]}"; do args+=(--member "$member"); done
    echo "sweep of ${#MEMBERS[@]} members (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    $BIN sweep --store "$WORK/shakespeare.store" --hook $HOOK --out "$WORK/sweep" --rows ..$TRAIN_END --epochs 3 \
        --model "$MODEL" --quiet "${args[@]}"
fi
python3 scripts/frontier_plot.py "$WORK/sweep" docs/images/frontier-tiny-shakespeare.svg
