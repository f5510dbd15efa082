#!/usr/bin/env python3
"""Reads a TensorBoard event directory with tensorboard's own EventAccumulator and checks it.

Usage: check_tfevents.py TB_DIR [EXPECTED_JSON]
  EXPECTED_JSON: {"tag": [[step, value], ...], ...}; values compared within 1e-6 relative.
Prints the scalars found as JSON and exits 0 if they match (or if no expectation is given and
at least one scalar was read), 1 otherwise. Needs `pip install tensorboard`.
Used by Tests/StreamTrainTests/TensorBoardTests when tensorboard is importable.
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main():
    accumulator = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
    accumulator.Reload()
    found = {tag: [[e.step, e.value] for e in accumulator.Scalars(tag)]
             for tag in accumulator.Tags()["scalars"]}
    print(json.dumps(found, sort_keys=True))
    if len(sys.argv) < 3:
        return 0 if found else 1
    expected = json.loads(sys.argv[2])
    ok = True
    for tag, points in expected.items():
        got = found.get(tag)
        if got is None or len(got) != len(points):
            print(f"tag {tag}: expected {len(points)} points, found {got}", file=sys.stderr)
            ok = False
            continue
        for (step, value), (got_step, got_value) in zip(points, got):
            if step != got_step or abs(value - got_value) > 1e-6 * max(1.0, abs(value)):
                print(f"tag {tag}: expected ({step}, {value}), found ({got_step}, {got_value})", file=sys.stderr)
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
