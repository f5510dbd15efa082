import Foundation
import TensorIO
import XCTest
@testable import Extract

/// Llama splicing (`SpliceableLanguageModel.compareNextTokens`) against transformers on the tiny
/// llama-ingest model (scripts/fixtures/llama_interventions.py): per position, the next-token CE
/// clean and with one hook's activation replaced by a given perturbed tensor, by zero and by a mean
/// vector at every position but BOS, and the KL of each from the clean run; on the BLAS path and
/// on the plain loops.
final class LlamaInterventionTests: XCTestCase {
    static let model = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/llama-ingest").path
    static let expectedPath = TokenizerTests.packageRoot
        .appendingPathComponent("Tests/ExtractTests/Fixtures/llama-interventions/expected.safetensors").path
    static let hooks = ["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid",
                        "blocks.0.mlp.hook_post", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post",
                        "blocks.0.ln1.hook_normalized", "blocks.1.ln2.hook_normalized"]

    /// Per position within 2e-5 nats + 2e-5 relative of transformers (`InterventionFixture.close`).
    func testReplacedHookCrossEntropyAndKLPerPositionMatchTransformers() throws {
        let worst = try InterventionFixture.checkAgainstTransformers(expectedPath: Self.expectedPath, hooks: Self.hooks) { reference in
            let model = try LlamaModel(directory: Self.model)
            model.usesReferenceLoops = reference
            return model
        }
        print("LlamaInterventionTests: worst |ΔCE| \(worst.ce) nats, worst |ΔKL| \(worst.kl) nats per position")
    }

    /// The clean run of the comparison is the model's own loss, and the BLAS and reference paths
    /// agree on a spliced run.
    func testCleanRunIsTheNextTokenLossAndPathsAgree() throws {
        try InterventionFixture.checkCleanRunAndPaths(vocabularySize: 703) { reference in
            let model = try LlamaModel(directory: Self.model)
            model.usesReferenceLoops = reference
            return model
        }
    }

    /// A hook past the last block is refused; so is bad input. (Llama has every site HookPoint
    /// names; a site a family lacks is refused in NeoXInterventionTests.)
    func testUnsupportedHookAndBadInputAreRefused() throws {
        let model = try LlamaModel(directory: Self.model)
        let tokens: [UInt32] = Array(repeating: 5, count: 8)
        let counted = [Bool](repeating: true, count: 7)
        XCTAssertThrowsError(try model.compareNextTokens(tokens: tokens, batch: 1, sequenceLength: 8,
                                                         hook: HookPoint(layer: 2, site: .residPre), transforms: [nil], counted: counted)) { error in
            XCTAssertEqual(error as? HookPointError, .layerOutOfRange(name: "blocks.2.hook_resid_pre", layer: 2, layerCount: 2))
        }
        let hook = HookPoint(layer: 0, site: .attnOut)
        XCTAssertThrowsError(try model.compareNextTokens(tokens: tokens, batch: 1, sequenceLength: 8, hook: hook,
                                                         transforms: [nil, { $0.removeLast() }], counted: counted)) { error in
            guard case .invalidInput? = error as? LlamaModelError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try model.compareNextTokens(tokens: tokens, batch: 1, sequenceLength: 8, hook: hook,
                                                         transforms: [nil], counted: [true])) { error in
            guard case .invalidInput? = error as? LlamaModelError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try model.compareNextTokens(tokens: [703] + tokens.dropFirst(), batch: 1, sequenceLength: 8, hook: hook,
                                                         transforms: [nil], counted: counted))
    }

    /// The unembedding `Unembedding` reads for logit effects, against transformers'
    /// `get_output_embeddings().weight` (rows 0-3, V/2, V-3…V-1): tied (embed_tokens), untied
    /// f16 (lm_head), and untied bf16 in shards.
    func testUnembeddingMatchesTransformersOutputEmbeddings() throws {
        let expected = try SafetensorsFile(path: Self.expectedPath)
        let parity = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/llama-parity").path
        for (name, directory) in [("llama-ingest", Self.model), ("llama-f16", parity + "/llama-f16"),
                                  ("llama3-tied", parity + "/llama3-tied"), ("qwen2-bias", parity + "/qwen2-bias")] {
            let (config, matrix) = try LlamaModel.unembedding(directory: directory)
            let V = config.vocabularySize, C = config.hiddenWidth
            XCTAssertEqual(matrix.count, V * C, name)
            let rows = [0, 1, 2, 3, V / 2, V - 3, V - 2, V - 1]
            let reference = try expected.floats("unembedding/" + name)
            let ours = rows.flatMap { matrix[($0 * C)..<(($0 + 1) * C)] }
            XCTAssertEqual(ours, reference, name)  // f16/bf16 → f32 is exact
        }
    }
}
