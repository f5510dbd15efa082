import ActStore
import Extract
import Foundation
import StreamTrain
import XCTest
@testable import Evaluation
@testable import FeatureAnalysis
@testable import Pipeline
@testable import SAELoading
@testable import Sweep

/// Small stores, models and hand-made SAEs for the evaluation and sweep tests.
enum EvaluationFixtures {
    static let hook = "blocks.2.hook_resid_pre"
    static let neuronHook = "blocks.1.mlp.hook_post"
    static let width = 16

    /// A random 3-block GPT-2 (d 16, 2 heads, 32 positions) with GPT-2's vocabulary size, so
    /// <|endoftext|> is a real token.
    static func model(seed: UInt64 = 7, layers: Int = 3) throws -> GPT2Model {
        let config = GPT2Config(layerCount: layers, headCount: 2, embeddingWidth: width, maxPositions: 32,
                                vocabularySize: 50257)
        return try GPT2Model(config: config, weights: .random(config: config, seed: seed, standardDeviation: 0.2))
    }

    /// Documents of token ids (drawn from a small range so tokens repeat).
    static func documents(lengths: [Int] = [37, 20, 64, 5, 50, 33], seed: UInt64 = 11) -> [[UInt32]] {
        var rng = SeededGenerator(seed: seed)
        return lengths.map { count in (0..<count).map { _ in UInt32(rng.nextIndex(below: 40)) } }
    }

    /// Windows of `context` tokens (BOS first when `bos`), as an ingest cuts them.
    static func windows(of document: [UInt32], context: Int, bos: Bool) -> [[UInt32]] {
        let step = context - (bos ? 1 : 0)
        return stride(from: 0, to: document.count, by: step).map { start in
            (bos ? [GPT2Tokenizer.endOfTextID] : []) + Array(document[start..<min(start + step, document.count)])
        }
    }

