/// The store's description, JSON in the `meta` table: columns, chunking and provenance.
public struct StoreManifest: Codable, Sendable, Equatable {
    /// Format version the store was written with.
    public var formatVersion: UInt32
    /// Columns in index order; a column's position is its id in chunk keys.
    public var columns: [ColumnSpec]
    /// Rows per chunk (the last chunk before each commit may be shorter).
    public var chunkRows: Int
    /// A new segment file is started once the current one exceeds this many bytes.
    public var segmentTargetBytes: Int
    /// Whether rows belong to documents with text (ingested) or are bare rows (imported).
    public var hasDocuments: Bool
    /// Model the activations came from (HF id or directory), when known.
    public var model: String?
    /// Tokenizer used (normally the model's), when known.
    public var tokenizer: String?
    /// Context window in tokens the model saw each row in, when known.
    public var contextSize: Int?
    /// Whether each window started with <|endoftext|> as BOS, when known.
    public var prependBOS: Bool?
    /// Free-form provenance (tool version, command line, corpus names).
    public var notes: [String: String]

    /// A manifest for `StoreWriter.create`, stamped with this build's `StoreFormat.version`.
    /// Defaults: 8192 rows per chunk, 1 GiB segment target, no provenance. Checked by `validate()`,
    /// which `create` calls.
    public init(columns: [ColumnSpec], chunkRows: Int = 8192, segmentTargetBytes: Int = 1 << 30,
                hasDocuments: Bool, model: String? = nil, tokenizer: String? = nil,
                contextSize: Int? = nil, prependBOS: Bool? = nil, notes: [String: String] = [:]) {
        formatVersion = StoreFormat.version
        self.columns = columns
        self.chunkRows = chunkRows
        self.segmentTargetBytes = segmentTargetBytes
        self.hasDocuments = hasDocuments
        self.model = model
        self.tokenizer = tokenizer
        self.contextSize = contextSize
        self.prependBOS = prependBOS
        self.notes = notes
    }

    /// Throws `StoreError.invalidArgument` when there is no column or more than 65535 (column ids
    /// are u16 in chunk keys), a column is invalid (`ColumnSpec.validate()`) or named twice,
    /// `chunkRows` is outside 16...1048576, `segmentTargetBytes` is below 64 KiB, or a store with
    /// documents lacks one of `TokenColumn.all` as specified there.
    public func validate() throws {
        if columns.isEmpty { throw StoreError.invalidArgument("a store needs at least one column") }
        if columns.count > Int(UInt16.max) { throw StoreError.invalidArgument("too many columns (\(columns.count))") }
        var seen = Set<String>()
        for column in columns {
            try column.validate()
            if !seen.insert(column.name).inserted {
                throw StoreError.invalidArgument("column \(column.name) appears twice")
            }
        }
        if !(16...(1 << 20)).contains(chunkRows) {
            throw StoreError.invalidArgument("chunk rows must be 16...1048576, got \(chunkRows)")
        }
        if segmentTargetBytes < 1 << 16 {
            throw StoreError.invalidArgument("segment target must be at least 64 KiB, got \(segmentTargetBytes)")
        }
        if hasDocuments {
            for metadata in TokenColumn.all where !columns.contains(metadata) {
                throw StoreError.invalidArgument("a store with documents needs the \(metadata.name) column")
            }
        }
    }

    /// Position of the column named `name` (its id in chunk keys), or nil.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// Every column that is not token metadata (`TokenColumn.isMetadata`, by name), in index order.
    public var activationColumns: [ColumnSpec] { columns.filter { !TokenColumn.isMetadata($0.name) } }
}
