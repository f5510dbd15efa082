"""Constants and records of the on-disk format (docs/FORMAT.md, version 1)."""
import json
import struct
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from .errors import CorruptIndexError

FORMAT_VERSION = 1
MAGIC = b"saestore-activation-store"
SEGMENT_MAGIC = b"SAESTSEG"
SEGMENT_HEADER_BYTES = 16
TABLES = ("meta", "chunks", "docs", "rowdoc", "texts", "sources", "cursor")

# Chunk record codes (FORMAT.md "Chunk record") and the manifest's codec strings.
CODEC_BY_CODE = {1: "f32", 2: "f16", 3: "bf16", 4: "int8", 5: "u32", 6: "u64", 7: "int8-outlier"}
FLOAT_CODECS = ("f32", "f16", "bf16", "int8", "int8-outlier")
VALUE_BYTES = {"f32": 4, "u32": 4, "f16": 2, "bf16": 2, "int8": 1, "u64": 8, "int8-outlier": 1}
INTEGER_DTYPES = {"u32": np.dtype("<u4"), "u64": np.dtype("<u8")}

# Packed little-endian records; offsets as tabled in FORMAT.md.
_STATE = struct.Struct("<BQQQIQQ")          # 45 bytes
_DOCUMENT = struct.Struct("<BQIIQI")        # 29 bytes
# The chunk record as a numpy dtype, so a column's records parse in one call.
CHUNK_RECORD = np.dtype([("version", "u1"), ("codec", "u1"), ("shuffle", "u1"), ("reserved", "u1"),
                         ("segment", "<u4"), ("byte_offset", "<u8"), ("compressed_bytes", "<u4"),
                         ("raw_bytes", "<u4"), ("first_row", "<u8"), ("row_count", "<u4"), ("crc", "<u4")])
assert CHUNK_RECORD.itemsize == 40


@dataclass(frozen=True)
class Column:
    """One column of the manifest: values per row, on-disk codec, zstd level, byte shuffle."""
    name: str
    width: int
    codec: str
    compression_level: int
    byte_shuffle: bool

    @property
    def is_float(self) -> bool:
        return self.codec in FLOAT_CODECS


@dataclass
class Manifest:
    """`meta/manifest`: the store's columns, chunking and provenance."""
    format_version: int
    columns: List[Column]
    chunk_rows: int
    segment_target_bytes: int
    has_documents: bool
    model: Optional[str]
    tokenizer: Optional[str]
    context_size: Optional[int]
    prepend_bos: Optional[bool]
    notes: Dict[str, str]

    @staticmethod
    def parse(store: str, data: bytes) -> "Manifest":
        try:
            m = json.loads(bytes(data).decode("utf-8"))
            columns = [Column(c["name"], int(c["width"]), c["codec"], int(c["compressionLevel"]), bool(c["byteShuffle"]))
                       for c in m["columns"]]
            for c in columns:
                if c.codec not in VALUE_BYTES:
                    raise ValueError(f'column {c.name} has unknown codec "{c.codec}"')
            return Manifest(int(m["formatVersion"]), columns, int(m["chunkRows"]), int(m["segmentTargetBytes"]),
                            bool(m["hasDocuments"]), m.get("model"), m.get("tokenizer"), m.get("contextSize"),
                            m.get("prependBOS"), dict(m.get("notes", {})))
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptIndexError(store, "meta", f"manifest is not valid JSON: {error}") from None


@dataclass(frozen=True)
class CommitState:
    """`meta/state`: what the last commit counts."""
    row_count: int
    doc_count: int
    chunk_count: int
    tail_segment: int
    tail_segment_bytes: int
    commit_count: int

    @staticmethod
    def parse(store: str, data: bytes) -> "CommitState":
        if len(data) != _STATE.size:
            raise CorruptIndexError(store, "meta", f"commit state is {len(data)} bytes, expected {_STATE.size}")
        version, *fields = _STATE.unpack(bytes(data))
        if version != 1:
            raise CorruptIndexError(store, "meta", f"commit state version {version}, expected 1")
        return CommitState(*fields)


@dataclass(frozen=True)
class Document:
    """A document record: its rows [first_row, first_row + token_count) and its origin."""
    first_row: int
    token_count: int
    source_id: int
    source_index: int
    text_bytes: int

    @property
    def rows(self) -> range:
        return range(self.first_row, self.first_row + self.token_count)

    @staticmethod
    def parse(store: str, doc: int, data: bytes) -> "Document":
        if len(data) != _DOCUMENT.size:
            raise CorruptIndexError(store, "docs", f"document {doc} record is {len(data)} bytes, expected {_DOCUMENT.size}")
        version, *fields = _DOCUMENT.unpack(bytes(data))
        if version != 1:
            raise CorruptIndexError(store, "docs", f"document {doc} record has version {version}, expected 1")
        return Document(*fields)


def key_u64(value: int) -> bytes:
    return struct.pack(">Q", value)


def decode_key_u64(data: bytes) -> int:
    if len(data) != 8:
        raise ValueError("key is not 8 bytes")
    return struct.unpack(">Q", bytes(data))[0]


def chunk_key(column: int, chunk: int) -> bytes:
    return struct.pack(">HQ", column, chunk)


def payload_bytes(codec: str, rows: int, width: int, outliers: int = 0) -> int:
    """Size of a chunk's payload before zstd (FORMAT.md "Chunk payload"); int8-outlier's
    depends on its outlier count."""
    if codec == "int8-outlier":
        return 8 * width + 5 * rows + 8 * outliers + rows * width
    return rows * 4 + rows * width if codec == "int8" else rows * width * VALUE_BYTES[codec]


def payload_range(codec: str, rows: int, width: int):
    """(least, most) payload bytes a chunk of this shape may have (FORMAT.md)."""
    if codec == "int8-outlier":
        return payload_bytes(codec, rows, width, 0), payload_bytes(codec, rows, width, rows * min(255, width))
    n = payload_bytes(codec, rows, width)
    return n, n
