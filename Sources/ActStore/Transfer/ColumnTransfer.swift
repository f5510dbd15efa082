import Foundation
import TensorIO

/// Bringing activations made elsewhere (PyTorch pipelines, SAELens caches saved as .npy)
/// into a store, and taking columns out as .npy.
public enum ColumnTransfer {
    /// What `importColumn` did.
    public struct ImportResult: Codable, Sendable {
        /// Rows imported: the file's rows, which are the store's rows.
        public var rowCount: Int
        /// Values per row of the imported column (the matrix's second dimension).
        public var width: Int
        /// True when the import created the store (its rows came from this file).
        public var createdStore: Bool
    }

    /// A float matrix in a .npy or .safetensors file, read a block of rows at a time.
    struct MatrixFile {
        let rowCount: Int
        let width: Int
        let read: (Range<Int>, inout [Float]) throws -> Void

        init(path: String, tensor: String?) throws {
            if path.hasSuffix(".safetensors") {
                let file = try SafetensorsFile(path: path)
                let name: String
                if let tensor {
                    name = tensor
                } else if file.tensorNames.count == 1 {
                    name = file.tensorNames[0]
                } else {
                    throw StoreError.invalidArgument("\(path) holds \(file.tensorNames.count) tensors (\(file.tensorNames.prefix(8).joined(separator: ", "))); pick one with --tensor")
                }
                (rowCount, width) = try file.matrixShape(name)
                read = { rows, out in try file.readRows(name, rows, into: &out) }
            } else if path.hasSuffix(".npy") {
                let file = try NPYFile(path: path)
                rowCount = file.rowCount
                width = file.width
                read = { rows, out in try file.readRows(rows, into: &out) }
            } else {
                throw StoreError.invalidArgument("\(path): expected a .npy or .safetensors file")
            }
        }
    }

    /// Imports the matrix in `file` as column `column`. Into a missing store, the rows are
    /// created (bare rows, no text) and the file is recorded as the store's first part
    /// (`AppendPart`: a later `RowAppend` of the same bytes is refused); into a store with
    /// rows, the file must have exactly as many rows. All or nothing: on any error the store
    /// is as it was (or absent). More rows for an existing column: `RowAppend`.
    @discardableResult
    public static func importColumn(store: String, column: String, file: String, tensor: String? = nil,
                                    codec: ColumnCodec = .f16, chunkRows: Int = 8192, compressionLevel: Int = 3,
                                    progress: ((_ rowsDone: Int, _ rowsTotal: Int) -> Void)? = nil) throws -> ImportResult {
        let matrix = try MatrixFile(path: file, tensor: tensor)
        guard matrix.rowCount > 0 else { throw StoreError.invalidArgument("\(file) has no rows") }
        let spec = ColumnSpec(name: column, width: matrix.width, codec: codec, compressionLevel: compressionLevel)
        try spec.validate()
        guard codec.isFloat else { throw StoreError.invalidArgument("activations are imported as f32, f16, bf16, int8-outlier or int8, not \(codec.rawValue)") }

        if StoreDirectory.holdsStore(store) {
            let writer = try StoreWriter.open(at: store)
            guard writer.committedRowCount == matrix.rowCount else {
                throw StoreError.invalidArgument("\(file) has \(matrix.rowCount) rows but \(store) has \(writer.committedRowCount); a new column must cover every row")
            }
            try writer.addColumn(spec, progress: { progress?($0, matrix.rowCount) }, fill: matrix.read)
            return ImportResult(rowCount: matrix.rowCount, width: matrix.width, createdStore: false)
        }

        let existed = FileManager.default.fileExists(atPath: store)
        do {
            let writer = try StoreWriter.create(at: store, manifest: StoreManifest(
                columns: [spec], chunkRows: chunkRows, hasDocuments: false, notes: ["imported_from": file]))
            var block: [Float] = []
            var start = 0
            while start < matrix.rowCount {
                let rows = start..<min(start + chunkRows, matrix.rowCount)
                try matrix.read(rows, &block)
                try writer.appendRows([column: block], rowCount: rows.count)
                start = rows.upperBound
                progress?(start, matrix.rowCount)
            }
            // Recorded as a part too, so that `import --append` of the same file is refused.
            let part = try AppendPart(files: [file])
            let record = AppendRecord(files: [file], firstRow: 0, rowCount: matrix.rowCount, documentCount: 0)
            try writer.commit(cursor: try part.cursorEntry(record).merging([file: Array("\(matrix.rowCount)".utf8)]) { a, _ in a })
        } catch {
            // The store did not exist before: leave nothing behind.
            if existed {
                try? FileManager.default.removeItem(atPath: StoreDirectory.indexPath(store))
                try? FileManager.default.removeItem(atPath: StoreDirectory.segmentsPath(store))
                try? FileManager.default.removeItem(atPath: "\(store)/\(StoreFormat.lockFile)")
            } else {
                try? FileManager.default.removeItem(atPath: store)
            }
            throw error
        }
        return ImportResult(rowCount: matrix.rowCount, width: matrix.width, createdStore: true)
    }

    /// Writes rows `rows` (all when nil) of a float column to a .npy file (f32 or f16),
    /// through a temporary file renamed into place, so a failed export leaves no partial file.
    @discardableResult
    public static func exportColumn(store: String, column: String, rows: Range<Int>? = nil, to output: String,
                                    dtype: TensorDType = .f32,
                                    progress: ((_ rowsDone: Int, _ rowsTotal: Int) -> Void)? = nil) throws -> Int {
        let reader = try openStore(at: store)
        let spec = try reader.spec(column)
        guard spec.codec.isFloat else { throw StoreError.invalidArgument("column \(column) holds integers; export takes activation columns") }
        let range = rows ?? 0..<reader.rowCount
        guard range.lowerBound >= 0, range.upperBound <= reader.rowCount else {
            throw StoreError.rowOutOfRange(store: store, row: range.upperBound - 1, rowCount: reader.rowCount)
        }
        let temporary = output + ".partial"
        do {
            let writer = try NPYWriter(path: temporary, rowCount: range.count, width: spec.width, dtype: dtype)
            let decoder = reader.makeDecoder()
            var block: [Float] = []
            var start = range.lowerBound
            while start < range.upperBound {
                let end = min(range.upperBound, (start / reader.manifest.chunkRows + 1) * reader.manifest.chunkRows)
                try reader.readRows(column: column, rows: start..<end, into: &block, decoder: decoder)
                try writer.append(rows: block)
                start = end
                progress?(start - range.lowerBound, range.count)
            }
            try writer.finish()
            if rename(temporary, output) != 0 { throw StoreError.io(path: output, operation: "rename", errno: errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        return range.count
    }
}
