"""Errors of the reader, worded as the Swift reader words them (Sources/ActStore/Store/StoreError.swift)."""


class StoreError(Exception):
    """Any problem with a store; the message names the store and where."""


class NotAStoreError(StoreError):
    """The directory is missing or holds no saestore store."""

    def __init__(self, path, reason):
        super().__init__(f"{path} is not a saestore store: {reason}. "
                         "Create one with `saestore ingest` or `saestore import`.")


class NewerFormatError(StoreError):
    """Written by a newer saestore whose format this reader does not read."""

    def __init__(self, path, found, supported):
        self.found = found
        super().__init__(f"{path} was written in store format {found}, newer than this saestore reads "
                         f"({supported}). Upgrade saestore to read it.")


class CorruptChunkError(StoreError):
    """A chunk's bytes fail their checksum, do not decode, or disagree with their column."""

    def __init__(self, store, column, chunk, segment, byte_offset, detail):
        self.column, self.chunk, self.segment, self.byte_offset = column, chunk, segment, byte_offset
        super().__init__(f"{store}: column {column} chunk {chunk} at {segment} byte {byte_offset} is corrupt: "
                         f"{detail}. Run `saestore verify {store}` for the full damage report.")


class TruncatedSegmentError(StoreError):
    """A chunk reaches past the end of its segment file."""

    def __init__(self, store, column, chunk, segment, byte_offset, chunk_bytes, file_bytes):
        self.column, self.chunk, self.segment = column, chunk, segment
        super().__init__(f"{store}: column {column} chunk {chunk} needs bytes {byte_offset}..<{byte_offset + chunk_bytes} "
                         f"of {segment}, but the file has only {file_bytes} bytes (truncated segment).")


class MissingSegmentError(StoreError):
    def __init__(self, store, column, chunk, segment):
        self.column, self.chunk, self.segment = column, chunk, segment
        super().__init__(f"{store}: column {column} chunk {chunk} lives in {segment}, which is missing.")


class CorruptIndexError(StoreError):
    """An index record is malformed or inconsistent with the rest of the index."""

    def __init__(self, store, table, detail):
        self.table = table
        super().__init__(f"{store}: index table {table} is damaged: {detail}.")


class MissingColumnError(StoreError, KeyError):
    def __init__(self, store, column, available):
        StoreError.__init__(self, f'{store} has no column "{column}"; it has: {", ".join(available)}.')

    def __str__(self):
        return self.args[0]


class RowOutOfRangeError(StoreError, IndexError):
    def __init__(self, store, row, row_count):
        StoreError.__init__(self, f"{store}: row {row} is out of range (the store has {row_count} rows).")
