"""Training batches from a store column with the Swift loader's shuffle, batch for batch
(Sources/StreamTrain/Loader/StoreBatchSource.swift): the epoch's chunks in a seeded
permutation, rows through a refill-on-draw shuffle buffer, optional row range and position
filter, and the chunk split of data-parallel streams (StreamPartition)."""
import math
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, Optional, Tuple

import numpy as np

from . import position as positions
from .errors import StoreError
from .fastrng import FastGenerator
from .rng import MASK, SeededGenerator

EPOCH_MIX = 0x9E3779B97F4A7C15
STREAM_MIX = 0xD1B54A32D192ED03


def epoch_generators(seed: int, epoch: int, chunks: list, shuffle: bool, index: int, count: int):
    """The epoch's chunk order for stream `index` of `count`, and the RNG its buffer draws from."""
    mixed = (seed + epoch * EPOCH_MIX) & MASK
    rng = SeededGenerator(mixed)
    order = list(chunks)
    if shuffle:
        for i in range(len(order) - 1, 0, -1):
            j = rng.next_index(i + 1)
            order[i], order[j] = order[j], order[i]
    if count > 1:
        # Every stream permutes alike and takes every count-th chunk: a disjoint split.
        order = order[index::count]
        rng = SeededGenerator(mixed ^ (((index + 1) * STREAM_MIX) & MASK))
    return order, rng


class _ChunkStream:
    """The epoch's rows in chunk order, filtered, decoded `ahead` chunks in front on threads.

    With `recycle`, chunks decode into arrays reused from a small pool instead of fresh memory:
    fresh pages cost more than the decode (a new 25 MB float32 chunk is 6,000 page faults and
    zeroing; measured, a cast into new memory ran at a sixth of the speed of one into reused
    memory). Then what `take` returns is only valid until the next `take` (the shuffle copies
    it into its buffer and batch first); without it (store-order batches, which are handed to
    the caller as views) every chunk is fresh."""

    def __init__(self, it: "BatchIterator", order: list, restored: Optional[dict] = None, recycle: bool = False):
        self.it, self.order = it, order
        self.recycle = recycle
        self.free = deque()     # pooled chunk arrays nobody views (deque: thread-safe append/pop)
        self.held = None        # the pooled array the current chunk's values view
        self.retired = []       # pooled arrays of chunks passed during the last take
        self.pool = ThreadPoolExecutor(max_workers=it.workers) if it.workers > 0 else None
        self.pending = []
        self.next_chunk = 0
        # Chunks of `order` handed to the consumer so far, the current one included (Swift's
        # chunksTaken: a chunk the filter empties counts too).
        self.taken = 0
        self.values = np.empty((0, it.width), it.work_dtype)
        self.rows = np.empty(0, np.int64)
        self.offset = 0
        self.done = False
        if restored:
            taken, offset = restored["chunks_taken"], restored["incoming_offset"]
            if not 0 <= taken <= len(order):
                raise StoreError(f"the loader position has taken {taken} chunks of an epoch of {len(order)}")
            if taken > 0:
                # The chunk being fed into the buffer, decoded again; the rows before `offset` went in.
                self.values, self.rows = it._decode(order[taken - 1])
                if not 0 <= offset <= len(self.rows):
                    raise StoreError(f"the loader position is {offset} rows into chunk {order[taken - 1]}, which keeps {len(self.rows)}")
            self.taken = self.next_chunk = taken
            self.offset = offset
            self.done = bool(restored["stream_done"])
            if self.done:
                self.next_chunk = len(order)

    def _decode(self, chunk: int):
        """(values, rows, the pooled array values view or None)."""
        if not self.recycle:
            return self.it._decode(chunk) + (None,)
        try:
            out = self.free.pop()
        except IndexError:
            out = np.empty((self.it.max_chunk_rows, self.it.width), self.it.work_dtype)
        values, rows = self.it._decode(chunk, out)
        if values.base is None or not np.shares_memory(values, out):
            self.free.append(out)  # filtered: values is a fresh copy
            return values, rows, None
        return values, rows, out

    def _submit(self):
        while self.pool and self.next_chunk < len(self.order) and len(self.pending) < self.it.prefetch:
            self.pending.append(self.pool.submit(self._decode, self.order[self.next_chunk]))
            self.next_chunk += 1

    def _enter(self, decoded):
        if self.held is not None:
            self.retired.append(self.held)
        self.values, self.rows, self.held = decoded

    def _advance(self) -> bool:
        while self.offset >= len(self.rows):
            if self.pool:
                self._submit()
                if not self.pending:
                    return False
                self._enter(self.pending.pop(0).result())
                self._submit()
            else:
                if self.next_chunk >= len(self.order):
                    return False
                self._enter(self._decode(self.order[self.next_chunk]))
                self.next_chunk += 1
            self.taken += 1
            self.offset = 0
        return True

    def take(self, n: int) -> Tuple[np.ndarray, np.ndarray]:
        """Up to n next rows (fewer only when the stream is dry; then `done`)."""
        # The chunks the last take moved past are viewed by nothing now (its result was a copy
        # of them, or is of the current chunk).
        self.free.extend(self.retired)
        self.retired.clear()
        values, rows, got = [], [], 0
        while got < n:
            if not self._advance():
                self.done = True
                break
            k = min(n - got, len(self.rows) - self.offset)
            values.append(self.values[self.offset: self.offset + k])
            rows.append(self.rows[self.offset: self.offset + k])
            self.offset += k
            got += k
        if not values:
            return np.empty((0, self.it.width), self.it.work_dtype), np.empty(0, np.int64)
        return (values[0], rows[0]) if len(values) == 1 else (np.concatenate(values), np.concatenate(rows))

    def close(self):
        if self.pool:
            for f in self.pending:
                f.cancel()
            self.pool.shutdown(wait=True)


