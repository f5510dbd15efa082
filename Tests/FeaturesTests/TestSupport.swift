import TensorIO
import ActStore
import Foundation
import StreamTrain
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A file under ../shared/data, or a skip when it is absent (the product never needs it).
func sharedData(_ relativePath: String) throws -> URL {
    let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/\(relativePath)")
    guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("\(url.path) not present") }
    return url
}

func temporaryPath(_ test: XCTestCase, _ name: String) -> String {
    let path = NSTemporaryDirectory() + "features-\(name)-\(UUID().uuidString.prefix(8))"
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// SplitMix64, for deterministic test data.
typealias TestRandom = SplitMix64

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Exactly representable test data: activations are small integers and SAE weights are
/// multiples of 1/2 with |w| ≤ 1, so every product and partial sum of an encoding is exact in
/// Float and sgemm's summation order cannot change a single bit. Activations therefore tie
/// often, which is what the tie-breaking checks need.
enum ExactData {
    static let column = "blocks.0.hook_resid_pre"

    static func rows(_ rowCount: Int, width: Int, seed: UInt64) -> [Float] {
        var rng = TestRandom(state: seed)
        return (0..<(rowCount * width)).map { _ in Float(rng.below(7) - 3) }
    }

    static func sae(_ architecture: SAEArchitecture, dIn C: Int, dSAE H: Int, k: Int = 0, seed: UInt64) -> SparseAutoencoder {
        var rng = TestRandom(state: seed)
        func half() -> Float { Float(rng.below(5) - 2) / 2 }
        let weights = SAEWeights(wEnc: (0..<(C * H)).map { _ in half() },
                                 bEnc: (0..<H).map { _ in Float(rng.below(9) - 6) / 2 },
                                 wDec: architecture.isTied ? [] : (0..<(H * C)).map { _ in half() },
                                 bDec: (0..<C).map { _ in Float(rng.below(3) - 1) / 2 },
                                 rMag: architecture.isGated ? (0..<H).map { _ in Float(rng.below(5) - 2) / 4 } : [],
                                 bMag: architecture.isGated ? (0..<H).map { _ in Float(rng.below(5) - 3) / 2 } : [])
        return try! SparseAutoencoder(architecture: architecture, dIn: C, dSAE: H, k: k, applyBDecToInput: true, weights: weights)
    }

    /// A bare-row store of `rows` (no documents) with small chunks, so a scan crosses many.
    static func store(_ test: XCTestCase, rows: [Float], width: Int, chunkRows: Int = 64, name: String = "exact") throws -> String {
        let path = temporaryPath(test, name)
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(
            columns: [ColumnSpec(name: column, width: width, codec: .f32)], chunkRows: chunkRows, hasDocuments: false))
        try writer.appendRows([column: rows], rowCount: rows.count / width)
        try writer.commit()
        return path
    }

    /// Exports `sae` as a SAELens directory naming `column` as its hook.
    static func export(_ test: XCTestCase, _ sae: SparseAutoencoder, hook: String = column) throws -> String {
        let path = temporaryPath(test, "sae")
        try SAELensExporter.export(sae, metadata: SAELensMetadata(modelName: "test", hookName: hook), to: URL(fileURLWithPath: path))
        return path
    }
}

/// Asserts two tables are identical, naming the first difference.
func assertTablesEqual(_ a: FeatureTables, _ b: FeatureTables, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.featureIDs, b.featureIDs, "\(what): feature ids", file: file, line: line)
    XCTAssertEqual(a.rowsScanned, b.rowsScanned, "\(what): rows", file: file, line: line)
    XCTAssertEqual(a.fireCounts, b.fireCounts, "\(what): fire counts", file: file, line: line)
    XCTAssertEqual(a.activationSums, b.activationSums, "\(what): sums", file: file, line: line)
    XCTAssertEqual(a.histograms, b.histograms, "\(what): histograms", file: file, line: line)
    for f in 0..<min(a.featureCount, b.featureCount) {
        let ea = a.topExamples(f), eb = b.topExamples(f)
        if ea.map(\.row) != eb.map(\.row) || ea.map(\.activation) != eb.map(\.activation) {
            XCTFail("\(what): feature \(a.featureIDs[f]) top-k \(ea.prefix(6)) vs \(eb.prefix(6))", file: file, line: line)
            return
        }
    }
    XCTAssertEqual(a.quantileCounts, b.quantileCounts, "\(what): quantile counts", file: file, line: line)
    XCTAssertEqual(a.quantileRows, b.quantileRows, "\(what): quantile rows", file: file, line: line)
    XCTAssertEqual(a.quantileActivations, b.quantileActivations, "\(what): quantile activations", file: file, line: line)
    XCTAssertEqual(a, b, what, file: file, line: line)
}
