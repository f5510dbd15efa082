"""Chunk payload → values (docs/FORMAT.md "Chunk payload"): un-shuffle byte planes, then convert.

`decode_floats` is the vectorised path; `reference_decode_floats` converts value by value
from the spec's words, and the tests hold the two equal on every codec.
"""
import struct
from typing import Optional

import numpy as np


def _unshuffle(planes: np.ndarray, value_bytes: int, out: Optional[np.ndarray] = None) -> np.ndarray:
    """w planes of n bytes (plane p = byte p of every value) → n interleaved values' bytes,
    into `out` (n·w bytes) when given: a reused scratch buffer costs no fresh pages."""
    n = planes.size // value_bytes
    # One strided copy per plane: several times faster than a (w, n) → (n, w) transpose.
    out = np.empty((n, value_bytes), dtype=np.uint8) if out is None else out.reshape(n, value_bytes)
    for p in range(value_bytes):
        out[:, p] = planes[p * n:(p + 1) * n]
    return out.reshape(-1)


class PayloadError(ValueError):
    """A decompressed payload that contradicts its own layout (the message says how)."""


def _decode_int8_outlier(raw: np.ndarray, shuffled: bool, rows: int, width: int) -> np.ndarray:
    """FORMAT.md "int8-outlier": centre, columnScale, rowScale, outlierCount, outlierColumn,
    outlierValue, q; x = ((f32(q)·rowScale)·columnScale) + centre in f32, then the outliers."""
    at = 0

    def words(count, dtype):
        nonlocal at
        block = raw[at: at + 4 * count]
        at += 4 * count
        return (_unshuffle(block, 4) if shuffled else block.copy()).view(dtype)

    least = 8 * width + 5 * rows + rows * width
    if raw.size < least:
        raise PayloadError(f"int8-outlier payload of {raw.size} bytes is shorter than {rows} rows x {width} need")
    centre, column_scale, row_scale = words(width, "<f4"), words(width, "<f4"), words(rows, "<f4")
    counts = raw[at: at + rows].astype(np.int64)
    at += rows
    outliers = int(counts.sum())
    if raw.size != least + 8 * outliers:
        raise PayloadError(f"int8-outlier payload holds {raw.size} bytes, its {outliers} outliers need {least + 8 * outliers}")
    columns, values = words(outliers, "<u4").astype(np.int64), words(outliers, "<f4")
    q = raw[at: at + rows * width].view(np.int8).reshape(rows, width)
    owner = np.repeat(np.arange(rows), counts)
    if outliers:
        first = np.r_[True, owner[1:] != owner[:-1]]
        bad = (columns >= width) | (~first & (columns <= np.r_[-1, columns[:-1]]))
        if bad.any():
            k = int(np.argmax(bad))
            raise PayloadError(f"int8-outlier row {owner[k]}: outlier column {columns[k]} is not above the previous and below the width {width}")
    x = ((q.astype(np.float32) * row_scale[:, None]) * column_scale[None, :]) + centre[None, :]
    x[owner, columns] = values
    return x


def decode_floats(payload, codec: str, shuffled: bool, rows: int, width: int, dtype=np.float32,
                  scratch: Optional[np.ndarray] = None, out: Optional[np.ndarray] = None) -> np.ndarray:
    """As `decode_values`, into `out` when given (dtype's values, at least rows x width,
    C-contiguous; the result is its first rows x width as (rows, width)). The f16 and f32 paths
    write it directly; the others decode, then copy."""
    if out is None:
        return decode_values(payload, codec, shuffled, rows, width, dtype, scratch)
    target = out.reshape(-1)[: rows * width].reshape(rows, width)
    raw = np.frombuffer(payload, dtype=np.uint8)
    if np.dtype(dtype) == np.float32 and codec == "f16" and shuffled and scratch is not None and scratch.size >= raw.size:
        # The same numpy cast as astype, into recycled memory.
        np.copyto(target, _unshuffle(raw, 2, scratch[: raw.size]).view("<f2").reshape(rows, width))
    elif np.dtype(dtype) == np.float16 and codec == "f16" and shuffled:
        _unshuffle(raw, 2, target.view(np.uint8))
    elif np.dtype(dtype) == np.float32 and codec == "f32" and shuffled:
        _unshuffle(raw, 4, target.view(np.uint8))
    else:
        np.copyto(target, decode_values(payload, codec, shuffled, rows, width, dtype, scratch))
    return target


