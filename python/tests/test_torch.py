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


def test_store_to_saelens_cache_round_trip(stores, saestore_bin, tmp_path):
    """examples/store_to_saelens_cache.py writes a cache that SAELens's reader path
    (datasets.load_from_disk + set_format('torch'), ActivationsStore.load_cached_activation_dataset)
    reads, and `saestore import --saelens-cache` brings back value for value."""
    datasets = pytest.importorskip("datasets")
    import importlib.util
    import os
    from conftest import REPO, run
    spec = importlib.util.spec_from_file_location("export", os.path.join(REPO, "examples", "store_to_saelens_cache.py"))
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    cache = str(tmp_path / "cache")
    n = example.export(stores["f16"], HOOK, 48, cache, sequences_per_shard=7)
    ds = datasets.load_from_disk(cache)
    ds.set_format(type="torch", columns=[HOOK, "token_ids"], dtype=torch.float32)
    s = saestore.open(stores["f16"])
    assert len(ds) == n == s.row_count // 48
    assert ds[0:3][HOOK].numpy().tobytes() == s.read(HOOK, 0, 144).tobytes()
    back = str(tmp_path / "back")
    run(saestore_bin, "import", back, "--saelens-cache", cache, "--model", os.path.join(REPO, "demo", "model"), "--dtype", "f32", "--quiet")
    b = saestore.open(back)
    assert b.read(HOOK).tobytes() == s.read(HOOK, 0, n * 48).tobytes()
    assert (b.read("token_id") == s.read("token_id", 0, n * 48)).all()


def test_dictionary_learning_trains_from_a_store(stores, tmp_path):
    """examples/train_dictionary_learning.py: dictionary_learning's trainSAE fed by
    saestore.torch_batches learns a sparse code that reconstructs held-out rows (dev: needs
    dictionary-learning)."""
    pytest.importorskip("dictionary_learning")
    import importlib.util
    import os
    from conftest import REPO
    spec = importlib.util.spec_from_file_location("dl", os.path.join(REPO, "examples", "train_dictionary_learning.py"))
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.train(stores["f16"], HOOK, 200, str(tmp_path / "run"))
    assert os.path.exists(tmp_path / "run" / "trainer_0" / "ae.pt")
    # Better than the mean by far, and sparse: well under half of the 1024 latents active.
    assert result["fve"] > 0.8 and result["l0"] < 300, result


def test_float16_dataset_converts_on_the_device_to_the_float32_batches(stores):
    halves = [b for b in saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4, dtype=np.float16)]
    full = [b for b in saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4)]
    assert all(h.dtype == torch.float16 for h in halves) and len(halves) == len(full)
    assert all(h.float().numpy().tobytes() == f.numpy().tobytes() for h, f in zip(halves, full))


def test_state_dict_resumes_the_dataset_where_it_was(stores):
    """In-process (num_workers=0): load_state_dict on a fresh dataset continues with the batch
    after the last one yielded, bit for bit."""
    import json
    full = [b.numpy() for b in saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4, shuffle_buffer_rows=300, minimum_position=1)]
    dataset = saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4, shuffle_buffer_rows=300, minimum_position=1)
    batches = iter(dataset)
    for _ in range(6):
        next(batches)
    state = json.loads(json.dumps(dataset.state_dict()))
    again = saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4, shuffle_buffer_rows=300, minimum_position=1)
    again.load_state_dict(state)
    rest = [b.numpy() for b in again]
    assert len(rest) == len(full) - 6 and all(a.tobytes() == b.tobytes() for a, b in zip(rest, full[6:]))
    # The position is used once: the next epoch starts at its beginning.
    again.set_epoch(1)
    assert len([b for b in again]) == len(list(BatchIterator(stores["f16"], HOOK, 100, seed=4, shuffle_buffer_rows=300,
                                                             minimum_position=1, start_epoch=1)))


def test_stateful_dataloader_workers_resume_their_streams(stores):
    """torchdata's StatefulDataLoader keeps one state per worker (it calls state_dict in each);
    a new loader given its state_dict yields the rest of the interrupted run's batches."""
    stateful = pytest.importorskip("torchdata.stateful_dataloader")
    make = lambda: stateful.StatefulDataLoader(saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4, shuffle_buffer_rows=600),
                                               batch_size=None, num_workers=2)
    full = [b.numpy() for b in make()]
    loader = make()
    batches = iter(loader)
    for _ in range(5):
        next(batches)
    state = loader.state_dict()
    del batches
    resumed = make()
    resumed.load_state_dict(state)
    rest = [b.numpy() for b in resumed]
    assert len(rest) == len(full) - 5 and all(a.tobytes() == b.tobytes() for a, b in zip(rest, full[5:]))


def test_torch_cast_is_numpys_bit_for_bit():
    """to_float32 (torch's cast when torch is imported) and the workers' shared-memory batches
    give numpy's float32 bits for all 65,536 halves, signalling NaNs included."""
    from saestore.loader import to_float32
    from saestore.torch_dataset import _shared_copy
    halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).reshape(256, 256)
    finite = halves[np.isfinite(halves.astype(np.float32))][:65536 // 2 * 2].reshape(-1, 2)
    for h in (halves, finite):
        expected = h.astype(np.float32).view(np.uint32)
        assert (to_float32(h).view(np.uint32) == expected).all()
        shared = _shared_copy(h, np.float32)
        assert shared.dtype == torch.float32 and (shared.numpy().view(np.uint32) == expected).all()


def test_worker_batches_are_the_halves_cast(stores):
    """f32 batches from DataLoader workers are the f16 iterator's halves, cast by numpy."""
    loader = torch.utils.data.DataLoader(saestore.StoreDataset(stores["f16"], HOOK, 100, seed=4), batch_size=None, num_workers=2)
    got = [b.numpy() for b in loader]
    streams = [list(BatchIterator(stores["f16"], HOOK, 100, seed=4, stream_index=i, stream_count=2, dtype=np.float16))
               for i in range(2)]
    expected = [s[k].astype(np.float32) for k in range(max(map(len, streams))) for s in streams if k < len(s)]
    assert len(got) == len(expected) and all(a.dtype == np.float32 and a.tobytes() == b.tobytes() for a, b in zip(got, expected))
