import Foundation
import TensorIO
import XCTest
@testable import Extract

/// Gemma 2 and the sliding-window Llama family against transformers on random tiny models
/// (scripts/fixtures/gemma2_parity.py): every hook of every layer, the logits and the loss,
/// ≤ 1e-5 relative (largest |error| over the largest |value| of each tensor), through both the
/// BLAS path and the reference loops. The bf16 fixture is compared at the same tolerance: its
/// weights are bf16 but both sides compute in f32 from them.
final class Gemma2ParityTests: XCTestCase {
    static let root = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/gemma2-parity")
    static let tolerance: Float = 1e-5

    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    static func expected(_ name: String) throws -> (SafetensorsFile, tokens: [UInt32], batch: Int, length: Int) {
        let file = try SafetensorsFile(path: Self.root.appendingPathComponent(name).path + "/expected.safetensors")
        let shape = try file.info("tokens").shape
        let tokens: [UInt32] = try file.withRawBytes("tokens") { raw in raw.bindMemory(to: Int32.self).map { UInt32($0) } }
        return (file, tokens, shape[0], shape[1])
    }

    /// Every hook, the logits and the loss of `model` against the fixture; returns the largest
    /// hook error so a caller can also show that a wrong model is caught.
    @discardableResult
    func check(_ model: any DecoderLanguageModel, _ name: String, label: String, logits: ([UInt32], Int, Int) throws -> [Float],
               asserting: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws -> Float {
        let (expected, tokens, B, T) = try Self.expected(name)
        let hooks = model.hookNames.map { try! model.hookPoint(named: $0) }
        let activations = try model.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
        var worst: Float = 0
        for hook in hooks {
            let error = relativeError(activations[hook]!, try expected.floats(hook.description))
            worst = max(worst, error)
            if asserting { XCTAssertLessThanOrEqual(error, Self.tolerance, "\(label) \(hook)", file: file, line: line) }
        }
        let logitsError = relativeError(try logits(tokens, B, T), try expected.floats("logits"))
        worst = max(worst, logitsError)
        guard asserting else { return worst }
        XCTAssertLessThanOrEqual(logitsError, Self.tolerance, "\(label) logits", file: file, line: line)
        let loss = try model.nextTokenLoss(tokens: tokens, batch: B, sequenceLength: T)
        let expectedLoss = try expected.floats("loss")[0]
        XCTAssertLessThanOrEqual(abs(loss - expectedLoss) / expectedLoss, Self.tolerance, "\(label) loss \(loss) vs \(expectedLoss)", file: file, line: line)
        return worst
    }

    func checkGemma(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for reference in [false, true] {
            let model = try Gemma2Model(directory: Self.root.appendingPathComponent(name).path)
            model.usesReferenceLoops = reference
            try check(model, name, label: name + (reference ? " (reference loops)" : " (BLAS)"),
                      logits: { try model.logits(tokens: $0, batch: $1, sequenceLength: $2) }, file: file, line: line)
        }
    }

    func checkLlama(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for reference in [false, true] {
            let model = try LlamaModel(directory: Self.root.appendingPathComponent(name).path)
            model.usesReferenceLoops = reference
            try check(model, name, label: name + (reference ? " (reference loops)" : " (BLAS)"),
                      logits: { try model.logits(tokens: $0, batch: $1, sequenceLength: $2) }, file: file, line: line)
        }
    }

    /// 3 blocks (local, global, local), window 8 under a 24-token context, both soft-caps saturating
    /// (the fixture script asserts it), head_dim ≠ hidden/heads, GQA 4/2, f32.
    func testGemma2SoftCapSlidingWindowMatchesTransformers() throws {
        let config = try Gemma2Config.load(path: Self.root.appendingPathComponent("gemma2-softcap/config.json").path)
        XCTAssertEqual(config.slidingWindows, [8, nil, 8])
        XCTAssertEqual(config.attentionSoftCap, 5)
        XCTAssertEqual(config.finalSoftCap, 3)
        XCTAssertGreaterThan(try Self.expected("gemma2-softcap").length, 8, "the context must exceed the window")
        try checkGemma("gemma2-softcap")
    }

    /// bf16 weights in shards, explicit layer_types (global, local), no attention cap, and √40
    /// rounded to bf16 as the embedding normaliser.
    func testGemma2ShardedBF16MatchesTransformers() throws {
        let config = try Gemma2Config.load(path: Self.root.appendingPathComponent("gemma2-bf16/config.json").path)
        XCTAssertEqual(config.slidingWindows, [nil, 6])
        XCTAssertNil(config.attentionSoftCap)
        let model = try Gemma2Model(directory: Self.root.appendingPathComponent("gemma2-bf16").path)
        XCTAssertEqual(model.weights.embeddingScale, 6.3125)  // bf16(√40 = 6.3246)
        try checkGemma("gemma2-bf16")
    }

    /// The fixtures can tell: without the window, without the soft-caps, or with the f32
    /// normaliser on the bf16 model, the same comparison is far outside the tolerance.
    func testWrongVariantsAreCaught() throws {
        func worst(_ name: String, _ change: (inout Gemma2Config, inout Gemma2Weights) -> Void) throws -> Float {
            let directory = Self.root.appendingPathComponent(name).path
            var config = try Gemma2Config.load(path: directory + "/config.json")
            var weights = try Gemma2Weights.load(directory: directory, config: config)
            change(&config, &weights)
            let model = try Gemma2Model(config: config, weights: weights)
            return try check(model, name, label: name, logits: { try model.logits(tokens: $0, batch: $1, sequenceLength: $2) }, asserting: false)
        }
        XCTAssertGreaterThan(try worst("gemma2-softcap") { config, _ in config.slidingWindows = [nil, nil, nil] }, 1e-3)
        XCTAssertGreaterThan(try worst("gemma2-softcap") { config, _ in config.slidingWindows = [9, nil, 9] }, 1e-3, "off by one")
        XCTAssertGreaterThan(try worst("gemma2-softcap") { config, _ in config.attentionSoftCap = nil }, 1e-3)
        XCTAssertGreaterThan(try worst("gemma2-softcap") { config, _ in config.finalSoftCap = nil }, 1e-3)
        XCTAssertGreaterThan(try worst("gemma2-bf16") { _, weights in weights.embeddingScale = Float(40.0.squareRoot()) }, 1e-4)
    }

    /// Mistral with sliding_window 8 on every block, 24-token context.
    func testMistralSlidingWindowMatchesTransformers() throws {
        let config = try LlamaConfig.load(path: Self.root.appendingPathComponent("mistral-window/config.json").path)
        XCTAssertEqual(config.slidingWindows, [8, 8])
        try checkLlama("mistral-window")
        let directory = Self.root.appendingPathComponent("mistral-window").path
        var full = config
        full.slidingWindows = [nil, nil]
        let model = try LlamaModel(config: full, weights: LlamaWeights.load(directory: directory, config: full))
        XCTAssertGreaterThan(try check(model, "mistral-window", label: "no window", logits: { try model.logits(tokens: $0, batch: $1, sequenceLength: $2) }, asserting: false), 1e-3)
    }

    /// Qwen2 with use_sliding_window and max_window_layers 1: block 1 slides (window 5), block 0 does not.
    func testQwen2SlidingWindowMatchesTransformers() throws {
        let config = try LlamaConfig.load(path: Self.root.appendingPathComponent("qwen2-window/config.json").path)
        XCTAssertEqual(config.slidingWindows, [nil, 5])
        try checkLlama("qwen2-window")
    }

    func testConfigErrorsNameTheFileAndField() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gemma2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = Self.root.appendingPathComponent("gemma2-softcap")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: directory.appendingPathComponent("model.safetensors"))
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        let configPath = directory.appendingPathComponent("config.json")
        func refuses(_ field: String, _ value: Any, expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            var config = original
            config[field] = value
            try JSONSerialization.data(withJSONObject: config).write(to: configPath)
            XCTAssertThrowsError(try Gemma2Model(directory: directory.path), file: file, line: line) { error in
                guard case let .invalidConfig(path, name, _, expectation)? = error as? LlamaModelError else { return XCTFail("\(error)", file: file, line: line) }
                XCTAssertEqual(path, configPath.path, file: file, line: line)
                XCTAssertEqual(name, field, file: file, line: line)
                XCTAssertTrue(expectation.contains(expected), expectation, file: file, line: line)
            }
        }
        try refuses("hidden_activation", "gelu", expected: "gelu_pytorch_tanh")
        try refuses("layer_types", ["sliding_attention"], expected: "3 entries")
        try refuses("layer_types", ["sliding_attention", "full_attention", "chunked_attention"], expected: "sliding_attention")
        try refuses("attn_logit_softcapping", -1.0, expected: "positive")
        try refuses("sliding_window", 0, expected: "positive")
        try refuses("attention_bias", true, expected: "false")
        var config = original
        config["num_hidden_layers"] = 4
        config["layer_types"] = NSNull()
        try JSONSerialization.data(withJSONObject: config).write(to: configPath)
        XCTAssertThrowsError(try Gemma2Model(directory: directory.path)) { error in
            XCTAssertEqual(error as? LlamaModelError, .missingTensor(path: directory.path, name: "model.layers.3.input_layernorm.weight", expectedShape: [32]))
        }
        XCTAssertEqual(try Gemma2Config.load(path: configPath.path).slidingWindows, [8, nil, 8, nil], "default: even blocks slide")
        var mistral = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("mistral-window/config.json"))) as! [String: Any]
        mistral["sliding_window"] = -3
        try JSONSerialization.data(withJSONObject: mistral).write(to: configPath)
        XCTAssertThrowsError(try LlamaConfig.load(path: configPath.path)) { error in
            guard case let .invalidConfig(_, field, _, _)? = error as? LlamaModelError else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "sliding_window")
        }
    }
}
