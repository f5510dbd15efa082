"""Read saestore activation stores from Python (docs/FORMAT.md): `saestore.open(path)`."""
import os

from .errors import (CorruptChunkError, CorruptIndexError, MissingColumnError, MissingSegmentError, NewerFormatError,
                     NotAStoreError, RowOutOfRangeError, StoreError, TruncatedSegmentError)
from .format import FORMAT_VERSION, Column, Document, Manifest
from .loader import BatchIterator
from .position import PositionMismatchError
from .store import Row, Store
from .union import ShardedStore

__version__ = "0.1.0"


def open(path: str):
    """Opens a store directory, or a sharded store (a `shards.json` and no index of its own) as
    the concatenation of its shards. Read-only; a store of a newer format is refused."""
    path = os.fspath(path)
    if os.path.exists(os.path.join(path, "shards.json")) and not os.path.exists(os.path.join(path, "index", "data.mdb")):
        return ShardedStore(path)
    return Store(path)


__all__ = ["open", "Store", "ShardedStore", "Row", "Column", "Document", "Manifest", "BatchIterator", "PositionMismatchError", "FORMAT_VERSION",
           "StoreError", "NotAStoreError", "NewerFormatError", "CorruptChunkError", "CorruptIndexError", "MissingColumnError",
           "MissingSegmentError", "RowOutOfRangeError", "TruncatedSegmentError"]


def __getattr__(name):
    # torch is optional: StoreDataset loads it on first use.
    if name in ("StoreDataset", "torch_batches"):
        from . import torch_dataset
        return torch_dataset.StoreDataset if name == "StoreDataset" else torch_dataset.batches
    raise AttributeError(f"module 'saestore' has no attribute {name!r}")
