"""Train a dictionary_learning SAE from a saestore store: its `trainSAE(data=…)` takes any
iterator of activation batches, and `saestore.torch_batches` is one, shuffled exactly as
`saestore train --stream` shuffles (same seed, same batches). The first 90% of rows train, the
last 10% are held out; rows at window position 0 (BOS) are skipped in both.

    python3 examples/train_dictionary_learning.py STORE --column blocks.1.hook_resid_pre --steps 300 --out runs/dl

Prints held-out FVE (1 − Σ‖x − x̂‖² / Σ‖x − x̄‖², over all coordinates) and mean L0.
Needs torch and dictionary-learning (dev only, `pip install -c /tmp/constraints.txt dictionary-learning`,
then `pip uninstall torchvision` if it pulled one that does not match the installed torch).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from dictionary_learning.dictionary import AutoEncoder
from dictionary_learning.trainers.standard import StandardTrainer
from dictionary_learning.training import trainSAE

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import saestore  # noqa: E402


def train(store_path: str, column: str, steps: int, out: str, batch_rows: int = 512, expansion: int = 8,
          l1_penalty: float = 1.0, seed: int = 0) -> dict:
    s = saestore.open(store_path)
    width = s.column(column).width
    split = s.row_count * 9 // 10
    has_pos = any(c.name == "pos" for c in s.columns)
    skip_bos = {"minimum_position": 1} if has_pos else {}
    torch.manual_seed(seed)
    data = saestore.torch_batches(s, column, batch_rows, epochs=None, end_row=split, seed=seed, **skip_bos)
    config = dict(trainer=StandardTrainer, dict_class=AutoEncoder, activation_dim=width, dict_size=expansion * width,
                  lr=1e-3, l1_penalty=l1_penalty, warmup_steps=max(1, steps // 10), sparsity_warmup_steps=max(1, steps // 5),
                  layer=0, lm_name=s.manifest.model or "unknown", device="cpu", steps=steps, seed=seed)
    trainSAE(data=data, trainer_configs=[config], steps=steps, save_dir=out, device="cpu")
    ae = AutoEncoder(width, expansion * width)
    ae.load_state_dict(torch.load(os.path.join(out, "trainer_0", "ae.pt")))
    held = s.read(column, split, s.row_count)
    if has_pos:
        held = held[s.read("pos", split, s.row_count)[:, 0] >= 1]
    x = torch.from_numpy(held)
    with torch.no_grad():
        f = ae.encode(x)
        x_hat = ae.decode(f)
    fve = 1 - float(((x - x_hat) ** 2).sum() / ((x - x.mean(0)) ** 2).sum())
    result = {"held_out_rows": len(held), "fve": round(fve, 4), "l0": round(float((f > 0).float().sum(1).mean()), 2),
              "steps": steps, "batch_rows": batch_rows, "dict_size": expansion * width, "l1_penalty": l1_penalty}
    with open(os.path.join(out, "held_out.json"), "w") as file:
        json.dump(result, file, indent=2)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store")
    parser.add_argument("--column", required=True)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--l1", type=float, default=1.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    print(json.dumps(train(args.store, args.column, args.steps, args.out, args.batch, l1_penalty=args.l1)))
