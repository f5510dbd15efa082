import Foundation

/// `import --append`: rows of a cache made elsewhere in parts (one .npy/.safetensors file
/// per column) added to a store of bare rows, part by part, so that the parts appended in
/// order give the same rows — and for f32/f16/bf16 the same chunks, byte for byte — as one
/// import of their concatenation.
///
/// All or nothing: every column's new rows go in at once, in one commit (StoreWriter's
/// protocol, docs/FORMAT.md); a part that does not fit is refused before anything is
/// written, and an error or a kill midway leaves the store at its previous commit. Each part
/// is recorded in the index by its bytes (`AppendPart`), and a second append of it is refused.
public enum RowAppend {
    /// One column's file of a part.
    public struct ColumnFile: Sendable, Equatable {
        /// The store column the file's rows extend.
        public var column: String
        /// A .npy or .safetensors file of (rows, width) floats (3-D arrays are flattened to rows).
        public var file: String
        /// The tensor to read when a .safetensors file holds several.
        public var tensor: String?

        /// One column's file of a part; `tensor` is needed only for a .safetensors file holding
        /// several tensors.
        public init(column: String, file: String, tensor: String? = nil) {
            self.column = column
            self.file = file
            self.tensor = tensor
        }
    }

    /// What an append did.
    public struct Result: Codable, Sendable {
        /// Rows appended.
        public var rowCount: Int
        /// The store row the part's first row became.
        public var firstRow: Int
        /// The store's rows after the append.
        public var storeRowCount: Int
        /// The part's fingerprint in the index (`AppendPart`).
        public var fingerprint: String
        /// Whether the store's short last chunk was cut again with the new rows (false for
        /// lossy codecs, whose parts then meet at a short chunk).
        public var continuedLastChunk: Bool
    }

    /// Appends the part `files` (one file per column of the store, every file the same number
    /// of rows) to the bare-rows store `store`. `codec`, when given, must be the columns'
    /// stored codec. `beforeCommit` runs with the part's bytes durable, just before the commit
    /// point (fault-injection tests kill the process there). On a sharded store the rows go to
    /// its last shard and shards.json is rewritten after the shard's commit (`ShardedAppend`);
    /// `beforeManifestWrite` runs between the two, for the same tests.
    public static func append(store: String, files: [ColumnFile], codec: ColumnCodec? = nil,
                              progress: ((_ rowsDone: Int, _ rowsTotal: Int) -> Void)? = nil,
                              beforeCommit: (() throws -> Void)? = nil,
                              beforeManifestWrite: (() throws -> Void)? = nil) throws -> Result {
        guard let first = files.first else { throw StoreError.invalidArgument("append: no files") }
        var sharded = try ShardedAppend(store: store)
        let target = sharded?.lastShard ?? store
        guard StoreDirectory.holdsStore(target) else {
            throw StoreError.notAStore(path: target, reason: "--append adds rows to an existing store; bring the first part in without --append")
        }
        let matrices = try files.map { try ColumnTransfer.MatrixFile(path: $0.file, tensor: $0.tensor) }
        let writer = try StoreWriter.open(at: target)
        try sharded?.reconcile(writer)
        let specs = try check(files, matrices, against: writer.manifest, store: store, codec: codec)
        let rowCount = matrices[0].rowCount
        let part = try AppendPart(files: specs.map { files[$0.fileIndex].file })
        if var earlier = try writer.earlierAppend(of: part) {
            earlier.firstRow += sharded?.rowStart ?? 0
            throw AppendError.duplicatePart(store: store, file: first.file, fingerprint: part.fingerprint, earlier: earlier)
        }
        let firstRow = writer.committedRowCount
        do {
            let continued = try writer.reopenTailChunk()
            var block: [Float] = []
            var start = 0
            while start < rowCount {
                let rows = start..<min(start + writer.manifest.chunkRows, rowCount)
                var columns: [String: [Float]] = [:]
                for (spec, fileIndex) in specs {
                    try matrices[fileIndex].read(rows, &block)
                    columns[spec.name] = block
                }
                try writer.appendRows(columns, rowCount: rows.count)
                start = rows.upperBound
                progress?(start, rowCount)
            }
            let record = AppendRecord(files: part.files, firstRow: firstRow, rowCount: rowCount, documentCount: 0)
            try writer.commit(cursor: try part.cursorEntry(record), beforeIndexWrite: beforeCommit)
            // A shard's rows are the union's from rowStart on; the manifest is the union's commit.
            let offset = sharded?.rowStart ?? 0
            try sharded?.commit(rowCount: writer.committedRowCount, documentCount: writer.committedDocumentCount,
                                beforeWrite: beforeManifestWrite)
            return Result(rowCount: rowCount, firstRow: offset + firstRow, storeRowCount: offset + writer.committedRowCount,
                          fingerprint: part.fingerprint, continuedLastChunk: continued)
        } catch {
            // Cuts the segment back to the last commit; the index never named these bytes.
            try? writer.discardUncommitted()
            throw error
        }
    }

    /// Every column of the store gets exactly one file whose width is the column's; every file
    /// has the same rows. Returns the store's columns in id order, each with its file's index.
    static func check(_ files: [ColumnFile], _ matrices: [ColumnTransfer.MatrixFile], against manifest: StoreManifest,
                      store: String, codec: ColumnCodec?) throws -> [(spec: ColumnSpec, fileIndex: Int)] {
        let names = manifest.columns.map(\.name).joined(separator: ", ")
        func refuse(_ file: String, _ position: String, expected: String, found: String) -> AppendError {
            .mismatch(store: store, file: file, position: position, expected: expected, found: found)
        }
        guard !manifest.hasDocuments else {
            throw refuse(files[0].file, "the whole file", expected: "rows with their token ids and text (\(store) holds documents; append a SAELens cache with --saelens-cache)",
                         found: "bare rows")
        }
        var fileIndex: [String: Int] = [:]
        for (i, entry) in files.enumerated() {
            guard manifest.columnIndex(entry.column) != nil else {
                throw refuse(entry.file, "--column \(entry.column)", expected: "a column of \(store) (\(names))", found: "no such column")
            }
            guard fileIndex.updateValue(i, forKey: entry.column) == nil else {
                throw refuse(entry.file, "--column \(entry.column)", expected: "one file per column", found: "a second file for \(entry.column)")
            }
        }
        var specs: [(spec: ColumnSpec, fileIndex: Int)] = []
        for spec in manifest.columns {
            guard let i = fileIndex[spec.name] else {
                throw refuse(files[0].file, "--column", expected: "one file for every column of \(store) (\(names)): a row comes in with all its columns at once",
                             found: "no file for \(spec.name)")
            }
            let matrix = matrices[i]
            let shape = "its shape (\(matrix.rowCount) rows, width \(matrix.width))"
            guard matrix.width == spec.width else {
                throw refuse(files[i].file, shape, expected: "width \(spec.width), the width of column \(spec.name)", found: "width \(matrix.width)")
            }
            guard matrix.rowCount > 0 else { throw refuse(files[i].file, shape, expected: "at least one row", found: "none") }
            guard matrix.rowCount == matrices[0].rowCount else {
                throw refuse(files[i].file, shape, expected: "\(matrices[0].rowCount) rows, as \(files[0].file) has", found: "\(matrix.rowCount) rows")
            }
            if let codec, codec != spec.codec {
                throw refuse(files[i].file, "--dtype \(codec.rawValue)", expected: "\(spec.codec.rawValue), the dtype column \(spec.name) is stored in",
                             found: codec.rawValue)
            }
            specs.append((spec: spec, fileIndex: i))
        }
        return specs
    }
}
