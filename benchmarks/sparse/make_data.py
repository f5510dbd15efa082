"""Activations for benchmarks/sparse/run.sh, as float32 .npy files both sides read in order.

  make_data.py real IN.npy OUT.npy            rows of a `saestore export`, permuted once (seed 0)
  make_data.py synthetic OUT.npy --rows N     gpt2-small-shaped (d_in 768) activation-like rows

The synthetic rows are what a residual stream looks like to an SAE: a sparse sum of
dictionary directions (16384 random unit vectors in R^768; each row draws 48 of them with
Zipf-like frequencies p_i ~ 1/(i+16)^0.9, magnitudes exponential(1)), plus a shared offset,
three large outlier dimensions (GPT-2's residual stream has a few such dimensions) and
Gaussian noise (sigma 0.05), scaled so the mean row norm is sqrt(768). Deterministic (seed 0).
Needs numpy.
"""
import argparse

import numpy as np


def synthetic(rows, d=768, features=16384, active=48, seed=0):
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((features, d)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    p = 1.0 / (np.arange(features) + 16.0) ** 0.9
    cdf = np.cumsum(p / p.sum())
    offset = rng.standard_normal(d).astype(np.float32) * 0.3
    out = np.empty((rows, d), dtype=np.float32)
    for start in range(0, rows, 1024):
        n = min(1024, rows - start)
        ids = np.minimum(np.searchsorted(cdf, rng.random((n, active))), features - 1)
        mags = rng.exponential(1.0, (n, active)).astype(np.float32)
        block = np.einsum("na,nad->nd", mags, directions[ids])
        block += offset
        block[:, [138, 378, 447]] += np.float32(6.0) + rng.standard_normal((n, 3)).astype(np.float32)
        block += 0.05 * rng.standard_normal((n, d)).astype(np.float32)
        out[start:start + n] = block
    out *= np.sqrt(d) / np.linalg.norm(out, axis=1).mean()
    return out


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="kind", required=True)
    real = sub.add_parser("real")
    real.add_argument("input")
    real.add_argument("output")
    syn = sub.add_parser("synthetic")
    syn.add_argument("output")
    syn.add_argument("--rows", type=int, required=True)
    args = parser.parse_args()
    if args.kind == "real":
        x = np.load(args.input).astype(np.float32)
        x = x[np.random.default_rng(0).permutation(len(x))]
    else:
        x = synthetic(args.rows)
    np.save(args.output, np.ascontiguousarray(x))
    print(f"{args.output}: {x.shape[0]} rows x {x.shape[1]}, mean row norm {np.linalg.norm(x, axis=1).mean():.2f}")


if __name__ == "__main__":
    main()
