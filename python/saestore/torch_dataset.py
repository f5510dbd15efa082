"""PyTorch wrappers over the numpy BatchIterator (torch is optional: imported here only)."""
from typing import Optional

import torch
import torch.utils.data

import numpy as np

from .loader import BatchIterator, to_float32


def _rank_and_world(rank: Optional[int], world_size: Optional[int]):
    if rank is not None and world_size is not None:
        return rank, world_size
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class StoreDataset(torch.utils.data.IterableDataset):
    """Batches of a store column as float32 tensors, shuffled as saestore's Swift loader shuffles.

    Use with `DataLoader(dataset, batch_size=None, num_workers=W)`: the batches are already
    made. DataLoader worker w of W on DDP rank r of R reads stream r·W + w of R·W — every
    epoch's chunks split disjointly, each stream with its own 1/(R·W) of the shuffle buffer,
    as saestore's data-parallel streams do. Call `set_epoch(e)` before each epoch (as with
    DistributedSampler); the same seed, epoch and split give the same batches.

    `state_dict()` / `load_state_dict()` save and restore where this process's stream is (the
    epoch and `BatchIterator.state()`): in the process that iterates, so with `num_workers=0`,
    or in every worker under torchdata's `StatefulDataLoader`, which calls them there and keeps
    one state per worker. The next iteration continues with the batch after the last one
    yielded.
    """

    def __init__(self, store: str, column: str, batch_rows: int = 4096, *, seed: int = 0,
                 rank: Optional[int] = None, world_size: Optional[int] = None, **options):
        super().__init__()
        # A path, not an open store: every worker process opens its own (LMDB handles and
        # mmaps do not survive a fork).
        self.store, self.column, self.batch_rows, self.seed = str(store), column, batch_rows, seed
        self.rank, self.world_size, self.options, self.epoch = rank, world_size, options, 0
        self._iterator = None  # the BatchIterator this process last iterated
        self._resume = None    # a position for the next iteration (load_state_dict)

    def set_epoch(self, epoch: int):
        self.epoch = epoch

    def state_dict(self) -> dict:
        """{"epoch", "position"}: JSON-serialisable; position is None before any batch."""
        if self._iterator is not None:
            return {"epoch": self.epoch, "position": self._iterator.state()}
        return {"epoch": self.epoch, "position": self._resume}

    def load_state_dict(self, state: dict):
        """The next iteration continues from `state` (a `state_dict()`); its settings must match."""
        self.epoch, self._resume, self._iterator = state["epoch"], state["position"], None

    def iterator(self) -> BatchIterator:
        """The numpy iterator this worker reads."""
        info = torch.utils.data.get_worker_info()
        workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
        rank, world = _rank_and_world(self.rank, self.world_size)
        resume, self._resume = self._resume, None  # once: a later epoch starts afresh
        return BatchIterator(self.store, self.column, self.batch_rows, seed=self.seed, epochs=1, start_epoch=self.epoch,
                             stream_index=rank * workers + worker, stream_count=world * workers, resume=resume,
                             **self.options)

    def __iter__(self):
        self._iterator = it = self.iterator()
        if torch.utils.data.get_worker_info() is None:
            for batch in it:
                yield torch.from_numpy(batch)
            return
        # In a DataLoader worker every batch would be copied into shared memory on its way to
        # the trainer: instead it is made there (as default_collate does for batched samples),
        # and an f16 column's halves are cast by torch straight into it: the iterator hands
        # over its reused batch of halves unconverted (valid until the next batch).
        it.convert, it.reuse_batch = (lambda halves: halves), True
        for batch in it:
            yield _shared_copy(batch, it.dtype)


def _shared_copy(batch: np.ndarray, dtype) -> "torch.Tensor":
    """`batch` as a tensor of `dtype` in new shared memory (float16 → float32 cast exactly)."""
    tensor_dtype = torch.float32 if np.dtype(dtype) == np.float32 else torch.float16
    count = batch.size
    try:
        storage = torch.UntypedStorage._new_shared(count * tensor_dtype.itemsize)
        out = torch.empty(0, dtype=tensor_dtype).set_(storage, 0, batch.shape, (batch.shape[1], 1) if batch.ndim == 2 else (1,))
    except (AttributeError, RuntimeError, TypeError):
        out = torch.empty(batch.shape, dtype=tensor_dtype)
    if batch.dtype == np.float16 and tensor_dtype == torch.float32:
        to_float32(batch, out.numpy())
    else:
        out.copy_(torch.from_numpy(batch))
    return out


def batches(store, column: str, batch_rows: int = 4096, device: str = "cpu", epochs: Optional[int] = None, **options):
    """A plain generator of tensors on `device` (dictionary_learning's `trainSAE(data=…)` takes it)."""
    for batch in BatchIterator(store, column, batch_rows, epochs=epochs, **options):
        yield torch.from_numpy(batch).to(device)
