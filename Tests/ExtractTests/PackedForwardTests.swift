import ActStore
import BLASKernels
import Foundation
import TensorIO
import XCTest
@testable import Extract

/// Windows run packed at their own lengths give the rows of the padded (B,T) forward, which
/// stays as the plain reference. Packed forwards agree with each other bit for bit where
/// `RowStableProducts` can make them (SkylakeX, Prescott); against the padded reference (whose
/// padded rows change the products' shapes) and under Haswell, the bound is: f32 rows within 1e-5 relative max error (the forward's own parity bound against the
/// reference implementation is 1e-5 too), f16 rows within one f16 step plus that, every other
/// column (tokens, documents, positions, byte spans, texts) equal.
final class PackedForwardTests: XCTestCase {
    private var modelDirectory: String!
    private var paragraphs: [String] = []

    override func setUpWithError() throws {
        modelDirectory = try sharedData("models/tiny-shakespeare-gpt2").path
        let text = try String(contentsOf: try sharedData("corpora/tinyshakespeare.txt"), encoding: .utf8)
        // Short paragraphs and a few long ones, so windows of every length meet in one batch.
        let all = text.components(separatedBy: "\n\n")
        paragraphs = Array(all.prefix(60)) + [all[60..<75].joined(separator: "\n\n"), all[75..<80].joined(separator: " ")]
    }

    private let hooks = ["blocks.2.hook_resid_pre", "blocks.1.mlp.hook_post", "blocks.0.hook_attn_out"]

    func testPackedRowsEqualPaddedAndSingleSequenceRows() throws {
        let model = try GPT2Model(directory: modelDirectory)
        let points = try hooks.map { try HookPoint(parsing: $0) }
        var random = SystemRandomNumberGenerator()
        let lengths = [1, 7, 256, 31, 2, 129, 64, 255]
        let sequences = lengths.map { n in (0..<n).map { _ in UInt32.random(in: 0..<50257, using: &random) } }
        let packed = try model.activations(tokens: sequences.flatMap { $0 }, sequenceLengths: lengths, hooks: points)
        let T = lengths.max()!
        let padded = try model.activations(tokens: sequences.flatMap { $0 + Array(repeating: GPT2Tokenizer.endOfTextID, count: T - $0.count) },
                                           batch: lengths.count, sequenceLength: T, hooks: points)
        for point in points {
            let width = point.width(model.config)
            var packedRow = 0
            for (s, sequence) in sequences.enumerated() {
                let alone = try model.activations(tokens: sequence, batch: 1, sequenceLength: sequence.count, hooks: [point])[point]!
                let mine = Array(packed[point]![packedRow * width..<(packedRow + sequence.count) * width])
                let reference = Array(padded[point]![s * T * width..<(s * T + sequence.count) * width])
                XCTAssertLessThanOrEqual(relativeMaxError(mine, reference), 1e-5, "\(point) sequence \(s) (length \(sequence.count)) vs padded")
                XCTAssertLessThanOrEqual(relativeMaxError(mine, alone), 1e-5, "\(point) sequence \(s) vs run alone")
                packedRow += sequence.count
            }
        }
        XCTAssertThrowsError(try model.activations(tokens: [1, 2], sequenceLengths: [1, 0, 1], hooks: points))
        XCTAssertThrowsError(try model.activations(tokens: [1, 2], sequenceLengths: [3], hooks: points))
        XCTAssertThrowsError(try model.activations(tokens: Array(repeating: 1, count: 257), sequenceLengths: [257], hooks: points))
    }

