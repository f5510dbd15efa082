"""PyTorch reference for the seed SAE on the tiny Shakespeare model (not used by tests).

Extracts blocks.2.hook_resid_pre (= hidden_states[2]) of ../shared/data/models/tiny-shakespeare-gpt2
on tinyshakespeare in 128-token windows without BOS (first 90 % of tokens for training, the
rest held out), trains the seed's tied SAE (nn.Linear(128, 1024) + ReLU, decoder = weight
transposed + own bias, Adam lr 1e-3, batch 512, shuffled, 3 epochs) and prints held-out
FVE = 1 - sum (x - x_hat)^2 / sum (x - mean_c x)^2, L0 and the fraction of alive latents.

  /work/venv/bin/python scripts/seed_sae_reference.py [--l1 rowsum|mean] [--lam 1e-3]

--l1 rowsum is docs/SAE.md's normalisation (MSE mean over rows and elements, L1 = sum over
latents, mean over rows); --l1 mean uses mean |f| over rows and latents instead.
Measured (torch 2.15, one thread, seed 0): rowsum λ=1e-3 → FVE 0.9944, L0 59.9, alive 0.993;
rowsum λ=1e-2 → FVE 0.9307, L0 15.4, alive 0.588; mean λ=1e-3 → FVE 0.9987, L0 550.8, alive 1.0.
Needs torch, transformers, tiktoken; takes about a minute on 2 cores.
"""
import argparse
import os

import tiktoken
import torch
from tiktoken.load import load_tiktoken_bpe
from transformers import GPT2Model

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def activations(model, tokens):
    windows = len(tokens) // 128
    ids = torch.tensor(tokens[:windows * 128]).view(windows, 128)
    out = []
    with torch.no_grad():
        for i in range(0, windows, 64):
            out.append(model(ids[i:i + 64], output_hidden_states=True).hidden_states[2].reshape(-1, 128))
    return torch.cat(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--l1", choices=["rowsum", "mean"], default="rowsum")
    parser.add_argument("--lam", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ranks = load_tiktoken_bpe(os.path.join(DATA, "gpt2-tokenizer", "gpt2.tiktoken"))
    encoding = tiktoken.Encoding("gpt2-local", pat_str=PATTERN, mergeable_ranks=ranks,
                                 special_tokens={"<|endoftext|>": 50256})
    tokens = encoding.encode(open(os.path.join(DATA, "corpora", "tinyshakespeare.txt")).read())
    split = int(0.9 * len(tokens))
    model = GPT2Model.from_pretrained(os.path.join(DATA, "models", "tiny-shakespeare-gpt2")).eval()
    train, held_out = activations(model, tokens[:split]), activations(model, tokens[split:])

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
        print(f"l1={args.l1} lambda={args.lam}: FVE {fve:.4f}  L0 {(f > 0).float().sum(1).mean():.1f}"
              f"  alive {(f > 0).any(0).float().mean():.3f}  (train rows {len(train)}, held-out {len(held_out)})")


if __name__ == "__main__":
    main()
