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

/// A real store, made once per test run: the repository's demo model (demo/model: the tiny
/// Shakespeare GPT-2 in f16) over the first 40 paragraphs of demo/corpus
/// (blocks.2.hook_resid_pre, 32-token windows with BOS, small chunks), and a seeded SAE on it
/// exported in SAELens format. A clone without ../shared runs every test built on it.
final class TinyModelFixture {
    static let hook = "blocks.2.hook_resid_pre"
    let modelDirectory: String
    let store: String
    let saeDirectory: String
    let tokenizer: GPT2Tokenizer
    let sae: SparseAutoencoder

    private static var shared: Result<TinyModelFixture, Error>?
    private static let lock = NSLock()

    static func get() throws -> TinyModelFixture {
        try lock.withLock {
            if shared == nil { shared = Result { try TinyModelFixture() } }
            return try shared!.get()
        }
    }

    private init() throws {
        modelDirectory = packageRoot.appendingPathComponent("demo/model").path
        let text = try String(contentsOf: packageRoot.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt"), encoding: .utf8)
        let paragraphs = Array(text.components(separatedBy: "\n\n").prefix(40))
        let root = NSTemporaryDirectory() + "features-tiny-\(UUID().uuidString.prefix(8))"
        store = root + "/store"
        saeDirectory = root + "/sae"
        // Lives for the whole test run (several test classes share it); left to the OS's temp cleanup.
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        tokenizer = try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt")
        let ingester = try Ingester(model: try GPT2Model(directory: modelDirectory), tokenizer: tokenizer,
                                    modelName: "tiny-shakespeare-gpt2",
                                    config: IngestConfig(hooks: [TinyModelFixture.hook], contextSize: 32, dtype: .f32, chunkRows: 128))
        _ = try ingester.run(store: store, sources: ["tinyshakespeare"]) { _, skip in
            ParagraphStream(paragraphs: paragraphs, next: skip)
        }
        var config = SAEConfig(architecture: .standard, dIn: 128)
        config.expansionFactor = 2
        config.seed = 3
        sae = try SparseAutoencoder(config: config)
        try SAELensExporter.export(sae, metadata: SAELensMetadata(modelName: "tiny-shakespeare-gpt2", hookName: TinyModelFixture.hook),
                                   to: URL(fileURLWithPath: saeDirectory))
    }
}

/// Paragraphs of a text as documents.
struct ParagraphStream: IngestDocumentStream {
    let paragraphs: [String]
    var next: Int
    var badLineCount: Int { 0 }
    mutating func nextDocument() throws -> (text: String, index: Int)? {
        guard next < paragraphs.count else { return nil }
        defer { next += 1 }
        return (paragraphs[next], next)
    }
}
