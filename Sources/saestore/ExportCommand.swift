import ActStore
import ArgumentParser
import Foundation
import TensorIO

/// `saestore export STORE --column NAME --out FILE.npy`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a store column (or a row range of it) to a .npy file.")

    @Argument(help: "Store directory.")
    var store: String

    @Option(help: "Column name.")
    var column: String

    @Option(help: "Rows: A..B (B excluded), A.., ..B or a single row; all rows by default.")
    var rows: String?

    @Option(help: "Output .npy file.")
    var out: String

    @Option(help: "dtype of the .npy: f32 or f16.")
    var dtype: String = "f32"

    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        let npyType: TensorDType
        switch dtype {
        case "f32": npyType = .f32
        case "f16": npyType = .f16
        default: throw ValidationError("--dtype must be f32 or f16, not \(dtype)")
        }
        let range = try rows.map { try RowRange.parse($0, rowCount: openStore(at: store).rowCount) }
        let progress = Progress("export", quiet: quiet)
        let count = try ColumnTransfer.exportColumn(store: store, column: column, rows: range, to: out, dtype: npyType) { done, total in
            progress.update(done, of: total)
        }
        progress.finish()
        if !quiet { print("wrote \(count) rows of \(column) to \(out)") }
    }
}
