#!/usr/bin/env python3
"""Prints what W&B offline runs hold, as JSON: run ids, config keys, history and artifacts.

Usage: read_wandb_offline.py RUN/wandb

Every RUN/wandb/offline-run-*/run-ID.wandb, in the order the runs started. wandb 0.31 ships no
Python reader of these files (its datastore module is gone; `wandb sync --view` too), so this
reads the transaction log's framing as wandb writes it (a 7-byte header ":W&B", 0xBEE1 LE,
version 0; LevelDB-log records in 32 KiB blocks: CRC-32 of type+data, u16 LE length, type
FULL/FIRST/MIDDLE/LAST, every checksum verified) and decodes each record with wandb's own
protobuf schema, wandb.proto.wandb_internal_pb2.Record. Output:
  [{"dir": ..., "id": ..., "project": ..., "config": [keys],
    "history": [{"step": N, "values": {key: value}}], "artifacts": [{"name", "type", "files"}],
    "exit_code": N or null}]
"""
import glob
import json
import os
import struct
import sys
import zlib

from wandb.proto import wandb_internal_pb2

BLOCK = 32768
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path):
    data = open(path, "rb").read()
    if data[:4] != b":W&B" or struct.unpack("<H", data[4:6])[0] != 0xBEE1 or data[6] != 0:
        raise ValueError(f"{path}: not a W&B transaction log (header {data[:7]!r})")
    position, pending = HEADER, None
    while position + HEADER <= len(data):
        left = BLOCK - position % BLOCK
        if left < HEADER:  # a block's tail too short for a header is zero padding
            position += left
            continue
        checksum, length, kind = struct.unpack("<IHB", data[position:position + HEADER])
        if kind == 0 and length == 0:
            position += left
            continue
        body = data[position + HEADER:position + HEADER + length]
        if len(body) < length:
            raise ValueError(f"{path}: record at byte {position} is cut short")
        if zlib.crc32(body, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != checksum:
            raise ValueError(f"{path}: record at byte {position} fails its CRC-32")
        position += HEADER + length
        if kind == FULL:
            yield body
        elif kind == FIRST:
            pending = body
        elif kind == MIDDLE and pending is not None:
            pending += body
        elif kind == LAST and pending is not None:
            yield pending + body
            pending = None
        else:
            raise ValueError(f"{path}: record type {kind} out of order at byte {position}")


def read_run(directory):
    (log_path,) = glob.glob(os.path.join(directory, "run-*.wandb"))
    run = {"dir": directory, "id": None, "project": None, "config": [], "history": [], "artifacts": [], "exit_code": None}
    for body in records(log_path):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(body)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run["id"], run["project"] = record.run.run_id, record.run.project
            run["config"] = sorted(item.key for item in record.run.config.update)
        elif kind == "history":
            values = {}
            for item in record.history.item:
                key = item.key or "/".join(item.nested_key)
                if not key.startswith("_"):
                    values[key] = json.loads(item.value_json)
            run["history"].append({"step": record.history.step.num, "values": values})
        elif kind == "artifact":
            run["artifacts"].append({"name": record.artifact.name, "type": record.artifact.type,
                                     "files": sorted(entry.path for entry in record.artifact.manifest.contents)})
        elif kind == "exit":
            run["exit_code"] = record.exit.exit_code
    return run


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    directories = sorted(glob.glob(os.path.join(sys.argv[1], "offline-run-*")))
    # offline-run-YYYYMMDD_HHMMSS-ID: the name sorts by start time (to the second); ties keep
    # the order the files were made in.
    directories.sort(key=lambda d: (os.path.basename(d).split("-")[2], os.stat(d).st_mtime))
    json.dump([read_run(d) for d in directories], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
