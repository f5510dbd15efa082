"""PyTorch reference for the seed SAE on the tiny Shakespeare model (not used by tests).

Extracts blocks.2.hook_resid_pre (= hidden_states[2]) of ../shared/data/models/tiny-shakespeare-gpt2
on tinyshakespeare, trains the seed's tied SAE (nn.Linear(128, 1024) + ReLU, decoder = weight
transposed + own bias, Adam lr 1e-3, batch 512, uniformly shuffled, 3 epochs) on the first 90 %
and prints held-out FVE = 1 - sum (x - x_hat)^2 / sum (x - mean_c x)^2, L0 and the fraction of
alive latents (latents that fire on at least one held-out row).

  /work/venv/bin/python scripts/seed_sae_reference.py [--windows plain|bos] [--train-pos0 keep|skip]
      [--eval-pos0 keep|skip] [--f16] [--l1 rowsum|mean] [--lam 1e-3] [--epochs 3] [--seed 0] [--json]

--windows plain: 128-token windows without BOS; tokens split at 90 % before windowing (the
  first version of this script).
--windows bos: what `saestore ingest --context 128` stores and what the end-to-end test
  (Tests/StreamTrainTests/EndToEndTrainingTests.swift) trains on: the whole text as one
  document, windows of <|endoftext|> + 127 tokens, rows (tokens) split at int(0.9 * rows).
--train-pos0 / --eval-pos0 skip: leave out rows at window position 0 (the BOS rows with
  --windows bos) from training / from the held-out evaluation.
--f16: round the activations to float16 first (the e2e test's store is f16).
--l1 rowsum is docs/SAE.md's normalisation (MSE mean over rows and elements, L1 = sum over
latents, mean over rows); --l1 mean uses mean |f| over rows and latents instead.

Measured (torch 2.x, one thread, seed 0, λ = 1e-3, 3 epochs): see docs/TRAINING.md.
Needs torch, transformers, tiktoken; about a minute per run on 2 cores.
"""
import argparse
import json
import os

import tiktoken
import torch
from tiktoken.load import load_tiktoken_bpe
from transformers import GPT2Model

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
BOS = 50256


def activations(model, windows):
    """hidden_states[2] of equal-length windows (all but possibly the last), rows flattened,
    with each row's position in its window."""
    rows, positions = [], []
    with torch.no_grad():
        full = [w for w in windows if len(w) == len(windows[0])]
        for i in range(0, len(full), 64):
            ids = torch.tensor(full[i:i + 64])
            rows.append(model(ids, output_hidden_states=True).hidden_states[2].reshape(-1, 128))
            positions.append(torch.arange(ids.shape[1]).repeat(ids.shape[0]))
        for w in windows[len(full):]:
            ids = torch.tensor([w])
            rows.append(model(ids, output_hidden_states=True).hidden_states[2].reshape(-1, 128))
            positions.append(torch.arange(len(w)))
    return torch.cat(rows), torch.cat(positions)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", choices=["plain", "bos"], default="plain")
    parser.add_argument("--train-pos0", choices=["keep", "skip"], default="keep")
    parser.add_argument("--eval-pos0", choices=["keep", "skip"], default="keep")
    parser.add_argument("--l1", choices=["rowsum", "mean"], default="rowsum")
    parser.add_argument("--lam", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--f16", action="store_true", help="round activations to float16, as an f16 store holds them")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ranks = load_tiktoken_bpe(os.path.join(DATA, "gpt2-tokenizer", "gpt2.tiktoken"))
    encoding = tiktoken.Encoding("gpt2-local", pat_str=PATTERN, mergeable_ranks=ranks,
                                 special_tokens={"<|endoftext|>": BOS})
    tokens = encoding.encode(open(os.path.join(DATA, "corpora", "tinyshakespeare.txt")).read())
    model = GPT2Model.from_pretrained(os.path.join(DATA, "models", "tiny-shakespeare-gpt2")).eval()
    if args.windows == "plain":
        split = int(0.9 * len(tokens))
        train_windows = [tokens[i:i + 128] for i in range(0, split - 127, 128)]
        held_windows = [tokens[i:i + 128] for i in range(split, len(tokens) - 127, 128)]
        train, train_pos = activations(model, train_windows)
        held_out, held_pos = activations(model, held_windows)
    else:
        windows = [[BOS] + tokens[i:i + 127] for i in range(0, len(tokens), 127)]
        rows, pos = activations(model, windows)
        split = int(0.9 * len(rows))
        train, train_pos, held_out, held_pos = rows[:split], pos[:split], rows[split:], pos[split:]
    if args.f16:
        train, held_out = train.half().float(), held_out.half().float()
    if args.train_pos0 == "skip":
        train = train[train_pos > 0]
    if args.eval_pos0 == "skip":
        held_out = held_out[held_pos > 0]

    encoder = torch.nn.Linear(128, 1024)
    b_dec = torch.nn.Parameter(torch.zeros(128))
    optimizer = torch.optim.Adam(list(encoder.parameters()) + [b_dec], lr=1e-3)

    def forward(x):
        f = torch.relu(encoder(x))
        return f, f @ encoder.weight + b_dec

    for _ in range(args.epochs):
        order = torch.randperm(len(train))
        for i in range(0, len(train), 512):
            x = train[order[i:i + 512]]
            f, x_hat = forward(x)
            l1 = f.abs().sum(dim=1).mean() if args.l1 == "rowsum" else f.abs().mean()
            loss = ((x_hat - x) ** 2).mean() + args.lam * l1
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        f, x_hat = forward(held_out)
        fve = 1 - ((x_hat - held_out) ** 2).sum() / ((held_out - held_out.mean(0)) ** 2).sum()
        l0 = (f > 0).float().sum(1).mean().item()
        alive = (f > 0).any(0).float().mean().item()
        norms = held_out.norm(dim=1)
    result = {"windows": args.windows, "train_pos0": args.train_pos0, "eval_pos0": args.eval_pos0,
              "l1": args.l1, "lambda": args.lam, "epochs": args.epochs, "seed": args.seed,
              "f16": args.f16, "fve": fve.item(), "l0": l0, "alive": alive, "train_rows": len(train),
              "held_out_rows": len(held_out), "held_out_mean_norm": norms.mean().item(),
              "held_out_max_norm": norms.max().item()}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"windows={args.windows} train_pos0={args.train_pos0} eval_pos0={args.eval_pos0} "
              f"l1={args.l1} lambda={args.lam} epochs={args.epochs}: FVE {result['fve']:.4f}  L0 {l0:.1f}"
              f"  alive {alive:.3f}  (train rows {len(train)}, held-out {len(held_out)})")


if __name__ == "__main__":
    main()
