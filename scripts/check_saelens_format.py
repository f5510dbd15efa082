#!/usr/bin/env python3
"""Checks a saestore SAELens export against SAELens 6's published format, without torch.

Usage: check_saelens_format.py EXPECTED.json [EXPECTED.json ...]

Each EXPECTED.json (written by Tests/StreamTrainTests/SAELensFormatTests) names an export
directory and holds what saestore trained and computed:
  {"dir": SAE_DIR, "architecture": "tied|standard|topk|batchtopk|matryoshka|jumprelu|gated", "k": K, "scale": s,
   "w_enc": [d_in*d_sae], "w_dec": [d_sae*d_in], "b_enc": [d_sae] (gated: b_gate), "b_dec": [d_in],
   "threshold": [d_sae] (batchtopk, matryoshka, jumprelu; else []), "r_mag", "b_mag": [d_sae] (gated; else []),
   "rows": n, "x": [n*d_in], "f": [n*d_sae], "x_hat": [n*d_in]}
(weights in training space, row-major; x raw activations; f and x_hat saestore's outputs).

The files are read with the real `safetensors` package (safetensors.numpy) and json; the
rules are those of sae_lens 6 (saes/sae.py SAEConfig, saes/topk_sae.py TopKSAEConfig,
loading/pretrained_sae_loaders.py sae_lens_disk_loader and handle_config_defaulting):
  - cfg.json has architecture, d_in, d_sae, dtype (the disk loader indexes it),
    apply_b_dec_to_input, normalize_activations and reshape_activations from SAELens' lists,
    metadata SAELens can read (without sae_lens_version >= 6 it takes the pre-6.0 path and
    rebuilds metadata from top-level keys, so those must hold model_name and hook_name), and
    k for topk;
  - sae_weights.safetensors holds exactly W_enc [d_in,d_sae], W_dec [d_sae,d_in],
    b_enc [d_sae], b_dec [d_in], and threshold [d_sae] for jumprelu (SAELens loads the state
    dict strictly) in cfg's dtype; batchtopk is saved as SAELens saves it, as jumprelu; gated
    (saes/gated_sae.py GatedSAE, whose b_enc is None) holds b_gate, b_mag, r_mag [d_sae]
    instead of b_enc;
  - sparsity.safetensors, when present, holds sparsity [d_sae];
  - the tensors are the trained ones with the activation scale s folded in exactly
    (W_enc*s, W_dec/s, b_dec/s, in float32), and SAELens' encode/decode (process_sae_in,
    hidden_pre = sae_in @ W_enc + b_enc; ReLU, TopK then ReLU, or JumpReLU = ReLU where
    hidden_pre > threshold; gated: [sae_in @ W_enc + b_gate > 0] * ReLU(sae_in @ (W_enc *
    exp(r_mag)) + b_mag); f @ W_dec + b_dec; the threshold, b_gate, b_mag, r_mag are not scaled), done
    here in numpy, matches saestore's f and x_hat within 1e-5 of the largest value.
Loading in SAELens itself needs torch: scripts/check_saelens_export.py (a dev check).
Exits 0 when every export passes; prints each failure.
"""
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file

ARCHITECTURES = {"standard", "gated", "topk", "abstopk", "jumprelu", "transcoder", "skip_transcoder",
                 "jumprelu_transcoder", "temporal", "matching_pursuit"}
NORMALIZATIONS = {"none", "expected_average_only_in", "constant_norm_rescale", "layer_norm", "covariance_whitening"}
RESHAPES = {"none", "hook_z"}
LLM_METADATA_KEYS = {"model_name", "hook_name", "model_class_name", "hook_head_index", "model_from_pretrained_kwargs",
                     "prepend_bos", "exclude_special_tokens", "neuronpedia_id", "context_size", "seqpos_slice",
                     "dataset_path", "sae_lens_version", "sae_lens_training_version", "hook_name_out",
                     "hook_head_index_out", "hf_hook_name", "hf_hook_name_out"}
