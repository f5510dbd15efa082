"""Activations and an SAE for the feature-scan benchmark (numpy only).

    python make_data.py OUT_DIR --rows N --d-in D --d-sae H [--seed S]

Writes OUT_DIR/x.npy (N, D) float32 rows with a few shared directions (so features fire
unevenly, as on real activations) and OUT_DIR/sae/ in SAELens format (cfg.json,
sae_weights.safetensors; architecture "standard", apply_b_dec_to_input true) whose
b_enc is set so about 3% of latents fire per row.
"""
import argparse, json, os
import numpy as np
from safetensors.numpy import save_file

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--rows", type=int, required=True)
p.add_argument("--d-in", type=int, required=True)
p.add_argument("--d-sae", type=int, required=True)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
rng = np.random.default_rng(a.seed)
os.makedirs(os.path.join(a.out, "sae"), exist_ok=True)

D, H = a.d_in, a.d_sae
basis = rng.standard_normal((64, D)).astype(np.float32)
x = np.lib.format.open_memmap(os.path.join(a.out, "x.npy"), mode="w+", dtype=np.float32, shape=(a.rows, D))
block = 65536
for start in range(0, a.rows, block):
    n = min(block, a.rows - start)
    mix = rng.standard_normal((n, 64)).astype(np.float32) * (rng.random((n, 64)) < 0.1)
    x[start:start + n] = mix @ basis + 0.5 * rng.standard_normal((n, D)).astype(np.float32)
x.flush()

w_enc = (rng.standard_normal((D, H)) / np.sqrt(D)).astype(np.float32)
w_dec = np.ascontiguousarray(w_enc.T)
b_dec = (0.1 * rng.standard_normal(D)).astype(np.float32)
sample = np.asarray(x[: min(a.rows, 20000)])
pre = (sample - b_dec) @ w_enc
b_enc = (-np.quantile(pre, 0.97, axis=0)).astype(np.float32)  # each latent fires on ~3% of rows
save_file({"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec},
          os.path.join(a.out, "sae", "sae_weights.safetensors"))
json.dump({"architecture": "standard", "d_in": D, "d_sae": H, "dtype": "float32", "apply_b_dec_to_input": True,
           "normalize_activations": "none", "metadata": {"model_name": "synthetic", "hook_name": "blocks.0.hook_resid_pre"}},
          open(os.path.join(a.out, "sae", "cfg.json"), "w"), indent=1)
print(json.dumps({"rows": a.rows, "d_in": D, "d_sae": H}))