    /// A store of `documents` run through `model` window by window: the token columns plus the
    /// hook's and the layer-1 MLP's activations (f32). Returns the store path.
    static func modelStore(_ test: XCTestCase, model: GPT2Model, documents: [[UInt32]], context: Int = 12,
                           bos: Bool = false, chunkRows: Int = 32) throws -> String {
        let path = temporaryPath(test, "evalstore")
        let hooks = [hook, neuronHook]
        let points = try hooks.map { try HookPoint(parsing: $0) }
        let columns = TokenColumn.all + [ColumnSpec(name: hook, width: width, codec: .f32),
                                         ColumnSpec(name: neuronHook, width: 4 * width, codec: .f32)]
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(
            columns: columns, chunkRows: chunkRows, hasDocuments: true, model: "random", contextSize: context, prependBOS: bos))
        for (index, document) in documents.enumerated() {
            var ids: [UInt32] = [], positions: [UInt32] = []
            var acts: [String: [Float]] = [hook: [], neuronHook: []]
            for window in windows(of: document, context: context, bos: bos) {
                let values = try model.activations(tokens: window, batch: 1, sequenceLength: window.count, hooks: points)
                for (name, point) in zip(hooks, points) { acts[name]! += values[point]! }
                ids += window
                positions += (0..<window.count).map(UInt32.init)
            }
            try writer.append(rows(text: "doc \(index)", ids: ids, positions: positions, activations: acts, index: index))
        }
        try writer.commit()
        return path
    }

    /// A store whose hook rows are given directly (no model): `activation(token)` per row.
    static func syntheticStore(_ test: XCTestCase, documents: [[UInt32]], context: Int = 12, chunkRows: Int = 32,
                               activation: (UInt32, Int) -> [Float]) throws -> String {
        let path = temporaryPath(test, "synthstore")
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(
            columns: TokenColumn.all + [ColumnSpec(name: hook, width: width, codec: .f32)], chunkRows: chunkRows,
            hasDocuments: true, model: "none", contextSize: context, prependBOS: false))
        var row = 0
        for (index, document) in documents.enumerated() {
            var ids: [UInt32] = [], positions: [UInt32] = [], values: [Float] = []
            for window in windows(of: document, context: context, bos: false) {
                for (t, token) in window.enumerated() {
                    ids.append(token)
                    positions.append(UInt32(t))
                    values += activation(token, row)
                    row += 1
                }
            }
            try writer.append(rows(text: "doc \(index)", ids: ids, positions: positions, activations: [hook: values], index: index))
        }
        try writer.commit()
        return path
    }

    private static func rows(text: String, ids: [UInt32], positions: [UInt32], activations: [String: [Float]],
                             index: Int) -> DocumentRows {
        // Byte spans are not used by the evaluation; every token spans the whole text.
        DocumentRows(text: text, source: "test", sourceIndex: index, tokenIDs: ids, positions: positions,
                     byteStarts: ids.map { _ in 0 }, byteEnds: ids.map { _ in UInt32(text.utf8.count) },
                     activations: activations)
    }

    /// f = (ReLU(x), ReLU(−x)), x̂ = ReLU(x) − ReLU(−x) = x exactly (products with 1 and 0).
    static func identitySAE(width C: Int = width) throws -> SparseAutoencoder {
        var wEnc = [Float](repeating: 0, count: C * 2 * C), wDec = [Float](repeating: 0, count: 2 * C * C)
        for c in 0..<C {
            wEnc[c * 2 * C + c] = 1
            wEnc[c * 2 * C + C + c] = -1
            wDec[c * C + c] = 1
            wDec[(C + c) * C + c] = -1
        }
        return try SparseAutoencoder(architecture: .standard, dIn: C, dSAE: 2 * C, applyBDecToInput: false,
                                     weights: SAEWeights(wEnc: wEnc, bEnc: [Float](repeating: 0, count: 2 * C),
                                                         wDec: wDec, bDec: [Float](repeating: 0, count: C)))
    }

    /// Every weight 0: f = 0 and x̂ = 0, i.e. zero-ablation.
    static func zeroSAE(width C: Int = width) throws -> SparseAutoencoder {
        try SparseAutoencoder(architecture: .standard, dIn: C, dSAE: 2 * C, applyBDecToInput: false,
                              weights: SAEWeights(zerosFor: .standard, dIn: C, dSAE: 2 * C))
    }

    /// Random weights (some latents fire often, some rarely).
    static func randomSAE(_ architecture: SAEArchitecture = .standard, width C: Int = width, latents H: Int = 48,
                          k: Int = 0, seed: UInt64 = 5) throws -> SparseAutoencoder {
        var rng = SeededGenerator(seed: seed)
        func values(_ count: Int, _ bound: Float) -> [Float] { (0..<count).map { _ in rng.nextSymmetric(bound: bound) } }
        return try SparseAutoencoder(architecture: architecture, dIn: C, dSAE: H, k: k,
                                     applyBDecToInput: architecture != .tied,
                                     weights: SAEWeights(wEnc: values(C * H, 0.4), bEnc: values(H, 0.3),
                                                         wDec: architecture.isTied ? [] : values(H * C, 0.4),
                                                         bDec: values(C, 0.2)))
    }

    /// Exports `sae` as an SAELens directory; `normalize` rewrites cfg.json's normalize_activations.
    static func saeDirectory(_ test: XCTestCase, _ sae: SparseAutoencoder, hook: String = hook,
                             normalize: String? = nil) throws -> String {
        let directory = URL(fileURLWithPath: temporaryPath(test, "sae"))
        try SAELensExporter.export(sae, metadata: SAELensMetadata(modelName: "random", hookName: hook), to: directory)
        if let normalize {
            let url = directory.appendingPathComponent("cfg.json")
            var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            cfg["normalize_activations"] = normalize
            try JSONSerialization.data(withJSONObject: cfg).write(to: url)
        }
        return directory.path
    }

    /// A fresh path under the temp directory, removed when the test ends.
    static func temporaryPath(_ test: XCTestCase, _ name: String) -> String {
        let path = NSTemporaryDirectory() + "evals-\(name)-\(UUID().uuidString.prefix(8))"
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// ../shared/data/<relative>, or a skip when the shared data is absent.
    static func sharedData(_ relative: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("../shared/data").appendingPathComponent(relative).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is absent") }
        return path
    }
}
