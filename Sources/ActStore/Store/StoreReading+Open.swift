/// Opens the store at `path` for reading, whichever kind it is: a sharded store (a directory
/// holding shards.json and no index of its own, docs/FORMAT.md "Sharded stores") as a
/// `UnionStoreReader` over its shards, any other directory as a `StoreReader`. Every command and
/// library entry point that reads a path a user gave opens it here, so sharded stores read
/// wherever plain ones do. Throws what opening throws (`StoreError.notAStore` for a directory that
/// is neither, or a union with a missing, changed or mismatched shard, naming it).
public func openStore(at path: String) throws -> any StoreReading {
    if ShardManifest.isShardedStore(path) { return try UnionStoreReader(directory: path) }
    return try StoreReader(path: path)
}
