#!/usr/bin/env python3
"""Table and results.json of benchmarks/ingest/run.sh from its raw JSON lines."""
import json
import os
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
doctor = {r["setting"]: r for r in rows if r["run"] == "doctor"}
kernel_of = {("haswell", "saestore"): "haswell", ("unset", "saestore-openblas"): "unset-openblas",
             ("unset", "saestore"): "unset", ("prescott", "saestore"): "prescott"}
print(f"CPU: {doctor['unset']['cpu']} ({doctor['unset']['cpu_level']}); load average at each run in the last column")
print(f"{'corpus':<7}{'setting':<10}{'saestore run':<19}{'kernels':<10}{'sgemm GF/s':>11}{'rows':>8}"
      f"{'saestore s':>11}{'torch s':>9}{'ratio':>7}{'fwd share':>10}{'read wait':>10}{'torch fwd':>10}{'load':>6}")
summary = []
for corpus in ("short", "long"):
    for r in rows:
        if r.get("corpus") != corpus or r["run"] not in ("saestore", "saestore-openblas"):
            continue
        torches = [t for t in rows if t["run"] == "torch" and t["corpus"] == corpus]
        torch = next((t for t in torches if t["setting"] == r["setting"]), torches[0])
        d = doctor[kernel_of[(r["setting"], r["run"])]]
        ratio = torch["wall_seconds"] / r["wall_seconds"]
        share = r["forwardSeconds"] / r["wall_seconds"]
        # Seconds the forward waited for a tokenized document (absent before the read-ahead stage).
        wait = r.get("readWaitSeconds")
        wait_text = f"{wait:>9.2f}s" if wait is not None else f"{'-':>10}"
        print(f"{corpus:<7}{r['setting']:<10}{r['run']:<19}{d['kernel_set']:<10}{d['sgemm_gflops_per_second']:>11.0f}"
              f"{r['rowsAdded']:>8}{r['wall_seconds']:>11.2f}{torch['wall_seconds']:>9.2f}{ratio:>6.2f}x{share:>10.2f}{wait_text}"
              f"{torch['forward_seconds'] / torch['wall_seconds']:>10.2f}{r['load_average']:>6.1f}")
        summary.append({"corpus": corpus, "setting": r["setting"], "run": r["run"], "kernel_set": d["kernel_set"],
                        "sgemm_gflops_per_second": d["sgemm_gflops_per_second"], "rows": r["rowsAdded"],
                        "computed_rows": r["computedRows"], "saestore_seconds": r["wall_seconds"],
                        "saestore_forward_seconds": r["forwardSeconds"], "saestore_write_seconds": r["writeSeconds"],
                        "saestore_read_wait_seconds": r.get("readWaitSeconds"),
                        "torch_seconds": torch["wall_seconds"], "torch_forward_seconds": torch["forward_seconds"],
                        "torch_import_seconds": torch["import_seconds"], "ratio_torch_over_saestore": ratio,
                        "forward_share": share, "load_average": r["load_average"]})
for c in (r for r in rows if r["run"] == "compare"):
    print(f"{c['corpus']}: saestore vs PyTorch f16 rows ({c['rows']}): max |diff| {c['max_abs_error']:.3g} per coordinate, "
          f"mean {c['mean_abs_error']:.3g} (values up to {c['max_abs_value']:.3g})")
for setting, d in doctor.items():
    for w in d["warnings"]:
        print(f"doctor ({setting}): warning: {w}")
print("ratio = PyTorch seconds / saestore seconds (above 1: saestore faster); fwd share = forward seconds / whole process; "
      "read wait = seconds the forward waited for the read-ahead tokenizer")
json.dump({"summary": summary, "doctor": list(doctor.values()), "raw": rows}, open(sys.argv[2], "w"), indent=1)
print(f"raw: {os.path.relpath(sys.argv[2])}")
