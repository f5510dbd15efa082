import Foundation
import SAELoading
import TensorIO

/// DIR/results.examples: every reported example's window (tokens, texts, the feature's
/// activation on each), resolved at scan time and laid out feature by feature behind an
/// offset table, so one feature's examples are one small read of a mapped file.
///
/// ```
/// 0   magic "SAEXWIN\0"        16  u64 features F
/// 8   u32 format version (1)    24  u64 examples
/// 12  u32 window (tokens/side)  32  (F + 1) × u64 block offsets, ascending
/// block f: u32 examples, then each example (ExampleWindowCoding): the top examples, then
///          quantile bucket 0, 1, … samples, in results.safetensors' order, padding left out
/// ```
public final class ExampleWindowsFile {
    /// The file's name in the results directory, beside results.json.
    public static let fileName = "results.examples"
    /// Layout version this build writes and the newest it reads (header bytes 8..<12).
    public static let formatVersion = 1
    static let magic = Array("SAEXWIN\0".utf8)
    static let headerByteCount = 32

    /// The examples file opened.
    public let path: String
    /// Tokens of context stored on each side.
    public let window: Int
    /// Features F, one block each in the results' local feature order (checked against the header).
    public let featureCount: Int
    /// Examples stored over all features (header bytes 24..<32, `ExampleWindowsInfo.exampleCount`).
    public let exampleCount: Int
    private let file: MappedFile

    /// Maps the file and checks its header against what results.json recorded.
    public init(path: String, info: ExampleWindowsInfo, featureCount: Int) throws {
        self.path = path
        func bad(_ detail: String) -> FeaturesError {
            .badResults(path: path, detail: "\(detail); rerun `saestore features` to rewrite the results")
        }
        do { file = try MappedFile(path: path) } catch { throw bad("cannot map the examples file (\(error))") }
        guard file.byteCount == info.byteCount else {
            throw bad("the examples file is \(file.byteCount) bytes, results.json says \(info.byteCount): it is from another scan")
        }
        let header: (magic: [UInt8], version: UInt32, window: UInt32, features: UInt64, examples: UInt64)? = try file.withBytes(0..<min(file.byteCount, Self.headerByteCount)) { raw in
            guard raw.count == Self.headerByteCount else { return nil }
            let cursor = ByteCursor(raw)
            return (Array(raw[0..<8]), try cursor.u32(at: 8), try cursor.u32(at: 12), try cursor.u64(at: 16), try cursor.u64(at: 24))
        }
        guard let header, header.magic == Self.magic else { throw bad("not an examples file (bad magic)") }
        guard header.version <= Self.formatVersion else {
            throw FeaturesError.badResults(path: path, detail: "examples format \(header.version) is newer than this saestore reads (\(Self.formatVersion))")
        }
        guard Int(header.version) == info.formatVersion, Int(header.window) == info.window,
              header.features == UInt64(featureCount), header.examples == UInt64(info.exampleCount) else {
            throw bad("the examples file's header (version \(header.version), window \(header.window), \(header.features) features, \(header.examples) examples) disagrees with results.json")
        }
        guard Self.headerByteCount + 8 * (featureCount + 1) <= file.byteCount else { throw bad("the offset table is cut short") }
        window = Int(header.window)
        self.featureCount = featureCount
        exampleCount = info.exampleCount
    }

    /// Local feature `f`'s stored examples in table order, each cut to `window` tokens a side
    /// (at most the stored window), checked against the rows and activations the tables hold
    /// (`expected`, in the same order; only that many are decoded).
    public func examples(feature f: Int, id: Int, window: Int, expected: [(row: Int, activation: Float)]) throws -> [FeatureExample] {
        precondition((0..<featureCount).contains(f), "ExampleWindowsFile: feature \(f) of \(featureCount)")
        precondition(window <= self.window, "ExampleWindowsFile: window \(window) is wider than the stored \(self.window)")
        let (start, end) = try file.withBytes(Self.headerByteCount + 8 * f..<Self.headerByteCount + 8 * (f + 2)) { raw in
            let cursor = ByteCursor(raw)
            return (Int(try cursor.u64(at: 0)), Int(try cursor.u64(at: 8)))
        }
        guard start >= Self.headerByteCount, start <= end, end <= file.byteCount else {
            throw FeaturesError.badResults(path: path, detail: "feature \(id)'s block \(start)..<\(end) is outside the \(file.byteCount)-byte file; rerun `saestore features`")
        }
        do {
            return try file.withBytes(start..<end) { raw in
                var cursor = ByteCursor(raw)
                let count = Int(try cursor.u32())
                guard count >= expected.count else {
                    throw ExampleWindowCoding.Damaged(detail: "\(count) examples stored, the tables hold at least \(expected.count)")
                }
                var out: [FeatureExample] = []
                out.reserveCapacity(expected.count)
                for (i, want) in expected.enumerated() {
                    let example = try ExampleWindowCoding.decode(&cursor, feature: id, window: window)
                    guard example.row == want.row, example.activation.bitPattern == want.activation.bitPattern else {
                        throw ExampleWindowCoding.Damaged(detail: "example \(i) is row \(example.row) (\(example.activation)), the tables say row \(want.row) (\(want.activation))")
                    }
                    out.append(example)
                }
                return out
            }
        } catch let damaged as ExampleWindowCoding.Damaged {
            throw FeaturesError.badResults(path: path, detail: "feature \(id): \(damaged.detail); rerun `saestore features`")
        }
    }
}
