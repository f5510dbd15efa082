import ActStore
import Extract
import FeatureAnalysis
import Foundation
import SAELoading
import StreamTrain
import XCTest
@testable import Serve

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A real store, made once per test run: the demo model (demo/model) over the first 40
/// paragraphs of demo/corpus (blocks.2.hook_resid_pre, 32-token windows with BOS, stored in f16
/// as `saestore ingest` stores by default, small chunks), a seeded SAE on it in SAELens format,
/// and `saestore features` results of it with posting lists.
final class ServeFixture: @unchecked Sendable {
    static let hook = "blocks.2.hook_resid_pre"
    static let contextSize = 32
    let root: String
    let modelDirectory: String
    let store: String
    let saeDirectory: String
    let results: String
    let paragraphs: [String]

    private static var shared: Result<ServeFixture, Error>?
    private static let lock = NSLock()

    static func get() throws -> ServeFixture {
        try lock.withLock {
            if shared == nil { shared = Result { try ServeFixture() } }
            return try shared!.get()
        }
    }

    private init() throws {
        modelDirectory = packageRoot.appendingPathComponent("demo/model").path
        let text = try String(contentsOf: packageRoot.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt"), encoding: .utf8)
        paragraphs = Array(text.components(separatedBy: "\n\n").prefix(40))
        root = NSTemporaryDirectory() + "serve-fixture-\(UUID().uuidString.prefix(8))"
        store = root + "/store"
        saeDirectory = root + "/sae"
        results = root + "/features"
        // Lives for the whole test run (several test classes share it); left to the OS's temp cleanup.
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Self.ingest(paragraphs, modelDirectory: modelDirectory, store: store)
        var config = SAEConfig(architecture: .standard, dIn: 128)
        config.expansionFactor = 2
        config.seed = 3
        let sae = try SparseAutoencoder(config: config)
        try SAELensExporter.export(sae, metadata: SAELensMetadata(modelName: "tiny-shakespeare-gpt2", hookName: Self.hook),
                                   to: URL(fileURLWithPath: saeDirectory))
        let source = try SAESource(path: saeDirectory)
        _ = try FeatureScanJob.run(reader: try StoreReader(path: store), sae: source,
                                   config: FeatureScanConfig(column: Self.hook, topK: 5, quantileCount: 2, samplesPerQuantile: 2),
                                   modelDirectory: modelDirectory, out: URL(fileURLWithPath: results), postings: true)
    }

    /// Ingests `documents` the way `saestore ingest` does by default (f16, BOS, default batch).
    static func ingest(_ documents: [String], modelDirectory: String, store: String) throws {
        let tokenizer = try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt")
        let ingester = try Ingester(model: try GPT2Model(directory: modelDirectory), tokenizer: tokenizer,
                                    modelName: "tiny-shakespeare-gpt2",
                                    config: IngestConfig(hooks: [hook], contextSize: contextSize, dtype: .f16, chunkRows: 128))
        _ = try ingester.run(store: store, sources: ["tinyshakespeare"]) { _, skip in
            DocumentList(documents: documents, next: skip)
        }
    }

    /// An explorer over everything (store, results, SAE, model).
    func explorer(limits: ServeLimits = ServeLimits()) throws -> ServeExplorer {
        try ServeExplorer(.init(store: store, features: results, sae: saeDirectory, model: modelDirectory, limits: limits))
    }

    /// An API over `explorer()` for loopback without a token.
    func api(limits: ServeLimits = ServeLimits()) throws -> ServeAPI {
        ServeAPI(explorer: try explorer(limits: limits), access: try ServeAccess(host: "127.0.0.1", token: nil))
    }
}

/// Documents from a list.
struct DocumentList: IngestDocumentStream {
    let documents: [String]
    var next: Int
    var badLineCount: Int { 0 }
    mutating func nextDocument() throws -> (text: String, index: Int)? {
        guard next < documents.count else { return nil }
        defer { next += 1 }
        return (documents[next], next)
    }
}

extension ServeAPI {
    /// GET `target` (tests).
    func get(_ target: String, authorization: String? = nil) -> ServeResponse {
        respond(to: ServeRequest(method: "GET", target: target, authorization: authorization))
    }

    /// POST `body` to `target` (tests).
    func post(_ target: String, _ body: String) -> ServeResponse {
        respond(to: ServeRequest(method: "POST", target: target, body: Array(body.utf8)))
    }
}

extension ServeResponse {
    /// The body decoded as `type` (fails the test with the body when it does not decode).
    func decoded<T: Decodable>(_ type: T.Type, file: StaticString = #filePath, line: UInt = #line) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            XCTFail("status \(status), body \(text.prefix(500)) does not decode as \(type): \(error)", file: file, line: line)
            throw error
        }
    }

    /// The `error` object of an error answer.
    var errorObject: [String: Any]? {
        ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["error"] as? [String: Any]
    }
}

func temporaryPath(_ test: XCTestCase, _ name: String) -> String {
    let path = NSTemporaryDirectory() + "serve-\(name)-\(UUID().uuidString.prefix(8))"
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}
