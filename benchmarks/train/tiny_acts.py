#!/usr/bin/env python3
"""The tiny Shakespeare model's real activations for the training benchmark, as .npy.

blocks.2.hook_resid_pre (= hidden_states[2], d 128) of ../shared/data/models/tiny-shakespeare-gpt2
over all of tinyshakespeare as `saestore ingest --context 128` lays it out (one document, windows
of <|endoftext|> + 127 tokens), rounded to float16 and written as float32 (so a store holding them
as f16 decodes to exactly these numbers).

    /work/venv/bin/python benchmarks/train/tiny_acts.py OUT.npy
"""
import os
import sys

import numpy as np
import tiktoken
import torch
from tiktoken.load import load_tiktoken_bpe
from transformers import GPT2Model

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
BOS = 50256


def main():
    torch.set_num_threads(2)
    ranks = load_tiktoken_bpe(os.path.join(DATA, "gpt2-tokenizer", "gpt2.tiktoken"))
    encoding = tiktoken.Encoding("gpt2-local", pat_str=PATTERN, mergeable_ranks=ranks,
                                 special_tokens={"<|endoftext|>": BOS})
    tokens = encoding.encode(open(os.path.join(DATA, "corpora", "tinyshakespeare.txt")).read())
    model = GPT2Model.from_pretrained(os.path.join(DATA, "models", "tiny-shakespeare-gpt2")).eval()
    windows = [[BOS] + tokens[i:i + 127] for i in range(0, len(tokens), 127)]
    rows = []
    with torch.no_grad():
        full = [w for w in windows if len(w) == 128]
        for i in range(0, len(full), 64):
            rows.append(model(torch.tensor(full[i:i + 64]), output_hidden_states=True).hidden_states[2].reshape(-1, 128))
        for w in windows[len(full):]:
            rows.append(model(torch.tensor([w]), output_hidden_states=True).hidden_states[2].reshape(-1, 128))
    x = torch.cat(rows).numpy().astype(np.float16).astype(np.float32)
    np.save(sys.argv[1], x)
    print(f"wrote {sys.argv[1]}: {x.shape[0]} x {x.shape[1]}")


if __name__ == "__main__":
    main()
