"""Resuming the batch iterator from a saved position: the batches after it are the
uninterrupted run's, bit for bit; a position from other settings or another store is refused;
a Swift checkpoint's loader.bin (made here by `saestore train`) continues the Swift run."""
import glob
import json
import os

import numpy as np
import pytest

import saestore
from saestore import fastrng, rng
from saestore.loader import BatchIterator
from conftest import HOOK, run
from test_loader import SETTINGS, swift_batches


def split(options):
    return options["batch_rows"], {k: v for k, v in options.items() if k != "batch_rows"}


def cut_points(batches):
    """Batch counts to interrupt after: the start, the first batch, mid-epoch, the last batch
    of epoch 0 (an epoch boundary), the first of epoch 1, and the very end."""
    epoch0 = sum(1 for e, _ in batches if e == 0)
    n = len(batches)
    return sorted({0, 1, epoch0 // 2, epoch0 - 1, epoch0, epoch0 + 1, n - 1, n})


def run_with_epochs(s, batch_rows, **o):
    """(epoch, values, rows) of an uninterrupted two-epoch run."""
    out = []
    for epoch in (0, 1):
        out += [(epoch, v, r) for v, r in BatchIterator(s, HOOK, batch_rows, epochs=1, start_epoch=epoch, return_rows=True, **o)]
    return out


def assert_same(resumed, expected):
    assert len(resumed) == len(expected)
    for (v, r), (_, ev, er) in zip(resumed, expected):
        assert r.tolist() == er.tolist() and v.dtype == ev.dtype and v.tobytes() == ev.tobytes()


@pytest.mark.parametrize("options", SETTINGS + [dict(SETTINGS[0], dtype=np.float16), dict(SETTINGS[2], workers=2, prefetch=2)])
def test_resumed_batches_are_the_uninterrupted_runs(stores, options):
    s = saestore.open(stores["f16"])
    batch_rows, o = split(options)
    full = run_with_epochs(s, batch_rows, **o)
    assert [r.tolist() for _, _, r in full] == [r.tolist() for _, r in BatchIterator(s, HOOK, batch_rows, epochs=2, return_rows=True, **o)]
    for k in cut_points([(e, r) for e, _, r in full]):
        it = BatchIterator(s, HOOK, batch_rows, epochs=2, return_rows=True, **o)
        batches = iter(it)
        for _ in range(k):
            next(batches)
        position = json.loads(json.dumps(it.state()))  # what a checkpoint keeps
        resumed = list(BatchIterator(s, HOOK, batch_rows, epochs=2, return_rows=True, resume=position, **o))
        assert_same(resumed, full[k:])


def test_a_resumed_iterator_saves_a_position_that_resumes_again(stores):
    s = saestore.open(stores["f16"])
    o = dict(shuffle_buffer_rows=300, seed=9, minimum_position=1)
    full = run_with_epochs(s, 70, **o)
    first = BatchIterator(s, HOOK, 70, epochs=2, return_rows=True, **o)
    g = iter(first)
    for _ in range(5):
        next(g)
    second = BatchIterator(s, HOOK, 70, epochs=2, return_rows=True, resume=json.dumps(first.state()), **o)
    assert second.state()["chunks_taken"] == first.state()["chunks_taken"]  # a position before iterating
    g = iter(second)
    for _ in range(9):
        next(g)
    third = BatchIterator(s, HOOK, 70, epochs=2, return_rows=True, resume=second.state(), **o)
    assert_same(list(third), full[14:])


def test_resume_reads_only_the_buffer_and_current_chunks(stores):
    """Resuming costs the buffer's chunks and the chunk being fed, never a replay of the epoch."""
    s = saestore.open(stores["f16"])
    o = dict(shuffle_buffer_rows=200, seed=1)
    it = BatchIterator(s, HOOK, 50, return_rows=True, workers=0, **o)
    g = iter(it)
    for _ in range(20):
        next(g)
    position = it.state()
    decoded = []
    original = s.read_chunk
    s.read_chunk = lambda name, chunk, *a: decoded.append((name, chunk)) or original(name, chunk, *a)
    try:
        resumed = BatchIterator(s, HOOK, 50, return_rows=True, workers=0, resume=position, **o)
        next(iter(resumed))
    finally:
        del s.read_chunk
    buffer_chunks = {s.chunk_containing(r) for r in position["buffer_rows"]}
    # + the chunk being fed, + the next one this batch reaches into
    assert len(decoded) <= len(buffer_chunks) + 2, decoded
    assert 0 < position["chunks_taken"] < s.chunk_count and position["batches_in_epoch"] == 20


def test_positions_from_other_settings_or_stores_are_refused(stores, sharded):
    s = saestore.open(stores["f16"])
    it = BatchIterator(s, HOOK, 100, shuffle_buffer_rows=300, seed=0, minimum_position=1)
    g = iter(it)
    next(g)
    position = it.state()
    cases = [
        (dict(seed=1), "seed = 0, this iterator has 1"),
        (dict(minimum_position=0), "minimum_position = 1"),
        (dict(shuffle_buffer_rows=400), "shuffle_buffer_rows = 300"),
        (dict(batch=64), "batch_rows = 100"),
        (dict(stream_index=1, stream_count=2), "stream_index = 0"),
        (dict(end_row=1000), "end_row"),
        (dict(shuffle=False), "shuffle = True"),
    ]
    for change, message in cases:
        options = dict(shuffle_buffer_rows=300, seed=0, minimum_position=1) | change
        batch_rows = options.pop("batch", 100)
        with pytest.raises(saestore.PositionMismatchError, match=message):
            BatchIterator(s, HOOK, batch_rows, resume=position, **options)
    # Another store: the same documents in two shards (a short chunk at the seam).
    with pytest.raises(saestore.PositionMismatchError, match="store_chunk_count .* another store"):
        BatchIterator(saestore.open(sharded), HOOK, 100, shuffle_buffer_rows=300, seed=0, minimum_position=1, resume=position)
    with pytest.raises(saestore.StoreError, match="not a loader position"):
        BatchIterator(s, HOOK, 100, resume={"epoch": 0})
    with pytest.raises(saestore.StoreError, match="is JSON"):
        BatchIterator(s, HOOK, 100, resume="{not json")
    with pytest.raises(saestore.PositionMismatchError, match="before this iterator's start_epoch 3"):
        BatchIterator(s, HOOK, 100, shuffle_buffer_rows=300, seed=0, minimum_position=1, start_epoch=3, resume=position)
    forged = dict(position, buffer_rows=[s.row_count + 5])
    with pytest.raises(saestore.PositionMismatchError, match=f"holds row {s.row_count + 5}, outside"):
        BatchIterator(s, HOOK, 100, shuffle_buffer_rows=300, seed=0, minimum_position=1, resume=forged)


def test_generator_state_after_vectorised_draws_is_the_plain_generators():
    bounds = np.random.default_rng(3).integers(1, 1 << 30, 70000)
    plain = rng.SeededGenerator(17)
    fast = fastrng.FastGenerator(rng.SeededGenerator(17))
    for lo, hi in ((0, 10), (10, 5000), (5000, 70000)):
        assert fast.draw(bounds[lo:hi]).tolist() == [plain.next_index(int(b)) for b in bounds[lo:hi]]
        assert fast.state() == plain.state
    start = rng.SeededGenerator(5)
    stepped = rng.SeededGenerator(5)
    for _ in range(1234):
        stepped.next()
    assert fastrng.advanced(start.state, 1234) == stepped.state


def swift_train(binary, store, out, **flags):
    args = [binary, "train", "--store", store, "--hook", HOOK, "--out", out, "--expansion", "1", "--quiet", "--log-every", "1000"]
    for k, v in flags.items():
        args += [f"--{k.replace('_', '-')}", v]
    run(*args)
    return {int(os.path.basename(d).split("-")[1]): d for d in glob.glob(os.path.join(out, "checkpoints", "step-*"))}


def test_a_swift_checkpoints_loader_position_continues_the_swift_run(stores, saestore_bin, bench_bin, tmp_path):
    """`saestore train` checkpoints its loader; Python resumed from loader.bin yields the batches
    the Swift loader serves after it (saestore-bench batches, same settings), mid-epoch and at
    an epoch boundary."""
    store = stores["f16"]
    s = saestore.open(store)
    o = dict(batch_rows=64, shuffle_buffer_rows=300, seed=5, minimum_position=1, first_row=0, end_row=1400)
    theirs = swift_batches(bench_bin, store, epochs=2, **o)
    batch_rows, rest = split(o)
    steps_per_epoch = sum(1 for e, _ in theirs if e == 0)
    assert steps_per_epoch > 8
    common = dict(batch=64, shuffle_buffer_rows=300, seed=5, min_position=1, rows="0..1400", epochs=2)
    mid = swift_train(saestore_bin, store, str(tmp_path / "mid"), checkpoint_every=7, max_steps=8, **common)
    edge = swift_train(saestore_bin, store, str(tmp_path / "edge"), checkpoint_every=steps_per_epoch,
                       max_steps=steps_per_epoch + 1, **common)
    for directory, step in ((mid[7], 7), (edge[steps_per_epoch], steps_per_epoch)):
        with open(os.path.join(directory, "loader.bin"), "rb") as f:
            blob = f.read()
        resumed = list(BatchIterator(s, HOOK, batch_rows, epochs=2, return_rows=True, resume=blob, **rest))
        assert [r.tolist() for _, r in resumed] == [rows for _, rows in theirs[step:]]
        values = s.read(HOOK)
        assert all(v.tobytes() == values[r].tobytes() for v, r in resumed)
    # The Swift position names its settings: another seed is refused by name.
    with pytest.raises(saestore.PositionMismatchError, match="seed = 5"):
        BatchIterator(s, HOOK, batch_rows, resume=blob, **(rest | dict(seed=6)))
