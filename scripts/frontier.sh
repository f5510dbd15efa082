#!/usr/bin/env bash
# The sparsity frontier on the tiny Shakespeare model (docs/SAE.md, "Frontier"): each
# architecture at a few sparsities on blocks.2.hook_resid_pre, trained 3 epochs on the first
# 90 % of rows and evaluated (FVE, L0, dead latents, CE with the model) on the held-out 10 %,
# then one table and one SVG plot (FVE vs L0, ΔCE vs L0, a line per architecture).
#
#   scripts/frontier.sh [WORKDIR] [MEMBERS...]   (default /tmp/saestore-frontier; members below)
#
# Small on purpose (one sparsity per architecture near L0 16, a 3-epoch budget): the CPU it
# was measured on was shared. Add members to trace more of each curve.
#
# A member is NAME:ARCH:FLAGS (FLAGS with commas for spaces). Runs already trained are kept.
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
        "tied-l1e-2:tied:--l1,1e-2"
        "topk-k16:topk:--k,16"
        "batchtopk-k16:batchtopk:--k,16"
        "batchtopk-k16-auxk:batchtopk:--k,16,--auxk,0.03125,--dead-window-tokens,100000"
        "jumprelu-l0-1:jumprelu:--l0,1"
        "matryoshka-k16:matryoshka:--k,16,--matryoshka-widths,64,256"
    )
fi
# SAESTORE=path/to/saestore uses that binary instead of building one.
BIN=${SAESTORE:-.build/debug/saestore}
[ -n "${SAESTORE:-}" ] || swift build -c debug --product saestore >/dev/null
mkdir -p "$WORK"
[ -d "$WORK/shakespeare.store" ] || $BIN ingest --model "$MODEL" --corpus $DATA/corpora/tinyshakespeare.txt \
    --store "$WORK/shakespeare.store" --hook $HOOK --context 128 --no-prepend-bos --quiet
ROWS=$($BIN info "$WORK/shakespeare.store" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rowCount"])')
TRAIN_END=$((ROWS * 9 / 10))
for member in "${MEMBERS[@]}"; do
    IFS=: read -r name arch flags <<<"$member"
    run="$WORK/$name"
    # shellcheck disable=SC2086
    [ -f "$run/evaluation.json" ] || {
        $BIN train --store "$WORK/shakespeare.store" --hook $HOOK --out "$run" --arch "$arch" \
            --rows ..$TRAIN_END --epochs 3 --quiet ${flags//,/ }
        $BIN evaluate --sae "$run" --model "$MODEL" --no-baselines --quiet >"$run/evaluate.txt"
    }
    echo "$name done"
done
python3 scripts/frontier_plot.py "$WORK" docs/images/frontier-tiny-shakespeare.svg
