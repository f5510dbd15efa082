import ActStore
import Foundation
import TensorIO
import XCTest
@testable import Extract

/// `ingest` on a GPT-NeoX model end to end: config.json's model_type picks the family,
/// tokenizer.json the tokenizer, config.json's bos_token_id the BOS, and the stored rows equal
/// what transformers computes for the same windows (scripts/fixtures/neox_ingest.py).
final class NeoXIngestTests: XCTestCase {
    static let directory = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/neox-ingest").path
    let hooks = ["blocks.0.ln2.hook_normalized", "blocks.1.hook_resid_pre", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post"]

    private func storePath() -> String {
        let path = NSTemporaryDirectory() + "neox-ingest-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testLoaderPicksTheFamilyFromModelType() throws {
        let files = try ModelFiles.validated(directory: Self.directory)
        XCTAssertEqual(try LanguageModelLoader.family(files: files), .gptNeoX)
        let (model, tokenizer) = try LanguageModelLoader.load(files: files)
        XCTAssertEqual(model.family, .gptNeoX)
        XCTAssertTrue(model is NeoXModel && model is any SpliceableLanguageModel)
        XCTAssertTrue(tokenizer is HFTokenizer)
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.0.hook_resid_mid")) { error in
            XCTAssertTrue("\(error)".contains("gpt_neox") && "\(error)".contains("blocks.L.ln1.hook_normalized"), "\(error)")
        }
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.2.hook_resid_pre"))
        // A hook the family lacks is refused before anything is written.
        XCTAssertThrowsError(try Ingester(model: model, tokenizer: tokenizer, modelName: "tiny-neox",
                                          config: IngestConfig(hooks: ["blocks.1.hook_resid_mid"], contextSize: 16)))
    }

    /// Every stored row against transformers: the token ids exactly, the activations within f16
    /// rounding per coordinate (2⁻¹¹ relative plus the subnormal step) on top of the forward's
    /// own error (1e-5 of the hook's largest value).
    func testStoredRowsEqualTransformersWithinF16Rounding() throws {
        let (model, tokenizer) = try LanguageModelLoader.load(files: try ModelFiles.validated(directory: Self.directory))
        let config = IngestConfig(hooks: hooks, contextSize: 16, dtype: .f16, batchWindows: 3, chunkRows: 40)
        let ingester = try Ingester(model: model, tokenizer: tokenizer, modelName: "tiny-neox", config: config)
        XCTAssertEqual(ingester.bosTokenID, 700, "config.json's bos_token_id, <|endoftext|>")
        let store = storePath()
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
