#!/usr/bin/env bash
# Peak memory of `saestore train --stream` against the shuffle buffer and the store's size.
#
# Stores of gpt2-shaped activation-like rows (make_data.py, d 768, f16 store) of SMALL_ROWS and
# BIG_ROWS rows; the seed SAE (8x = 6144 latents) is trained for one full epoch of each (so every
# chunk of the store is read once), with shuffle buffers of several sizes, and once with
# --no-stream (all rows read into memory first) for contrast. For each run: peak RSS as the kernel
# reports it (/usr/bin/time -v "Maximum resident set size" = VmHWM), and the peaks of its two
# parts sampled every 0.2 s from /proc/PID/status: RssAnon (heap: buffer, SAE, Adam, chunks in
# flight) and RssFile (pages of the store's mmapped segment files, which the kernel can drop
# at will since they are clean page cache).
#
#   benchmarks/train/rss.sh            # results in benchmarks/train/rss.json
#   BIG_ROWS=262144 BUFFERS="8192 32768" WORK=/tmp/x benchmarks/train/rss.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/work/venv/bin/python}
SMALL_ROWS=${SMALL_ROWS:-65536}
BIG_ROWS=${BIG_ROWS:-262144}
BUFFERS=${BUFFERS:-"8192 32768"}
WORK=${WORK:-${TMPDIR:-/tmp}/saestore-train-bench}
OUT=benchmarks/train/rss.json

swift build -c release --product saestore >/dev/null 2>&1
SAESTORE=$PWD/.build/release/saestore
mkdir -p "$WORK"
RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT

for rows in $SMALL_ROWS $BIG_ROWS; do
    if [[ ! -d "$WORK/gpt2-$rows.store" ]]; then
        [[ -f "$WORK/gpt2-$rows.npy" ]] || "$PYTHON" benchmarks/train/make_data.py "$WORK/gpt2-$rows.npy" --rows "$rows" >&2
        "$SAESTORE" import "$WORK/gpt2-$rows.store" --column acts "$WORK/gpt2-$rows.npy" --dtype f16 --quiet >&2
    fi
done

# measure NAME ROWS BUFFER STEPS [extra saestore train options...]
measure() {
    local name=$1 rows=$2 buffer=$3 steps=$4
    shift 4
    local run="$WORK/rss-run-$name"
    rm -rf "$run"
    echo "$name: $rows rows, buffer $buffer, $steps steps $* (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    /usr/bin/time -v -o "$WORK/time.txt" "$SAESTORE" train --store "$WORK/gpt2-$rows.store" --hook acts --out "$run" \
        --max-steps "$steps" --shuffle-buffer-rows "$buffer" --checkpoint-every 0 --log-every 64 --json "$@" \
        >"$WORK/summary.json" &
    local timer=$! pid="" anon=0 file=0
    while kill -0 "$timer" 2>/dev/null; do
        [[ -n $pid ]] || pid=$(cat "/proc/$timer/task/$timer/children" 2>/dev/null | awk '{print $1}')
        if [[ -n $pid && -r /proc/$pid/status ]]; then
            local a f
            a=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
            f=$(awk '/^RssFile/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
            (( ${a:-0} > anon )) && anon=$a
            (( ${f:-0} > file )) && file=$f
        fi
        sleep 0.2
    done
    wait "$timer"
    local peak
    peak=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    "$PYTHON" - "$name" "$rows" "$buffer" "$peak" "$anon" "$file" "$WORK/summary.json" "$WORK/gpt2-$rows.store" "$*" <<'PY' >>"$RAW"
import json, os, sys
name, rows, buffer, peak, anon, file, summary, store, extra = sys.argv[1:]
rows, buffer = int(rows), int(buffer)
s = json.load(open(summary))
disk = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(store) for f in fs)
print(json.dumps({"run": name, "options": extra, "store_rows": rows, "width": 768,
                  "store_decoded_MiB": rows * 768 * 4 / 2**20, "store_disk_MiB": disk / 2**20,
                  "buffer_rows": buffer, "buffer_MiB": buffer * 768 * 4 / 2**20,
                  "steps": s["steps"], "tokens": s["tokens"], "tokens_per_second": s["tokensPerSecond"],
                  "peak_rss_MiB": int(peak) / 1024, "peak_rss_anon_MiB": int(anon) / 1024,
                  "peak_rss_file_MiB": int(file) / 1024}))
PY
    rm -rf "$run"
}

small_epoch=$(( SMALL_ROWS / 512 ))
big_epoch=$(( BIG_ROWS / 512 ))
first_buffer=${BUFFERS%% *}
measure "small-store" "$SMALL_ROWS" "$first_buffer" "$small_epoch"
for buffer in $BUFFERS; do
    measure "big-store-buffer-$buffer" "$BIG_ROWS" "$buffer" "$big_epoch"
done
measure "big-store-no-stream" "$BIG_ROWS" "$first_buffer" 64 --no-stream

"$PYTHON" - "$RAW" "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"\n{'run':<26}{'store rows':>11}{'decoded MiB':>12}{'on disk MiB':>12}{'buffer MiB':>11}{'steps':>7}"
      f"{'peak RSS MiB':>13}{'anon MiB':>10}{'file MiB':>10}")
for r in rows:
    print(f"{r['run']:<26}{r['store_rows']:>11}{r['store_decoded_MiB']:>12.0f}{r['store_disk_MiB']:>12.0f}"
          f"{r['buffer_MiB']:>11.0f}{r['steps']:>7}{r['peak_rss_MiB']:>13.0f}{r['peak_rss_anon_MiB']:>10.0f}"
          f"{r['peak_rss_file_MiB']:>10.0f}")
json.dump(rows, open(sys.argv[2], "w"), indent=1)
print("peak RSS = /usr/bin/time's maximum resident set size; anon/file = sampled peaks of RssAnon/RssFile.")
PY
