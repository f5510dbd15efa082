"""Python peers for benchmarks/corpus/run.sh: the same corpus read line by line the way a
Python ingest loop does it (stdlib json / orjson; gzip module; zstandard stream reader),
counting documents and text bytes so the totals can be checked against saestore's.

    python bench_python.py make-input OUT.jsonl --megabytes 100   # OpenWebText-like JSONL
    python bench_python.py run FILE [--parser json|orjson]        # one JSON line of results
"""
import argparse, io, json, os, random, sys, time

DATA = os.environ.get("SAESTORE_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))


def make_input(out, megabytes):
    # Documents of 500 B - 8 KB cut from tinyshakespeare, with a sprinkling of non-ASCII text
    # and JSON escapes, written like HF datasets' to_json (ensure_ascii=False) plus a meta field.
    source = open(os.path.join(DATA, "corpora/tinyshakespeare.txt"), encoding="utf-8").read()
    extras = ["café", "naïve", "東京", "😀", "“quotes”", "tab\there", 'say "hi"', "back\\slash"]
    rng = random.Random(0)
    target = megabytes * 1_000_000
    written = 0
    with open(out, "w", encoding="utf-8") as f:
        index = 0
        while written < target:
            length = rng.randint(500, 8000)
            start = rng.randint(0, len(source) - length)
            text = source[start:start + length] + " " + rng.choice(extras)
            line = json.dumps({"text": text, "meta": {"id": index, "source": "tinyshakespeare"}}, ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
            index += 1


def open_lines(path):
    if path.endswith(".zst"):
        import zstandard
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), read_across_frames=True), 1 << 20)
    if path.endswith(".gz"):
        import gzip
        return gzip.open(path, "rb")
    return open(path, "rb", buffering=1 << 20)


def run(path, parser):
    loads = json.loads
    version = "stdlib"
    if parser == "orjson":
        import orjson
        loads, version = orjson.loads, orjson.__version__
    start = time.perf_counter()
    documents = text_bytes = decompressed = 0
    with open_lines(path) as f:
        for line in f:
            decompressed += len(line)
            if not line.strip():
                continue
            text = loads(line)["text"]
            if text.strip():
                documents += 1
                text_bytes += len(text.encode("utf-8"))
    seconds = time.perf_counter() - start
    print(json.dumps({"library": f"python-{parser}", "version": version, "file": path, "documents": documents,
                      "text_bytes": text_bytes, "decompressed_bytes": decompressed, "seconds": seconds,
                      "decompressed_megabytes_per_second": decompressed / 1e6 / seconds}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make-input")
    make.add_argument("out")
    make.add_argument("--megabytes", type=int, default=100)
    bench = sub.add_parser("run")
    bench.add_argument("path")
    bench.add_argument("--parser", choices=["json", "orjson"], default="json")
    args = parser.parse_args()
    if args.command == "make-input":
        make_input(args.out, args.megabytes)
    else:
        run(args.path, args.parser)


if __name__ == "__main__":
    sys.exit(main())