def decode_values(payload, codec: str, shuffled: bool, rows: int, width: int, dtype=np.float32,
                  scratch: Optional[np.ndarray] = None) -> np.ndarray:
    """A float column's payload as float32 (rows, width), row-major; or, with dtype float16 on
    an f16 column, its stored halves as they are (the same values: f16 → f32 is exact), for a
    trainer that converts on its GPU. `scratch` (uint8, at least the payload's size) holds the
    un-shuffled bytes before conversion instead of fresh memory; the result never aliases it."""
    raw = np.frombuffer(payload, dtype=np.uint8)
    n = rows * width
    if np.dtype(dtype) == np.float16:
        if codec != "f16":
            raise ValueError(f"a {codec} column decodes to float32 only; float16 batches need an f16 column")
        if not shuffled:
            return raw.view("<f2").reshape(rows, width).copy()
        return _unshuffle(raw, 2).view("<f2").reshape(rows, width)
    if np.dtype(dtype) != np.float32:
        raise ValueError(f"activations decode to float32 or float16, not {np.dtype(dtype)}")
    if codec == "f16" and shuffled and scratch is not None and scratch.size >= raw.size:
        # The halves go to scratch, the conversion writes the one fresh array.
        return _unshuffle(raw, 2, scratch[: raw.size]).view("<f2").astype(np.float32).reshape(rows, width)
    if codec == "int8-outlier":
        return _decode_int8_outlier(raw, shuffled, rows, width)
    if codec == "f32":
        values = (_unshuffle(raw, 4) if shuffled else raw).view("<f4")
        if not shuffled:
            values = values.copy()  # own the memory: the payload buffer is reused
    elif codec == "f16":
        values = (_unshuffle(raw, 2) if shuffled else raw).view("<f2").astype(np.float32)
    elif codec == "bf16":
        halves = (_unshuffle(raw, 2) if shuffled else raw).view("<u2")
        values = (halves.astype(np.uint32) << 16).view(np.float32)
    elif codec == "int8":
        scale_bytes = raw[: rows * 4]
        scales = (_unshuffle(scale_bytes, 4) if shuffled else scale_bytes).view("<f4")
        q = raw[rows * 4: rows * 4 + n].view(np.int8).reshape(rows, width)
        # float32(q) × scale in f32, as the Swift decoder multiplies.
        return q.astype(np.float32) * scales.astype(np.float32)[:, None]
    else:
        raise ValueError(f"codec {codec} holds integers, not floats")
    return values.reshape(rows, width)


def decode_integers(payload, codec: str, shuffled: bool, rows: int, width: int) -> np.ndarray:
    """An integer column's payload as uint32/uint64 (rows, width)."""
    value_bytes = {"u32": 4, "u64": 8}[codec]
    raw = np.frombuffer(payload, dtype=np.uint8)
    values = (_unshuffle(raw, value_bytes) if shuffled else raw.copy()).view(f"<u{value_bytes}")
    return values.reshape(rows, width)


def reference_decode_floats(payload: bytes, codec: str, shuffled: bool, rows: int, width: int) -> np.ndarray:
    """Value by value, from the spec: byte p of value i is at p·n + i when shuffled, else i·w + p."""
    n = rows * width
    payload = bytes(payload)
    out = np.zeros(n, dtype=np.float32)

    def value_bits(block: bytes, count: int, i: int, w: int) -> int:
        return sum(block[(p * count + i) if shuffled else (i * w + p)] << (8 * p) for p in range(w))

    if codec == "int8":
        scales = [struct.unpack("<f", value_bits(payload[: rows * 4], rows, r, 4).to_bytes(4, "little"))[0] for r in range(rows)]
        for i in range(n):
            q = struct.unpack("<b", payload[rows * 4 + i: rows * 4 + i + 1])[0]
            out[i] = np.float32(q) * np.float32(scales[i // width])
        return out.reshape(rows, width)
    w = {"f32": 4, "f16": 2, "bf16": 2}[codec]
    for i in range(n):
        bits = value_bits(payload, n, i, w)
        if codec == "f32":
            out[i] = struct.unpack("<f", bits.to_bytes(4, "little"))[0]
        elif codec == "f16":
            out[i] = struct.unpack("<e", bits.to_bytes(2, "little"))[0]
        else:
            out[i] = struct.unpack("<f", (bits << 16).to_bytes(4, "little"))[0]
    return out.reshape(rows, width)
