/// Constants of the on-disk format (docs/FORMAT.md is the specification).
public enum StoreFormat {
    /// Bumped on any change a previous reader would misread; a store with a newer version
    /// is refused rather than guessed at.
    public static let version: UInt32 = 1
    static let magic: [UInt8] = Array("saestore-activation-store".utf8)

    static let indexDirectory = "index"
    static let segmentsDirectory = "segments"
    static let lockFile = "writer.lock"

    enum MetaKey {
        static let magic = Array("magic".utf8)
        static let version = Array("format_version".utf8)
        static let manifest = Array("manifest".utf8)
        static let state = Array("state".utf8)
    }
}

/// What the index says is committed: rows, docs, chunks, and how far the tail segment's
/// bytes are valid. Written in the same transaction as the records it counts.
struct CommitState: Equatable {
    var rowCount: Int = 0
    var docCount: Int = 0
    var chunkCount: Int = 0
    var tailSegment: Int = 0
    /// Bytes of the tail segment covered by committed chunks (the header included).
    var tailSegmentByteCount: Int = 0
    var commitCount: Int = 0

    func encoded() -> [UInt8] {
        var w = RecordWriter()
        w.u8(1)
        w.u64(UInt64(rowCount))
        w.u64(UInt64(docCount))
        w.u64(UInt64(chunkCount))
        w.u32(UInt32(tailSegment))
        w.u64(UInt64(tailSegmentByteCount))
        w.u64(UInt64(commitCount))
        return w.bytes
    }

    init() {}

    init(decoding bytes: [UInt8]) throws {
        var r = RecordReader(bytes)
        guard try r.u8() == 1 else { throw RecordReader.Short() }
        rowCount = try r.count()
        docCount = try r.count()
        chunkCount = try r.count()
        tailSegment = Int(try r.u32())
        tailSegmentByteCount = try r.count()
        commitCount = try r.count()
    }
}

/// Where one chunk of one column lives and how to check and decode it.
public struct ChunkRecord: Equatable, Sendable {
    /// Codec the chunk was encoded with (a one-byte code after the record's version byte);
    /// reading throws `StoreError.corruptChunk` when it differs from the column's.
    public var codec: ColumnCodec
    /// Whether the payload is stored as byte planes (docs/FORMAT.md); decoding follows this flag,
    /// not the column spec's.
    public var byteShuffle: Bool
    /// Number of the segment file holding the chunk's bytes, `segments/NNNNNN.seg` (in a sharded
    /// store, of the shard's own segments).
    public var segment: Int
    /// Offset of the compressed bytes in the segment file.
    public var byteOffset: Int
    /// Bytes of the chunk's zstd frame, `byteOffset ..< byteOffset + compressedByteCount` in the
    /// segment: what `checksum` covers.
    public var compressedByteCount: Int
    /// Size of the payload once decompressed (before un-shuffling and conversion).
    public var rawByteCount: Int
    /// The chunk's first row in the store, the same in every column (global in a sharded store).
    public var firstRow: Int
    /// Rows in the chunk: the manifest's `chunkRows`, or fewer for a chunk cut at a commit.
    public var rowCount: Int
    /// CRC-32C of the compressed bytes.
    public var checksum: UInt32

    static let encodedByteCount = 40

    func encoded() -> [UInt8] {
        var w = RecordWriter(capacity: Self.encodedByteCount)
        w.u8(1)
        w.u8(codec.code)
        w.u8(byteShuffle ? 1 : 0)
        w.u8(0)
        w.u32(UInt32(segment))
        w.u64(UInt64(byteOffset))
        w.u32(UInt32(compressedByteCount))
        w.u32(UInt32(rawByteCount))
        w.u64(UInt64(firstRow))
        w.u32(UInt32(rowCount))
        w.u32(checksum)
        return w.bytes
    }

    init(codec: ColumnCodec, byteShuffle: Bool, segment: Int, byteOffset: Int, compressedByteCount: Int,
         rawByteCount: Int, firstRow: Int, rowCount: Int, checksum: UInt32) {
        self.codec = codec
        self.byteShuffle = byteShuffle
        self.segment = segment
        self.byteOffset = byteOffset
        self.compressedByteCount = compressedByteCount
        self.rawByteCount = rawByteCount
        self.firstRow = firstRow
        self.rowCount = rowCount
        self.checksum = checksum
    }

    init(decoding bytes: [UInt8]) throws {
        var r = RecordReader(bytes)
        guard bytes.count == Self.encodedByteCount, try r.u8() == 1 else { throw RecordReader.Short() }
        guard let codec = ColumnCodec(code: try r.u8()) else { throw RecordReader.Short() }
        self.codec = codec
        byteShuffle = try r.u8() != 0
        _ = try r.u8()
        segment = Int(try r.u32())
        byteOffset = try r.count()
        compressedByteCount = Int(try r.u32())
        rawByteCount = Int(try r.u32())
        firstRow = try r.count()
        rowCount = Int(try r.u32())
        checksum = try r.u32()
    }
}

/// One document: a contiguous run of rows and where its text came from.
public struct DocumentRecord: Equatable, Sendable {
    /// The document's first row (global in a sharded store); its rows are `rows`, contiguous.
    public var firstRow: Int
    /// Rows of the document, BOS rows included (one per window with `prependBOS`).
    public var tokenCount: Int
    /// Index into the `sources` table (file path or dataset name).
    public var sourceID: Int
    /// Line (JSONL) or document number inside the source, 0-based.
    public var sourceIndex: Int
    /// UTF-8 bytes of the stored text (0 when the rows came without text).
    public var textByteCount: Int

    /// A document record as the `docs` table holds it (29 bytes on disk, docs/FORMAT.md).
    public init(firstRow: Int, tokenCount: Int, sourceID: Int, sourceIndex: Int, textByteCount: Int) {
        self.firstRow = firstRow
        self.tokenCount = tokenCount
        self.sourceID = sourceID
        self.sourceIndex = sourceIndex
        self.textByteCount = textByteCount
    }

    /// The document's rows, half-open: `firstRow ..< firstRow + tokenCount`.
    public var rows: Range<Int> { firstRow..<firstRow + tokenCount }

    func encoded() -> [UInt8] {
        var w = RecordWriter(capacity: 32)
        w.u8(1)
        w.u64(UInt64(firstRow))
        w.u32(UInt32(tokenCount))
        w.u32(UInt32(sourceID))
        w.u64(UInt64(sourceIndex))
        w.u32(UInt32(textByteCount))
        return w.bytes
    }

    init(decoding bytes: [UInt8]) throws {
        var r = RecordReader(bytes)
        guard try r.u8() == 1 else { throw RecordReader.Short() }
        firstRow = try r.count()
        tokenCount = Int(try r.u32())
        sourceID = Int(try r.u32())
        sourceIndex = try r.count()
        textByteCount = Int(try r.u32())
        guard r.remaining == 0 else { throw RecordReader.Short() }
    }
}
