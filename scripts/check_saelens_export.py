#!/usr/bin/env python3
"""Loads a saestore SAELens export with SAELens itself and checks what it computes.

Usage: check_saelens_export.py SAE_DIR [PROBE.safetensors] [SAE_DIR PROBE.safetensors ...]
  PROBE holds "x" [rows, d_in] and the expected "f" [rows, d_sae] and "x_hat" [rows, d_in]
  computed by saestore; SAELens' encode/decode must match within 1e-5 (relative to the
  largest value). Exits 0 on success. Needs `pip install sae-lens`.
A dev check (torch): Tests/StreamTrainTests/SAELensFormatTests runs it with SAESTORE_SAELENS=1;
CI, which has no torch, checks the format alone with scripts/check_saelens_format.py.
"""
import sys

import torch
from safetensors.torch import load_file
from sae_lens import SAE


def check(directory, probe_path):
    sae = SAE.load_from_disk(directory, device="cpu")
    print(f"loaded {type(sae).__name__}: architecture={sae.cfg.architecture()} d_in={sae.cfg.d_in} "
          f"d_sae={sae.cfg.d_sae} apply_b_dec_to_input={sae.cfg.apply_b_dec_to_input} "
          f"normalize_activations={sae.cfg.normalize_activations} metadata={dict(sae.cfg.metadata.items())}")
    if probe_path is None:
        return True
    probe = load_file(probe_path)
    with torch.no_grad():
        f = sae.encode(probe["x"])
        x_hat = sae.decode(f)
    ok = True
    for name, got, want in (("f", f, probe["f"]), ("x_hat", x_hat, probe["x_hat"])):
        error = (got - want).abs().max().item()
        scale = want.abs().max().item()
        print(f"{name}: max |saelens - saestore| = {error:.3g} (max |value| {scale:.3g})")
        ok = ok and error <= 1e-5 * max(scale, 1.0)
    return ok


def main():
    arguments = sys.argv[1:]
    if len(arguments) == 1:
        arguments.append(None)
    ok = True
    for directory, probe_path in zip(arguments[0::2], arguments[1::2]):
        ok = check(directory, probe_path) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
