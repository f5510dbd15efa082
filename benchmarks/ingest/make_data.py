#!/usr/bin/env python3
"""Inputs of the ingest benchmark, in benchmarks/work/ingest (not committed):

- gpt2-small/: a Hugging Face GPT-2 directory with gpt2-small's shapes (12 layers, d 768,
  12 heads, V 50257, 1024 positions) and random weights (transformers' GPT2Config, seed 0),
  GPT-2's real vocab.json and merges.txt from ../shared/data/gpt2-tokenizer;
- short.jsonl: tinyshakespeare paragraphs as documents (~40 tokens each, like the demo corpus);
- long.jsonl: runs of consecutive paragraphs as documents of ~2,000 tokens (OpenWebText-like).

    python3 benchmarks/ingest/make_data.py OUT_DIR SHORT_DOCS LONG_DOCS
"""
import json
import os
import shutil
import sys

import torch
from transformers import GPT2Config, GPT2Model


def main():
    out, short_docs, long_docs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    shared = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
    model_dir = os.path.join(out, "gpt2-small")
    if not os.path.exists(os.path.join(model_dir, "model.safetensors")):
        torch.manual_seed(0)
        config = GPT2Config(n_layer=12, n_embd=768, n_head=12, vocab_size=50257, n_positions=1024)
        GPT2Model(config).save_pretrained(model_dir, safe_serialization=True)
        for name in ("vocab.json", "merges.txt"):
            shutil.copy(os.path.join(shared, "gpt2-tokenizer", name), model_dir)
    text = open(os.path.join(shared, "corpora", "tinyshakespeare.txt"), encoding="utf-8").read()
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    with open(os.path.join(out, "short.jsonl"), "w") as f:
        for p in paragraphs[:short_docs]:
            f.write(json.dumps({"text": p}) + "\n")
    per_long = 50  # paragraphs per long document: about 2,000 tokens
    with open(os.path.join(out, "long.jsonl"), "w") as f:
        for d in range(long_docs):
            f.write(json.dumps({"text": "\n\n".join(paragraphs[d * per_long:(d + 1) * per_long])}) + "\n")


if __name__ == "__main__":
    main()
