import Foundation
import TensorIO
import XCTest
@testable import Extract

/// Llama-family forward pass against transformers on random tiny models
/// (scripts/fixtures/llama_parity.py): every hook of every layer, the logits and the loss.
final class LlamaParityTests: XCTestCase {
    static let root = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/llama-parity")

    /// Largest |a − b| over the largest |b|: a relative error per tensor that does not blow up
    /// on coordinates near zero.
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    /// Both paths: the BLAS one `ingest` runs and the plain loops it is tested against.
    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for reference in [false, true] {
            let model = try LlamaModel(directory: Self.root.appendingPathComponent(name).path)
            model.usesReferenceLoops = reference
            try check(model, name + (reference ? " (reference loops)" : " (BLAS)"), directory: Self.root.appendingPathComponent(name).path, file: file, line: line)
        }
    }

    func check(_ model: LlamaModel, _ name: String, directory: String, file: StaticString, line: UInt) throws {
        let expected = try SafetensorsFile(path: directory + "/expected.safetensors")
        let shape = try expected.info("tokens").shape
        let (B, T) = (shape[0], shape[1])
        let tokens: [UInt32] = try expected.withRawBytes("tokens") { raw in raw.bindMemory(to: Int32.self).map { UInt32($0) } }
        XCTAssertGreaterThan(T, 8, "context must exceed the llama3 fixture's original_max_position_embeddings")
        let hooks = model.hookNames.map { try! model.hookPoint(named: $0) }
        let activations = try model.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
        for hook in hooks {
            let error = relativeError(activations[hook]!, try expected.floats(hook.description))
            XCTAssertLessThanOrEqual(error, 1e-5, "\(name) \(hook)", file: file, line: line)
        }
        let logitsError = relativeError(try model.logits(tokens: tokens, batch: B, sequenceLength: T), try expected.floats("logits"))
        XCTAssertLessThanOrEqual(logitsError, 1e-5, "\(name) logits", file: file, line: line)
        let loss = try model.nextTokenLoss(tokens: tokens, batch: B, sequenceLength: T)
        let expectedLoss = try expected.floats("loss")[0]
        XCTAssertLessThanOrEqual(abs(loss - expectedLoss) / expectedLoss, 1e-5, "\(name) loss \(loss) vs \(expectedLoss)", file: file, line: line)
    }

    /// Llama 3 rope scaling with context beyond original_max_position_embeddings, GQA, tied, f32.
    func testLlama3TiedMatchesTransformers() throws { try check("llama3-tied") }

    /// Qwen2 qkv biases, 4 query heads on 1 kv head, untied, bf16 weights in 7 shards.
    func testQwen2ShardedBF16MatchesTransformers() throws { try check("qwen2-bias") }

    /// Plain Llama rotary, multi-head attention, untied, f16 weights.
    func testLlamaF16MatchesTransformers() throws { try check("llama-f16") }

    func testConfigAndWeightErrorsNameTheFileAndField() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("llama-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = Self.root.appendingPathComponent("llama-f16")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: directory.appendingPathComponent("model.safetensors"))
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        let configPath = directory.appendingPathComponent("config.json")
        config["hidden_act"] = "gelu"
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        XCTAssertThrowsError(try LlamaModel(directory: directory.path)) { error in
            XCTAssertEqual(error as? LlamaModelError, .invalidConfig(path: configPath.path, field: "hidden_act", found: "gelu", expected: "\"silu\""))
        }
        config["hidden_act"] = "silu"
        config["num_hidden_layers"] = 3
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        XCTAssertThrowsError(try LlamaModel(directory: directory.path)) { error in
            XCTAssertEqual(error as? LlamaModelError, .missingTensor(path: directory.path, name: "model.layers.2.input_layernorm.weight", expectedShape: [32]))
        }
        config["num_hidden_layers"] = 1
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        XCTAssertThrowsError(try LlamaModel(directory: directory.path)) { error in
            guard case let .unexpectedTensor(_, name)? = error as? LlamaModelError else { return XCTFail("\(error)") }
            XCTAssertTrue(name.hasPrefix("model.layers.1."), name)
        }
    }
}
