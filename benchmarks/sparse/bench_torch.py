"""PyTorch half of benchmarks/sparse/run.sh: trains the same SAE as `saestore-bench sparse`
(same starting state from --state: weights and, when present, Adam's moments and step, and the
same batches: rows 512*s ..< 512*(s+1) of --data from the state's next_batch, wrapping) with
dense CPU kernels, torch.optim.Adam and docs/SAE.md's loss, and prints one JSON line: tokens/s
over the steps after --warmup-steps, the loss of every step, and the L0 measured.

  bench_torch.py --data X.npy --state state.safetensors --arch topk --k 64 --l1 0 \
                 --apply-b-dec 1 --warmup-steps 3 --steps 30 --threads 2
Needs torch, numpy, safetensors.
"""
import argparse
import json
import time

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import load_file


class SAE(torch.nn.Module):
    """tied (the seed's: nn.Linear + ReLU, decoder = weight transposed + own bias), standard
    or topk (SAELens): f = act((x - a*b_dec) W_enc + b_enc), x_hat = f W_dec + b_dec."""

    def __init__(self, arch, k, apply_b_dec, init):
        super().__init__()
        self.arch, self.k, self.apply_b_dec = arch, k, apply_b_dec
        w_enc = torch.from_numpy(init["W_enc"])
        if arch == "tied":
            self.encoder = torch.nn.Linear(w_enc.shape[0], w_enc.shape[1])
            with torch.no_grad():
                self.encoder.weight.copy_(w_enc.T)
                self.encoder.bias.copy_(torch.from_numpy(init["b_enc"]))
        else:
            self.W_enc = torch.nn.Parameter(w_enc.clone())
            self.b_enc = torch.nn.Parameter(torch.from_numpy(init["b_enc"]).clone())
            self.W_dec = torch.nn.Parameter(torch.from_numpy(init["W_dec"]).clone())
        self.b_dec = torch.nn.Parameter(torch.from_numpy(init["b_dec"]).clone())

    def losses(self, x):
        x_in = x - self.b_dec if self.apply_b_dec else x
        if self.arch == "tied":
            f = torch.relu(self.encoder(x_in))
            x_hat = f @ self.encoder.weight + self.b_dec
        else:
            pre = x_in @ self.W_enc + self.b_enc
            if self.arch == "topk":
                values, indices = torch.topk(pre, k=self.k, dim=-1)
                f = torch.zeros_like(pre).scatter(-1, indices, values.relu())
            else:
                f = torch.relu(pre)
            x_hat = f @ self.W_dec + self.b_dec
        mse = ((x_hat - x) ** 2).mean()
        if self.arch == "standard":
            l1 = (f * self.W_dec.norm(dim=1)).sum(dim=-1).mean()
        else:
            l1 = f.sum(dim=-1).mean()
        return mse, l1, (f > 0).sum()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--arch", required=True, choices=["tied", "standard", "topk"])
    parser.add_argument("--k", type=int, default=0)
    parser.add_argument("--l1", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--apply-b-dec", type=int, choices=[0, 1], required=True)
    parser.add_argument("--warmup-steps", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = torch.from_numpy(np.load(args.data, mmap_mode="r")[:].astype(np.float32))
    state = load_file(args.state)
    with safe_open(args.state, "np") as f:
        meta = f.metadata() or {}
    model = SAE(args.arch, args.k, bool(args.apply_b_dec), state)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    adam_step = int(meta.get("adam_step", "0"))
    if adam_step > 0:
        # Continue saestore's Adam exactly: same step count and moments (the tied encoder's
        # nn.Linear weight is W_enc transposed, so are its moments).
        params = {"b_dec": model.b_dec}
        if args.arch == "tied":
            params.update({"W_enc": model.encoder.weight, "b_enc": model.encoder.bias})
        else:
            params.update({"W_enc": model.W_enc, "b_enc": model.b_enc, "W_dec": model.W_dec})
        for name, p in params.items():
            m, v = (torch.from_numpy(state[f"adam.{s}.{name}"]).clone() for s in "mv")
            if name == "W_enc" and args.arch == "tied":
                m, v = m.T.contiguous(), v.T.contiguous()
            optimizer.state[p] = {"step": torch.tensor(float(adam_step)), "exp_avg": m, "exp_avg_sq": v}
    first_batch = int(meta.get("next_batch", "0"))
    batches = len(data) // args.batch
    losses, mses, l0s = [], [], []
    start = None
    for step in range(args.warmup_steps + args.steps):
        if step == args.warmup_steps:
            start = time.perf_counter()
        s = (first_batch + step) % batches
        x = data[s * args.batch:(s + 1) * args.batch]
        mse, l1, active = model.losses(x)
        loss = mse + args.l1 * l1
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        mses.append(mse.item())
        l0s.append(active.item() / args.batch)
    seconds = time.perf_counter() - start
    measured = slice(args.warmup_steps, None)
    print(json.dumps({
        "impl": "torch", "label": args.label, "arch": args.arch, "threads": args.threads,
        "torch_version": torch.__version__, "warmup_steps": args.warmup_steps, "steps": args.steps,
        "batch": args.batch, "seconds": seconds, "tokens_per_second": args.steps * args.batch / seconds,
        "l0_measured": float(np.mean(l0s[measured])), "losses": losses, "mses": mses, "l0s": l0s,
    }))


if __name__ == "__main__":
    main()
