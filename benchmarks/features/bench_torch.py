"""PyTorch reference of the feature scan's first pass, on CPU: the same rows, the same SAE.

    python bench_torch.py X.npy SAE_DIR --top-k K [--threads 2] [--batch 4096]

Per batch: f = relu((x - b_dec) @ W_enc + b_enc) (SAELens' encode), firing counts
(f > 0).sum(0), then the running top-k per feature: torch.topk over the batch's rows,
concatenated with the kept (k, H) values and row ids, topk again. Prints one JSON line with
rows/s (load time excluded, like saestore's scanSeconds).
"""
import argparse, json, time
import numpy as np
import torch
from safetensors.torch import load_file

p = argparse.ArgumentParser()
p.add_argument("x")
p.add_argument("sae")
p.add_argument("--top-k", type=int, default=20)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch", type=int, default=4096)
a = p.parse_args()
torch.set_num_threads(a.threads)
cfg = json.load(open(f"{a.sae}/cfg.json"))
w = load_file(f"{a.sae}/sae_weights.safetensors")
W_enc, b_enc, b_dec = w["W_enc"], w["b_enc"], w["b_dec"]
center = cfg.get("apply_b_dec_to_input", True)
x = np.load(a.x, mmap_mode="r")
N, H, k = x.shape[0], W_enc.shape[1], a.top_k

with torch.inference_mode():
    start = time.perf_counter()
    top_vals = torch.full((k, H), -1.0)
    top_rows = torch.full((k, H), -1, dtype=torch.int64)
    fires = torch.zeros(H, dtype=torch.int64)
    for s in range(0, N, a.batch):
        xb = torch.from_numpy(np.ascontiguousarray(x[s:s + a.batch]))
        if center:
            xb = xb - b_dec
        f = torch.relu(xb @ W_enc + b_enc)
        fires += (f > 0).sum(0)
        vals, idx = torch.topk(f, min(k, f.shape[0]), dim=0)
        both = torch.cat([top_vals, vals])
        rows = torch.cat([top_rows, idx + s])
        top_vals, pick = torch.topk(both, k, dim=0)
        top_rows = torch.gather(rows, 0, pick)
    seconds = time.perf_counter() - start
print(json.dumps({"impl": "torch", "rows": N, "d_in": W_enc.shape[0], "d_sae": H, "threads": a.threads,
                  "seconds": seconds, "rows_per_s": N / seconds, "alive": int((fires > 0).sum())}))
