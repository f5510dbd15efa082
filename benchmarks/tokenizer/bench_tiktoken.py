#!/usr/bin/env python3
"""Single-thread tokenizer throughput of the peers, on the same file saestore is timed on.

Usage (benchmarks/tokenizer/run.sh calls this):
    bench_tiktoken.py make-input OUT [--megabytes 10]   # ~N MB of text that does not repeat
    bench_tiktoken.py run FILE [--repeats 3]            # prints one JSON line per library

tiktoken: gpt2.tiktoken with GPT-2's pat_str, `encode_ordinary` (one thread; the batch API is
the threaded one). tokenizers: BPE.from_file + ByteLevel, `encode` of one string, with
RAYON_NUM_THREADS=1 so it cannot parallelise. MB = 10^6 bytes; "best" is the fastest repeat.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("SAESTORE_DATA", os.path.normpath(os.path.join(ROOT, "..", "shared", "data")))
TOK_DIR = os.path.join(DATA, "gpt2-tokenizer")
GPT2_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def make_input(out, megabytes):
    """Text that does not repeat, so the word cache meets words the way it does on a real corpus
    (not a file read nine times over): tinyshakespeare once (verse), then the Debian package
    changelogs of this machine (English prose with names, versions and addresses), then the
    Python standard library's sources (code), a third of the budget each after Shakespeare;
    files in path order, each distinct file once. Prints what went in."""
    import glob, gzip, hashlib, sysconfig
    budget = int(megabytes * 1e6)
    shakespeare = open(os.path.join(DATA, "corpora", "tinyshakespeare.txt"), encoding="utf-8").read()
    parts = [("tinyshakespeare", [shakespeare])]
    share = max(0, budget - len(shakespeare.encode("utf-8"))) // 2
    seen = set()

    def distinct(paths, read, limit):
        texts, total = [], 0
        for path in paths:
            try:
                text = read(path)
            except (OSError, UnicodeDecodeError):
                continue
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            if digest in seen or not text.strip():
                continue
            seen.add(digest)
            texts.append(text)
            total += len(text.encode("utf-8"))
            if total >= limit:
                break
        return texts

    changelogs = sorted(glob.glob("/usr/share/doc/*/changelog*.gz"))
    parts.append(("debian changelogs", distinct(changelogs, lambda p: gzip.open(p, "rt", encoding="utf-8").read(), share)))
    stdlib = sysconfig.get_paths()["stdlib"]
    sources = sorted(p for p in glob.glob(os.path.join(stdlib, "**", "*.py"), recursive=True) if "site-packages" not in p)
    parts.append(("python stdlib", distinct(sources, lambda p: open(p, encoding="utf-8").read(), share)))
    text = "\n".join(t for _, texts in parts for t in texts)
    data = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    with open(out, "w", encoding="utf-8") as f:
        f.write(data)
    lines = data.split("\n")
    summary = {name: sum(len(t.encode("utf-8")) for t in texts) for name, texts in parts}
    print(json.dumps({"input_bytes": len(data.encode("utf-8")), "sources_bytes": summary,
                      "distinct_line_fraction": len(set(lines)) / max(len(lines), 1)}), file=sys.stderr)


def timed(fn, text, repeats):
    times, count = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        count = len(fn(text))
        times.append(time.perf_counter() - start)
    return count, times


def run(path, repeats):
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    from tokenizers import Tokenizer, models, pre_tokenizers

    text = open(path, encoding="utf-8").read()
    byte_count = len(text.encode("utf-8"))
    enc = tiktoken.Encoding(name="gpt2_local", pat_str=GPT2_PAT,
                            mergeable_ranks=load_tiktoken_bpe(os.path.join(TOK_DIR, "gpt2.tiktoken")),
                            special_tokens={"<|endoftext|>": 50256})
    hf = Tokenizer(models.BPE.from_file(os.path.join(TOK_DIR, "vocab.json"), os.path.join(TOK_DIR, "merges.txt")))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    libraries = [("tiktoken", tiktoken.__version__, enc.encode_ordinary),
                 ("tokenizers", __import__("tokenizers").__version__, lambda t: hf.encode(t).ids)]
    for name, version, fn in libraries:
        count, times = timed(fn, text, repeats)
        print(json.dumps({
            "library": name, "version": version, "file": path, "byte_count": byte_count,
            "token_count": count, "first_run_seconds": times[0], "best_seconds": min(times),
            "megabytes_per_second": byte_count / 1e6 / min(times), "repeats": repeats,
        }), flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make-input")
    make.add_argument("out")
    make.add_argument("--megabytes", type=float, default=10)
    bench = sub.add_parser("run")
    bench.add_argument("file")
    bench.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.command == "make-input":
        make_input(args.out, args.megabytes)
    else:
        run(args.file, args.repeats)


if __name__ == "__main__":
    sys.exit(main())
