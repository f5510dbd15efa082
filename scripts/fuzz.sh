#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in fuzz/<target>/main.swift (docs/RELIABILITY.md).
#
#   scripts/fuzz.sh                 # every target, FUZZ_SECONDS (default 60) each
#   scripts/fuzz.sh npy jsonl       # some targets
#   FUZZ_SECONDS=5 scripts/fuzz.sh  # a shorter run
#   scripts/fuzz.sh --smoke         # every target for 3 s (FUZZ_SECONDS), failing on any crash
#   FUZZ_JOBS=2 scripts/fuzz.sh --smoke   # what scripts/test.sh (CI) runs: 2 builds at a time
#
# Each target is one swiftc invocation with -sanitize=fuzzer,address that compiles the
# harness together with the module sources it fuzzes, so harnesses reach internal parsers
# without @testable (which a fuzzer binary cannot use). Modules the sources `import` but whose
# code is compiled in anyway (TensorIO for ActStore's codec) are satisfied by an empty stub
# module. Not part of Package.swift; scripts/test.sh (CI) runs `--smoke` after the tests, so a
# harness that stops building or a crash fails CI. FUZZ_JOBS=N builds N targets at once.
#
# Output: .build-fuzz/bin/<target> binaries, .build-fuzz/corpus/<target> (seeded from committed
# fixtures, grown by libFuzzer), .build-fuzz/logs/<target>.log, and crash-* / leak-* files in
# .build-fuzz/artifacts/<target>/. A crash exits non-zero; reproduce with
# `.build-fuzz/bin/<target> <crash file>`.
set -euo pipefail
# Swift's own crash backtracer fights ASan over the crashed process; libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no
cd "$(dirname "$0")/.."
root=$PWD
out=$root/.build-fuzz
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
seconds=${FUZZ_SECONDS:-$([ $smoke = 1 ] && echo 3 || echo 60)}
# FUZZ_OPT=-Onone builds in a third of the time, but the store harness then needs over 10 s
# for one input (CRC-32C and decoding unoptimised), so CI keeps the default -O too.
opt=${FUZZ_OPT:--O}
# Seconds one input may take before libFuzzer calls it a hang: a smoke run on a loaded machine
# gets more slack (a real hang still shows in a real run).
unit_timeout=${FUZZ_TIMEOUT:-$([ $smoke = 1 ] && echo 30 || echo 10)}
all_targets=(safetensors npy tokenizer jsonl corpus records chunk config store)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
mkdir -p "$out/bin" "$out/stubs" "$out/logs" "$out/scratch"

# swiftc prints hundreds of harmless gold warnings about ASan's local symbols.
quiet_link() { grep -v "Cannot export local symbol" || true; }

stub() {  # an empty module named $1, for `import $1` in sources compiled into the target
    [ -f "$out/stubs/$1.swiftmodule" ] && return
    echo "// stub" > "$out/stubs/$1.swift"
    swiftc -emit-module -parse-as-library -module-name "$1" "$out/stubs/$1.swift" -o "$out/stubs/$1.swiftmodule"
}

