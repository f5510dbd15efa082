#if canImport(Glibc)
import Glibc
#endif

/// Sizes and compression of a store, per column (what `saestore info` prints).
public struct StoreInfo: Codable, Sendable {
    public struct Column: Codable, Sendable {
        public var name: String
        public var width: Int
        public var codec: ColumnCodec
        public var byteShuffle: Bool
        public var compressionLevel: Int
        public var chunkCount: Int
        /// Compressed bytes of all its chunks.
        public var storedBytes: Int
        /// storedBytes / (rows * width).
        public var bytesPerValue: Double
        /// Raw f32 (or native integer) bytes / storedBytes.
        public var compressionRatioVsRaw: Double
    }

    public var path: String
    public var formatVersion: UInt32
    public var rowCount: Int
    public var documentCount: Int
    public var chunkRows: Int
    public var segmentCount: Int
    public var segmentBytes: Int
    public var indexBytes: Int
    public var model: String?
    public var contextSize: Int?
    public var columns: [Column]
    /// The shard directories of a sharded store, in order (nil for a plain store).
    public var shards: [String]?
}

extension StoreReader {
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
        let directories = isUnion ? shardPaths : [path]
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
                         shards: isUnion ? shardPaths : nil)
    }
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}
