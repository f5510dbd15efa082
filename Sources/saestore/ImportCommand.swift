import ActStore
import ArgumentParser
import Foundation

/// `saestore import STORE --column NAME FILE`: activations made elsewhere into a store.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a (rows, width) float matrix from .npy or .safetensors as a store column.",
        discussion: """
            Into a store that does not exist yet, the file's rows become the store's rows (bare rows: \
            lookups say they have no text). Into a store with rows, the file must have exactly that \
            many rows and becomes a new column. 3-D arrays (batch, context, d) are flattened to rows. \
            With --append, the file's rows are added after the store's rows instead (a cache made \
            elsewhere in parts comes in part by part: one file per column, or --saelens-cache with \
            one cache or .arrow shard); a part already in the store is refused. \
            On any error, or if killed, the store is left as it was.
            """)

    @Argument(help: "Store directory (created if missing).")
    var store: String

    @Option(help: "Column name, e.g. blocks.6.hook_resid_pre (with --append, once per column, in the order of the files).")
    var column: [String] = []

    @Argument(help: "A .npy or .safetensors file (with --append, one per --column).")
    var files: [String] = []

    @Flag(help: "Add the rows to the existing store's columns (all of them at once) instead of creating the store or a column.")
    var append = false

    @Option(help: "Import a SAELens activation cache directory (Arrow shards with token_ids) as a new store with its text.")
    var saelensCache: String?

    @Option(help: "With --saelens-cache: the cache's model directory (its vocab.json and merges.txt decode the token ids).")
    var model: String?

    @Option(help: "Tensor to import when the .safetensors file holds several.")
    var tensor: String?

    @Option(help: "Storage dtype: f32, f16, bf16, int8-outlier (lossy, keeps outliers), or int8 (lossy, per-row absmax). Default f16; with --append, the column's.")
    var dtype: String?

    @Option(help: "zstd level (1-22).")
    var level: Int = 3

    @Option(help: "Rows per chunk for a new store.")
    var chunkRows: Int = 8192

    @Flag(help: "No progress display.")
    var quiet = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        var requested: ColumnCodec?
        if let dtype {
            guard let codec = ColumnCodec(rawValue: dtype), codec.isFloat else {
                throw ValidationError("--dtype must be f32, f16, bf16, int8-outlier or int8, not \(dtype)")
            }
            requested = codec
        }
        if append { return try runAppend(codec: requested) }
        let codec = requested ?? .f16
        if let saelensCache { return try importSAELensCache(saelensCache, codec: codec) }
        guard column.count == 1, files.count == 1 else {
            throw ValidationError("import needs one --column NAME and one FILE (or --saelens-cache DIR); several go with --append")
        }
        let (columnName, file) = (column[0], files[0])
        let progress = Progress("import", quiet: quiet || json)
        let result = try ColumnTransfer.importColumn(store: store, column: columnName, file: file, tensor: tensor, codec: codec,
                                                     chunkRows: chunkRows, compressionLevel: level) { done, total in
            progress.update(done, of: total)
        }
        progress.finish()
        if json { return try printJSON(result) }
        print("imported \(result.rowCount) rows x \(result.width) as \(columnName) (\(codec.rawValue)) into \(store)"
              + (result.createdStore ? " (new store)" : ""))
    }
}
