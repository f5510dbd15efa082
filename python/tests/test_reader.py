"""The reader against the Swift writer and exporter: values byte for byte, documents, lookups."""
import json
import os
import shutil
import struct

import numpy as np
import pytest

import saestore
from saestore import codec, crc
from conftest import CODECS, HOOK, export, run


@pytest.mark.parametrize("dtype", CODECS)
def test_read_equals_swift_export_byte_for_byte(stores, saestore_bin, tmp_path, dtype):
    s = saestore.open(stores[dtype])
    assert s.column(HOOK).codec == dtype and s.chunk_count >= 3
    expected = export(saestore_bin, stores[dtype], HOOK, tmp_path / "all.npy")
    got = s.read(HOOK, 0, s.row_count)
    assert got.dtype == np.float32 and got.shape == expected.shape == (s.row_count, 128)
    assert got.tobytes() == expected.tobytes()
    # A range across chunk seams, as `export --rows` cuts it.
    lo, hi = 200, 700
    part = export(saestore_bin, stores[dtype], HOOK, tmp_path / "part.npy", f"{lo}..{hi}")
    assert s.read(HOOK, lo, hi).tobytes() == part.tobytes()


def test_vectorised_decode_equals_reference_on_every_codec(stores):
    for dtype in ("f32", "f16", "bf16", "int8"):  # int8-outlier: held to `saestore export` above
        s = saestore.open(stores[dtype])
        compressed, record, name, _ = s.compressed_chunk(s.column_index(HOOK), 1)
        import zstandard
        payload = zstandard.ZstdDecompressor().decompress(compressed)
        rows = int(record["row_count"])
        rows_checked = 8  # the reference is slow: the first rows of the chunk, with their scales
        sub = _first_rows_payload(payload, name, bool(record["shuffle"]), rows, 128, rows_checked)
        fast = codec.decode_floats(payload, name, bool(record["shuffle"]), rows, 128)[:rows_checked]
        ref = codec.reference_decode_floats(sub, name, False, rows_checked, 128)
        assert fast.tobytes() == ref.tobytes(), dtype


def _first_rows_payload(payload, name, shuffled, rows, width, k):
    """The first k rows of a payload, unshuffled the plain way (byte p of value i at p·n + i)."""
    raw = bytes(payload)
    if name == "int8":
        scales = bytes(raw[(p * rows + r) if shuffled else (r * 4 + p)] for r in range(k) for p in range(4))
        return scales + raw[rows * 4: rows * 4 + k * width]
    w = {"f32": 4, "f16": 2, "bf16": 2}[name]
    n = rows * width
    return bytes(raw[(p * n + i) if shuffled else (i * w + p)] for i in range(k * width) for p in range(w))


def test_metadata_columns_rows_and_text_match_swift_lookup(stores, saestore_bin):
    s = saestore.open(stores["f16"])
    assert [c.name for c in s.columns][:5] == ["token_id", "doc_id", "pos", "byte_start", "byte_end"]
    assert s.manifest.has_documents and s.manifest.prepend_bos is True and s.manifest.context_size == 48
    last_doc = s.document_count - 1
    rows = [0, 1, 47, 48, 49, 255, 256, s.document(last_doc).first_row, s.row_count - 1]
    for row in rows:
        r = s.row(row)
        out = json.loads(run(saestore_bin, "lookup", stores["f16"], "--row", row, "--json").stdout)
        assert (r.document, r.token_index, r.position, r.token_id, r.byte_start, r.byte_end) == \
            (out["document"], out["tokenIndex"], out["position"], out["tokenID"], out["byteStart"], out["byteEnd"]), row
        assert r.token == out["token"] and r.source_index == out["sourceIndex"]
    # The last document's rows need MDB_LAST (no rowdoc key after them).
    assert s.document_of(s.row_count - 1) == last_doc
    # Every document: contiguous rows, doc_id column, a window's BOS at its first token's byte.
    doc_ids = s.read("doc_id")[:, 0]
    pos = s.read("pos")[:, 0]
    starts, ends = s.read("byte_start")[:, 0], s.read("byte_end")[:, 0]
    token_ids = s.read("token_id")[:, 0]
    covered = 0
    for d in range(s.document_count):
        doc = s.document(d)
        assert doc.first_row == covered and (doc_ids[doc.rows.start: doc.rows.stop] == d).all()
        covered += doc.token_count
        text = s.text(d).encode()
        assert len(text) == doc.text_bytes
        bos = np.flatnonzero(pos[doc.rows.start: doc.rows.stop] == 0) + doc.rows.start
        assert (token_ids[bos] == 50256).all() and (starts[bos] == ends[bos]).all()
        for b in bos[1:]:
            assert starts[b] == starts[b + 1] > 0  # a later window's BOS sits at its first token
    assert covered == s.row_count


