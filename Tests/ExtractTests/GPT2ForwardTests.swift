import Foundation
import TensorIO
import XCTest
@testable import Extract

/// Parity with transformers (fixtures made by scripts/fixtures/gpt2_parity.py) and the
/// loader's / forward's refusals.
///
/// Tolerance: every hook and the stored logits within 1e-5 relative max error
/// (max |swift − torch| / max |torch| over the tensor; measured ≤ 9e-7), the loss within
/// 1e-5 relative (measured ≤ 5e-8). The brief asked for 1e-4; the tighter bound still holds
/// with OpenBLAS's Haswell and Cooperlake kernels and catches e.g. a wrong LayerNorm epsilon.
final class GPT2ForwardTests: XCTestCase {
    static let tolerance: Float = 1e-5

    struct ParityFixture: Decodable {
        var model: String
        var batch: Int
        var sequence_length: Int
        var tokens: [UInt32]
        var loss: Double
        var hooks: [String]
        var logit_positions: [[Int]]
        var logit_vocab_count: Int
    }

    func modelDirectory(_ reference: String) throws -> URL {
        if reference.hasPrefix("shared:") { return try sharedData(String(reference.dropFirst("shared:".count))) }
        return fixturesDirectory.appendingPathComponent(reference)
    }

    func checkParity(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let parity = fixturesDirectory.appendingPathComponent("gpt2-parity")
        let fixture = try JSONDecoder().decode(ParityFixture.self,
                                               from: Data(contentsOf: parity.appendingPathComponent("\(name).json")))
        let expected = try SafetensorsFile(path: parity.appendingPathComponent("\(name).safetensors").path)
        let model = try GPT2Model(directory: try modelDirectory(fixture.model).path)
        let B = fixture.batch, T = fixture.sequence_length, V = model.config.vocabularySize

        let hooks = try fixture.hooks.map { try HookPoint(parsing: $0, config: model.config) }
        XCTAssertFalse(hooks.isEmpty, file: file, line: line)
        let activations = try model.activations(tokens: fixture.tokens, batch: B, sequenceLength: T, hooks: hooks)
        for hook in hooks {
            let reference = try expected.floats(hook.description)
            XCTAssertEqual(try expected.info(hook.description).shape, [B, T, hook.width(model.config)], file: file, line: line)
            let error = relativeMaxError(activations[hook]!, reference)
            XCTAssertLessThan(error, Self.tolerance, "\(name) \(hook)", file: file, line: line)
        }

        let logits = try model.logits(tokens: fixture.tokens, batch: B, sequenceLength: T)
        let referenceLogits = try expected.floats("logits")
        let count = fixture.logit_vocab_count
        for (i, position) in fixture.logit_positions.enumerated() {
            let row = (position[0] * T + position[1]) * V
            let error = relativeMaxError(Array(logits[row..<(row + count)]),
                                         Array(referenceLogits[(i * count)..<((i + 1) * count)]))
            XCTAssertLessThan(error, Self.tolerance, "\(name) logits at \(position)", file: file, line: line)
        }

        let loss = try model.nextTokenLoss(tokens: fixture.tokens, batch: B, sequenceLength: T)
        XCTAssertEqual(Double(loss), fixture.loss, accuracy: 1e-5 * fixture.loss, "\(name) loss", file: file, line: line)
    }

    /// Unprefixed names, attn.bias buffers present, F32, gelu_new.
    func testParityHubLayout() throws { try checkParity("gpt2-tiny-hub") }

    /// `transformer.` prefix, F16 weights, gelu_pytorch_tanh, scale_attn_by_inverse_layer_idx.
    func testParityPrefixedHalf() throws { try checkParity("gpt2-tiny-prefixed") }

    /// BF16 weights, untied lm_head, exact GELU, n_inner 96.
    func testParityUntiedBFloat16() throws { try checkParity("gpt2-tiny-untied") }

    /// The trained 4-layer model in ../shared/data (skipped when absent).
    func testParityTinyShakespeare() throws { try checkParity("tiny-shakespeare-gpt2") }

    // MARK: - Refusals

