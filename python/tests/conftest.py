"""Stores for the Python reader's tests, made by the saestore binary on demo/model + demo/corpus.

The reader is checked against what Swift writes and exports (`saestore export`), never
against itself. scripts/test.sh builds the binaries before pytest; SAESTORE_BIN and
SAESTORE_BENCH_BIN override where they are looked for."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))  # the package under test, installed or not

HOOK = "blocks.1.hook_resid_pre"
CODECS = ("f32", "f16", "bf16", "int8", "int8-outlier")


def _binary(name: str, variable: str) -> str:
    candidates = [os.environ.get(variable)] + [os.path.join(REPO, ".build", c, name) for c in ("debug", "release")]
    found = [c for c in candidates if c and os.access(c, os.X_OK)]
    if not found:
        pytest.fail(f"{name} is not built (looked for {', '.join(c for c in candidates if c)}); "
                    f"run `swift build --build-tests` (scripts/test.sh does) or set {variable}")
    return max(found, key=os.path.getmtime)  # the freshest build


@pytest.fixture(scope="session")
def saestore_bin():
    return _binary("saestore", "SAESTORE_BIN")


@pytest.fixture(scope="session")
def bench_bin():
    return _binary("saestore-bench", "SAESTORE_BENCH_BIN")


def run(*args):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The demo corpus's first 30 documents (paragraphs)."""
    with open(os.path.join(REPO, "demo", "corpus", "tinyshakespeare-heldout.txt"), encoding="utf-8") as f:
        docs = [d for d in f.read().split("\n\n") if d.strip()][:30]
    path = tmp_path_factory.mktemp("corpus") / "shake30.txt"
    path.write_text("\n\n".join(docs), encoding="utf-8")
    return str(path)


def ingest(binary, corpus, store, dtype="f16", extra=()):
    run(binary, "ingest", "--model", os.path.join(REPO, "demo", "model"), "--corpus", corpus, "--separator", "\\n\\n",
        "--store", store, "--hook", HOOK, "--context", "48", "--prepend-bos",
        "--chunk-rows", "256", "--dtype", dtype, "--threads", "1", *extra)


@pytest.fixture(scope="session")
def stores(tmp_path_factory, saestore_bin, corpus):
    """One ingested store per activation codec (several chunks, BOS windows, short last chunk)."""
    root = tmp_path_factory.mktemp("stores")
    out = {}
    for codec in CODECS:
        ingest(saestore_bin, corpus, root / codec, codec)
        out[codec] = str(root / codec)
    return out


@pytest.fixture(scope="session")
def sharded(tmp_path_factory, saestore_bin, corpus):
    """The same 30 documents ingested as two shards joined by shards.json."""
    root = tmp_path_factory.mktemp("sharded") / "store"
    for i in range(2):
        ingest(saestore_bin, corpus, root, "f16", ("--shard", f"{i}/2"))
    run(saestore_bin, "shards", root, root / "shard-0000", root / "shard-0001")
    return str(root)


def export(binary, store, column, path, rows=None):
    args = [binary, "export", store, "--column", column, "--out", path, "--quiet"]
    if rows:
        args += ["--rows", rows]
    run(*args)
    return np.load(path)
