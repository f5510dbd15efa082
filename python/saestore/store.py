"""A store opened for reading: columns, row ranges, chunks, documents and texts."""
import mmap
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import zstandard

from . import crc
from .codec import PayloadError, decode_floats, decode_integers
from .errors import (CorruptChunkError, CorruptIndexError, MissingColumnError, MissingSegmentError,
                     RowOutOfRangeError, StoreError, TruncatedSegmentError)
from .format import (CHUNK_RECORD, CODEC_BY_CODE, SEGMENT_HEADER_BYTES, Column, Document, chunk_key,
                     decode_key_u64, key_u64, payload_range)
from .index import Index


@dataclass(frozen=True)
class Row:
    """A row resolved to its text: document, token index in it, window position, span and token."""
    row: int
    document: int
    token_index: int
    position: int
    token_id: int
    byte_start: int
    byte_end: int
    source: str
    source_index: int
    token: str


class BaseStore:
    """What plain and sharded stores share; subclasses provide records, chunks and documents."""
    path: str
    manifest: object
    row_count: int
    document_count: int
    chunk_count: int

    def __init__(self):
        self._records = {}
        self._integer_cache = OrderedDict()

    # columns and chunks

    @property
    def columns(self) -> List[Column]:
        return list(self.manifest.columns)

    def column_index(self, name: str) -> int:
        for i, c in enumerate(self.manifest.columns):
            if c.name == name:
                return i
        raise MissingColumnError(self.path, name, [c.name for c in self.manifest.columns])

    def column(self, name: str) -> Column:
        return self.manifest.columns[self.column_index(name)]

    def chunk_records(self, name: str) -> np.ndarray:
        """The column's chunk records (CHUNK_RECORD), first rows numbered over the whole store."""
        index = self.column_index(name)
        if index not in self._records:
            self._records[index] = self._load_records(index)
        return self._records[index]

    def chunk_row_starts(self) -> np.ndarray:
        """First row of every chunk (the same in every column), then the row count."""
        records = self.chunk_records(self.manifest.columns[0].name)
        return np.append(records["first_row"].astype(np.int64), self.row_count)

    def chunk_rows(self, chunk: int) -> range:
        starts = self.chunk_row_starts()
        return range(int(starts[chunk]), int(starts[chunk + 1]))

    def chunk_containing(self, row: int) -> int:
        if not 0 <= row < self.row_count:
            raise RowOutOfRangeError(self.path, row, self.row_count)
        return int(np.searchsorted(self.chunk_row_starts(), row, side="right") - 1)

    def read_chunk(self, name: str, chunk: int, dtype=np.float32, out: Optional[np.ndarray] = None) -> np.ndarray:
        """Chunk `chunk` of a column, checked and decoded: float32 or uint32/uint64 (rows, width);
        dtype float16 returns an f16 column's stored halves unconverted. `out` (a float column's
        dtype, at least rows x width values, C-contiguous) receives the values instead of fresh
        memory, and the result is its first rows: a loader that recycles its chunk arrays
        touches no new pages (a fresh 25 MB array costs more in page faults than decoding)."""
        if not 0 <= chunk < self.chunk_count:
            raise StoreError(f"{self.path}: chunk {chunk} is out of range ({self.chunk_count} chunks)")
        index = self.column_index(name)
        if np.dtype(dtype) == np.float16 and self.manifest.columns[index].codec != "f16":
            raise StoreError(f"{self.path}: column {name} is stored as {self.manifest.columns[index].codec}; float16 reads need an f16 column")
        if out is not None:
            if not self.manifest.columns[index].is_float:
                raise StoreError(f"{self.path}: column {name} holds integers; out= is for float columns")
            if out.dtype != np.dtype(dtype) or not out.flags.c_contiguous:
                raise StoreError(f"out= must be a C-contiguous {np.dtype(dtype)} array, not {out.dtype}")
            need = len(self.chunk_rows(chunk)) * self.manifest.columns[index].width
            if out.size < need:
                raise StoreError(f"out= holds {out.size} values; chunk {chunk} of {name} needs {need}")
        return self._decode_chunk(index, chunk, dtype, out)

    def read(self, name: str, start: int = 0, stop: Optional[int] = None) -> np.ndarray:
        """Rows [start, stop) of a column: float32 (rows, width) for activations (the values
        `saestore export` writes), uint32/uint64 (rows, width) for integer columns."""
        stop = self.row_count if stop is None else stop
        if start < 0 or stop > self.row_count or start > stop:
            raise RowOutOfRangeError(self.path, start if start < 0 else stop - 1, self.row_count)
        column = self.column(name)
        dtype = np.float32 if column.is_float else np.dtype("<u4" if column.codec == "u32" else "<u8")
        out = np.empty((stop - start, column.width), dtype=dtype)
        if start == stop:
            return out
        starts = self.chunk_row_starts()
        chunk = self.chunk_containing(start)
        while chunk < self.chunk_count and starts[chunk] < stop:
            first, end = int(starts[chunk]), int(starts[chunk + 1])
            lo, hi = max(start, first), min(stop, end)
            values = self._cached_integers(name, chunk) if not column.is_float else self.read_chunk(name, chunk)
            out[lo - start: hi - start] = values[lo - first: hi - first]
            chunk += 1
        return out

    def _cached_integers(self, name: str, chunk: int) -> np.ndarray:
        key = (name, chunk)
        if key in self._integer_cache:
            self._integer_cache.move_to_end(key)
            return self._integer_cache[key]
        values = self.read_chunk(name, chunk)
        self._integer_cache[key] = values
        if len(self._integer_cache) > 64:
            self._integer_cache.popitem(last=False)
        return values

    # rows to text

    def row(self, row: int) -> Optional[Row]:
        """Resolves a row to its document, window position, byte span and token text (None for
        bare imported rows)."""
        doc = self.document_of(row)
        if doc is None:
            return None
        record = self.document(doc)
        if row not in record.rows:
            raise CorruptIndexError(self.path, "rowdoc", f"row {row} maps to document {doc}, which covers rows {record.first_row}..<{record.first_row + record.token_count}")
        one = lambda name: int(self.read(name, row, row + 1)[0, 0])
        start, end = one("byte_start"), one("byte_end")
        text = self.text_bytes(doc)
        if end > len(text):
            raise CorruptIndexError(self.path, "texts", f"row {row}: span ends at byte {end}, the text has {len(text)}")
        return Row(row, doc, row - record.first_row, one("pos"), one("token_id"), start, end,
                   self.source_name(record.source_id), record.source_index,
                   text[start:end].decode("utf-8", errors="replace"))

    def text(self, doc: int) -> str:
        """A document's UTF-8 text ("" when its rows came without text)."""
        return self.text_bytes(doc).decode("utf-8", errors="replace")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_document(self, doc: int):
        if not 0 <= doc < self.document_count:
            raise StoreError(f"{self.path}: no document {doc}.")