    /// Issue 13's byte identity: a window's rows do not depend on which windows share its packed
    /// forward, nor on which other hooks are read (the run alone reads one), bit for bit, under kernels where `RowStableProducts` has a rule (SkylakeX,
    /// Prescott: what this machine kind runs); under Haswell, within the 1e-5 bound only.
    func testPackedRowsKeepTheirBitsWhateverSharesTheirBatch() throws {
        let model = try GPT2Model(directory: modelDirectory)
        let points = try hooks.map { try HookPoint(parsing: $0) }
        var random = SplitMix64(seed: 3)
        let lengths = [1, 7, 41, 31, 2, 129, 64, 5]
        let sequences = lengths.map { n in (0..<n).map { _ in UInt32(random.next() % 50257) } }
        let together = try model.activations(tokens: sequences.flatMap { $0 }, sequenceLengths: lengths, hooks: points)
        let reversed = try model.activations(tokens: sequences.reversed().flatMap { $0 }, sequenceLengths: lengths.reversed(), hooks: points)
        let stable = RowStableProducts.activeRule != nil
        for point in points {
            let width = point.width(model.config)
            var row = 0
            var reversedStart = lengths.reduce(0, +)
            for sequence in sequences {
                reversedStart -= sequence.count
                let alone = try model.activations(tokens: sequence, sequenceLengths: [sequence.count], hooks: [point])[point]!
                let packed = Array(together[point]![row * width..<(row + sequence.count) * width])
                let moved = Array(reversed[point]![reversedStart * width..<(reversedStart + sequence.count) * width])
                if stable {
                    XCTAssertEqual(packed, alone, "\(OpenBLAS.coreName) \(point) length \(sequence.count): packed vs alone")
                    XCTAssertEqual(packed, moved, "\(OpenBLAS.coreName) \(point) length \(sequence.count): packed in another order")
                } else {
                    XCTAssertLessThanOrEqual(relativeMaxError(packed, alone), 1e-5, "\(point) length \(sequence.count)")
                    XCTAssertLessThanOrEqual(relativeMaxError(packed, moved), 1e-5, "\(point) length \(sequence.count)")
                }
                row += sequence.count
            }
        }
    }

    /// The same ingest packed and padded stores the same documents, tokens, positions and spans,
    /// activations within the bound above, and the packed one computes no position it does not store.
    func testPackedIngestStoresTheSameBytesAsThePaddedReference() throws {
        let tokenizer = try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt")
        let model = try GPT2Model(directory: modelDirectory)
        let cases: [(IngestConfig, String)] = [
            (IngestConfig(hooks: hooks, contextSize: 24, dtype: .f32, batchWindows: 3, chunkRows: 100), "f32 context 24"),
            (IngestConfig(hooks: [hooks[0]], contextSize: 256, prependBOS: false, dtype: .f32, batchWindows: 4, chunkRows: 512), "f32 context 256 no BOS"),
            (IngestConfig(hooks: [hooks[1]], contextSize: 64, dtype: .f16, batchWindows: 8, chunkRows: 300), "f16 context 64"),
        ]
        for (config, name) in cases {
            var stores: [String] = []
            var summaries: [IngestSummary] = []
            for padded in [true, false] {
                let ingest = try Ingester(model: model, tokenizer: tokenizer, modelName: "tiny", config: config)
                ingest.computesPadding = padded
                let path = NSTemporaryDirectory() + "packed-\(padded)-\(UUID().uuidString.prefix(8))"
                addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
                let docs = paragraphs
                summaries.append(try ingest.run(store: path, sources: ["shakespeare"], open: { _, skip in
                    ParagraphStream(paragraphs: docs, next: skip)
                }))
                stores.append(path)
            }
            XCTAssertEqual(summaries[1].computedRows, summaries[1].rowsAdded, name)
            XCTAssertGreaterThan(summaries[0].computedRows, summaries[0].rowsAdded, "\(name): the reference pads")
            XCTAssertEqual(summaries[0].rowsAdded, summaries[1].rowsAdded, name)
            let a = try StoreReader(path: stores[0]), b = try StoreReader(path: stores[1])
            try assertSameIngest(a, b, name) { x, y, column in
                if config.dtype == .f32 {
                    XCTAssertLessThanOrEqual(relativeMaxError(y, x), 1e-5, "\(name): \(column)")
                } else {
                    // Each is an f32 within the bound above, rounded to f16: at most one f16 step apart
                    // beyond that bound (near zero an f16 step is far below it).
                    let scale = x.reduce(0) { max($0, abs($1)) }
                    var worstExcess: Float = 0
                    for i in x.indices {
                        let step = Float(Float16(max(abs(x[i]), abs(y[i]))).ulp)
                        worstExcess = max(worstExcess, abs(x[i] - y[i]) - step)
                    }
                    XCTAssertLessThanOrEqual(worstExcess, 1e-5 * scale, "\(name): \(column)")
                }
            }
        }
    }
}
