#!/usr/bin/env python3
"""PyTorch side of the training benchmark: the same SAEs saestore trains (docs/SAE.md), on CPU,
from an in-memory tensor of the benchmark's activations (benchmarks/train/make_data.py).

  tied     the seed's SAE: encoder nn.Linear(d_in, 8 d_in) + ReLU, decoder = the encoder weight
           (transposed use) + its own bias; loss = mean((x̂ - x)²) + λ · mean_rows(Σ_j f_j)
  standard SAELens "standard": W_enc, W_dec untied, x - b_dec into the encoder, L1 weighted by
           ‖W_dec[j]‖ (same loss normalisation)

Adam (lr 1e-3), batch 512 drawn uniformly (a fresh randperm per epoch, rows gathered by index
like saestore's ArrayBatchSource). Warm-up steps, then `--steps` timed steps (each from fetching
its batch to the end of Adam's update, as on the Swift side); the timed steps' mean L0 (active latents per row) is reported beside tokens/s. One JSON line per architecture.

    /work/venv/bin/python benchmarks/train/bench_torch.py DATA.npy --arch tied standard --threads 2
"""
import argparse
import json
import time

import numpy as np
import torch


class TiedSAE(torch.nn.Module):
    """The seed's SAE."""

    def __init__(self, d_in, d_sae):
        super().__init__()
        self.encoder = torch.nn.Linear(d_in, d_sae)
        self.b_dec = torch.nn.Parameter(torch.zeros(d_in))

    def forward(self, x):
        f = torch.relu(self.encoder(x))
        return f, f @ self.encoder.weight + self.b_dec

    def l1(self, f):
        return f.abs().sum(dim=1).mean()


class StandardSAE(torch.nn.Module):
    """SAELens' standard SAE (apply_b_dec_to_input, decoder-norm-weighted L1), SAELens ≥ 6 init."""

    def __init__(self, d_in, d_sae):
        super().__init__()
        w_dec = torch.empty(d_sae, d_in)
        torch.nn.init.kaiming_uniform_(w_dec)
        w_dec = 0.1 * w_dec / w_dec.norm(dim=1, keepdim=True)
        self.W_dec = torch.nn.Parameter(w_dec)
        self.W_enc = torch.nn.Parameter(w_dec.T.contiguous())  # as SAELens: a contiguous copy
        self.b_enc = torch.nn.Parameter(torch.zeros(d_sae))
        self.b_dec = torch.nn.Parameter(torch.zeros(d_in))

    def forward(self, x):
        f = torch.relu((x - self.b_dec) @ self.W_enc + self.b_enc)
        return f, f @ self.W_dec + self.b_dec

    def l1(self, f):
        return (f * self.W_dec.norm(dim=1)).sum(dim=1).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--arch", nargs="+", default=["tied", "standard"])
    parser.add_argument("--expansion", type=int, default=8)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--lam", type=float, default=1e-3)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = torch.from_numpy(np.load(args.data))
    rows, d_in = data.shape
    for arch in args.arch:
        torch.manual_seed(args.seed)
        sae = (TiedSAE if arch == "tied" else StandardSAE)(d_in, args.expansion * d_in)
        optimizer = torch.optim.Adam(sae.parameters(), lr=args.lr)
        order, cursor = torch.randperm(rows), 0
        l0_sum, mse_sum, timed_rows = 0.0, 0.0, 0
        step_seconds = []
        for step in range(args.warmup + args.steps):
            started = time.perf_counter()
            if cursor + args.batch > rows:
                order, cursor = torch.randperm(rows), 0
            x = data[order[cursor:cursor + args.batch]]
            cursor += args.batch
            f, x_hat = sae(x)
            mse = ((x_hat - x) ** 2).mean()
            loss = mse + args.lam * sae.l1(f)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if step >= args.warmup:
                # The metrics are computed outside the timed span (saestore's trainer counts
                # active latents inside its step).
                step_seconds.append(time.perf_counter() - started)
                l0_sum += (f > 0).sum().item()
                mse_sum += mse.item() * len(x)
                timed_rows += len(x)
        seconds = sum(step_seconds)
        median = sorted(step_seconds)[len(step_seconds) // 2]
        p10 = sorted(step_seconds)[len(step_seconds) // 10]
        print(json.dumps({
            "impl": "torch", "arch": arch, "d_in": d_in, "d_sae": args.expansion * d_in, "batch": args.batch,
            "threads": args.threads, "warmup_steps": args.warmup, "steps": args.steps, "seconds": seconds,
            "tokens_per_second": timed_rows / seconds, "step_seconds_median": median,
            "tokens_per_second_median_step": args.batch / median, "step_seconds_p10": p10,
            "tokens_per_second_p10_step": args.batch / p10, "l0": l0_sum / timed_rows, "mse": mse_sum / timed_rows,
            "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        }), flush=True)


if __name__ == "__main__":
    main()
