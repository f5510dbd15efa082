import ActStore
import Extract
import Foundation
import XCTest
@testable import StreamTrain

/// The acceptance run of issue 4: the tiny Shakespeare GPT-2 in ../shared/data ingested over
/// tinyshakespeare (blocks.2.hook_resid_pre, d 128; the whole text as one document in
/// 128-token windows, each <|endoftext|> + 127 tokens, f16 store), the seed's SAE (tied,
/// 8x = 1024 latents, Adam lr 1e-3, λ 1e-3, batch 512) trained by streaming the first 90 % of
/// the rows from the store for 3 epochs, evaluated on the held-out 10 % (BOS rows included
/// in both, as in the PyTorch reference below).
///
/// PyTorch on the same rows (`scripts/seed_sae_reference.py --windows bos --f16`: same
/// windows, same split, f16-rounded activations, uniform sampling, 3 epochs), seeds 0/1/2:
/// FVE 0.9942/0.9941/0.9942, L0 59.3/58.6/58.5, alive 98.9–99.3 %. saestore here (seed 0):
/// FVE 0.9943, L0 58.2, alive 99.6 % (seeds 1/2: 0.9940/0.9940, L0 59.0/60.0); docs/TRAINING.md.
/// The acceptance is within 0.01 FVE and 15 % L0 of PyTorch's, and the bounds below
/// are that band around PyTorch's mean (FVE ≥ 0.9841, L0 in 50.0...67.6), so the test fails
/// exactly when saestore leaves it. 16–21 s on 2 cores (ingest, 1797 steps, evaluation).
final class EndToEndTrainingTests: XCTestCase {
    static let hook = "blocks.2.hook_resid_pre"
    static let pytorchFVE = 0.9941
    static let pytorchL0 = 58.8

    private static var cachedStore: String?

    /// Ingests once per test process; the store is removed at exit.
    private func store() throws -> String {
        if let path = Self.cachedStore { return path }
        let root = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        let modelDirectory = root.appendingPathComponent("models/tiny-shakespeare-gpt2").path
        let corpus = root.appendingPathComponent("corpora/tinyshakespeare.txt")
        guard FileManager.default.fileExists(atPath: modelDirectory), FileManager.default.fileExists(atPath: corpus.path) else {
            throw XCTSkip("\(root.path) not present")
        }
        let text = try String(contentsOf: corpus, encoding: .utf8)
        let ingester = try Ingester(
            model: try GPT2Model(directory: modelDirectory),
            tokenizer: try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt"),
            modelName: "tiny-shakespeare-gpt2",
            config: IngestConfig(hooks: [Self.hook], contextSize: 128, prependBOS: true, dtype: .f16, batchWindows: 16))
        let path = NSTemporaryDirectory() + "e2e-train-\(UUID().uuidString.prefix(8))"
        _ = try ingester.run(store: path, sources: ["tinyshakespeare"], open: { _, skip in
            OneDocumentStream(text: text, done: skip > 0)
        })
        Self.cachedStore = path
        atexit { if let path = EndToEndTrainingTests.cachedStore { try? FileManager.default.removeItem(atPath: path) } }
        return path
    }

    func testSeedSAEStreamedFromTheStoreMatchesPyTorch() throws {
        let reader = try StoreReader(path: try store())
        XCTAssertEqual(reader.documentCount, 1)
        XCTAssertGreaterThan(reader.rowCount, 330_000, "tinyshakespeare is about 338 K GPT-2 tokens plus a BOS per 127")
        let split = Int(0.9 * Double(reader.rowCount))

        var config = SAEConfig(architecture: .tied, dIn: 128)
        config.epochs = 3
        XCTAssertEqual(config.latentCount, 1024)
        XCTAssertEqual(config.learningRate, 1e-3)
        XCTAssertEqual(config.l1Coefficient, 1e-3)
        XCTAssertEqual(config.batchSize, 512)
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(logIntervalSteps: 200, checkpointIntervalSteps: 0))
        var source = try StoreBatchSource(reader: reader, config: StreamLoaderConfig(column: Self.hook, endRow: split, seed: 0))
        let summary = try trainer.train(source: &source)
        XCTAssertEqual(summary.stopReason, .epochsCompleted)
        XCTAssertEqual(summary.tokenCount, 3 * split)

        let result = try Self.evaluate(trainer.sae, reader: reader, rows: split..<reader.rowCount)
        print(String(format: "e2e (stream, 3 epochs): held-out FVE %.4f  L0 %.1f  alive %.3f  (%d train rows, %d held-out)",
                     result.fve, result.l0, result.alive, split, reader.rowCount - split))
        XCTAssertGreaterThanOrEqual(result.fve, Self.pytorchFVE - 0.01, "FVE more than 0.01 below PyTorch's")
        XCTAssertLessThanOrEqual(result.fve, 1)
        XCTAssertEqual(result.l0, Self.pytorchL0, accuracy: 0.15 * Self.pytorchL0, "L0 more than 15 % from PyTorch's")
        XCTAssertGreaterThan(result.alive, 0.95, "PyTorch keeps ~99 % of latents alive")
    }

    struct Evaluation {
        var fve: Double
        var l0: Double
        var alive: Double
    }

    /// FVE = 1 − Σ(x − x̂)² / Σ(x − x̄)² with x̄ the per-dimension mean over the rows; L0 = mean
    /// active latents per row; alive = fraction of latents active on at least one row.
    static func evaluate(_ sae: SparseAutoencoder, reader: any StoreReading, rows: Range<Int>) throws -> Evaluation {
        var x: [Float] = []
        try reader.readRows(column: hook, rows: rows, into: &x)
        let C = sae.dIn, H = sae.dSAE, N = rows.count
        var mean = [Double](repeating: 0, count: C)
        for r in 0..<N { for c in 0..<C { mean[c] += Double(x[r * C + c]) } }
        for c in 0..<C { mean[c] /= Double(N) }
        var encoder = SAEEncoder(sae: sae, maxRowCount: 4096)
        var f: [Float] = [], xHat: [Float] = []
        var residual = 0.0, total = 0.0, active = 0
        var fired = [Bool](repeating: false, count: H)
        for start in stride(from: 0, to: N, by: 4096) {
            let n = min(4096, N - start)
            let batch = Array(x[start * C..<(start + n) * C])
            encoder.encode(batch, rowCount: n, into: &f)
            encoder.reconstruct(batch, rowCount: n, into: &xHat)
            for i in 0..<(n * C) {
                let d = Double(batch[i]) - Double(xHat[i])
                residual += d * d
                let centered = Double(batch[i]) - mean[i % C]
                total += centered * centered
            }
            for i in 0..<(n * H) where f[i] > 0 {
                active += 1
                fired[i % H] = true
            }
        }
        return Evaluation(fve: 1 - residual / total, l0: Double(active) / Double(N),
                          alive: Double(fired.filter { $0 }.count) / Double(H))
    }
}

/// The whole corpus as one document.
private struct OneDocumentStream: IngestDocumentStream {
    let text: String
    var done: Bool
    var badLineCount: Int { 0 }
    mutating func nextDocument() throws -> (text: String, index: Int)? {
        guard !done else { return nil }
        done = true
        return (text, 0)
    }
}
