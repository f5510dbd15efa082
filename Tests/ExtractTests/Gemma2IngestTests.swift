import ActStore
import Foundation
import TensorIO
import XCTest
@testable import Extract

/// `ingest` on a Gemma 2 model end to end: config.json's model_type "gemma2" picks Gemma2Model,
/// the Gemma-style tokenizer.json (SentencePiece BPE, byte fallback, ▁) the tokenizer and <bos>
/// (id 2), and the stored rows equal what transformers computes for the same windows
/// (scripts/fixtures/gemma2_ingest.py: 16-token windows over a sliding window of 6).
final class Gemma2IngestTests: XCTestCase {
    static let directory = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/gemma2-ingest").path
    let hooks = ["blocks.0.hook_attn_out", "blocks.0.mlp.hook_post", "blocks.1.hook_resid_post"]

    func testLoaderPicksGemma2FromModelType() throws {
        let (model, tokenizer) = try LanguageModelLoader.load(files: try ModelFiles.validated(directory: Self.directory))
        XCTAssertEqual(model.family, .gemma2)
        XCTAssertTrue(model is Gemma2Model)
        XCTAssertTrue(model is SpliceableLanguageModel)
        XCTAssertTrue(tokenizer is HFTokenizer)
        XCTAssertEqual(model.hookNames.count, 12)
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.0.ln1.hook_normalized"))
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.2.hook_resid_pre"))
    }

    /// Every stored row against transformers: token ids exactly, activations within f16 rounding
    /// per coordinate (2⁻¹¹ relative + 1e-5 of the hook's largest value + 2⁻²⁴), as LlamaIngestTests.
    func testStoredRowsEqualTransformersWithinF16Rounding() throws {
        let (model, tokenizer) = try LanguageModelLoader.load(files: try ModelFiles.validated(directory: Self.directory))
        let config = IngestConfig(hooks: hooks, contextSize: 16, dtype: .f16, batchWindows: 3, chunkRows: 40)
        let ingester = try Ingester(model: model, tokenizer: tokenizer, modelName: "tiny-gemma2", config: config)
        XCTAssertEqual(ingester.bosTokenID, 2)
        let store = NSTemporaryDirectory() + "gemma2-ingest-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: store) }
        let summary = try ingester.run(store: store, sources: [Self.directory + "/corpus.jsonl"], open: { path, skip in
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
