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
            On any error the store is left as it was.
            """)

    @Argument(help: "Store directory (created if missing).")
    var store: String

    @Option(help: "Column name, e.g. blocks.6.hook_resid_pre.")
    var column: String?

    @Argument(help: "A .npy or .safetensors file.")
    var file: String?

    @Option(help: "Import a SAELens activation cache directory (Arrow shards with token_ids) as a new store with its text.")
    var saelensCache: String?

    @Option(help: "With --saelens-cache: the cache's model directory (its vocab.json and merges.txt decode the token ids).")
    var model: String?

    @Option(help: "Tensor to import when the .safetensors file holds several.")
    var tensor: String?

    @Option(help: "Storage dtype: f32, f16, bf16, int8-outlier (lossy, keeps outliers), or int8 (lossy, per-row absmax).")
    var dtype: String = "f16"

    @Option(help: "zstd level (1-22).")
    var level: Int = 3

    @Option(help: "Rows per chunk for a new store.")
    var chunkRows: Int = 8192

    @Flag(help: "No progress display.")
    var quiet = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        guard let codec = ColumnCodec(rawValue: dtype), codec.isFloat else {
            throw ValidationError("--dtype must be f32, f16, bf16, int8-outlier or int8, not \(dtype)")
        }
        if let saelensCache { return try importSAELensCache(saelensCache, codec: codec) }
        guard let column, let file else { throw ValidationError("import needs --column NAME and a FILE (or --saelens-cache DIR)") }
        let progress = Progress("import", quiet: quiet || json)
        let result = try ColumnTransfer.importColumn(store: store, column: column, file: file, tensor: tensor, codec: codec,
                                                     chunkRows: chunkRows, compressionLevel: level) { done, total in
            progress.update(done, of: total)
        }
        progress.finish()
        if json { return try printJSON(result) }
        print("imported \(result.rowCount) rows x \(result.width) as \(column) (\(codec.rawValue)) into \(store)"
              + (result.createdStore ? " (new store)" : ""))
    }
}
