/// Opens the store at `path` for reading, whichever kind it is: a plain store directory, or a
/// sharded store (a directory holding shards.json and no index of its own, docs/FORMAT.md
/// "Sharded stores") read as the concatenation of its shards. Every command and library entry
/// point that reads a path a user gave opens it here, so sharded stores read wherever plain ones
/// do. Throws what opening throws (`StoreError.notAStore` for a directory that is neither).
public func openStore(at path: String) throws -> any StoreReading {
    try StoreReader(path: path)
}
