"""The LMDB index of one store (docs/FORMAT.md "LMDB tables"): seven named databases."""
import os

import lmdb

from .errors import CorruptIndexError, NewerFormatError, NotAStoreError, StoreError
from .format import FORMAT_VERSION, MAGIC, TABLES, CommitState, Manifest

# LMDB forbids opening one environment twice in a process (closing one handle drops the
# other's locks), and an environment opened before a fork is unusable in the child: one per
# (process, directory). A forked child (a DataLoader worker) closes what it inherited — its
# parent's fcntl locks are not inherited, so this releases nothing of the parent's — and each
# Index reopens on first use in the child.
_ENVIRONMENTS = {}


def _close_inherited():
    for env in _ENVIRONMENTS.values():
        try:
            env.close()
        except Exception:
            pass
    _ENVIRONMENTS.clear()


os.register_at_fork(after_in_child=_close_inherited)


def _environment(index_path: str):
    key = (os.getpid(), os.path.realpath(index_path))
    env = _ENVIRONMENTS.get(key)
    if env is None:
        try:
            env = lmdb.open(index_path, readonly=True, max_dbs=16, lock=True, readahead=False, create=False)
        except lmdb.ReadonlyError:
            # A read-only copy of a store (lock.mdb not writable): no writer can be running.
            env = lmdb.open(index_path, readonly=True, max_dbs=16, lock=False, readahead=False, create=False)
        _ENVIRONMENTS[key] = env
    return env


class Index:
    """Read transactions over a store's tables; every failure names the store and table."""

    def __init__(self, store: str):
        self.store = store
        if not os.path.isdir(store):
            raise NotAStoreError(store, "no such directory")
        index_path = os.path.join(store, "index")
        if not os.path.exists(os.path.join(index_path, "data.mdb")):
            raise NotAStoreError(store, "it has no index/data.mdb")
        self._index_path = index_path
        try:
            self._open()
        except lmdb.NotFoundError:
            raise NotAStoreError(store, "its index lacks the saestore tables") from None
        except (lmdb.CorruptedError, lmdb.InvalidError, lmdb.PanicError, lmdb.VersionMismatchError) as error:
            raise CorruptIndexError(store, "(environment)", str(error)) from None
        except lmdb.Error as error:
            raise StoreError(f"{store}: index error: {error}") from None
        with self.env.begin() as txn:
            magic = txn.get(b"magic", db=self.tables["meta"])
            if magic is None:
                raise NotAStoreError(store, "its index has no saestore magic (an interrupted create?)")
            if bytes(magic) != MAGIC:
                raise NotAStoreError(store, "its index has a foreign magic")
            version = txn.get(b"format_version", db=self.tables["meta"])
            if version is None or len(version) != 4:
                raise CorruptIndexError(store, "meta", "format_version missing or not 4 bytes")
            self.format_version = int.from_bytes(version, "little")
            if self.format_version > FORMAT_VERSION:
                raise NewerFormatError(store, self.format_version, FORMAT_VERSION)
            manifest = txn.get(b"manifest", db=self.tables["meta"])
            if manifest is None:
                raise CorruptIndexError(store, "meta", "manifest missing")
            self.manifest = Manifest.parse(store, manifest)
            state = txn.get(b"state", db=self.tables["meta"])
            if state is None:
                raise CorruptIndexError(store, "meta", "commit state missing")
            self.state = CommitState.parse(store, state)

    def _open(self):
        self._pid = os.getpid()
        self._env = _environment(self._index_path)
        self.tables = {name: self._env.open_db(name.encode(), create=False) for name in TABLES}

    @property
    def env(self):
        if os.getpid() != self._pid:
            self._open()
        return self._env

    def close(self):
        """Closes the environment (and forgets it), so the process may open it again."""
        for key, env in list(_ENVIRONMENTS.items()):
            if env is self._env:
                del _ENVIRONMENTS[key]
        self._env.close()

    def get(self, table: str, key: bytes):
        with self.env.begin() as txn:
            value = txn.get(key, db=self.tables[table])
            return None if value is None else bytes(value)

    def floor(self, table: str, key: bytes):
        """(key, value) of the greatest key ≤ `key`, or None (FORMAT.md's row → document recipe)."""
        with self.env.begin() as txn:
            cursor = txn.cursor(db=self.tables[table])
            if not cursor.set_range(key):
                # Past every key: the row is in the last document.
                if not cursor.last():
                    return None
            elif cursor.key() != key:
                if not cursor.prev():
                    return None
            return bytes(cursor.key()), bytes(cursor.value())

    def scan(self, table: str, start: bytes = b""):
        """(key, value) pairs from `start` on, in key order."""
        with self.env.begin() as txn:
            cursor = txn.cursor(db=self.tables[table])
            found = cursor.set_range(start) if start else cursor.first()
            while found:
                yield bytes(cursor.key()), bytes(cursor.value())
                found = cursor.next()
