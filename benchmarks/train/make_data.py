#!/usr/bin/env python3
"""Activation-like benchmark data shaped like gpt2-small's residual stream (d 768), as .npy.

Each row is a sparse non-negative combination of unit "feature" directions (about 24 active per
row out of 6144, Zipf-distributed frequencies, log-normal magnitudes: heavy tails), plus a dense
low-rank part and noise, scaled per dimension (log-normal scales) with two outlier dimensions
carrying large offsets, as GPT-2's residual stream has. Values are rounded to float16 and written
as float32, so a store holding them as f16 (`saestore import --dtype f16`) decodes to exactly the
same numbers that PyTorch and the in-memory Swift path read.

    /work/venv/bin/python benchmarks/train/make_data.py OUT.npy --rows 65536 [--seed 0]
"""
import argparse

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=65536)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--features", type=int, default=6144)
    parser.add_argument("--active", type=float, default=24.0, help="mean active features per row")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    C, F = args.width, args.features
    directions = rng.standard_normal((F, C)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    frequency = 1.0 / np.arange(1, F + 1) ** 0.7          # Zipf-like: a few features fire often
    frequency = rng.permutation(frequency / frequency.sum())
    cdf = np.cumsum(frequency)
    low_rank = (rng.standard_normal((32, C)) / np.sqrt(C)).astype(np.float32)
    scale = np.exp(rng.normal(0.0, 0.5, C)).astype(np.float32)
    offset = np.zeros(C, np.float32)
    outliers = rng.choice(C, 2, replace=False)
    offset[outliers] = [30.0, -20.0]
    scale[outliers] *= 4.0

    out = np.lib.format.open_memmap(args.out, mode="w+", dtype=np.float32, shape=(args.rows, C))
    block = 4096
    for start in range(0, args.rows, block):
        n = min(block, args.rows - start)
        counts = rng.poisson(args.active, n)
        codes = np.zeros((n, F), np.float32)
        rows = np.repeat(np.arange(n), counts)
        picked = np.minimum(np.searchsorted(cdf, rng.random(len(rows))), F - 1)
        np.add.at(codes, (rows, picked), rng.lognormal(0.0, 1.0, len(rows)).astype(np.float32))
        x = codes @ directions
        x += rng.standard_normal((n, 32)).astype(np.float32) @ low_rank * 4.0
        x += 0.05 * rng.standard_normal((n, C)).astype(np.float32)
        x = x * scale + offset
        out[start:start + n] = x.astype(np.float16).astype(np.float32)
    out.flush()
    norms = np.linalg.norm(out[: min(args.rows, 8192)], axis=1)
    print(f"wrote {args.out}: {args.rows} x {C} (f16-exact float32), row norm mean {norms.mean():.1f} "
          f"p99 {np.percentile(norms, 99):.1f} max {norms.max():.1f}")


if __name__ == "__main__":
    main()
