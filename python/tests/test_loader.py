"""The numpy batch iterator: the Swift loader's batches for the same seed (saestore-bench
batches dumps them), the row-by-row reference, determinism, stream splits, and the
vectorised generator against the plain one."""
import json

import numpy as np
import pytest

import saestore
from saestore import fastrng, rng
from saestore.loader import BatchIterator, reference_batches
from conftest import HOOK, run

SETTINGS = [
    dict(batch_rows=100, shuffle_buffer_rows=300, seed=0),
    dict(batch_rows=64, shuffle_buffer_rows=5000, seed=7),          # the buffer holds the whole epoch
    dict(batch_rows=128, shuffle_buffer_rows=1000, seed=3, minimum_position=1, first_row=100, end_row=1400),
    dict(batch_rows=50, shuffle_buffer_rows=400, seed=11, stream_index=1, stream_count=3),
    dict(batch_rows=90, shuffle=False, first_row=10, end_row=1000),
]


def swift_batches(bench_bin, store, epochs=1, **o):
    args = [bench_bin, "batches", "--store", store, "--column", HOOK, "--batch", o["batch_rows"],
            "--buffer-rows", o.get("shuffle_buffer_rows", 1 << 16), "--seed", o.get("seed", 0), "--epochs", epochs,
            "--minimum-position", o.get("minimum_position", 0),
            "--stream", f"{o.get('stream_index', 0)}/{o.get('stream_count', 1)}"]
    if "first_row" in o:
        args += ["--first-row", o["first_row"]]
    if "end_row" in o:
        args += ["--end-row", o["end_row"]]
    if o.get("shuffle") is False:
        args += ["--no-shuffle"]
    lines = [json.loads(line) for line in run(*args).stdout.splitlines()]
    return [(line["epoch"], line["rows"]) for line in lines]


@pytest.mark.parametrize("options", SETTINGS)
def test_batches_equal_the_swift_loader(stores, bench_bin, options):
    s = saestore.open(stores["f16"])
    batch_rows = options["batch_rows"]
    rest = {k: v for k, v in options.items() if k != "batch_rows"}
    ours = list(BatchIterator(s, HOOK, batch_rows, epochs=2, return_rows=True, **rest))
    theirs = swift_batches(bench_bin, stores["f16"], epochs=2, **options)
    assert [r.tolist() for _, r in ours] == [rows for _, rows in theirs]
    values = s.read(HOOK)
    for batch, rows in ours:
        assert batch.tobytes() == values[rows].tobytes()


@pytest.mark.parametrize("options", SETTINGS)
def test_vectorised_iterator_equals_the_row_by_row_reference(stores, options):
    s = saestore.open(stores["int8"])
    batch_rows = options["batch_rows"]
    rest = {k: v for k, v in options.items() if k != "batch_rows"}
    for epoch in (0, 1):
        fast = list(BatchIterator(s, HOOK, batch_rows, return_rows=True, epochs=1, start_epoch=epoch, **rest))
        slow = reference_batches(s, HOOK, batch_rows, epoch=epoch, **rest)
        assert len(fast) == len(slow)
        for (fv, fr), (sv, sr) in zip(fast, slow):
            assert fr.tolist() == sr.tolist() and fv.tobytes() == sv.tobytes()


def test_deterministic_for_a_seed_and_every_row_once_per_epoch(stores):
    s = saestore.open(stores["f16"])
    a = [r for _, r in BatchIterator(s, HOOK, 200, shuffle_buffer_rows=500, seed=5, return_rows=True, epochs=2)]
    b = [r for _, r in BatchIterator(s, HOOK, 200, shuffle_buffer_rows=500, seed=5, return_rows=True, epochs=2, workers=0)]
    c = [r for _, r in BatchIterator(s, HOOK, 200, shuffle_buffer_rows=500, seed=6, return_rows=True, epochs=1)]
    assert [x.tolist() for x in a] == [x.tolist() for x in b]
    assert np.concatenate(a)[: s.row_count].tolist() != np.concatenate(c).tolist()
    epoch0 = np.concatenate(list(r for _, r in BatchIterator(s, HOOK, 200, seed=5, return_rows=True)))
    assert sorted(epoch0.tolist()) == list(range(s.row_count))


def test_streams_split_each_epoch_disjointly(stores):
    s = saestore.open(stores["f16"])
    seen = []
    for i in range(3):
        it = BatchIterator(s, HOOK, 64, shuffle_buffer_rows=600, seed=2, stream_index=i, stream_count=3, return_rows=True)
        seen.append(np.concatenate([r for _, r in it]))
    everything = np.concatenate(seen)
    assert len(set(everything.tolist())) == len(everything) == s.row_count


