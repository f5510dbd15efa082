#!/usr/bin/env python3
"""Streams a saestore training run to Weights & Biases through the official `wandb` client.

Usage: wandb_stream.py RUN [--project saestore] [--name NAME] [--follow] [--poll SECONDS]

Reads RUN/metrics.jsonl (one JSON object per metrics record, see docs/LOGGING.md) and logs each
record at its "step"; with --follow it keeps tailing the file until RUN/sae/cfg.json appears
(the run's SAELens export, written when training ends) or Ctrl-C. RUN/config.json becomes the
W&B run config, and RUN/sae (if present) is uploaded as a "model" artifact.

Offline (no network): WANDB_MODE=offline wandb_stream.py RUN writes RUN/wandb/offline-run-*,
which `wandb sync RUN/wandb/offline-run-*` uploads later.
Needs `pip install wandb`; exits with status 2 and a message if it is missing.
"""
import argparse
import json
import os
import sys
import time


def records(path, follow, done_marker, poll_seconds):
    """Yields parsed lines of a JSONL file; with follow, waits for more until done_marker exists."""
    while follow and not os.path.exists(path):
        time.sleep(poll_seconds)
    with open(path) as f:
        partial = ""
        while True:
            line = f.readline()
            if line:
                partial += line
                if partial.endswith("\n"):
                    if partial.strip():
                        yield json.loads(partial)
                    partial = ""
                continue
            if not follow or os.path.exists(done_marker):
                return
            time.sleep(poll_seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the run directory (holds metrics.jsonl)")
    parser.add_argument("--project", default="saestore")
    parser.add_argument("--name", default=None, help="W&B run name (default: the run directory's name)")
    parser.add_argument("--follow", action="store_true", help="keep tailing metrics.jsonl until training ends")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between checks when following")
    args = parser.parse_args()
    try:
        import wandb
    except ImportError:
        print("wandb is not installed: pip install wandb", file=sys.stderr)
        return 2

    run_dir = os.path.abspath(args.run)
    config_path = os.path.join(run_dir, "config.json")
    config = json.load(open(config_path)) if os.path.exists(config_path) else {}
    run = wandb.init(project=args.project, name=args.name or os.path.basename(run_dir),
                     config=config, dir=run_dir)
    export_dir = os.path.join(run_dir, "sae")
    count = 0
    for record in records(os.path.join(run_dir, "metrics.jsonl"), args.follow,
                          os.path.join(export_dir, "cfg.json"), args.poll):
        step = record.pop("step")
        record.pop("wall_time", None)
        run.log(record, step=step)
        count += 1
    if os.path.exists(os.path.join(export_dir, "cfg.json")):
        artifact = wandb.Artifact(name=f"sae-{run.id}", type="model")
        artifact.add_dir(export_dir)
        run.log_artifact(artifact)
    run.finish()
    print(f"logged {count} records from {run_dir}/metrics.jsonl", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
