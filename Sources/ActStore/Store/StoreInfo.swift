#if canImport(Glibc)
import Glibc
#endif

/// Sizes and compression of a store, per column (what `saestore info` prints).
public struct StoreInfo: Codable, Sendable {
    /// One column: its encoding as in the manifest and what its committed chunks take on disk.
    public struct Column: Codable, Sendable {
        /// The column's name (a hook name or a `TokenColumn` name).
        public var name: String
        /// Values per row.
        public var width: Int
        /// On-disk codec of the column's values (`ColumnSpec.codec`).
        public var codec: ColumnCodec
        /// The manifest's byte-shuffle setting (each chunk record carries its own flag, which
        /// decoding follows).
        public var byteShuffle: Bool
        /// zstd level the column's chunks are compressed at.
        public var compressionLevel: Int
        /// Committed chunks of the column (the same number in every column).
        public var chunkCount: Int
        /// Compressed bytes of all its chunks.
        public var storedBytes: Int
        /// storedBytes / (rows * width).
        public var bytesPerValue: Double
        /// Raw f32 (or native integer) bytes / storedBytes.
        public var compressionRatioVsRaw: Double
    }

    /// The store directory as given to `openStore(at:)`.
    public var path: String
    /// Format version in the store's manifest (the first shard's, for a sharded store).
    public var formatVersion: UInt32
    /// Committed rows.
    public var rowCount: Int
    /// Committed documents (0 for bare rows).
    public var documentCount: Int
    /// Rows per chunk (`StoreManifest.chunkRows`); chunks cut at a commit may be shorter.
    public var chunkRows: Int
    /// Segment files on disk (summed over the shards of a sharded store).
    public var segmentCount: Int
    /// Bytes of all segment files on disk (summed over shards): headers, uncommitted tail bytes and
    /// chunk copies no record points at included (docs/FORMAT.md, "Segment files"), so it can
    /// exceed the sum of the columns' `storedBytes`.
    public var segmentBytes: Int
    /// Bytes of the LMDB file `index/data.mdb` (summed over shards); the file's size, so LMDB's
    /// free pages count too.
    public var indexBytes: Int
    /// Model the activations came from (`StoreManifest.model`), when known.
    public var model: String?
    /// Context window in tokens (`StoreManifest.contextSize`), when known.
    public var contextSize: Int?
    /// Every column, in index order.
    public var columns: [Column]
    /// The shard directories of a sharded store, in order (nil for a plain store).
    public var shards: [String]?
}

extension StoreReading {
    /// Sizes and compression of the store as of the reader's snapshot: loads every column's chunk
    /// records and stats the segment and index files (a file that cannot be stat'ed counts 0
    /// bytes). Throws the `StoreError` of a chunks table that cannot be read.
    public func info() throws -> StoreInfo {
        let rows = rowCount
        var columnInfos: [StoreInfo.Column] = []
        for spec in columns {
            let records = try chunkRecords(column: spec.name)
            let stored = records.reduce(0) { $0 + $1.compressedByteCount }
            let values = Double(rows * spec.width)
            let rawWidth = spec.codec.isFloat ? 4.0 : Double(spec.codec.storedByteWidth)
            columnInfos.append(.init(name: spec.name, width: spec.width, codec: spec.codec, byteShuffle: spec.byteShuffle,
                                     compressionLevel: spec.compressionLevel, chunkCount: records.count, storedBytes: stored,
                                     bytesPerValue: values > 0 ? Double(stored) / values : 0,
                                     compressionRatioVsRaw: stored > 0 ? values * rawWidth / Double(stored) : 0))
        }
        // A sharded store's files are its shards'.
        let directories = shardPaths.isEmpty ? [path] : shardPaths
        var segmentCount = 0, segmentBytes = 0, indexBytes = 0
        for directory in directories {
            let segments = StoreDirectory.segmentNumbers(directory)
            segmentCount += segments.count
            segmentBytes += segments.reduce(0) { $0 + fileSize(SegmentFile.path(store: directory, segment: $1)) }
            indexBytes += fileSize("\(StoreDirectory.indexPath(directory))/data.mdb")
        }
        return StoreInfo(path: path, formatVersion: manifest.formatVersion, rowCount: rows, documentCount: documentCount,
                         chunkRows: manifest.chunkRows, segmentCount: segmentCount, segmentBytes: segmentBytes,
                         indexBytes: indexBytes, model: manifest.model, contextSize: manifest.contextSize, columns: columnInfos,
                         shards: shardPaths.isEmpty ? nil : shardPaths)
    }
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}
