"""Prints the tables of benchmarks/sparse/run.sh and writes results.json.

  summarize.py RAW.jsonl OUT.json "LOAD AVERAGE"
"""
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
out_path, load = sys.argv[2], sys.argv[3]

WORKLOADS = {
    "tiny": "tiny model, real acts: tied (seed) SAE, d_in 128, d_sae 1024, λ 1e-3, from a warmed-up state",
    "gpt2": "gpt2-shaped synthetic acts: TopK k=64, d_in 768, d_sae 6144, from the seeded init",
}


def runs(run, workload):
    return [r for r in rows if r.get("run") == run and r.get("label") == workload]


summary = {"load_average_at_end": load, "workloads": [], "sweep": [], "encode": []}
print(f"tokens/s: best round (median of rounds); ratios best (median). Load average at the end: {load}")
for workload, title in WORKLOADS.items():
    torch_runs, auto_runs, dense_runs = runs("torch", workload), runs("swift-auto", workload), runs("swift-dense", workload)
    if not (torch_runs and auto_runs and dense_runs):
        continue
    rate = {name: ([r["tokens_per_second"] for r in rs]) for name, rs in
            (("torch", torch_runs), ("auto", auto_runs), ("dense", dense_runs))}
    best = {k: max(v) for k, v in rate.items()}
    median = {k: statistics.median(v) for k, v in rate.items()}
    a, d, t = auto_runs[0], dense_runs[0], torch_runs[0]
    steps = a["warmup_steps"] + a["steps"]
    noise = runs("noise", workload)

    def last_mean(r, n=10):
        return sum(r["losses"][-n:]) / n

    def worst_relative(r, ref):
        return max(abs(x - y) / abs(y) for x, y in zip(r["losses"], ref["losses"]))

    print(f"\n{workload}: {title}")
    print(f"  timed steps {a['steps']} after {a['warmup_steps']} untimed; L0 over the timed steps "
          f"{a['l0_measured']:.1f} (torch {t['l0_measured']:.1f}); sparse kernels on {a['sparse_steps_measured']}/{a['steps']} "
          f"timed steps (auto); OpenBLAS core {a['openblas_core']}; torch {t['torch_version']}")
    print(f"  {'side':<22}{'tokens/s':>20}{'vs torch':>20}  loss after {steps} steps  (mean of last 10)")
    entry = {"workload": workload, "description": title, "timed_steps": a["steps"], "untimed_steps": a["warmup_steps"],
             "l0_measured": a["l0_measured"], "sparse_steps_measured": a["sparse_steps_measured"],
             "openblas_core": a["openblas_core"], "torch_version": t["torch_version"], "threads": a["threads"]}
    for name, r in (("PyTorch CPU (dense)", t), ("saestore --kernels auto", a), ("saestore --kernels dense", d)):
        key = {"PyTorch CPU (dense)": "torch", "saestore --kernels auto": "auto", "saestore --kernels dense": "dense"}[name]
        ratio_best, ratio_median = best[key] / best["torch"], median[key] / median["torch"]
        print(f"  {name:<22}{best[key]:>10.0f} ({median[key]:>7.0f}){ratio_best:>10.2f}x ({ratio_median:.2f}x)"
              f"  {r['losses'][-1]:.6f}  ({last_mean(r):.6f})")
        entry[key] = {"tokens_per_second_best": best[key], "tokens_per_second_median": median[key],
                      "tokens_per_second_all": rate[key], "ratio_vs_torch_best": ratio_best,
                      "ratio_vs_torch_median": ratio_median, "final_loss": r["losses"][-1],
                      "mean_loss_last_10": last_mean(r)}
    entry["auto_vs_dense_best"] = best["auto"] / best["dense"]
    entry["max_relative_loss_difference_per_step"] = {"auto_vs_torch": worst_relative(a, t),
                                                      "dense_vs_torch": worst_relative(d, t),
                                                      "auto_vs_dense": worst_relative(a, d)}
    line = (f"  per-step loss, largest relative difference: auto vs torch {worst_relative(a, t):.2e}, "
            f"dense vs torch {worst_relative(d, t):.2e}, auto vs dense {worst_relative(a, d):.2e}")
    if noise:
        entry["max_relative_loss_difference_per_step"]["dense_other_blas_vs_dense"] = worst_relative(noise[0], d)
        entry["noise_openblas_core"] = noise[0]["openblas_core"]
        line += f"; noise floor (dense, OpenBLAS {noise[0]['openblas_core']} vs {a['openblas_core']}) {worst_relative(noise[0], d):.2e}"
    print(line)
    summary["workloads"].append(entry)

sweeps = [r for r in rows if r.get("run") == "sweep"]
if sweeps:
    print("\ndensity sweep: one step, best of the timed steps (ms), dense vs sparse")
    print(f"  {'arch':<9}{'d_in':>5}{'d_sae':>6}{'density':>9}{'dense':>9}{'sparse':>9}{'sparse/dense':>14}")
    for r in sweeps:
        ratio = r["sparse_step_seconds_best"] / r["dense_step_seconds_best"]
        print(f"  {r['arch']:<9}{r['d_in']:>5}{r['d_sae']:>6}{r['density_measured']:>9.3f}"
              f"{r['dense_step_seconds_best'] * 1e3:>9.1f}{r['sparse_step_seconds_best'] * 1e3:>9.1f}{ratio:>14.2f}")
        summary["sweep"].append({k: r[k] for k in ("arch", "d_in", "d_sae", "density", "density_measured",
                                                   "dense_step_seconds_best", "sparse_step_seconds_best",
                                                   "dense_step_seconds_median", "sparse_step_seconds_median",
                                                   "phase_ms_per_step", "densities_timed") if k in r})
encodes = [r for r in rows if r.get("run") == "encode"]
if encodes:
    print("\nencoder paths (SAEEncoder), rows/s best (median)")
    for r in encodes:
        parts = "  ".join(f"{name} {r[name + '_rows_per_second_best']:.0f} ({r[name + '_rows_per_second_median']:.0f})"
                          for name in ("encode", "encode_sparse", "reconstruct_auto", "reconstruct_dense"))
        print(f"  {r['label']} (L0 {r['l0']:.1f}): {parts}")
        summary["encode"].append(r)


def compact(r):
    """Raw rows without per-step timings and MSEs; the warm-up's curves every 50 steps."""
    r = {k: v for k, v in r.items() if k not in ("step_seconds", "mses")}
    if r.get("run") == "warmup":
        r = {k: (v[::50] + v[-1:] if isinstance(v, list) else v) for k, v in r.items()}
    return {k: ([float(f"{x:.8g}") for x in v] if isinstance(v, list) and v and isinstance(v[0], float) else v)
            for k, v in r.items()}


with open(out_path, "w") as f:
    f.write('{"summary": ' + json.dumps(summary, indent=1) + ',\n "raw": [\n  ')
    f.write(",\n  ".join(json.dumps(compact(r)) for r in rows))
    f.write("\n ]\n}\n")
print(f"\nraw and summary: {out_path}")