    /// A copy of the gpt2-tiny-hub fixture in a temporary directory, for corrupting.
    func scratchModel(editConfig: ((inout [String: Any]) -> Void)? = nil,
                      editTensors: ((inout [(name: String, shape: [Int], values: [Float], dtype: TensorDType)]) -> Void)? = nil)
        throws -> String {
        let source = fixturesDirectory.appendingPathComponent("gpt2-tiny-hub")
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gpt2-forward-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }

        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        editConfig?(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))

        let weights = try SafetensorsFile(path: source.appendingPathComponent("model.safetensors").path)
        var tensors = try weights.tensorNames.map { name in
            let info = try weights.info(name)
            return (name: name, shape: info.shape, values: try weights.floats(name), dtype: info.dtype)
        }
        editTensors?(&tensors)
        try SafetensorsWriter.write(path: directory.appendingPathComponent("model.safetensors").path, tensors: tensors)
        return directory.path
    }

    func expectModelError(_ directory: String, file: StaticString = #filePath, line: UInt = #line,
                          _ check: (GPT2ModelError) -> Bool) {
        XCTAssertThrowsError(try GPT2Model(directory: directory), file: file, line: line) { error in
            guard let modelError = error as? GPT2ModelError else {
                return XCTFail("expected GPT2ModelError, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(check(modelError), "unexpected error: \(modelError)", file: file, line: line)
        }
    }

    func testUnmodifiedCopyLoads() throws {
        // The corruption tests below are only meaningful if the untouched copy loads.
        XCTAssertNoThrow(try GPT2Model(directory: try scratchModel()))
    }

    func testWrongModelTypeIsRefused() throws {
        let directory = try scratchModel(editConfig: { $0["model_type"] = "llama" })
        expectModelError(directory) {
            guard case let .invalidConfig(path, field, found, _) = $0 else { return false }
            return path.hasSuffix("config.json") && field == "model_type" && found.contains("llama")
        }
    }

    func testUnsupportedActivationAndHeadSplitAreRefused() throws {
        expectModelError(try scratchModel(editConfig: { $0["activation_function"] = "relu" })) {
            if case .invalidConfig(_, "activation_function", _, _) = $0 { return true } else { return false }
        }
        expectModelError(try scratchModel(editConfig: { $0["n_head"] = 5 })) {
            if case .invalidConfig(_, "n_embd", _, _) = $0 { return true } else { return false }
        }
    }

    func testMissingConfigFieldIsNamed() throws {
        expectModelError(try scratchModel(editConfig: { $0.removeValue(forKey: "n_embd") })) {
            if case let .unreadableFile(_, reason) = $0 { return reason.contains("n_embd") } else { return false }
        }
    }

    func testMissingTensorIsNamed() throws {
        let directory = try scratchModel(editTensors: { $0.removeAll { $0.name == "h.1.mlp.c_fc.weight" } })
        expectModelError(directory) {
            $0 == .missingTensor(path: directory + "/model.safetensors", name: "h.1.mlp.c_fc.weight", expectedShape: [32, 128])
        }
    }

    func testWrongShapeIsNamed() throws {
        let directory = try scratchModel(editTensors: { tensors in
            let i = tensors.firstIndex { $0.name == "h.0.attn.c_attn.weight" }!
            tensors[i].shape = [96, 32]  // transposed, as an nn.Linear checkpoint would store it
        })
        expectModelError(directory) {
            $0 == .wrongShape(path: directory + "/model.safetensors", name: "h.0.attn.c_attn.weight",
                              expectedShape: [32, 96], foundShape: [96, 32])
        }
    }

    func testExtraBlockIsRefused() throws {
        // A checkpoint with more blocks than config.json says: layer count mismatch.
        let directory = try scratchModel(editConfig: { $0["n_layer"] = 1 })
        expectModelError(directory) {
            if case let .unexpectedTensor(_, name) = $0 { return name.hasPrefix("h.1.") } else { return false }
        }
    }

    func testUntiedConfigNeedsLMHead() throws {
        let directory = try scratchModel(editConfig: { $0["tie_word_embeddings"] = false })
        expectModelError(directory) {
            if case .missingTensor(_, "lm_head.weight", [300, 32]) = $0 { return true } else { return false }
        }
    }

    func testForwardInputErrors() throws {
        let model = try GPT2Model(directory: fixturesDirectory.appendingPathComponent("gpt2-tiny-hub").path)
        let hook = HookPoint(layer: 0, site: .residPost)
        XCTAssertThrowsError(try model.activations(tokens: [1, 2, 3], batch: 2, sequenceLength: 2, hooks: [hook]))
        XCTAssertThrowsError(try model.activations(tokens: [1, 300], batch: 1, sequenceLength: 2, hooks: [hook])) {
            XCTAssertTrue("\($0)".contains("300"))
        }
        let tooLong = [UInt32](repeating: 1, count: 65)
        XCTAssertThrowsError(try model.logits(tokens: tooLong, batch: 1, sequenceLength: 65))
        XCTAssertThrowsError(try model.nextTokenLoss(tokens: [1, 2], batch: 2, sequenceLength: 1))
        XCTAssertThrowsError(try model.activations(tokens: [1, 2], batch: 1, sequenceLength: 2,
                                                   hooks: [HookPoint(layer: 2, site: .residPre)])) {
            XCTAssertEqual($0 as? HookPointError, .layerOutOfRange(name: "blocks.2.hook_resid_pre", layer: 2, layerCount: 2))
        }
    }
}
