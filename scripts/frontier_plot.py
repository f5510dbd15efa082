#!/usr/bin/env python3
"""Table and SVG plot of scripts/frontier.sh's runs (standard library only).

Usage: frontier_plot.py WORKDIR OUT.svg
Reads WORKDIR/*/evaluation.json and run.json (the trained architecture), prints a Markdown table (architecture, setting,
L0, FVE, ΔCE in nats, CE recovered, dead latents on the held-out rows) and writes OUT.svg:
FVE vs L0 and ΔCE vs L0, one line per architecture.
"""
import json
import os
import sys


def load(work):
    rows = []
    for name in sorted(os.listdir(work)):
        path = os.path.join(work, name, "evaluation.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            e = json.load(f)
        r, d = e["reconstruction"], e.get("downstream") or {}
        # The architecture trained (run.json), not the export's SAELens name (batchtopk and
        # matryoshka export as "jumprelu", tied as "standard").
        arch = e["architecture"]
        run_path = os.path.join(work, name, "run.json")
        if os.path.exists(run_path):
            with open(run_path) as f:
                arch = json.load(f)["sae"]["architecture"]
        rows.append(dict(name=name, arch=arch, l0=r["l0"], fve=r["explainedVariance"],
                         dead=r["deadFeatureCount"] / r["latentCount"],
                         dce=(d["saeLoss"] - d["cleanLoss"]) if d else None,
                         recovered=d.get("lossRecovered")))
    return rows


def svg(rows, out):
    archs = sorted({r["arch"] for r in rows})
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]
    W, H, M = 420, 300, 50
    panels = [("fve", "FVE (held-out)"), ("dce", "ΔCE (nats, held-out)")]
    xs = [r["l0"] for r in rows]
    x0, x1 = 0, max(xs) * 1.1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H + 40}" font-family="sans-serif" font-size="11">']
    for p, (key, label) in enumerate(panels):
        ys = [r[key] for r in rows if r[key] is not None]
        y0, y1 = min(ys), max(ys)
        pad = (y1 - y0) * 0.1 or 0.01
        y0, y1 = y0 - pad, y1 + pad
        ox = p * W
        def X(v): return ox + M + (v - x0) / (x1 - x0) * (W - 2 * M)
        def Y(v): return H - M + 10 - (v - y0) / (y1 - y0) * (H - 2 * M)
        parts.append(f'<rect x="{ox + M}" y="{M - 10}" width="{W - 2 * M}" height="{H - 2 * M + 20}" fill="none" stroke="#999"/>')
        parts.append(f'<text x="{ox + W / 2}" y="{H + 5}" text-anchor="middle">L0 (held-out)</text>')
        parts.append(f'<text x="{ox + M}" y="{M - 18}">{label}</text>')
        for t in range(5):
            v = y0 + (y1 - y0) * t / 4
            parts.append(f'<text x="{ox + M - 4}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.3f}</text>')
            u = x0 + (x1 - x0) * t / 4
            parts.append(f'<text x="{X(u):.1f}" y="{H - M + 25}" text-anchor="middle">{u:.0f}</text>')
        for i, arch in enumerate(archs):
            pts = sorted((r["l0"], r[key]) for r in rows if r["arch"] == arch and r[key] is not None)
            c = colours[i % len(colours)]
            if len(pts) > 1:
                parts.append('<polyline fill="none" stroke="%s" points="%s"/>' % (c, " ".join(f"{X(a):.1f},{Y(b):.1f}" for a, b in pts)))
            for a, b in pts:
                parts.append(f'<circle cx="{X(a):.1f}" cy="{Y(b):.1f}" r="3" fill="{c}"/>')
            if p == 0:
                parts.append(f'<text x="{ox + W - M - 70}" y="{M + 8 + 14 * i}" fill="{c}">{arch}</text>')
    parts.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    work, out = sys.argv[1], sys.argv[2]
    rows = load(work)
    print("| run | architecture | L0 | FVE | ΔCE (nats) | CE recovered | dead |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        dce = f"{r['dce']:.4f}" if r["dce"] is not None else "–"
        rec = f"{100 * r['recovered']:.2f}%" if r["recovered"] is not None else "–"
        print(f"| {r['name']} | {r['arch']} | {r['l0']:.1f} | {r['fve']:.4f} | {dce} | {rec} | {100 * r['dead']:.1f}% |")
    svg(rows, out)


if __name__ == "__main__":
    main()
