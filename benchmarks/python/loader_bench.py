"""Python loader throughput: saestore's BatchIterator (one core; then 2 DataLoader workers)
against np.load of the same rows from a raw f32 .npy and against SAELens's cached-activation
read path (datasets.load_from_disk + set_format('torch') + slicing, as
ActivationsStore._load_raw_llm_batch_from_cached reads), and the Swift loader on the same store,
all in one run. One JSON line per measurement, then the ratios.

    python3 benchmarks/python/loader_bench.py [--rows 131072] [--width 768] [--scratch DIR] [--before DIR]

--before DIR also runs the saestore readers with the package in DIR/saestore (an older
python/, e.g. `git archive REV python | tar -x -C /tmp/old` then DIR=/tmp/old/python), in the
same run, as "before" rows. Every line also gives CPU seconds (this process and its
DataLoader workers): on a shared machine the wall-clock rate falls with the load, the CPU
rate much less.

The store is f16 (saestore's default), made by `saestore import` from the .npy the np.load
baseline reads; the rows are Gaussian with per-feature scales (synthetic: real activations
compress better, so this understates the store's advantage on disk, not its read speed).
The -f16 readers yield float16 batches (an f16 store's stored halves, the same values), which a
GPU trainer converts on the device; their GB/s count f32-equivalent bytes (rows x width x 4).
Every reader serves one whole epoch of the same rows, page cache warm (each is run once before
it is timed). No BLAS runs in any loader: OpenBLAS's kernel set does not enter these numbers.
Needs torch, datasets (dev only) and a built saestore + saestore-bench.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))
sys.path.insert(0, os.path.join(REPO, "examples"))
COLUMN = "acts"


def binary(name):
    variable = {"saestore": "SAESTORE_BIN", "saestore-bench": "SAESTORE_BENCH_BIN"}[name]
    paths = [os.environ.get(variable, "")] + [os.path.join(REPO, ".build", c, name) for c in ("release", "debug")]
    found = [p for p in paths if os.access(p, os.X_OK)]
    if not found:
        sys.exit(f"{name} is not built: swift build -c release --product {name}")
    return found[0]


def measure(kind, args, cores, package=None):
    """Runs one reader in a child pinned to `cores`; returns its JSON line."""
    extra = ["--package", package] if package else []
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--scratch", args.scratch, "--batch", str(args.batch),
                          "--cores", ",".join(map(str, cores))] + extra, capture_output=True, text=True, check=True)
    line = json.loads(out.stdout.strip().splitlines()[-1])
    if package:
        line["reader"] += " (before)"
    return line


def cpu_seconds():
    import resource
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def child(kind, scratch, batch):
    store, npy, cache = os.path.join(scratch, "store"), os.path.join(scratch, "raw.npy"), os.path.join(scratch, "saelens-cache")

    def epoch():
        rows = 0
        # -f16: float16 batches (the stored halves, same values), converted on the GPU by a trainer.
        dtype = np.float16 if kind.endswith("-f16") else np.float32
        if kind.startswith("saestore-1core"):
            import saestore
            for b in saestore.BatchIterator(store, COLUMN, batch, seed=0, workers=1, dtype=dtype):
                rows += len(b)
        elif kind.startswith("saestore-2workers"):
            import torch
            import saestore
            loader = torch.utils.data.DataLoader(saestore.StoreDataset(store, COLUMN, batch, seed=0, dtype=dtype), batch_size=None, num_workers=2)
            for b in loader:
                rows += len(b)
        elif kind == "npload-sequential":
            x = np.load(npy)
            for i in range(0, len(x), batch):
                rows += len(np.ascontiguousarray(x[i:i + batch]))
        elif kind == "npload-shuffled":
            x = np.load(npy)
            order = np.random.default_rng(0).permutation(len(x))
            for i in range(0, len(x), batch):
                rows += len(x[order[i:i + batch]])
        elif kind == "saelens-cached":
            import datasets
            import torch
            ds = datasets.load_from_disk(cache)
            ds.set_format(type="torch", columns=[COLUMN, "token_ids"], dtype=torch.float32)
            prompts = max(1, batch // ds.features[COLUMN].shape[0])
            for i in range(0, len(ds) - prompts + 1, prompts):
                acts = ds[i:i + prompts][COLUMN]
                rows += acts.shape[0] * acts.shape[1]
        return rows

    epoch()  # warm the page cache and imports
    start, cpu = time.perf_counter(), cpu_seconds()
    rows = epoch()
    seconds = time.perf_counter() - start
    return rows, seconds, cpu_seconds() - cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=131072)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--scratch", default="/tmp/saestore-loader-bench")
    parser.add_argument("--child")
    parser.add_argument("--cores")
    parser.add_argument("--package")
    parser.add_argument("--before")
    args = parser.parse_args()
    if args.child:
        if args.package:
            sys.path.insert(0, args.package)
        os.sched_setaffinity(0, {int(c) for c in args.cores.split(",")})
        rows, seconds, cpu = child(args.child, args.scratch, args.batch)
        width = int(json.load(open(os.path.join(args.scratch, "shape.json")))["width"])
        print(json.dumps({"reader": args.child, "cores": args.cores, "rows": rows, "seconds": round(seconds, 4),
                          "rows_per_s": round(rows / seconds), "f32_GB_per_s": round(rows * width * 4 / seconds / 1e9, 3),
                          "cpu_seconds": round(cpu, 3), "f32_GB_per_cpu_s": round(rows * width * 4 / cpu / 1e9, 3)}))
        return
    os.makedirs(args.scratch, exist_ok=True)
    npy, store = os.path.join(args.scratch, "raw.npy"), os.path.join(args.scratch, "store")
    shape = {"rows": args.rows, "width": args.width}
    if not os.path.exists(store) or json.load(open(os.path.join(args.scratch, "shape.json"))) != shape:
        subprocess.run(["rm", "-rf", store, os.path.join(args.scratch, "saelens-cache")], check=True)
        rng = np.random.default_rng(0)
        scales = np.exp(rng.normal(0, 1, args.width)).astype(np.float32)
        np.save(npy, (rng.standard_normal((args.rows, args.width), dtype=np.float32) * scales))
        subprocess.run([binary("saestore"), "import", store, "--column", COLUMN, npy, "--dtype", "f16", "--quiet"], check=True)
        # A SAELens cache of the same rows (sequences of 128 rows); token ids are zeros.
        import datasets
        from datasets import Array2D, Features, Sequence, Value
        x = np.load(npy, mmap_mode="r")

        def sequences():
            for i in range(args.rows // 128):
                yield {COLUMN: np.asarray(x[i * 128:(i + 1) * 128]), "token_ids": np.zeros(128, np.int32)}
        datasets.Dataset.from_generator(sequences, features=Features({COLUMN: Array2D(shape=(128, args.width), dtype="float32"),
                                                                      "token_ids": Sequence(Value("int32"), length=128)})
                                        ).save_to_disk(os.path.join(args.scratch, "saelens-cache"))
        json.dump(shape, open(os.path.join(args.scratch, "shape.json"), "w"))
    load_before = os.getloadavg()
    results = [measure(k, args, [0]) for k in ("saestore-1core", "saestore-1core-f16", "npload-sequential", "npload-shuffled", "saelens-cached")]
    results += [measure(k, args, [0, 1]) for k in ("saestore-2workers", "saestore-2workers-f16")]
    if args.before:
        results += [measure(k, args, [0], args.before) for k in ("saestore-1core", "saestore-1core-f16")]
        results += [measure(k, args, [0, 1], args.before) for k in ("saestore-2workers", "saestore-2workers-f16")]
    bench = subprocess.run([binary("saestore-bench"), "batches", "--store", store, "--column", COLUMN, "--batch", str(args.batch),
                            "--count-only", "--epochs", "2"], capture_output=True, text=True, check=True)
    swift = json.loads(bench.stdout.strip().splitlines()[-1])
    results.append({"reader": "swift-loader (2 epochs, first cold-ish)", "cores": "all", "rows": swift["rows"], "seconds": round(swift["seconds"], 4),
                    "rows_per_s": round(swift["rows"] / swift["seconds"]), "f32_GB_per_s": round(swift["rows"] * args.width * 4 / swift["seconds"] / 1e9, 3)})
    for r in results:
        print(json.dumps(r))
    by = {r["reader"]: r["rows_per_s"] for r in results}
    store_bytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(store) for f in fs)
    print(json.dumps({"ratios": {"saestore_1core_vs_npload_shuffled": round(by["saestore-1core"] / by["npload-shuffled"], 3),
                                 "saestore_1core_vs_saelens_cached": round(by["saestore-1core"] / by["saelens-cached"], 3),
                                 "saestore_2workers_vs_npload_shuffled": round(by["saestore-2workers"] / by["npload-shuffled"], 3),
                                 "saestore_2workers_f16_vs_npload_shuffled": round(by["saestore-2workers-f16"] / by["npload-shuffled"], 3)},
                      "target": "saestore-2workers >= 1 GB/s f32-equivalent (issue 19)",
                      "store_bytes_per_value": round(store_bytes / (args.rows * args.width), 3), "rows": args.rows, "width": args.width,
                      "batch": args.batch, "load_average_before": [round(v, 2) for v in load_before],
                      "load_average_after": [round(v, 2) for v in os.getloadavg()],
                      "note": "one run on a shared 2-core machine (other engineers compiling); no BLAS in any loader"}))


if __name__ == "__main__":
    main()