class BatchIterator:
    """Batches of `batch_rows` float32 rows (the last of an epoch may be shorter), the same
    rows in the same order as saestore's Swift loader with the same settings.

    dtype float16 (f16 columns only) keeps the stored halves: the same values (f16 → f32 is
    exact), half the buffer memory and copying, converted where the trainer wants them (on
    its GPU: `batch.to(device).float()`).

    store: a `saestore.open` result or a path; column: an activation column;
    first_row/end_row: the rows used; shuffle_buffer_rows, seed, minimum_position, shuffle:
    as `saestore train --stream`; stream_index/stream_count: one of several disjoint streams
    (DataLoader workers × DDP ranks); workers/prefetch: decode threads and chunks ahead.
    Iterating yields the batches of `epochs` epochs from `start_epoch` (None: forever).

    resume: a position from `state()` (a dict, or its JSON), or a Swift checkpoint's
    `loader.bin`: iterating then yields exactly the batches the interrupted iterator would have
    yielded next, through the same last epoch (`start_epoch + epochs`). A position saved with
    other settings or from another store is refused (`PositionMismatchError`, naming the field).
    """

    def __init__(self, store, column: str, batch_rows: int = 4096, *, first_row: Optional[int] = None,
                 end_row: Optional[int] = None, shuffle_buffer_rows: int = 1 << 16, seed: int = 0,
                 minimum_position: int = 0, shuffle: bool = True, stream_index: int = 0, stream_count: int = 1,
                 workers: int = 1, prefetch: int = 4, epochs: Optional[int] = 1, start_epoch: int = 0,
                 return_rows: bool = False, dtype=np.float32, resume=None):
        if isinstance(store, (str, bytes)) or hasattr(store, "__fspath__"):
            from . import open as open_store
            store = open_store(store)
        self.store = store
        spec = store.column(column)
        if not spec.is_float:
            raise StoreError(f"column {column} holds {spec.codec} integers, not activations")
        if shuffle_buffer_rows < 1 or batch_rows < 1:
            raise StoreError("shuffle buffer and batch must hold at least 1 row")
        if not 0 <= stream_index < stream_count:
            raise StoreError(f"stream {stream_index} of {stream_count}")
        if minimum_position < 0:
            raise StoreError("minimum position must be >= 0")
        self.column, self.width, self.batch_rows = column, spec.width, batch_rows
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float16)):
            raise StoreError(f"batches are float32 or float16, not {self.dtype}")
        if self.dtype == np.float16 and spec.codec != "f16":
            raise StoreError(f"{store.path}: column {column} is stored as {spec.codec}; float16 batches need an f16 column")
        # The rows move through the stream and the shuffle buffer as stored: an f16 column's
        # halves (half the bytes gathered and scattered), converted once per output batch.
        self.work_dtype = np.dtype(np.float16) if spec.codec == "f16" else np.dtype(np.float32)
        # True: shuffled batches are yielded in one reused array (valid until the next batch),
        # for a consumer that copies each at once (StoreDataset's workers into shared memory).
        self.reuse_batch = False
        self.seed, self.shuffle, self.minimum_position = seed, shuffle, minimum_position
        self.shuffle_buffer_rows = shuffle_buffer_rows
        self.stream_index, self.stream_count = stream_index, stream_count
        self.workers, self.prefetch = workers, max(1, prefetch)
        self.epochs, self.start_epoch, self.return_rows = epochs, start_epoch, return_rows
        first = 0 if first_row is None else first_row
        end = store.row_count if end_row is None else end_row
        if not (0 <= first < end <= store.row_count):
            raise StoreError(f"{store.path}: rows {first}..<{end} are not within its {store.row_count} rows, or empty")
        self.row_range = (first, end)
        if minimum_position > 0:
            store.column("pos")
        self.chunks = list(range(store.chunk_containing(first), store.chunk_containing(end - 1) + 1))
        self.max_chunk_rows = int(np.diff(store.chunk_row_starts()).max())
        self.rows_per_epoch = self._count_rows()
        if self.rows_per_epoch == 0:
            raise StoreError(f"{store.path}: no rows left after filtering positions below {minimum_position}")
        self.capacity = min(max(1, shuffle_buffer_rows // stream_count), self.rows_per_epoch) if shuffle else 0
        self._cursor = None  # the epoch being iterated: what `state()` reads
        self._resume = None
        if resume is not None:
            self.load_state(resume)

    def _count_rows(self) -> int:
        """Rows one epoch keeps, one chunk of `pos` at a time (RowFilter.countRows): memory is a
        chunk, whatever the store's size (the whole column of 10B rows would be 40 GB)."""
        first, end = self.row_range
        if self.minimum_position == 0:
            return end - first
        kept = 0
        for chunk in self.chunks:
            rows = self.store.chunk_rows(chunk)
            lo, hi = max(first, rows.start), min(end, rows.stop)
            pos = self.store.read_chunk("pos", chunk)[lo - rows.start: hi - rows.start, 0]
            kept += int(np.count_nonzero(pos >= self.minimum_position))
        return kept

    # resume

    def state(self) -> dict:
        """Where iteration is: a small JSON-serialisable position (the settings it holds must
        match to resume; the buffer's rows are saved as row numbers, not values). Taken between
        batches, it continues with the batch after the last one yielded."""
        settings = positions.settings_of(self)
        cursor = self._cursor
        if cursor is None:
            if self._resume is not None:
                return dict(self._resume, settings=settings)
            _, rng = epoch_generators(self.seed, self.start_epoch, self.chunks, self.shuffle, self.stream_index,
                                      self.stream_count)
            return positions.make(settings, self.start_epoch, 0, rng.state, 0, 0, [], False)
        stream = cursor.stream
        words = cursor.draws.state() if cursor.draws is not None else cursor.rng.state
        return positions.make(settings, cursor.epoch, cursor.batches, words, stream.taken, stream.offset,
                              cursor.live_rows(), stream.done)

    def load_state(self, position):
        """Makes the next iteration continue from `position` (see `resume`)."""
        restored = positions.parse(position)
        positions.check(restored, positions.settings_of(self))
        if restored["epoch"] < self.start_epoch:
            raise positions.PositionMismatchError(
                f"the loader position is in epoch {restored['epoch']}, before this iterator's start_epoch {self.start_epoch}")
        if len(restored["buffer_rows"]) > self.capacity:
            raise positions.PositionMismatchError(
                f"the loader position buffers {len(restored['buffer_rows'])} rows, this iterator's buffer holds {self.capacity}")
        first, end = self.row_range
        outside = [r for r in restored["buffer_rows"] if not first <= r < end]
        if outside:
            raise positions.PositionMismatchError(f"the loader position's buffer holds row {outside[0]}, outside rows {first}..<{end}")
        self._resume = restored

    def _buffer_values(self, rows: np.ndarray) -> np.ndarray:
        """The values of global `rows`, read chunk by chunk (a restored shuffle buffer)."""
        out = np.empty((len(rows), self.width), self.work_dtype)
        starts = self.store.chunk_row_starts()
        owners = np.searchsorted(starts, rows, side="right") - 1
        for chunk in np.unique(owners).tolist():
            slots = np.nonzero(owners == chunk)[0]
            values = self.store.read_chunk(self.column, chunk, self.work_dtype)
            out[slots] = values[rows[slots] - starts[chunk]]
        return out

    def _decode(self, chunk: int, out: Optional[np.ndarray] = None):
        """(kept values, their global rows) of a chunk; decoded into `out` when given."""
        values = self.store.read_chunk(self.column, chunk, self.work_dtype, out)
        chunk_rows = self.store.chunk_rows(chunk)
        rows = np.arange(chunk_rows.start, chunk_rows.stop, dtype=np.int64)
        keep = (rows >= self.row_range[0]) & (rows < self.row_range[1])
        if self.minimum_position > 0:
            keep &= self.store.read_chunk("pos", chunk)[:, 0] >= self.minimum_position
        if keep.all():
            return values, rows
        return values[keep], rows[keep]

    def _output(self, values: np.ndarray) -> np.ndarray:
        """A batch in the work dtype as a fresh batch of `dtype` (f16 → f32 is exact)."""
        if values.dtype == self.dtype:
            return values
        return self.convert(values)

    def convert(self, halves: np.ndarray):
        """float16 rows → a new float32 array, bit for bit numpy's cast. A subclass or
        StoreDataset replaces it (torch's vectorised cast into shared memory)."""
        return to_float32(halves)

    def __iter__(self):
        restored = self._resume
        epoch = self.start_epoch if restored is None else restored["epoch"]
        while self.epochs is None or epoch < self.start_epoch + self.epochs:
            for batch, rows in self.epoch(epoch, restored):
                yield (batch, rows) if self.return_rows else batch
            restored = None
            epoch += 1

    def epoch(self, epoch: int, restored: Optional[dict] = None) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """(batch values, their global rows) of one epoch, from its start or from `restored`
        (a parsed position in this epoch)."""
        order, rng = epoch_generators(self.seed, epoch, self.chunks, self.shuffle, self.stream_index, self.stream_count)
        if restored is not None:
            rng = SeededGenerator.from_state(restored["rng"])
        stream = _ChunkStream(self, order, restored, recycle=self.shuffle)
        cursor = _Cursor(epoch, restored["batches_in_epoch"] if restored else 0, stream, rng)
        self._cursor = cursor
        try:
            if not self.shuffle:
                while True:
                    values, rows = stream.take(self.batch_rows)
                    if len(rows) == 0:
                        return
                    cursor.batches += 1
                    yield self._output(values), rows
            yield from self._shuffled(stream, rng, cursor, restored)
        finally:
            stream.close()

    def _shuffled(self, stream: _ChunkStream, rng: SeededGenerator, cursor: "_Cursor", restored: Optional[dict]):
        draws = cursor.draws = FastGenerator(rng)
        capacity, n = self.capacity, self.batch_rows
        if restored is not None and (restored["chunks_taken"] > 0 or restored["stream_done"]):
            # A position past the epoch's fill: its buffer's rows, slot by slot, read back from
            # their chunks (the buffer holds only its few hundred latest chunks' rows).
            buffer_rows = np.asarray(restored["buffer_rows"], dtype=np.int64)
            buffer = self._buffer_values(buffer_rows)
            if len(buffer_rows) < capacity and not stream.done:
                raise StoreError(f"the loader position buffers {len(buffer_rows)} rows of {capacity} while its stream "
                                 "still flows; a buffer is full until the stream runs dry")
        else:
            buffer, buffer_rows = stream.take(capacity)
        # The buffer is refilled in place: it must own its rows, not view a decoded chunk
        # (take's rows from several chunks are already a fresh concatenation).
        if not buffer.flags.owndata:
            buffer, buffer_rows = buffer.copy(), buffer_rows.copy()
        count = len(buffer_rows)
        where = None
        cursor.buffer_rows, cursor.count = buffer_rows, count
        converting = self.work_dtype != self.dtype or self.reuse_batch
        scratch = np.empty((n, self.width), self.work_dtype) if converting else None
        while count > 0:
            # Converted batches are made from one reused batch of halves; others are fresh.
            out = scratch if converting else np.empty((n, self.width), self.dtype)
            out_rows = np.empty(n, np.int64)
            produced = 0
            if count == capacity and not stream.done:
                # While the stream flows every draw refills its slot with the next stream row,
                # so a batch's draws are computed at once; the draw whose refill finds the
                # stream dry is the last made with the full buffer's bound.
                incoming, incoming_rows = stream.take(n)
                flowing = len(incoming_rows)
                slots = draws.draw(np.full(min(n, flowing + 1), capacity))
                produced = _draw_flowing(slots[:flowing], incoming, incoming_rows, buffer, buffer_rows, out, out_rows)
                if flowing < n:
                    slot = int(slots[flowing])
                    out[produced], out_rows[produced] = buffer[slot], buffer_rows[slot]
                    produced += 1
                    count = _shrink(buffer, buffer_rows, slot, count)
            if produced < n and count > 0:
                # The stream is dry: each draw takes a slot and the buffer's last row moves into
                # it, the bound shrinking by one a draw. Only slot numbers move (`where`: the
                # buffer row each live slot holds), never the rows themselves.
                if where is None:
                    where = list(range(count))
                k = min(n - produced, count)
                picked = []
                for slot in draws.draw(np.arange(count, count - k, -1)).tolist():
                    picked.append(where[slot])
                    count -= 1
                    where[slot] = where[count]
                picked = np.asarray(picked, dtype=np.int64)
                out[produced: produced + k] = buffer[picked]
                out_rows[produced: produced + k] = buffer_rows[picked]
                produced += k
            cursor.batches += 1
            cursor.count, cursor.where = count, where
            yield self._output(out[:produced]), out_rows[:produced]


def to_float32(halves: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """float16 → float32, exactly as numpy casts (NaN payloads kept, signalling ones too).
    With torch imported (a trainer's process), torch's vectorised cast (F16C/AVX-512: ~10x
    numpy's, which is scalar for this cast) writes it; torch quiets signalling NaNs, so a batch
    with any NaN (its sum is NaN: one vectorised pass, no temporary, unlike isnan) is cast
    again by numpy."""
    if out is None:
        out = np.empty(halves.shape, np.float32)
    torch = sys.modules.get("torch")
    if torch is not None and halves.flags.c_contiguous and out.flags.c_contiguous and halves.size:
        target = torch.from_numpy(out)
        target.copy_(torch.from_numpy(halves))
        if not math.isnan(float(target.sum())):
            return out
    np.copyto(out, halves)
    return out


class _Cursor:
    """The live state of the epoch being iterated, as `state()` reads it between batches."""

    def __init__(self, epoch: int, batches: int, stream: _ChunkStream, rng: SeededGenerator):
        self.epoch, self.batches, self.stream, self.rng = epoch, batches, stream, rng
        self.draws = None  # the shuffle's FastGenerator once it draws
        self.buffer_rows, self.count, self.where = np.empty(0, np.int64), 0, None

    def live_rows(self) -> list:
        """The buffer's row numbers in slot order: once the stream is dry only slot numbers
        move (`where`: the buffer row each live slot holds)."""
        if self.where is None:
            return self.buffer_rows[: self.count].tolist()
        return [int(self.buffer_rows[w]) for w in self.where[: self.count]]


def _draw_flowing(slots, incoming, incoming_rows, buffer, buffer_rows, out, out_rows) -> int:
    """Draws slots[k] in turn, each refilled by incoming[k]: draw k yields what the buffer held
    at the start, or incoming[j] for the latest j < k that drew the same slot."""
    m = len(slots)
    if m == 0:
        return 0
    order = np.argsort(slots, kind="stable")
    ordered = slots[order]
    same = ordered[1:] == ordered[:-1]
    # Every draw first takes what its slot held at the start (one gather, no temporary); the
    # few that drew a slot an earlier draw of this batch refilled then take that refill.
    np.take(buffer, slots, axis=0, out=out[:m])
    np.take(buffer_rows, slots, out=out_rows[:m])
    later, earlier = order[1:][same], order[:-1][same]
    out[later] = incoming[earlier]
    out_rows[later] = incoming_rows[earlier]
    # Every slot keeps its last draw's refill: scatter all, then rewrite the repeated slots
    # with their last refill (numpy does not promise which of repeated indices wins).
    buffer[slots] = incoming[:m]
    buffer_rows[slots] = incoming_rows[:m]
    if same.any():
        last = np.ones(m, dtype=bool)
        last[:-1] = ~same
        repeated = np.zeros(m, dtype=bool)
        repeated[1:] |= same
        repeated[:-1] |= same
        final = order[last & repeated]
        buffer[slots[final]] = incoming[final]
        buffer_rows[slots[final]] = incoming_rows[final]
    return m


def _shrink(buffer, buffer_rows, slot: int, count: int) -> int:
    """A drawn slot the dry stream cannot refill takes the buffer's last row."""
    last = count - 1
    if slot != last:
        buffer[slot], buffer_rows[slot] = buffer[last], buffer_rows[last]
    return last


def reference_batches(store, column: str, batch_rows: int, epoch: int = 0, **options):
    """The Swift loader's loop row by row (pullRow, draw, refill or shrink), for the tests to
    hold the vectorised iterator to: a list of (values, rows) batches of one epoch."""
    it = BatchIterator(store, column, batch_rows, workers=0, **options)
    order, rng = epoch_generators(it.seed, epoch, it.chunks, it.shuffle, it.stream_index, it.stream_count)
    stream = _ChunkStream(it, order)
    batches = []
    if not it.shuffle:
        while True:
            values, rows = stream.take(batch_rows)
            if len(rows) == 0:
                return batches
            batches.append((it._output(values), rows))
    buffer, buffer_rows, count = [], [], 0
    while count < it.capacity and not stream.done:
        values, rows = stream.take(1)
        if len(rows):
            buffer.append(values[0].copy())
            buffer_rows.append(int(rows[0]))
            count += 1
    while True:
        values_out, rows_out = [], []
        while len(rows_out) < batch_rows and count > 0:
            slot = rng.next_index(count)
            values_out.append(buffer[slot].copy())
            rows_out.append(buffer_rows[slot])
            values, rows = stream.take(1)
            if len(rows):
                buffer[slot], buffer_rows[slot] = values[0].copy(), int(rows[0])
            else:
                buffer[slot], buffer_rows[slot] = buffer[count - 1], buffer_rows[count - 1]
                count -= 1
        if not rows_out:
            return batches
        batches.append((it._output(np.stack(values_out)), np.asarray(rows_out, dtype=np.int64)))
