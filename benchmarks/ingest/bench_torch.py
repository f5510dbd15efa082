#!/usr/bin/env python3
"""The PyTorch job `saestore ingest` is measured against, as a researcher would write it:
tokenize a jsonl with `tokenizers` (GPT-2 BPE), cut every document into windows of CONTEXT
tokens with <|endoftext|> first (the same windows saestore makes), run transformers' GPT2Model
cut to the hooked layer (blocks.L.hook_resid_pre = the residual stream entering block L: the
first L blocks, ln_f replaced by identity), batch windows B at a time padded to the batch's
longest, keep the real positions and write them as one f16 .npy.

Prints one JSON object: whole-job seconds from the interpreter's start, and its parts.
"""
import argparse
import json
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import GPT2Model  # noqa: E402

IMPORTED = time.perf_counter()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--layer", type=int, default=6)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    tokenizer = Tokenizer(models.BPE.from_file(f"{args.model}/vocab.json", f"{args.model}/merges.txt"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    model = GPT2Model.from_pretrained(args.model, n_layer=args.layer).eval()
    model.ln_f = torch.nn.Identity()
    loaded = time.perf_counter()

    bos = 50256
    windows = []
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            ids = tokenizer.encode(json.loads(line)["text"]).ids
            step = args.context - 1
            windows += [[bos] + ids[i:i + step] for i in range(0, len(ids), step)]
    tokenized = time.perf_counter()

    rows = []
    forward_seconds = 0.0
    with torch.inference_mode():
        for b in range(0, len(windows), args.batch):
            batch = windows[b:b + args.batch]
            T = max(len(w) for w in batch)
            ids = torch.tensor([w + [bos] * (T - len(w)) for w in batch])
            mask = torch.tensor([[1] * len(w) + [0] * (T - len(w)) for w in batch])
            started = time.perf_counter()
            hidden = model(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
            forward_seconds += time.perf_counter() - started
            for w, window in enumerate(batch):
                rows.append(hidden[w, :len(window)].to(torch.float16).numpy())
    np.save(args.out, np.concatenate(rows))
    done = time.perf_counter()
    print(json.dumps({
        "impl": "torch", "torch": torch.__version__, "threads": args.threads,
        "rows": sum(len(w) for w in windows), "windows": len(windows),
        "seconds": done - START, "import_seconds": IMPORTED - START, "load_seconds": loaded - IMPORTED,
        "tokenize_seconds": tokenized - loaded, "forward_seconds": forward_seconds,
    }))


if __name__ == "__main__":
    main()
