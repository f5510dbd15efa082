"""Prints the serve benchmark's table and its ratios to issue 20's targets; writes results.json."""
import datetime, json, os, platform, sys

rows = []
for line in os.environ["LINES"].splitlines():
    if not line.strip():
        continue
    endpoint, connections, payload = line.split(" ", 2)
    rows.append({"endpoint": endpoint, "connections": int(connections), **json.loads(payload)})
print(f"saestore serve on loopback, {os.environ['SECONDS_EACH']} s per cell, BLAS kernels: {os.environ['KERNELS']}")
print(f"{'endpoint':<12}{'conns':>6}{'req/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'RSS MiB':>9}")
for r in rows:
    print(f"{r['endpoint']:<12}{r['connections']:>6}{r['requests_per_second']:>12.0f}{r['p50_ms'] or 0:>10.2f}{r['p99_ms'] or 0:>10.2f}{r['errors']:>8}{r['rss_kib'] / 1024:>9.1f}")
ratios = {}
for r in rows:
    if r["endpoint"] == "rows" and r["connections"] == 8:
        ratios["rows req/s at 8 / 20000"] = r["requests_per_second"] / 20000
        ratios["rows p99 at 8 / 5 ms"] = (r["p99_ms"] or 0) / 5
    if r["endpoint"] == "rows-random" and r["connections"] == 8:
        ratios["random rows req/s at 8 / 20000"] = r["requests_per_second"] / 20000
        ratios["random rows p99 at 8 / 5 ms"] = (r["p99_ms"] or 0) / 5
    if r["endpoint"] == "encode" and r["connections"] == 1:
        ratios["encode p99 at 1 / 50 ms"] = (r["p99_ms"] or 0) / 50
for key, value in ratios.items():
    print(f"{key}: {value:.2f}x")
before, after = int(os.environ["RSS_BEFORE"]), int(os.environ["RSS_AFTER"])
print(f"RSS {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after the cells")
samples = [int(x) for x in os.environ.get("RSS_SAMPLES", "").split()]
if samples:
    print(f"soak {os.environ['SOAK_SECONDS']} s (/rows at 8 + /encode at 1 together), RSS every 5 s, MiB: "
          + " ".join(f"{x / 1024:.1f}" for x in samples))
print(f"load average (1, 5, 15 min) before {os.environ['LOAD_BEFORE']}, after {os.environ['LOAD_AFTER']}; "
      f"/encode text {os.environ['TOKENS']} tokens")
json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": platform.machine(),
           "cpu_count": os.cpu_count(), "kernels": os.environ["KERNELS"], "seconds_each": int(os.environ["SECONDS_EACH"]),
           "cells": rows, "ratios": ratios, "rss_kib_before": before, "rss_kib_after": after,
           "soak_seconds": int(os.environ.get("SOAK_SECONDS", "0")), "soak_rss_kib": samples,
           "load_average_before": os.environ["LOAD_BEFORE"], "load_average_after": os.environ["LOAD_AFTER"],
           "encode_text_tokens": int(os.environ["TOKENS"])},
          open(sys.argv[1], "w"), indent=2)
