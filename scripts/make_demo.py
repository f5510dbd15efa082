#!/usr/bin/env python3
"""Builds demo/ (the offline quickstart's model and corpus) from ../shared/data.

demo/model: the tiny-shakespeare GPT-2 (4 layers, d=128) with its tensors cast to f16 and
the GPT-2 tokenizer files; demo/corpus: the last 10% of tinyshakespeare (from the first
paragraph break after the 90% mark), which the model did not train on.

Run: /path/to/python-with-safetensors-and-numpy scripts/make_demo.py
"""
import os
import shutil

import numpy as np
from safetensors.numpy import load_file, save_file

root = os.path.join(os.path.dirname(__file__), "..")
shared = os.path.join(root, "..", "shared", "data")
src = os.path.join(shared, "models", "tiny-shakespeare-gpt2")
os.makedirs(os.path.join(root, "demo", "model"), exist_ok=True)
os.makedirs(os.path.join(root, "demo", "corpus"), exist_ok=True)

tensors = {k: v.astype(np.float16) for k, v in load_file(os.path.join(src, "model.safetensors")).items()}
save_file(tensors, os.path.join(root, "demo", "model", "model.safetensors"),
          metadata={"format": "pt", "converted": "f32->f16 by scripts/make_demo.py"})
for name in ["config.json", "vocab.json", "merges.txt", "generation_config.json", "TRAINING.json"]:
    shutil.copy(os.path.join(src, name), os.path.join(root, "demo", "model", name))
    os.chmod(os.path.join(root, "demo", "model", name), 0o644)

text = open(os.path.join(shared, "corpora", "tinyshakespeare.txt"), encoding="utf-8").read()
cut = text.index("\n\n", int(len(text) * 0.9)) + 2
with open(os.path.join(root, "demo", "corpus", "tinyshakespeare-heldout.txt"), "w", encoding="utf-8") as f:
    f.write(text[cut:])

# training_tokens.json: the token ids the model trained on (TRAINING.json: "first 90% of GPT-2
# tokens" of tinyshakespeare, tokenized as one text). The prefix is re-tokenized on its own so
# that saestore's tokenizer can reproduce the set from the same text (DemoModelTests): only a
# token straddling the 90% cut could differ, and it would be one id at most.
import json
from tokenizers import ByteLevelBPETokenizer

tokenizer = ByteLevelBPETokenizer(os.path.join(src, "vocab.json"), os.path.join(src, "merges.txt"))
ids = tokenizer.encode(text).ids
prefix = tokenizer.decode(ids[: int(0.9 * len(ids))])
prefix_ids = tokenizer.encode(prefix).ids
with open(os.path.join(root, "demo", "model", "training_tokens.json"), "w", encoding="utf-8") as f:
    json.dump({"formatVersion": 1,
               "source": "tinyshakespeare.txt, first 90%% of its GPT-2 tokens (the first %d characters)" % len(prefix),
               "tokensCounted": len(prefix_ids), "tokenIds": sorted(set(prefix_ids))}, f, sort_keys=True)
