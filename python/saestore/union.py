"""Sharded stores (docs/FORMAT.md "Sharded stores"): a shards.json read as the concatenation of
its shards."""
import json
import os

import numpy as np

from .errors import CorruptIndexError, NotAStoreError
from .store import BaseStore, Store

SHARDS_FILE = "shards.json"


def _mismatch(a, b):
    if a.columns != b.columns:
        return f"columns differ ({[c.name for c in a.columns]} vs {[c.name for c in b.columns]})"
    if a.has_documents != b.has_documents:
        return "one has documents, the other not"
    if (a.model, a.context_size, a.prepend_bos, a.tokenizer) != (b.model, b.context_size, b.prepend_bos, b.tokenizer):
        return "made from different models or windows"
    return None


class ShardedStore(BaseStore):
    """Global row r is row r − (rows of the shards before it) of its shard; documents and chunks
    are numbered the same way, `doc_id` reads as global document numbers, sources merge by name."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        try:
            with open(os.path.join(path, SHARDS_FILE), "rb") as f:
                listing = json.loads(f.read())
        except (OSError, ValueError) as error:
            raise NotAStoreError(path, f"its {SHARDS_FILE} cannot be read ({error})") from None
        if listing.get("kind") != "saestore-shards":
            raise NotAStoreError(path, f'{SHARDS_FILE} has kind "{listing.get("kind")}", expected "saestore-shards"')
        if int(listing.get("formatVersion", 0)) > 1:
            raise NotAStoreError(path, f"{SHARDS_FILE} is format {listing['formatVersion']}, newer than this saestore reads (1)")
        entries = listing.get("shards") or []
        if not entries:
            raise NotAStoreError(path, f"{SHARDS_FILE} lists no shards")
        self.shards = []
        for entry in entries:
            shard_path = entry["path"] if os.path.isabs(entry["path"]) else os.path.join(path, entry["path"])
            if os.path.exists(os.path.join(shard_path, SHARDS_FILE)) and not os.path.exists(os.path.join(shard_path, "index", "data.mdb")):
                raise NotAStoreError(path, f"shard {entry['path']} is itself a sharded store")
            shard = Store(shard_path)
            if (shard.row_count, shard.document_count) != (entry["rowCount"], entry["documentCount"]):
                raise NotAStoreError(path, f"shard {entry['path']} holds {shard.row_count} rows and {shard.document_count} documents, "
                                           f"{SHARDS_FILE} says {entry['rowCount']} and {entry['documentCount']}; it changed after the "
                                           f"manifest was written (rewrite it with `saestore shards {path} SHARD…`)")
            if self.shards:
                problem = _mismatch(self.shards[0].manifest, shard.manifest)
                if problem:
                    raise NotAStoreError(path, f"shard {entry['path']} does not match shard {entries[0]['path']}: {problem}")
            self.shards.append(shard)
        self.manifest = self.shards[0].manifest
        self.row_starts = np.cumsum([0] + [s.row_count for s in self.shards])
        self.chunk_starts = np.cumsum([0] + [s.chunk_count for s in self.shards])
        self.document_starts = np.cumsum([0] + [s.document_count for s in self.shards])
        self.row_count, self.chunk_count, self.document_count = (int(self.row_starts[-1]), int(self.chunk_starts[-1]),
                                                                 int(self.document_starts[-1]))
        self.source_names_in_order, self.source_ids = [], []
        seen = {}
        for shard in self.shards:
            mapping = {}
            for local, name in shard.source_names():
                if name not in seen:
                    seen[name] = len(self.source_names_in_order)
                    self.source_names_in_order.append(name)
                mapping[local] = seen[name]
            self.source_ids.append(mapping)

    def close(self):
        for shard in self.shards:
            shard.close()

    @staticmethod
    def _locate(value, starts):
        k = int(np.searchsorted(starts, value, side="right") - 1)
        return min(k, len(starts) - 2), value - int(starts[min(k, len(starts) - 2)])

    def _load_records(self, column: int) -> np.ndarray:
        name = self.manifest.columns[column].name
        parts = []
        for k, shard in enumerate(self.shards):
            records = shard.chunk_records(name).copy()
            records["first_row"] += int(self.row_starts[k])
            parts.append(records)
        return np.concatenate(parts)

    def _decode_chunk(self, column: int, chunk: int, dtype=np.float32, out=None) -> np.ndarray:
        k, local = self._locate(chunk, self.chunk_starts)
        values = self.shards[k]._decode_chunk(column, local, dtype, out)
        if self.manifest.columns[column].name == "doc_id" and self.document_starts[k] > 0:
            values = values + np.uint64(self.document_starts[k])
        return values

    def shard_chunk(self, chunk: int):
        """(shard store, its local chunk number) of a global chunk."""
        k, local = self._locate(chunk, self.chunk_starts)
        return self.shards[k], local

    def document(self, doc: int):
        self._check_document(doc)
        k, local = self._locate(doc, self.document_starts)
        record = self.shards[k].document(local)
        if record.source_id not in self.source_ids[k]:
            raise CorruptIndexError(self.shards[k].path, "sources", f"document {local} names source {record.source_id}, which the table lacks")
        return type(record)(record.first_row + int(self.row_starts[k]), record.token_count,
                            self.source_ids[k][record.source_id], record.source_index, record.text_bytes)

    def text_bytes(self, doc: int) -> bytes:
        self._check_document(doc)
        k, local = self._locate(doc, self.document_starts)
        return self.shards[k].text_bytes(local)

    def document_of(self, row: int):
        if not 0 <= row < self.row_count:
            from .errors import RowOutOfRangeError
            raise RowOutOfRangeError(self.path, row, self.row_count)
        k, local = self._locate(row, self.row_starts)
        doc = self.shards[k].document_of(local)
        return None if doc is None else doc + int(self.document_starts[k])

    def source_name(self, source: int) -> str:
        if not 0 <= source < len(self.source_names_in_order):
            raise CorruptIndexError(self.path, "sources", f"no source {source}")
        return self.source_names_in_order[source]
