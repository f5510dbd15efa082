"""`saestore import --saelens-cache`: a cache written by SAELens's own shard writer
(scripts/fixtures/saelens_cache_fixture.py) comes in with its activations unchanged, its token
ids, and each sequence's text as `tokenizers` decodes it."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

import saestore
from conftest import REPO, run

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "saelens-cache")
EXPECTED = os.path.join(os.path.dirname(__file__), "fixtures", "saelens-cache-expected.npz")
HOOK = "blocks.1.hook_resid_pre"
MODEL = os.path.join(REPO, "demo", "model")


def test_cache_comes_in_with_values_tokens_and_text(saestore_bin, tmp_path):
    store = str(tmp_path / "imported")
    run(saestore_bin, "import", store, "--saelens-cache", FIXTURE, "--model", MODEL, "--dtype", "f32", "--chunk-rows", "64", "--quiet")
    expected = np.load(EXPECTED)
    s = saestore.open(store)
    assert s.document_count == len(expected["texts"]) == 6 and s.row_count == expected["token_ids"].size
    assert s.read(HOOK).tobytes() == expected["activations"].astype(np.float32).tobytes()
    assert (s.read("token_id")[:, 0] == expected["token_ids"].reshape(-1)).all()
    assert (s.read("pos")[:, 0] == np.tile(np.arange(32), 6)).all()
    for d, text in enumerate(expected["texts"]):
        assert s.text(d) == text
        doc = s.document(d)
        spans = [s.row(r) for r in doc.rows]
        assert spans[0].token_id == 50256 and spans[0].byte_start == spans[0].byte_end == 0
        assert "".join(r.token for r in spans) == text  # the spans tile the text
    row = 40
    looked = json.loads(run(saestore_bin, "lookup", store, "--row", row, "--json").stdout)
    assert looked["token"] == s.row(row).token and looked["document"] == 1


def test_truncated_arrow_file_is_refused_naming_it_and_leaves_no_store(saestore_bin, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(FIXTURE, cache)
    damaged = cache / "data-00001-of-00002.arrow"
    damaged.write_bytes(damaged.read_bytes()[:30000])
    store = tmp_path / "store"
    result = subprocess.run([saestore_bin, "import", str(store), "--saelens-cache", str(cache), "--model", MODEL],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert str(damaged) in result.stderr and "byte" in result.stderr
    assert not store.exists()
