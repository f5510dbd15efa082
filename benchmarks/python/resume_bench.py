"""Cost of resuming the Python loader early and late in an epoch: the time from
`BatchIterator(..., resume=position)` to its first batch, against a fresh iterator's first
batch (which fills the whole shuffle buffer). Resuming reads the buffer's chunks back and the
chunk being fed, never the epoch so far, so it should not grow with the batches already served.

    python3 benchmarks/python/resume_bench.py --store DIR --column NAME [--batch 4096]

One JSON line per position; wall and CPU seconds (the machine may be shared: the CPU time
moves less with the load), with the load average.
"""
import argparse
import json
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))

import saestore  # noqa: E402


def first_batch_seconds(make):
    start, cpu = time.perf_counter(), time.process_time()
    next(iter(make()))
    return time.perf_counter() - start, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--column", required=True)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--buffer-rows", type=int, default=1 << 16)
    args = parser.parse_args()
    s = saestore.open(args.store)
    options = dict(shuffle_buffer_rows=args.buffer_rows, seed=0)
    it = saestore.BatchIterator(s, args.column, args.batch, **options)
    batches = -(-it.rows_per_epoch // args.batch)
    wall, cpu = first_batch_seconds(lambda: saestore.BatchIterator(s, args.column, args.batch, **options))
    print(json.dumps({"position": "fresh (fills the buffer)", "first_batch_s": round(wall, 3), "cpu_s": round(cpu, 3),
                      "load": [round(x, 2) for x in os.getloadavg()]}))
    stops = sorted({1, batches // 4, batches // 2, batches - 2})
    g, served = iter(it), 0
    for stop in stops:
        while served < stop:
            next(g)
            served += 1
        position = json.dumps(it.state())
        wall, cpu = first_batch_seconds(lambda: saestore.BatchIterator(s, args.column, args.batch, resume=position, **options))
        print(json.dumps({"position": f"after batch {stop} of {batches}", "position_bytes": len(position),
                          "first_batch_s": round(wall, 3), "cpu_s": round(cpu, 3),
                          "load": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