class Store(BaseStore):
    """One store directory (docs/FORMAT.md): its index read once at open, chunks through mmap."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.index = Index(path)
        self.manifest = self.index.manifest
        state = self.index.state
        self.row_count, self.document_count, self.chunk_count = state.row_count, state.doc_count, state.chunk_count
        self._segments = {}
        # Per thread: a ZstdDecompressor must not be used by two threads at once, and each
        # decode thread keeps its own scratch so chunk after chunk reuses the same pages.
        self._local = threading.local()
        self._pid = os.getpid()

    def close(self):
        """Releases the index and the segment mappings."""
        for mapped in self._segments.values():
            if isinstance(mapped, mmap.mmap):
                mapped.close()
        self._segments.clear()
        self.index.close()

    def _load_records(self, column: int) -> np.ndarray:
        name = self.manifest.columns[column].name
        values = []
        for key, value in self.index.scan("chunks", chunk_key(column, 0)):
            if len(key) != 10:
                raise CorruptIndexError(self.path, "chunks", f"a key is {len(key)} bytes, expected 10")
            c, chunk = int.from_bytes(key[:2], "big"), int.from_bytes(key[2:], "big")
            if c != column or chunk >= self.chunk_count:
                break
            if chunk != len(values):
                raise CorruptIndexError(self.path, "chunks", f"column {name} has no record for chunk {len(values)}")
            if len(value) != CHUNK_RECORD.itemsize or value[0] != 1 or value[1] not in CODEC_BY_CODE:
                raise CorruptIndexError(self.path, "chunks", f"column {name} chunk {chunk}: a record is shorter than its format, has an unknown version or codec")
            values.append(value)
        if len(values) != self.chunk_count:
            raise CorruptIndexError(self.path, "chunks", f"column {name} has {len(values)} chunk records, the commit state says {self.chunk_count}")
        return np.frombuffer(b"".join(values), dtype=CHUNK_RECORD).copy()

    def segment_path(self, segment: int) -> str:
        return f"{self.path}/segments/{segment:06d}.seg"

    def _segment(self, segment: int):
        if os.getpid() != self._pid:  # forked: mappings are shared, zstd state is not worth sharing
            self._pid, self._local = os.getpid(), threading.local()
        mapped = self._segments.get(segment)
        if mapped is None:
            path = self.segment_path(segment)
            if not os.path.exists(path):
                return None
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            self._segments[segment] = mapped
        return mapped

    def compressed_chunk(self, column: int, chunk: int):
        """The checked (bounds, CRC-32C) compressed bytes of a chunk, and its record."""
        spec = self.manifest.columns[column]
        record = self.chunk_records(spec.name)[chunk]
        segment = self.segment_path(int(record["segment"]))
        offset, count = int(record["byte_offset"]), int(record["compressed_bytes"])

        def corrupt(detail):
            return CorruptChunkError(self.path, spec.name, chunk, segment, offset, detail)

        codec = CODEC_BY_CODE[int(record["codec"])]
        if codec != spec.codec:
            raise corrupt(f"record says codec {codec}, the column is {spec.codec}")
        least, most = payload_range(codec, int(record["row_count"]), spec.width)
        if not least <= int(record["raw_bytes"]) <= most:
            need = f"{least}" if least == most else f"{least}...{most}"
            raise corrupt(f"record says {int(record['raw_bytes'])} payload bytes, {int(record['row_count'])} rows need {need}")
        mapped = self._segment(int(record["segment"]))
        if mapped is None:
            raise MissingSegmentError(self.path, spec.name, chunk, segment)
        if offset < SEGMENT_HEADER_BYTES or offset + count > len(mapped):
            raise TruncatedSegmentError(self.path, spec.name, chunk, segment, offset, count, len(mapped))
        compressed = memoryview(mapped)[offset: offset + count]
        found = crc.checksum(compressed)
        if found != int(record["crc"]):
            raise corrupt(f"checksum {found:08x}, the index recorded {int(record['crc']):08x}")
        return compressed, record, codec, corrupt

    def _scratch(self, raw: int):
        """This thread's decompressor and its two scratch buffers (at least `raw` bytes each):
        the frame's bytes, and the un-shuffled bytes before conversion."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.pid, local.zstd, local.frame, local.planes = os.getpid(), zstandard.ZstdDecompressor(), None, None
        if local.frame is None or len(local.frame) < raw:
            local.frame, local.planes = bytearray(raw), np.empty(raw, np.uint8)
        return local.zstd, local.frame, local.planes

    def _decode_chunk(self, column: int, chunk: int, dtype=np.float32, out=None) -> np.ndarray:
        spec = self.manifest.columns[column]
        compressed, record, codec, corrupt = self.compressed_chunk(column, chunk)
        rows, raw = int(record["row_count"]), int(record["raw_bytes"])
        try:
            size = zstandard.frame_content_size(compressed)
        except zstandard.ZstdError as error:
            raise corrupt(f"zstd decompress failed: {error}") from None
        if size < 0:
            raise corrupt("zstd decompress failed: not a zstd frame with a known content size")
        if size != raw:
            raise corrupt(f"zstd decompress failed: frame holds {size} bytes, expected {raw}")
        decompressor, frame, planes = self._scratch(raw)
        try:
            # Into this thread's reused buffer: a fresh 12 MB bytes object per chunk costs more in
            # page faults than the decompression. readinto stops at the frame's end.
            reader = decompressor.stream_reader(compressed, read_size=max(1, len(compressed)))
            target, produced = memoryview(frame)[:raw], 0
            while produced < raw:
                got = reader.readinto(target[produced:])
                if got == 0:
                    break
                produced += got
            if produced == raw and reader.read(1):
                produced += 1  # more than the frame header promised
        except zstandard.ZstdError as error:
            raise corrupt(f"zstd decompress failed: {error}") from None
        if produced != raw:
            raise corrupt(f"zstd decompress failed: frame produced {produced} bytes, expected {raw}")
        payload = target
        shuffled = bool(record["shuffle"])
        if spec.is_float:
            try:
                return decode_floats(payload, codec, shuffled, rows, spec.width, dtype, planes, out)
            except PayloadError as error:
                raise corrupt(str(error)) from None
        return decode_integers(payload, codec, shuffled, rows, spec.width)

    # documents

    def document(self, doc: int) -> Document:
        self._check_document(doc)
        data = self.index.get("docs", key_u64(doc))
        if data is None:
            raise CorruptIndexError(self.path, "docs", f"document {doc} is counted but has no record")
        return Document.parse(self.path, doc, data)

    def text_bytes(self, doc: int) -> bytes:
        record = self.document(doc)
        if record.text_bytes == 0:
            return b""
        compressed = self.index.get("texts", key_u64(doc))
        if compressed is None:
            raise CorruptIndexError(self.path, "texts", f"document {doc} has no text record")
        try:
            text = zstandard.ZstdDecompressor().decompress(compressed, max_output_size=record.text_bytes)
        except zstandard.ZstdError as error:
            raise CorruptIndexError(self.path, "texts", f"document {doc}: zstd decompress failed: {error}") from None
        if len(text) != record.text_bytes:
            raise CorruptIndexError(self.path, "texts", f"document {doc} text is {len(text)} bytes, its record says {record.text_bytes}")
        return text

    def document_of(self, row: int) -> Optional[int]:
        """The document holding `row` (None for bare imported rows)."""
        if not 0 <= row < self.row_count:
            raise RowOutOfRangeError(self.path, row, self.row_count)
        if not self.manifest.has_documents:
            return None
        entry = self.index.floor("rowdoc", key_u64(row))
        if entry is None or len(entry[1]) != 8:
            raise CorruptIndexError(self.path, "rowdoc", f"no document starts at or before row {row}")
        return decode_key_u64(entry[1])

    def source_name(self, source: int) -> str:
        name = self.index.get("sources", key_u64(source))
        if name is None:
            raise CorruptIndexError(self.path, "sources", f"no source {source}")
        return name.decode("utf-8", errors="replace")

    def source_names(self):
        """(id, name) of every source, in id order."""
        return [(decode_key_u64(k), v.decode("utf-8", errors="replace")) for k, v in list(self.index.scan("sources"))]
