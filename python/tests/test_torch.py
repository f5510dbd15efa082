"""StoreDataset, where torch is installed (CI has none: the one skip allowed)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import saestore
from saestore.loader import BatchIterator
from conftest import HOOK


def test_dataloader_workers_are_the_streams_of_the_split(stores):
    dataset = saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4, shuffle_buffer_rows=600)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
    got = [b.numpy() for b in loader]
    streams = [list(BatchIterator(stores["f16"], HOOK, 100, seed=4, shuffle_buffer_rows=600, stream_index=i, stream_count=2))
               for i in range(2)]
    # DataLoader takes one batch from each worker in turn.
    expected = []
    for k in range(max(map(len, streams))):
        expected += [s[k] for s in streams if k < len(s)]
    assert len(got) == len(expected) and all(a.tobytes() == b.tobytes() for a, b in zip(got, expected))
    assert sum(len(b) for b in got) == saestore.open(stores["f16"]).row_count


def test_ddp_ranks_split_like_workers(stores):
    a = [b.numpy() for b in saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4, rank=1, world_size=2)]
    b = list(BatchIterator(stores["f16"], HOOK, 100, seed=4, stream_index=1, stream_count=2))
    assert [x.tobytes() for x in a] == [x.tobytes() for x in b]
