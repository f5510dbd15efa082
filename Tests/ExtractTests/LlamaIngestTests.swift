import ActStore
import Foundation
import TensorIO
import XCTest
@testable import Extract

/// `ingest` on a Llama model end to end: config.json's model_type picks the family, tokenizer.json
/// the tokenizer, and the stored rows equal what transformers computes for the same windows
/// (scripts/fixtures/llama_ingest.py).
final class LlamaIngestTests: XCTestCase {
    static let directory = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/llama-ingest").path
    let hooks = ["blocks.0.mlp.hook_post", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post"]

    private func storePath() -> String {
        let path = NSTemporaryDirectory() + "llama-ingest-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testLoaderPicksTheFamilyFromModelType() throws {
        let (model, tokenizer) = try LanguageModelLoader.load(files: try ModelFiles.validated(directory: Self.directory))
        XCTAssertEqual(model.family, .llama)
        XCTAssertTrue(tokenizer is HFTokenizer)
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.0.attn.hook_z"))
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.2.hook_resid_pre"))
    }

    func testUnsupportedModelTypeIsRefusedNamingConfigAndField() throws {
        let directory = NSTemporaryDirectory() + "falcon-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for file in ["model.safetensors", "tokenizer.json"] {
            try FileManager.default.copyItem(atPath: Self.directory + "/" + file, toPath: directory + "/" + file)
        }
        try Data(#"{"model_type": "falcon"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
        XCTAssertThrowsError(try LanguageModelLoader.load(files: try ModelFiles.validated(directory: directory))) { error in
            guard case let .invalidConfig(path, field, found, _)? = error as? LlamaModelError else { return XCTFail("\(error)") }
            XCTAssertEqual([path, field, found], [directory + "/config.json", "model_type", "falcon"])
        }
        // A tokenizer.json family needs tokenizer.json, not GPT-2's vocab.json + merges.txt.
        try FileManager.default.removeItem(atPath: directory + "/tokenizer.json")
        XCTAssertThrowsError(try ModelFiles.validated(directory: directory)) { error in
            XCTAssertEqual(error as? HubError, .directoryIncomplete(directory: directory, missing: ["tokenizer.json"], pickleFiles: []))
        }
    }

    /// Every stored row against transformers: the token ids exactly, the activations within f16
    /// rounding per coordinate (half an f16 ulp, 2⁻¹¹ relative, plus the subnormal step) on top
    /// of the forward's own error (1e-5 of the hook's largest value).
    func testStoredRowsEqualTransformersWithinF16Rounding() throws {
        let (model, tokenizer) = try LanguageModelLoader.load(files: try ModelFiles.validated(directory: Self.directory))
        let config = IngestConfig(hooks: hooks, contextSize: 16, dtype: .f16, batchWindows: 3, chunkRows: 40)
        let ingester = try Ingester(model: model, tokenizer: tokenizer, modelName: "tiny-llama", config: config)
        XCTAssertEqual(ingester.bosTokenID, 700)
        let store = storePath()
        let corpus = Self.directory + "/corpus.jsonl"
        let summary = try ingester.run(store: store, sources: [corpus], open: { path, skip in
            try CorpusReader(path: path, options: CorpusOptions(skipDocuments: skip))
        })
        XCTAssertEqual(summary.documentsAdded, 5)
        XCTAssertTrue(StoreVerifier.verify(path: store).isSound)

        let expected = try SafetensorsFile(path: Self.directory + "/expected.safetensors")
        let expectedTokens: [UInt32] = try expected.withRawBytes("tokens") { raw in raw.bindMemory(to: Int32.self).map { UInt32($0) } }
        let reader = try StoreReader(path: store)
        XCTAssertEqual(reader.manifest.tokenizer, "tokenizer.json")
        XCTAssertEqual(reader.rowCount, expectedTokens.count)
        XCTAssertEqual(try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<reader.rowCount).map { UInt32($0) }, expectedTokens)
        for hook in hooks {
            var stored: [Float] = []
            try reader.readRows(column: hook, rows: 0..<reader.rowCount, into: &stored)
            let reference = try expected.floats(hook)
            XCTAssertEqual(stored.count, reference.count, hook)
            let largest = reference.map(abs).max()!
            var worst: Float = 0
            for (s, r) in zip(stored, reference) {
                let allowed = abs(r) * 0x1p-11 + 1e-5 * largest + 0x1p-24
                worst = max(worst, abs(s - r) / allowed)
            }
            XCTAssertLessThanOrEqual(worst, 1, "\(hook): worst coordinate at \(worst) of its tolerance")
        }
    }
}
