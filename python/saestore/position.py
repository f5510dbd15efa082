"""A loader position: where a `BatchIterator` is in its epoch, small enough to save beside a
checkpoint, and the settings it is only valid for.

The state is the Swift loader's (Sources/StreamTrain/Loader/StoreBatchSource.swift,
`Position`): the draw generator's four words, how many chunks of the epoch's chunk sequence
have been taken, how many kept rows of the last of them went into the buffer, and the global
row numbers in the shuffle buffer slot by slot (8 bytes a row in memory, whatever the width).
Resuming reads those rows back from their chunks, so it costs the buffer's chunks, not a replay
of the epoch. Because the state is the same, a Swift checkpoint's `loader.bin` is a position
the Python iterator continues from (`from_swift`)."""
import json
from typing import Optional

from .errors import StoreError

FORMAT = "saestore-loader-position"
VERSION = 1

# The settings a position holds and a resuming iterator must share: the data order depends on
# every one of them (batch_rows only groups the same draws into batches, but a resumed run
# that batches differently is not the run it claims to continue).
SETTINGS = ("column", "batch_rows", "shuffle_buffer_rows", "seed", "first_row", "end_row", "minimum_position",
            "shuffle", "stream_index", "stream_count", "store_row_count", "store_chunk_count", "rows_per_epoch")


class PositionMismatchError(StoreError):
    """A position saved with other settings, or from another store, than the resuming iterator's."""


def settings_of(it) -> dict:
    """The settings of iterator `it` a position must match."""
    return dict(column=it.column, batch_rows=it.batch_rows, shuffle_buffer_rows=it.shuffle_buffer_rows, seed=it.seed,
                first_row=it.row_range[0], end_row=it.row_range[1], minimum_position=it.minimum_position,
                shuffle=it.shuffle, stream_index=it.stream_index, stream_count=it.stream_count,
                store_row_count=it.store.row_count, store_chunk_count=it.store.chunk_count,
                rows_per_epoch=it.rows_per_epoch)


def make(settings: dict, epoch: int, batches_in_epoch: int, rng: list, chunks_taken: int, incoming_offset: int,
         buffer_rows: list, stream_done: bool) -> dict:
    """A position as plain JSON-serialisable values."""
    return dict(format=FORMAT, version=VERSION, settings=settings, epoch=epoch, batches_in_epoch=batches_in_epoch,
                rng=[int(w) for w in rng], chunks_taken=chunks_taken, incoming_offset=incoming_offset,
                buffer_rows=[int(r) for r in buffer_rows], stream_done=bool(stream_done))


def parse(position) -> dict:
    """A position given as a dict, JSON text or bytes (ours, or a Swift `loader.bin`), as ours."""
    if isinstance(position, (bytes, bytearray, memoryview)):
        position = bytes(position).decode("utf-8")
    if isinstance(position, str):
        try:
            position = json.loads(position)
        except json.JSONDecodeError as error:
            raise StoreError(f"a loader position is JSON; this is not ({error})") from None
    if not isinstance(position, dict):
        raise StoreError(f"a loader position is a JSON object, not {type(position).__name__}")
    if position.get("format") == FORMAT:
        if position.get("version") != VERSION:
            raise StoreError(f"loader position version {position.get('version')}; this reader knows version {VERSION}")
        missing = [k for k in ("settings", "epoch", "batches_in_epoch", "rng", "chunks_taken", "incoming_offset",
                               "buffer_rows", "stream_done") if k not in position]
        if missing:
            raise StoreError(f"the loader position lacks {', '.join(missing)}")
        return position
    if "config" in position and "storeRowCount" in position:
        return from_swift(position)
    raise StoreError(f"not a loader position: no \"format\": \"{FORMAT}\" and not a Swift loader position "
                     f"(keys {sorted(position)[:8]})")


def from_swift(saved: dict) -> dict:
    """A Swift `StoreBatchSource` position (a checkpoint's loader.bin, decoded) as ours. Swift
    names rows by the same global numbers and draws from the same generator, so the state carries
    over unchanged; only the settings are renamed. Its `maxRowCount` (the trainer's batch) is 0
    before the first batch, and then not checked."""
    if "stepsInEpoch" in saved and "streamCount" in saved:
        raise StoreError("this is a data-parallel run's position (Swift RankBatchSource: global steps over "
                         f"{saved['streamCount']} streams, no buffer state); the Python loader resumes single-stream "
                         "positions only")
    missing = [k for k in ("rng", "chunksTaken", "incomingOffset", "bufferRows", "streamDone") if saved.get(k) is None]
    if missing:
        raise StoreError(f"the Swift loader position has no {', '.join(missing)} (written by an older saestore, which "
                         "Swift resumes by replaying the epoch); the Python loader needs the loader's state")
    config, partition = saved["config"], saved.get("partition") or {"index": 0, "count": 1}
    rows = int(saved["storeRowCount"])
    settings = dict(column=config["column"], shuffle_buffer_rows=config["shuffleBufferRows"], seed=config["seed"],
                    first_row=config.get("firstRow") or 0,
                    end_row=rows if config.get("endRow") is None else config["endRow"],
                    minimum_position=config["minimumPosition"], shuffle=config["shuffle"],
                    stream_index=partition["index"], stream_count=partition["count"], store_row_count=rows)
    if saved.get("maxRowCount", 0) > 0:
        settings["batch_rows"] = saved["maxRowCount"]
    return make(settings, saved["epoch"], saved["batchesInEpoch"], saved["rng"]["state"], saved["chunksTaken"],
                saved["incomingOffset"], saved["bufferRows"], saved["streamDone"]) | {"source": "swift"}


def check(position: dict, ours: dict):
    """Refuses a position whose settings differ from `ours`, naming the first that differs."""
    for key in SETTINGS:
        if key in position["settings"] and position["settings"][key] != ours[key]:
            what = "the store's row count" if key == "store_row_count" else (
                "the store's chunk count" if key == "store_chunk_count" else key)
            raise PositionMismatchError(
                f"the loader position was saved with {key} = {position['settings'][key]!r}, this iterator has "
                f"{ours[key]!r} ({what} must match to continue the same batches"
                + ("; the position is from another store, or this one changed since" if key.startswith("store") else "")
                + ")")