def test_sharded_store_reads_as_the_single_store(stores, sharded, saestore_bin, tmp_path):
    one, two = saestore.open(stores["f16"]), saestore.open(sharded)
    assert isinstance(two, saestore.ShardedStore) and len(two.shards) == 2
    assert (two.row_count, two.document_count) == (one.row_count, one.document_count)
    # Byte for byte against saestore's own export of the sharded store: the reader's property.
    assert two.read(HOOK).tobytes() == export(saestore_bin, sharded, HOOK, tmp_path / "u.npy").tobytes()
    # Against the single store only within 2 f16 steps: a shard's ingest packs its windows into
    # other GEMM rows, and OpenBLAS's edge-tile kernels round a row by its position in the tile
    # (issue 13; docs/PERFORMANCE.md "Not byte for byte"). Measured: 50 of 186,496 values moved.
    a, b = one.read(HOOK), two.read(HOOK)
    steps = np.abs(a.astype(np.float16).view(np.int16).astype(np.int32) - b.astype(np.float16).view(np.int16).astype(np.int32))
    assert steps.max() <= 2 and (steps > 0).mean() < 0.01
    for name in ("token_id", "doc_id", "pos", "byte_start", "byte_end"):
        assert (two.read(name) == one.read(name)).all(), name
    seam = two.shards[0].row_count
    for row in (seam - 1, seam, two.row_count - 1):
        assert two.row(row) == one.row(row)
    for d in range(one.document_count):
        assert two.document(d) == one.document(d) and two.text(d) == one.text(d)


