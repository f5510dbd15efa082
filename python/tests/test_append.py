"""`saestore import --append`: a store brought in part by part reads, through this reader
written from docs/FORMAT.md alone, exactly as one import of the whole (the continued last
chunk leaves unreferenced bytes in its segment, which a reader following records never sees),
and the SAELens cache fixture appended shard by shard reads as the whole cache imported."""
import os

import numpy as np

import saestore
from conftest import REPO, run

CACHE = os.path.join(os.path.dirname(__file__), "fixtures", "saelens-cache")
MODEL = os.path.join(REPO, "demo", "model")


def test_npy_parts_read_as_one_import(saestore_bin, tmp_path):
    rng = np.random.default_rng(5)
    values = rng.standard_normal((1000, 16)).astype(np.float32)
    np.save(tmp_path / "whole.npy", values)
    cuts = [0, 300, 301, 1000]
    for k in range(3):
        np.save(tmp_path / f"part-{k}.npy", values[cuts[k]:cuts[k + 1]])
    for dtype in ("f32", "f16", "bf16"):
        single, parts = str(tmp_path / f"single-{dtype}"), str(tmp_path / f"parts-{dtype}")
        run(saestore_bin, "import", single, "--column", "x", tmp_path / "whole.npy", "--dtype", dtype, "--chunk-rows", "128", "--quiet")
        run(saestore_bin, "import", parts, "--column", "x", tmp_path / "part-0.npy", "--dtype", dtype, "--chunk-rows", "128", "--quiet")
        for k in (1, 2):
            run(saestore_bin, "import", parts, "--append", "--column", "x", tmp_path / f"part-{k}.npy", "--quiet")
        a, b = saestore.open(parts), saestore.open(single)
        assert a.row_count == b.row_count == 1000
        assert a.read("x").tobytes() == b.read("x").tobytes()
        if dtype == "f32":
            assert a.read("x").tobytes() == values.tobytes()


def test_saelens_shards_appended_read_as_the_whole_cache(saestore_bin, tmp_path):
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    run(saestore_bin, "import", whole, "--saelens-cache", CACHE, "--model", MODEL, "--dtype", "f32", "--chunk-rows", "64", "--quiet")
    run(saestore_bin, "import", parts, "--saelens-cache", os.path.join(CACHE, "data-00000-of-00002.arrow"), "--model", MODEL,
        "--dtype", "f32", "--chunk-rows", "64", "--quiet")
    run(saestore_bin, "import", parts, "--append", "--saelens-cache", os.path.join(CACHE, "data-00001-of-00002.arrow"), "--quiet")
    a, b = saestore.open(parts), saestore.open(whole)
    assert a.row_count == b.row_count == 192 and a.document_count == b.document_count == 6
    hook = "blocks.1.hook_resid_pre"
    assert a.read(hook).tobytes() == b.read(hook).tobytes()
    for column in ("token_id", "pos", "byte_start", "byte_end", "doc_id"):
        assert (a.read(column) == b.read(column)).all(), column
    for d in range(6):
        assert a.text(d) == b.text(d)
