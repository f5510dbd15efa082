import TensorIO
import Foundation
import XCTest
@testable import ActStore

/// A fresh directory under the system temp dir, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase, _ name: String = #function) -> String {
    let path = NSTemporaryDirectory() + "actstore-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))"
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// SplitMix64: deterministic test data.
typealias TestRNG = SplitMix64

extension SplitMix64 {
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Roughly Gaussian (sum of uniforms), like residual-stream values.
    mutating func gaussian() -> Float { (0..<4).reduce(Float(0)) { s, _ in s + uniform() } - 2 }
}

/// Activation-like values: per-dimension scales, occasional large outliers (GPT-2's
/// residual stream has a few huge dimensions and a huge first position).
func activationLike(rows: Int, width: Int, seed: UInt64) -> [Float] {
    var rng = TestRNG(state: seed)
    let scales = (0..<width).map { _ in 0.2 + 2 * rng.uniform() }
    var values = [Float](repeating: 0, count: rows * width)
    for r in 0..<rows {
        for j in 0..<width { values[r * width + j] = rng.gaussian() * scales[j] }
        if rng.next() % 50 == 0 { values[r * width + Int(rng.next() % UInt64(width))] *= 40 }
    }
    return values
}

let hookName = "blocks.2.hook_resid_pre"

func makeDocument(_ index: Int, width: Int, tokens: Int? = nil, seed: UInt64 = 1) -> DocumentRows {
    var rng = TestRNG(state: UInt64(index) &* 1_000_003 &+ seed)
    let count = tokens ?? 1 + Int(rng.next() % 300)
    var text = ""
    var starts: [UInt32] = [], ends: [UInt32] = [], ids: [UInt32] = [], positions: [UInt32] = []
    for t in 0..<count {
        let word = t % 7 == 3 ? " é\(rng.next() % 100)" : " tok\(rng.next() % 1000)"
        starts.append(UInt32(text.utf8.count))
        text += word
        ends.append(UInt32(text.utf8.count))
        ids.append(UInt32(rng.next() % 50257))
        positions.append(UInt32(t % 128))
    }
    return DocumentRows(text: text, source: "corpus-\(index % 3).jsonl", sourceIndex: index, tokenIDs: ids,
                        positions: positions, byteStarts: starts, byteEnds: ends,
                        activations: [hookName: activationLike(rows: count, width: width, seed: UInt64(index) &+ seed)])
}

func manifest(width: Int, codec: ColumnCodec, chunkRows: Int = 100, segmentBytes: Int = 1 << 20) -> StoreManifest {
    StoreManifest(columns: TokenColumn.all + [ColumnSpec(name: hookName, width: width, codec: codec)],
                  chunkRows: chunkRows, segmentTargetBytes: segmentBytes, hasDocuments: true, model: "test")
}

/// What a value becomes after storing it with `codec` (int8 excluded: lossy per row).
func stored(_ x: Float, _ codec: ColumnCodec) -> Float {
    switch codec {
    case .f32: return x
    case .f16: return Float(Float16(x))
    case .bf16: return HalfConversion.float(fromBF16: HalfConversion.bf16Bits(x))
    default: preconditionFailure()
    }
}

/// The directory holding the built test products (crash-writer sits beside the test bundle).
func productsDirectory() -> URL {
    let bundle = Bundle(for: StoreRoundTripTests.self).bundleURL
    return bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
}

/// Runs the crash-writer child (Tests/CrashWriter) with `arguments` to its exit or its
/// self-inflicted SIGKILL, its output discarded.
func runCrashWriter(_ arguments: [String]) throws -> Process {
    let path = productsDirectory().appendingPathComponent("crash-writer").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw XCTSkip("crash-writer not built at \(path) (run `swift build --build-tests`)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process
}

func bitsEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}
