import Foundation

/// `STORE/shards.json`: a store made of shard stores, read as their concatenation (docs/FORMAT.md,
/// "Sharded stores"). Global row r is row r − rowStart(k) of the shard k whose range holds it;
/// documents and chunks are numbered the same way.
public struct ShardManifest: Codable, Sendable, Equatable {
    /// One shard, in concatenation order.
    public struct Shard: Codable, Sendable, Equatable {
        /// Shard store directory, relative to the manifest's directory (or absolute).
        public var path: String
        /// Rows the shard held when the manifest was written.
        public var rowCount: Int
        /// Documents the shard held when the manifest was written.
        public var documentCount: Int

        /// A shard entry; `ShardManifest.write` fills the counts from the opened shard.
        public init(path: String, rowCount: Int, documentCount: Int) {
            self.path = path
            self.rowCount = rowCount
            self.documentCount = documentCount
        }
    }

    /// Always `saestore-shards`.
    public var kind: String
    /// Format of this file (1).
    public var formatVersion: Int
    /// The shards in order.
    public var shards: [Shard]

    /// Name of the manifest file in the sharded store's directory; its presence, with no
    /// `index/data.mdb` beside it, makes the directory a sharded store.
    public static let fileName = "shards.json"
    /// The `kind` that marks the file as a saestore shard manifest.
    public static let kindName = "saestore-shards"

    /// A manifest of `shards` in concatenation order, of kind `saestore-shards` and format 1.
    public init(shards: [Shard]) {
        kind = ShardManifest.kindName
        formatVersion = 1
        self.shards = shards
    }

    /// Whether `directory` holds a shards.json (it may also hold a store of its own; see
    /// `isShardedStore`).
    public static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + fileName)
    }

    /// Whether `directory` is a sharded store: it holds a shards.json and no index of its own
    /// (`index/data.mdb`). `openStore(at:)` reads such a directory with `UnionStoreReader`.
    public static func isShardedStore(_ directory: String) -> Bool {
        exists(in: directory) && !FileManager.default.fileExists(atPath: "\(StoreDirectory.indexPath(directory))/data.mdb")
    }

    /// Reads `directory/shards.json` and checks the file itself; throws `StoreError.notAStore` when
    /// it cannot be read or decoded, has another `kind`, a `formatVersion` above 1, or lists no
    /// shards. The shards are not opened here (`UnionStoreReader(directory:)` opens and checks them).
    public static func load(directory: String) throws -> ShardManifest {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(fileName)
        let manifest: ShardManifest
        do {
            manifest = try JSONDecoder().decode(ShardManifest.self, from: Data(contentsOf: url))
        } catch {
            throw StoreError.notAStore(path: directory, reason: "its \(fileName) cannot be read (\(error))")
        }
        guard manifest.kind == kindName else {
            throw StoreError.notAStore(path: directory, reason: "\(fileName) has kind \"\(manifest.kind)\", expected \"\(kindName)\"")
        }
        guard manifest.formatVersion <= 1 else {
            throw StoreError.notAStore(path: directory, reason: "\(fileName) is format \(manifest.formatVersion), newer than this saestore reads (1)")
        }
        guard !manifest.shards.isEmpty else {
            throw StoreError.notAStore(path: directory, reason: "\(fileName) lists no shards")
        }
        return manifest
    }

    /// Opens every listed shard, records its current row and document counts, and writes
    /// `directory/shards.json` atomically. `shardPaths` are stored as given (relative paths are
    /// resolved against `directory` when read).
    @discardableResult
    public static func write(directory: String, shardPaths: [String]) throws -> ShardManifest {
        guard !shardPaths.isEmpty else { throw StoreError.invalidArgument("a sharded store needs at least one shard") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var shards: [Shard] = []
        var first: StoreManifest?
        for path in shardPaths {
            let shardPath = resolve(path, in: directory)
            guard !isShardedStore(shardPath) else { throw StoreError.invalidArgument("\(path) is itself a sharded store; list its shards instead") }
            let reader = try StoreReader(path: shardPath)
            if let first, let problem = UnionStoreReader.mismatch(first, reader.manifest) {
                throw StoreError.invalidArgument("\(path) does not match the first shard: \(problem)")
            }
            first = first ?? reader.manifest
            shards.append(Shard(path: path, rowCount: reader.rowCount, documentCount: reader.documentCount))
        }
        let manifest = ShardManifest(shards: shards)
        try manifest.write(directory: directory)
        return manifest
    }

    /// Writes this manifest as `directory/shards.json` (pretty, sorted keys), atomically: readers
    /// see the old file or the new one, never a mix.
    func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName), options: .atomic)
    }

    static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).path
    }
}
