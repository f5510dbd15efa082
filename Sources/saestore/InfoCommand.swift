import ActStore
import ArgumentParser
import Foundation

/// `saestore info STORE`: rows, documents, columns and what each costs on disk.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a store's rows, documents, columns, bytes on disk and compression.")

    @Argument(help: "Store directory.")
    var store: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let info = try openStore(at: store).info()
        if json { return try printJSON(info) }
        print("store     \(info.path)  (format \(info.formatVersion))")
        print("rows      \(info.rowCount)   documents \(info.documentCount)   chunk rows \(info.chunkRows)")
        if let model = info.model { print("model     \(model)" + (info.contextSize.map { "   context \($0)" } ?? "")) }
        if let shards = info.shards { print("shards    \(shards.count): " + shards.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) }
        print("disk      segments \(Progress.bytes(info.segmentBytes)) in \(info.segmentCount) files, index \(Progress.bytes(info.indexBytes))")
        print("")
        // "vs raw": against the same values uncompressed in the column's own type (f16 and bf16
        // 2 B, int8 1 B, u32 4 B, …), the compression zstd and the shuffle buy; "vs f32": against
        // raw f32 activations (4 B), which includes the rounding to f16/bf16/int8.
        let header = ["column", "width", "codec", "chunks", "stored", "bytes/value", "vs raw", "vs f32"]
        var rows = [header]
        for c in info.columns {
            let raw = Double(c.codec.storedByteWidth)
            rows.append([c.name, "\(c.width)", c.codec.rawValue + (c.byteShuffle ? "+shuffle" : "") + " zstd\(c.compressionLevel)",
                         "\(c.chunkCount)", Progress.bytes(c.storedBytes), String(format: "%.3f", c.bytesPerValue),
                         c.bytesPerValue > 0 ? String(format: "%.2fx", raw / c.bytesPerValue) : "-",
                         c.codec.isFloat && c.bytesPerValue > 0 ? String(format: "%.2fx", 4 / c.bytesPerValue) : "-"])
        }
        let widths = header.indices.map { i in rows.map { $0[i].count }.max()! }
        for row in rows {
            print(row.enumerated().map { i, cell in i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[i] - cell.count) + cell }.joined(separator: "  "))
        }
        if info.columns.contains(where: { [.f16, .bf16, .int8].contains($0.codec) }) {
            print("f16/bf16 columns hold activations rounded to f16/bf16 (round to nearest even); int8 is lossy: docs/FORMAT.md")
        }
    }
}