def test_fast_generator_equals_the_plain_generator():
    plain = rng.SeededGenerator(42)
    expected = [plain.next() for _ in range(70000)]
    stream = fastrng.OutputStream(rng.SeededGenerator(42).state)
    assert [int(x) for x in stream.peek(70000)] == expected
    bounds = np.random.default_rng(0).integers(1, 1 << 20, 5000)
    plain = rng.SeededGenerator(9)
    assert fastrng.FastGenerator(rng.SeededGenerator(9)).draw(bounds).tolist() == [plain.next_index(int(b)) for b in bounds]


def test_rejected_draws_take_the_next_output():
    """Lemire's rejection (rare with real outputs) forced with a crafted output of 0."""
    outputs = np.array([0, 5 << 60, 3 << 62], dtype=np.uint64)
    values, accepted = fastrng.bounded(outputs, np.array([3, 3, 3]))
    assert accepted.tolist() == [False, True, True]
    for r, v in zip(outputs[1:], values[1:]):
        assert v == (int(r) * 3) >> 64


@pytest.mark.parametrize("options", SETTINGS)
def test_float16_batches_are_the_float32_batches_unconverted(stores, options):
    s = saestore.open(stores["f16"])
    full = list(BatchIterator(s, HOOK, return_rows=True, workers=2, **options))
    halves = list(BatchIterator(s, HOOK, return_rows=True, workers=2, dtype=np.float16, **options))
    assert len(full) == len(halves) > 0
    for (a, rows_a), (h, rows_h) in zip(full, halves):
        assert h.dtype == np.float16 and (rows_a == rows_h).all()
        # f16 → f32 is exact, so the float32 batch is the float16 batch converted, bit for bit.
        assert h.astype(np.float32).tobytes() == a.tobytes()


def test_float16_batches_need_an_f16_column(stores):
    for codec in ("f32", "bf16", "int8", "int8-outlier"):
        with pytest.raises(saestore.StoreError, match=f"stored as {codec}; float16 batches need an f16 column"):
            BatchIterator(saestore.open(stores[codec]), HOOK, dtype=np.float16)
    with pytest.raises(saestore.StoreError, match="float32 or float16"):
        BatchIterator(saestore.open(stores["f16"]), HOOK, dtype=np.float64)


def test_decode_threads_share_no_decompressor(stores):
    """Four threads decoding the same chunks at once give each chunk's single-thread values
    (a shared ZstdDecompressor or scratch buffer would interleave them)."""
    from concurrent.futures import ThreadPoolExecutor
    s = saestore.open(stores["f16"])
    chunks = list(range(s.chunk_count)) * 8
    alone = {c: saestore.open(stores["f16"]).read_chunk(HOOK, c).tobytes() for c in set(chunks)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        decoded = list(pool.map(lambda c: s.read_chunk(HOOK, c).tobytes(), chunks))
    assert all(d == alone[c] for c, d in zip(chunks, decoded))


def test_the_position_filter_counts_rows_in_one_chunks_memory(saestore_bin, tmp_path):
    """minimum_position counts an epoch's rows chunk by chunk (issue 16): on a store whose pos
    column spans 277 chunks, building the iterator allocates a small part of that column
    (reading the whole column, as before, peaked at about 1.5 times its size). The counts are
    checked against the whole column read at once."""
    import os
    import tracemalloc
    from conftest import REPO
    store = str(tmp_path / "many-chunks")
    run(saestore_bin, "ingest", "--model", os.path.join(REPO, "demo", "model"),
        "--corpus", os.path.join(REPO, "demo", "corpus", "tinyshakespeare-heldout.txt"), "--separator", "\\n\\n",
        "--store", store, "--hook", HOOK, "--context", "48", "--prepend-bos", "--chunk-rows", "128", "--dtype", "f16",
        "--threads", "1", "--quiet")
    s = saestore.open(store)
    column_bytes = s.row_count * 4
    assert s.chunk_count > 200
    # What any reader of the store loads once (chunk records, the thread's zstd scratch) first.
    s.chunk_row_starts(), s.chunk_records("pos"), s.chunk_records(HOOK), s.read_chunk("pos", 0)
    tracemalloc.start()
    try:
        it = BatchIterator(s, HOOK, 512, minimum_position=1, first_row=1000, end_row=30000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < column_bytes / 4, (peak, column_bytes)
    pos = s.read("pos")[:, 0]
    assert it.rows_per_epoch == int((pos[1000:30000] >= 1).sum())
    assert BatchIterator(s, HOOK, 512, minimum_position=3).rows_per_epoch == int((pos >= 3).sum())
