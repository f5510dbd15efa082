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

    /// Per position |Δ| ≤ 2e-5 nats + 2e-5 relative for CE (values about 7 nats) and KL (0 to 3 nats):
    /// f32 forward and log-softmax against transformers' f32 forward with a float64 log-softmax.
    static func close(_ a: Double, _ b: Float) -> Bool { abs(a - Double(b)) <= 2e-5 + 2e-5 * abs(Double(b)) }

    func testReplacedHookCrossEntropyAndKLPerPositionMatchTransformers() throws {
        let expected = try SafetensorsFile(path: Self.expectedPath)
        let shape = try expected.info("tokens").shape
        let (B, T) = (shape[0], shape[1])
        let tokens: [UInt32] = try expected.withRawBytes("tokens") { raw in raw.bindMemory(to: Int32.self).map { UInt32($0) } }
        var worstCE = 0.0, worstKL = 0.0
        for reference in [false, true] {
            let model = try LlamaModel(directory: Self.model)
            model.usesReferenceLoops = reference
            for name in Self.hooks {
                let hook = try model.hookPoint(named: name)
                let width = model.width(of: hook)
                let perturbed = try expected.floats(name + "/perturbed")
                let mean = try expected.floats(name + "/mean")
                XCTAssertEqual(perturbed.count, B * T * width)
                // Every row but each sequence's BOS (position 0), as evaluation replaces the measured rows.
                func replaceFromPosition1(_ activation: inout [Float], _ value: [Float]) {
                    for b in 0..<B { for t in 1..<T { activation.replaceSubrange(((b * T + t) * width)..<((b * T + t + 1) * width), with: value) } }
                }
                let transforms: [((inout [Float]) -> Void)?] = [
                    nil,
                    { $0 = perturbed },
                    { replaceFromPosition1(&$0, [Float](repeating: 0, count: width)) },
                    { replaceFromPosition1(&$0, mean) },
                ]
                let runs = ["clean", "perturbed", "zero", "mean"]
                let ce = try runs.map { try expected.floats("\(name)/ce/\($0)") }
                let kl = try runs.map { try expected.floats("\(name)/kl/\($0)") }
                // One counted position at a time gives the per-position numbers.
                for b in 0..<B {
                    for t in 0..<(T - 1) {
                        var counted = [Bool](repeating: false, count: B * (T - 1))
                        counted[b * (T - 1) + t] = true
                        let comparison = try model.compareNextTokens(tokens: tokens, batch: B, sequenceLength: T, hook: hook,
                                                                     transforms: transforms, counted: counted)
                        XCTAssertEqual(comparison.positionCount, 1)
                        for run in runs.indices {
                            let i = b * (T - 1) + t
                            let label = "\(name) \(runs[run]) b\(b) t\(t)\(reference ? " (reference loops)" : "")"
                            XCTAssertTrue(Self.close(comparison.crossEntropySums[run], ce[run][i]), "\(label) CE \(comparison.crossEntropySums[run]) vs \(ce[run][i])")
                            XCTAssertTrue(Self.close(comparison.klSums[run], kl[run][i]), "\(label) KL \(comparison.klSums[run]) vs \(kl[run][i])")
                            worstCE = max(worstCE, abs(comparison.crossEntropySums[run] - Double(ce[run][i])))
                            worstKL = max(worstKL, abs(comparison.klSums[run] - Double(kl[run][i])))
                        }
                    }
                }
                // All positions at once: the sums of the per-position values.
                let all = try model.compareNextTokens(tokens: tokens, batch: B, sequenceLength: T, hook: hook, transforms: transforms,
                                                      counted: [Bool](repeating: true, count: B * (T - 1)))
                XCTAssertEqual(all.positionCount, B * (T - 1))
                for run in runs.indices {
                    let sum = ce[run].reduce(0) { $0 + Double($1) }
                    XCTAssertEqual(all.crossEntropySums[run], sum, accuracy: 1e-4 * abs(sum), "\(name) \(runs[run]) summed CE")
                }
            }
        }
        print("LlamaInterventionTests: worst |ΔCE| \(worstCE) nats, worst |ΔKL| \(worstKL) nats per position")
    }

    /// The clean run of the comparison is the model's own loss, and the BLAS and reference paths
    /// agree on a spliced run.
    func testCleanRunIsTheNextTokenLossAndPathsAgree() throws {
        let model = try LlamaModel(directory: Self.model)
        let tokens: [UInt32] = (0..<24).map { UInt32(($0 * 37 + 5) % 703) }
        let hook = try model.hookPoint(named: "blocks.1.hook_resid_pre")
        let scale: (inout [Float]) -> Void = { values in for i in values.indices { values[i] *= 0.5 } }
        let counted = [Bool](repeating: true, count: 2 * 11)
        let fast = try model.compareNextTokens(tokens: tokens, batch: 2, sequenceLength: 12, hook: hook, transforms: [nil, scale], counted: counted)
        let loss = try model.nextTokenLoss(tokens: tokens, batch: 2, sequenceLength: 12)
        XCTAssertEqual(fast.crossEntropySums[0] / Double(fast.positionCount), Double(loss), accuracy: 1e-5 * Double(loss))
        model.usesReferenceLoops = true
        let plain = try model.compareNextTokens(tokens: tokens, batch: 2, sequenceLength: 12, hook: hook, transforms: [nil, scale], counted: counted)
        for run in 0..<2 {
            XCTAssertEqual(fast.crossEntropySums[run], plain.crossEntropySums[run], accuracy: 1e-5 * plain.crossEntropySums[run])
        }
        XCTAssertEqual(fast.klSums[1], plain.klSums[1], accuracy: 1e-5 + 1e-4 * plain.klSums[1])
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