def _corrupt_copy(src, dst, chunk):
    shutil.copytree(src, dst)
    s = saestore.open(dst)
    record = s.chunk_records(HOOK)[chunk]
    segment = s.segment_path(int(record["segment"]))
    at = int(record["byte_offset"]) + int(record["compressed_bytes"]) // 2
    with open(segment, "r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0x40]))
    return segment


def test_corrupted_chunk_is_refused_with_the_chunk_named(stores, saestore_bin, tmp_path):
    damaged = str(tmp_path / "damaged")
    segment = _corrupt_copy(stores["f16"], damaged, 2)
    s = saestore.open(damaged)
    assert s.read(HOOK, 0, 256).shape == (256, 128)  # chunk 0 is intact
    with pytest.raises(saestore.CorruptChunkError) as caught:
        s.read(HOOK, 0, s.row_count)
    message = str(caught.value)
    assert f"column {HOOK} chunk 2 at {segment} byte" in message and "checksum" in message
    # Swift refuses the same chunk.
    result = __import__("subprocess").run([saestore_bin, "export", damaged, "--column", HOOK, "--out",
                                           str(tmp_path / "x.npy"), "--quiet"], capture_output=True, text=True)
    assert result.returncode != 0 and f"chunk 2 at {segment}" in result.stderr


def test_zstd_content_checksum_is_verified(stores, tmp_path):
    """A frame whose payload was altered but whose CRC-32C is recomputed still fails zstd's checksum."""
    import lmdb
    import zstandard
    damaged = str(tmp_path / "zstd")
    shutil.copytree(stores["f32"], damaged)
    s = saestore.open(damaged)
    column = s.column_index(HOOK)
    record = s.chunk_records(HOOK)[0]
    offset, count = int(record["byte_offset"]), int(record["compressed_bytes"])
    with open(s.segment_path(0), "r+b") as f:
        f.seek(offset + count - 1)  # the last byte: inside zstd's content checksum
        last = f.read(1)[0]
        f.seek(offset + count - 1)
        f.write(bytes([last ^ 1]))
        f.seek(offset)
        frame = f.read(count)
    s.close()
    patched = bytearray(record.tobytes())
    patched[36:40] = struct.pack("<I", crc.checksum(frame))
    env = lmdb.open(os.path.join(damaged, "index"), max_dbs=16)
    with env.begin(write=True) as txn:
        txn.put(saestore.format.chunk_key(column, 0), bytes(patched), db=env.open_db(b"chunks", txn=txn))
    env.close()
    with pytest.raises(saestore.CorruptChunkError, match=f"column {HOOK} chunk 0 .*zstd"):
        saestore.open(damaged).read(HOOK, 0, 10)


def test_newer_format_is_refused_with_the_swift_message(stores, saestore_bin, tmp_path):
    import lmdb
    newer = str(tmp_path / "newer")
    shutil.copytree(stores["f16"], newer)
    env = lmdb.open(os.path.join(newer, "index"), max_dbs=16)
    with env.begin(write=True) as txn:
        txn.put(b"format_version", struct.pack("<I", 2), db=env.open_db(b"meta", txn=txn))
    env.close()
    with pytest.raises(saestore.NewerFormatError) as caught:
        saestore.open(newer)
    result = __import__("subprocess").run([saestore_bin, "info", newer], capture_output=True, text=True)
    assert result.returncode != 0
    assert str(caught.value) in result.stderr


def test_not_a_store_and_missing_column(tmp_path, stores):
    with pytest.raises(saestore.NotAStoreError, match="no index/data.mdb"):
        saestore.open(str(tmp_path))
    with pytest.raises(saestore.MissingColumnError, match='has no column "nope"'):
        saestore.open(stores["f16"]).read("nope", 0, 1)


def test_imported_bare_rows(saestore_bin, tmp_path):
    values = np.random.default_rng(0).standard_normal((1000, 24)).astype(np.float32)
    np.save(tmp_path / "x.npy", values)
    store = str(tmp_path / "bare")
    run(saestore_bin, "import", store, "--column", "acts", tmp_path / "x.npy", "--dtype", "f32", "--chunk-rows", "256", "--quiet")
    s = saestore.open(store)
    assert not s.manifest.has_documents and s.manifest.model is None and s.manifest.context_size is None
    assert s.read("acts").tobytes() == values.tobytes()
    assert s.row(5) is None


def test_crc32c_fast_path_equals_the_definition():
    assert crc.checksum(b"123456789") == crc.reference(b"123456789") == 0xE3069283
    data = np.random.default_rng(1).integers(0, 256, 3001, dtype=np.uint8).tobytes()
    for cut in (0, 1, 7, 8, 3001):
        assert crc.checksum(data[:cut]) == crc.reference(data[:cut])


@pytest.mark.parametrize("codec_name", CODECS)
def test_read_chunk_into_recycled_memory_gives_the_same_bits(stores, codec_name):
    """read_chunk(out=) (the loader's recycled chunk arrays) equals the fresh decode on every
    codec, float16 halves included, whatever the array held before; a wrong out= is refused."""
    s = saestore.open(stores[codec_name])
    rows = max(len(s.chunk_rows(c)) for c in range(s.chunk_count))
    out = np.full((rows, 128), np.nan, np.float32)
    for c in range(s.chunk_count):
        fresh = s.read_chunk(HOOK, c)
        got = s.read_chunk(HOOK, c, out=out)
        assert np.shares_memory(got, out) and got.shape == fresh.shape and got.tobytes() == fresh.tobytes()
    if codec_name == "f16":
        halves = np.zeros((rows, 128), np.float16)
        for c in range(s.chunk_count):
            assert s.read_chunk(HOOK, c, np.float16, out=halves).tobytes() == s.read_chunk(HOOK, c, np.float16).tobytes()
    with pytest.raises(saestore.StoreError, match="C-contiguous float32"):
        s.read_chunk(HOOK, 0, out=np.zeros((rows, 128), np.float64))
    with pytest.raises(saestore.StoreError, match="holds integers"):
        s.read_chunk("pos", 0, out=np.zeros((rows, 1), np.float32))
    with pytest.raises(saestore.StoreError, match="needs"):
        s.read_chunk(HOOK, 0, out=np.zeros(5, np.float32))


def _half_to_single_bits(h: int) -> int:
    """IEEE 754 binary16 → binary32 bits from the definition: ±inf and NaN keep their payload
    (signalling NaNs stay signalling), subnormals are renormalised, −0 keeps its sign."""
    s, e, m = h >> 15, (h >> 10) & 31, h & 1023
    if e == 31:
        return (s << 31) | 0x7F800000 | (m << 13)
    if e == 0:
        if m == 0:
            return s << 31
        k = m.bit_length() - 1  # the subnormal's leading one: value m·2^-24 = 1.f · 2^(k-24)
        return (s << 31) | ((k - 24 + 127) << 23) | ((m - (1 << k)) << (23 - k))
    return (s << 31) | ((e - 15 + 127) << 23) | (m << 13)


def test_every_half_bit_pattern_decodes_exactly_into_fresh_and_recycled_memory():
    """All 65,536 f16 patterns (NaN payloads, ±inf, subnormals, −0 included) as one shuffled f16
    chunk: the fresh decode and the decode into a recycled array give the definition's bits."""
    halves = np.arange(65536, dtype=np.uint16)
    expected = np.array([_half_to_single_bits(int(h)) for h in halves], dtype=np.uint32)
    planes = halves.view(np.uint8).reshape(-1, 2).T.copy().reshape(-1).tobytes()  # byte-shuffled
    recycled = np.full((512, 128), 7.0, np.float32)
    into = codec.decode_floats(planes, "f16", True, 512, 128, np.float32, np.empty(len(planes), np.uint8), recycled)
    fresh = codec.decode_floats(planes, "f16", True, 512, 128)
    assert np.shares_memory(into, recycled)
    assert into.view(np.uint32).reshape(-1).tolist() == expected.tolist()
    assert fresh.view(np.uint32).reshape(-1).tolist() == expected.tolist()
