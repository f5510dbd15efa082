"""Feed SAELens's trainer from a saestore store: write the store's rows as a SAELens activation
cache, which `LanguageModelSAERunnerConfig(use_cached_activations=True,
cached_activations_path=OUT, …)` then trains from.

Why a cache and not SAELens's activation-store interface: SAELens's ActivationsStore is built
around a model and a token dataset (it calls the model unless `cached_activations_path` is
set), while the cache is its documented, stable input for precomputed activations — the same
format CacheActivationsRunner writes (datasets Arrow shards, a (context, d_in) column named by
hook and int32 `token_ids`). It costs one f32 copy on disk, made from the compressed store.

    python3 examples/store_to_saelens_cache.py STORE --column blocks.1.hook_resid_pre --context 48 --out CACHE

Rows are cut into consecutive sequences of --context rows (the rest is dropped); for an
ingested store, use its context size so each sequence is one window. Needs `datasets` (dev).
"""
import argparse
import os
import sys

import numpy as np
from datasets import Array2D, Dataset, Features, Sequence, Value

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import saestore  # noqa: E402


def _sequences(store_path: str, column: str, context: int, sequences_per_shard: int):
    # Opens the store itself, and imports saestore here: datasets hashes the generator with its
    # arguments and the globals it uses, and neither an open store nor the module pickles.
    import saestore as reader
    s = reader.open(store_path)
    width = s.column(column).width
    has_tokens = any(c.name == "token_id" for c in s.columns)
    sequences = s.row_count // context
    for first in range(0, sequences, sequences_per_shard):
        last = min(sequences, first + sequences_per_shard)
        acts = s.read(column, first * context, last * context).reshape(-1, context, width)
        tokens = s.read("token_id", first * context, last * context).reshape(-1, context).astype("int32") if has_tokens else None
        for i in range(len(acts)):
            row = {column: acts[i]}
            if has_tokens:
                row["token_ids"] = tokens[i]
            yield row


def export(store_path: str, column: str, context: int, out: str, sequences_per_shard: int = 1024) -> int:
    """Writes the cache; returns the number of sequences."""
    s = saestore.open(store_path)
    width = s.column(column).width
    features = {column: Array2D(shape=(context, width), dtype="float32")}
    if any(c.name == "token_id" for c in s.columns):
        features["token_ids"] = Sequence(Value(dtype="int32"), length=context)
    Dataset.from_generator(_sequences, features=Features(features),
                           gen_kwargs=dict(store_path=store_path, column=column, context=context,
                                           sequences_per_shard=sequences_per_shard)).save_to_disk(out)
    return s.row_count // context


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store")
    parser.add_argument("--column", required=True)
    parser.add_argument("--context", type=int, required=True, help="rows per sequence")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    n = export(args.store, args.column, args.context, args.out)
    print(f"wrote {n} sequences of {args.context} rows of {args.column} to {args.out} (a SAELens activation cache)")