DTYPES = {"float32": np.float32, "float16": np.float16, "bfloat16": None, "float64": np.float64}


def version_tuple(text):
    parts = []
    for piece in str(text).split("."):
        digits = "".join(c for c in piece if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def check(expected_path):
    problems = []
    expected = json.load(open(expected_path))
    directory = expected["dir"]
    cfg = json.load(open(os.path.join(directory, "cfg.json")))

    def need(condition, message):
        if not condition:
            problems.append(f"{directory}: {message}")
        return condition

    for key in ("architecture", "d_in", "d_sae", "dtype", "apply_b_dec_to_input", "normalize_activations", "metadata"):
        need(key in cfg, f"cfg.json lacks {key}")
    if problems:
        return problems
    architecture, d_in, d_sae = cfg["architecture"], cfg["d_in"], cfg["d_sae"]
    need(architecture in ARCHITECTURES, f"architecture {architecture!r} is not one SAELens registers")
    want_architecture = {"topk": "topk", "batchtopk": "jumprelu", "matryoshka": "jumprelu", "jumprelu": "jumprelu",
                         "gated": "gated"}.get(expected["architecture"], "standard")
    need(architecture == want_architecture, f"architecture {architecture!r}, expected {want_architecture!r}")
    need(isinstance(d_in, int) and isinstance(d_sae, int) and d_in > 0 and d_sae > 0, f"d_in {d_in!r}, d_sae {d_sae!r}")
    need(cfg["dtype"] in DTYPES, f"dtype {cfg['dtype']!r}")
    need(isinstance(cfg["apply_b_dec_to_input"], bool), "apply_b_dec_to_input is not a bool")
    need(cfg["normalize_activations"] in NORMALIZATIONS, f"normalize_activations {cfg['normalize_activations']!r}")
    need(cfg["normalize_activations"] == "none", "the activation scale must be folded in (normalize_activations none)")
    need(cfg.get("reshape_activations", "none") in RESHAPES, f"reshape_activations {cfg.get('reshape_activations')!r}")
    metadata = cfg["metadata"]
    need(isinstance(metadata, dict), "metadata is not an object")
    version = metadata.get("sae_lens_version") or cfg.get("sae_lens_version")
    if version is None or version_tuple(version) < (6,):
        # handle_pre_6_0_config: SAELens rebuilds metadata from the top-level keys it knows
        # (LLM_METADATA_KEYS) and drops the nested object, so those must say the same.
        seen = {k: v for k, v in cfg.items() if k in LLM_METADATA_KEYS}
        for key, value in metadata.items():
            if key in LLM_METADATA_KEYS:
                need(seen.get(key) == value, f"metadata.{key} = {value!r} but SAELens' pre-6.0 path reads top-level {seen.get(key)!r}")
        metadata = seen
    for key in ("model_name", "hook_name"):
        need(isinstance(metadata.get(key), str), f"metadata.{key} missing (as SAELens reads it)")
    if architecture == "topk":
        need(isinstance(cfg.get("k"), int) and 0 < cfg["k"] <= d_sae, f"topk needs 0 < k <= d_sae, got {cfg.get('k')!r}")
        need(cfg.get("k") == expected["k"], f"k {cfg.get('k')!r}, expected {expected['k']}")

    dtype = DTYPES.get(cfg["dtype"])
    tensors = load_file(os.path.join(directory, "sae_weights.safetensors"))
    shapes = {"W_enc": (d_in, d_sae), "W_dec": (d_sae, d_in), "b_enc": (d_sae,), "b_dec": (d_in,)}
    if architecture == "jumprelu":
        shapes["threshold"] = (d_sae,)
    if architecture == "gated":
        del shapes["b_enc"]
        shapes.update({"b_gate": (d_sae,), "b_mag": (d_sae,), "r_mag": (d_sae,)})
    need(set(tensors) == set(shapes), f"tensors {sorted(tensors)}, SAELens needs exactly {sorted(shapes)}")
    for name, shape in shapes.items():
        if name in tensors:
            need(tensors[name].shape == shape, f"{name} shape {tensors[name].shape}, expected {shape}")
            need(dtype is not None and tensors[name].dtype == dtype, f"{name} dtype {tensors[name].dtype}, cfg says {cfg['dtype']}")
    sparsity_path = os.path.join(directory, "sparsity.safetensors")
    if os.path.exists(sparsity_path):
        sparsity = load_file(sparsity_path)
        need(set(sparsity) == {"sparsity"} and sparsity["sparsity"].shape == (d_sae,),
             f"sparsity.safetensors holds {[(k, v.shape) for k, v in sparsity.items()]}")
    if problems:
        return problems

    f32 = np.float32
    s = f32(expected["scale"])
    w_enc = np.array(expected["w_enc"], dtype=f32).reshape(d_in, d_sae)
    w_dec = np.array(expected["w_dec"], dtype=f32).reshape(d_sae, d_in)
    b_enc = np.array(expected["b_enc"], dtype=f32)
    b_dec = np.array(expected["b_dec"], dtype=f32)
    if expected["architecture"] == "tied":
        need(np.array_equal(w_dec, w_enc.T), "the tied SAE's decoder is not W_encᵀ")
    folded = {"W_enc": w_enc if s == 1 else w_enc * s, "W_dec": w_dec if s == 1 else w_dec / s,
              "b_enc": b_enc, "b_dec": b_dec if s == 1 else b_dec / s}
    if architecture == "jumprelu":
        folded["threshold"] = np.array(expected["threshold"], dtype=f32)
    if architecture == "gated":
        folded["b_gate"] = folded.pop("b_enc")
        folded["b_mag"] = np.array(expected["b_mag"], dtype=f32)
        folded["r_mag"] = np.array(expected["r_mag"], dtype=f32)
    for name, want in folded.items():
        got = tensors[name]
        if not np.array_equal(got, want):
            index = np.unravel_index(np.argmax(np.abs(got - want)), got.shape)
            need(False, f"{name} differs from the trained tensor (scale {s} folded in) at {index}: {got[index]} vs {want[index]}")

    n = expected["rows"]
    x = np.array(expected["x"], dtype=f32).reshape(n, d_in)
    sae_in = x - tensors["b_dec"] * f32(cfg["apply_b_dec_to_input"])
    hidden_pre = sae_in @ tensors["W_enc"] + tensors.get("b_gate", tensors.get("b_enc"))
    if architecture == "gated":
        magnitude = sae_in @ (tensors["W_enc"] * np.exp(tensors["r_mag"])) + tensors["b_mag"]
        f = (hidden_pre > 0).astype(f32) * np.maximum(magnitude, 0)
    elif architecture == "topk":
        k = cfg["k"]
        f = np.zeros_like(hidden_pre)
        top = np.argpartition(-hidden_pre, k - 1, axis=1)[:, :k]
        np.put_along_axis(f, top, np.maximum(np.take_along_axis(hidden_pre, top, axis=1), 0), axis=1)
    elif architecture == "jumprelu":
        f = np.maximum(hidden_pre, 0) * (hidden_pre > tensors["threshold"])
    else:
        f = np.maximum(hidden_pre, 0)
    x_hat = f @ tensors["W_dec"] + tensors["b_dec"]
    for name, got, want in (("f", f, np.array(expected["f"], dtype=f32).reshape(n, d_sae)),
                            ("x_hat", x_hat, np.array(expected["x_hat"], dtype=f32).reshape(n, d_in))):
        error = float(np.max(np.abs(got - want)))
        bound = 1e-5 * max(float(np.max(np.abs(want))), 1.0)
        need(error <= bound, f"SAELens' {name} from the export differs from saestore's by {error:.3g} (bound {bound:.3g})")
    if not problems:
        print(f"{directory}: {architecture} d_in={d_in} d_sae={d_sae} scale={expected['scale']}: format and tensors ok")
    return problems


def main():
    problems = []
    for path in sys.argv[1:]:
        problems += check(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems or len(sys.argv) < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