sources() {
    case $1 in
    safetensors|npy) ls Sources/TensorIO/*.swift Sources/TensorIO/*/*.swift ;;
    tokenizer) ls Sources/Extract/Tokenizer/*.swift ;;
    jsonl|corpus) ls Sources/Extract/Corpus/*.swift ;;
    records|chunk) ls Sources/TensorIO/*.swift Sources/TensorIO/*/*.swift Sources/ActStore/Format/*.swift Sources/ActStore/Codec/*.swift Sources/ActStore/Store/StoreError.swift ;;
    config) ls Sources/Extract/Model/GPT2Config.swift Sources/Extract/Model/GPT2ModelError.swift Sources/Extract/Model/GPT2Weights.swift \
               Sources/Extract/Model/GPT2LayerWeights.swift Sources/Extract/Model/HookPoint.swift Sources/Extract/Model/HookPointError.swift \
               Sources/Extract/Model/Kernels/Kernels.swift Sources/Extract/Model/Kernels/Kernels+GELU.swift ;;
    store) ls Sources/TensorIO/*.swift Sources/TensorIO/*/*.swift Sources/ActStore/*/*.swift ;;
    esac
}

seed() {  # $1 target, $2 corpus dir
    case $1 in
    safetensors) find Tests -name '*.safetensors' -size -300k -exec cp {} "$2/" \; ;;
    npy) cp Tests/TensorIOTests/Fixtures/*.npy "$2/" ;;
    tokenizer)
        # GPT-2's real files cut to a self-consistent prefix (the first 256 byte tokens and the
        # first merges whose parts and result are among them), when shared/data has them.
        local tok=../shared/data/gpt2-tokenizer
        if [ -f $tok/vocab.json ] && command -v python3 > /dev/null; then
            python3 - "$tok" "$2/gpt2-prefix" <<'PY'
import json, sys
vocab = json.load(open(sys.argv[1] + "/vocab.json", encoding="utf-8"))
lines = open(sys.argv[1] + "/merges.txt", encoding="utf-8").read().split("\n")[1:]
keep = {t: i for t, i in vocab.items() if i < 256}
merges = []
for line in lines:
    if len(merges) == 40: break
    a, b = line.split(" ")
    if a in keep and b in keep and a + b in vocab:
        keep[a + b] = vocab[a + b]; merges.append(line)
ids = sorted(keep.values()); remap = {i: n for n, i in enumerate(ids)}
small = {t: remap[i] for t, i in keep.items()}
open(sys.argv[2], "wb").write(json.dumps(small).encode() + b"\0#version: 0.2\n" + "\n".join(merges).encode() + b"\n")
PY
        fi
        printf '{"a": 0, "b": 1, "ab": 2, "\\u0120": 3}\0#version: 0.2\na b\n' > "$2/hand-pair" ;;
    jsonl)
        printf '{"text": "hello"}' > "$2/plain"
        printf '{"id": 3, "text": "a\\u00e9\\n\\ud83d\\ude00", "meta": {"x": [1, 2.5e3, true, null]}}' > "$2/escapes"
        printf '{"text": "x", "text": "y"}' > "$2/repeat" ;;
    corpus)
        printf '\000{"text": "one"}\n{"text": "two"}\n' > "$2/jsonl"
        { printf '\001'; printf '{"text": "zst"}\n{"text": "two"}\n' | zstd -q -c; } > "$2/zst"
        { printf '\002'; printf '{"text": "gz"}\n' | gzip -c; } > "$2/gz"
        printf '\004para one\n\npara two\n' > "$2/text" ;;
    records)
        printf '\001\000\000\000\000\000\000\000\011\000\000\000\000\000\000\000\002\000\000\000\000\000\000\000\003\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' > "$2/commit"
        printf '\001\001\001\000\000\000\000\000\010\000\000\000\000\000\000\000\100\000\000\000\200\000\000\000\000\000\000\000\000\000\000\000\040\000\000\000\001\002\003\004' > "$2/chunk"
        printf '\001\000\000\000\000\000\000\000\000\005\000\000\000\000\000\000\000\007\000\000\000\000\000\000\000\042\000\000\000' > "$2/doc" ;;
    chunk) SAESTORE_FUZZ_WRITE_SEEDS="$2" "$out/bin/chunk" -runs=0 "$out/scratch" > /dev/null 2>&1 ;;
    config)
        find Tests ../shared/data/models -name config.json -size -20k -exec sh -c 'cp "$1" "$2/$(echo "$1" | cksum | cut -d" " -f1).json"' _ {} "$2" \; 2>/dev/null || true
        printf '{"n_layer": 2, "n_head": 2, "n_embd": 8, "n_ctx": 16, "vocab_size": 300, "n_inner": null, "activation_function": "gelu"}' > "$2/small" ;;
    store)
        # Edits as the harness reads them: one XOR in segment 0, one in the index, a truncation.
        printf '\000\100\000\000\000\001' > "$2/segment-byte"
        printf '\001\000\040\000\000\004' > "$2/index-byte"
        printf '\002\000\002\000\000\000' > "$2/segment-cut" ;;
    esac
}

stub TensorIO

build() {  # $1 target; output in $out/logs/$1.build.log
    local target=$1
    # Rebuild only when the harness or a source it compiles is newer than the binary, or the
    # optimisation level changed.
    # shellcheck disable=SC2046
    if [ -x "$out/bin/$target" ] && [ "$(cat "$out/bin/$target.opt" 2>/dev/null)" = "$opt" ] \
        && [ -z "$(find $(sources "$target") fuzz/common "fuzz/$target" -newer "$out/bin/$target" -print -quit)" ]; then
        echo "== $target: up to date"
        return 0
    fi
    echo "== $target: build"
    # -package-name: the module sources use `package` access (MappedFile, …), which swiftc
    # accepts only inside a named package; SwiftPM passes the package's name the same way.
    # shellcheck disable=SC2046
    if swiftc -sanitize=fuzzer,address -parse-as-library "$opt" -package-name saestore -module-name "Fuzz_$target" \
        -I "$out/stubs" -I Sources/CZstd -I Sources/CZlib \
        -I Sources/CLMDB $(sources "$target") fuzz/common/*.swift "fuzz/$target/main.swift" \
        -lzstd -lz -llmdb -o "$out/bin/$target.new" > "$out/logs/$target.build.log" 2>&1; then
        mv "$out/bin/$target.new" "$out/bin/$target"
        echo "$opt" > "$out/bin/$target.opt"
    else
        rm -f "$out/bin/$target.new"
        echo "   BUILD FAILED ($target): $out/logs/$target.build.log"
        quiet_link < "$out/logs/$target.build.log" | grep -E "error|warning: unre" | head -5 | sed 's/^/   /'
        return 1
    fi
}

# Builds first, FUZZ_JOBS (default 1) swiftc processes at a time, then the fuzzing itself one
# target after another (each fuzzer is single-threaded and its timing is its budget).
jobs=${FUZZ_JOBS:-1}
status=0
pids=()
for target in "${targets[@]}"; do
    build "$target" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

for target in "${targets[@]}"; do
    if [ ! -x "$out/bin/$target" ]; then status=1; continue; fi
    corpus=$out/corpus/$target
    artifacts=$out/artifacts/$target
    mkdir -p "$corpus" "$artifacts"
    [ -z "$(ls -A "$corpus")" ] && seed "$target" "$corpus"
    echo "== $target: fuzz ${seconds}s ($(ls "$corpus" | wc -l) inputs in corpus)"
    dict=()
    [ -f "fuzz/$target/dict" ] && dict=(-dict="fuzz/$target/dict")
    if FUZZ_SCRATCH_DIR="$out/scratch" "$out/bin/$target" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
        -timeout="$unit_timeout" -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" > "$out/logs/$target.log" 2>&1; then
        echo "   ok: $(grep -E '^#[0-9]+.*(DONE|pulse)' "$out/logs/$target.log" | tail -1)"
        grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$out/logs/$target.log" | sed 's/^/   /'
    else
        status=1
        echo "   FAILED: see $out/logs/$target.log and $artifacts/"
        grep -E 'ERROR|Fatal error|Precondition|crash-|SUMMARY' "$out/logs/$target.log" | head -5 | sed 's/^/   /'
    fi
done
[ $status = 0 ] && echo "fuzz: ${#targets[@]} targets built and fuzzed ${seconds}s each, no crash" || echo "fuzz: FAILED (see above)"
exit $status
