#!/usr/bin/env python3
"""Logs a saestore training run to Weights & Biases through the official `wandb` client.

Usage:
  wandb_stream.py RUN [--follow] [--poll SECONDS] [W&B options]   replay / tail RUN/metrics.jsonl
  wandb_stream.py RUN --stdin --id ID [W&B options]                what `saestore train --wandb` runs
  wandb_stream.py --check                                          exits 2 if wandb is missing
W&B options: --project saestore --entity E --name NAME (default: the run directory's name).

Every metrics record (one JSON object with a "step", docs/LOGGING.md) is logged at its step;
RUN/config.json (the SAE and trainer settings) and RUN/run.json become the run config; at the
end RUN/sae (the SAELens export) is uploaded as a "model" artifact.

Steps never go backwards: a run resumed from the checkpoint of step N replays steps N+1..M
that the killed run already logged up to M; records at or below the last step logged to this
W&B run (kept in RUN/wandb/saestore-state.json) are skipped. With --follow, a resumed run
rewriting metrics.jsonl (a new file under the same name) is reopened and read from its start
under the same rule. --stdin reads the records from standard input instead (one JSON object
per line), and a last line {"saestore": "done"} means training finished: the artifact is
uploaded and the run finishes; end of input without it (the trainer was killed) finishes the
run as failed, and `saestore train --resume` continues the same W&B run (--id, from run.json).

Offline (no network): WANDB_MODE=offline writes RUN/wandb/offline-run-*; `wandb sync` uploads it.
Exits 2 with a message naming `pip install wandb` when the client is missing.
"""
import argparse
import fcntl
import json
import os
import signal
import sys
import time

STATE_NAME = "saestore-state.json"


def import_wandb():
    try:
        import wandb
        return wandb
    except ImportError as error:
        print(f"saestore: W&B logging needs the wandb Python package ({error}): pip install wandb", file=sys.stderr)
        sys.exit(2)


class RunLog:
    """One W&B run fed metrics records; created lazily at the first record it logs."""

    def __init__(self, wandb, run_dir, args):
        self.wandb, self.run_dir, self.args = wandb, run_dir, args
        self.wandb_dir = os.path.join(run_dir, "wandb")
        os.makedirs(self.wandb_dir, exist_ok=True)
        # One feeder per run directory at a time: a resumed run's feeder waits until the killed
        # run's feeder has finished, so it reads the last step that one really logged.
        self.lock = open(os.path.join(self.wandb_dir, ".saestore.lock"), "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.state_path = os.path.join(self.wandb_dir, STATE_NAME)
        state = {}
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                state = json.load(f)
        self.run_id = args.id or state.get("id")
        self.last_step = state.get("last_step", -1) if state.get("id") == self.run_id else -1
        self.run = None
        self.logged = 0
        self.skipped = 0

    def config(self):
        config = {}
        for name, key in (("config.json", None), ("run.json", "run")):
            path = os.path.join(self.run_dir, name)
            if os.path.exists(path):
                with open(path) as f:
                    value = json.load(f)
                if key is None and isinstance(value, dict):
                    config.update(value)
                else:
                    config[key or name] = value
        return config

    def start(self):
        if self.run is None:
            self.run = self.wandb.init(project=self.args.project, entity=self.args.entity,
                                       name=self.args.name or os.path.basename(self.run_dir),
                                       id=self.run_id, resume="allow" if self.run_id else None,
                                       config=self.config(), dir=self.run_dir)
            self.run_id = self.run.id
        return self.run

    def log(self, record):
        step = record.pop("step")
        record.pop("wall_time", None)
        if step <= self.last_step:
            self.skipped += 1
            return
        self.start().log(record, step=step)
        self.last_step = step
        self.logged += 1
        self.save_state()

    def save_state(self):
        temporary = self.state_path + ".tmp"
        with open(temporary, "w") as f:
            json.dump({"id": self.run_id, "last_step": self.last_step}, f)
        os.replace(temporary, self.state_path)

    def finish(self, completed):
        export_dir = os.path.join(self.run_dir, "sae")
        if completed and os.path.exists(os.path.join(export_dir, "cfg.json")):
            run = self.start()
            artifact = self.wandb.Artifact(name=f"sae-{run.id}", type="model",
                                           metadata={"last_step": self.last_step})
            artifact.add_dir(export_dir)
            run.log_artifact(artifact)
        if self.run is not None:
            self.run.finish(exit_code=0 if completed else 1)
            self.save_state()
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        print(f"W&B run {self.run_id}: logged {self.logged} records"
              + (f", skipped {self.skipped} already logged" if self.skipped else "")
              + ("" if completed else " (training did not finish)"), file=sys.stderr)


def file_records(path, follow, done_marker, poll_seconds):
    """Yields metrics.jsonl's records; with follow, waits for more until done_marker exists.
    A file replaced under the same name (a resumed run rewrites it) is reopened from its start."""
    while follow and not os.path.exists(path):
        time.sleep(poll_seconds)
    f = open(path)
    inode = os.fstat(f.fileno()).st_ino
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
        if not follow:
            return
        try:
            replaced = os.stat(path).st_ino != inode
        except FileNotFoundError:
            replaced = False  # between the rewrite's unlink and rename: look again soon
        if replaced:
            f.close()
            f = open(path)
            inode = os.fstat(f.fileno()).st_ino
            partial = ""
            continue
        if os.path.exists(done_marker):
            return
        time.sleep(poll_seconds)


def stdin_records():
    """Yields the records on standard input; returns True after {"saestore": "done"}."""
    for line in sys.stdin:
        if not line.strip():
            continue
        record = json.loads(line)
        if record.get("saestore") == "done":
            return True
        yield record
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", help="the run directory (holds metrics.jsonl)")
    parser.add_argument("--project", default="saestore")
    parser.add_argument("--entity", default=None)
    parser.add_argument("--name", default=None, help="W&B run name (default: the run directory's name)")
    parser.add_argument("--id", default=None, help="W&B run id (default: the one this directory logged to, else new)")
    parser.add_argument("--follow", action="store_true", help="keep tailing metrics.jsonl until training ends")
    parser.add_argument("--stdin", action="store_true", help="read the records from standard input (saestore train --wandb)")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between checks when following")
    parser.add_argument("--check", action="store_true", help="only check that wandb imports")
    args = parser.parse_args()
    wandb = import_wandb()
    if args.check:
        print(f"wandb {wandb.__version__}")
        return 0
    if args.run is None:
        parser.error("RUN is required")
    run_dir = os.path.abspath(args.run)
    log = RunLog(wandb, run_dir, args)
    completed = True
    if args.stdin:
        # Ctrl-C reaches the whole process group: the trainer stops and closes our input, and
        # we still finish the W&B run cleanly from what it sent.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        records = stdin_records()
        try:
            while True:
                log.log(next(records))
        except StopIteration as end:
            completed = bool(end.value)
    else:
        export_marker = os.path.join(run_dir, "sae", "cfg.json")
        for record in file_records(os.path.join(run_dir, "metrics.jsonl"), args.follow, export_marker, args.poll):
            log.log(record)
    log.finish(completed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
