import Foundation
import XCTest
@testable import Extract

/// config.json and weight errors of the GPT-NeoX loader name the file, the field or tensor, and
/// what was expected; the older Pythia keys (rotary_pct, rotary_emb_base) read as the newer ones.
final class NeoXConfigTests: XCTestCase {
    var directory: URL!
    var config: [String: Any] = [:]
    var configPath: String { directory.appendingPathComponent("config.json").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("neox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = NeoXParityTests.root.appendingPathComponent("pythia-parallel")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: directory.appendingPathComponent("model.safetensors"))
        config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func write() throws { try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath)) }

    func assertInvalid(_ field: String, found: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try write()
        XCTAssertThrowsError(try NeoXModel(directory: directory.path), file: file, line: line) { error in
            guard case let .invalidConfig(path, f, value, expected)? = error as? NeoXModelError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual([path, f, value], [configPath, field, found], file: file, line: line)
            XCTAssertFalse(expected.isEmpty, file: file, line: line)
            XCTAssertTrue("\(error)".contains(configPath) && "\(error)".contains(field), "\(error)", file: file, line: line)
        }
    }

    func testOlderRotaryKeysReadAsRopeParameters() throws {
        config["rope_parameters"] = nil
        config["rotary_pct"] = 0.5
        config["rotary_emb_base"] = 5000
        try write()
        let loaded = try NeoXConfig.load(path: configPath)
        XCTAssertEqual(loaded.rotaryWidth, 4)
        XCTAssertEqual(loaded.ropeTheta, 5000)
        config["rotary_pct"] = nil
        try write()
        XCTAssertEqual(try NeoXConfig.load(path: configPath).rotaryWidth, 2, "transformers' default rotary_pct is 0.25")
    }

    func testUnsupportedFieldsAreRefusedNamingConfigAndField() throws {
        config["hidden_act"] = "relu"
        try assertInvalid("hidden_act", found: "relu")
        config["hidden_act"] = "gelu"
        config["rope_parameters"] = ["rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0]
        try assertInvalid("rope_type", found: "linear")
        config["rope_parameters"] = ["rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.1]
        try assertInvalid("rope_parameters.partial_rotary_factor", found: "0.1")  // 8 × 0.1 → 0 rotated floats
        config["rope_parameters"] = nil
        config["rotary_pct"] = 0.3  // 8 × 0.3 → 2.4 → 2 (int() truncates), but 0.375 → 3 is odd
        try write()
        XCTAssertEqual(try NeoXConfig.load(path: configPath).rotaryWidth, 2)
        config["rotary_pct"] = 0.375
        try assertInvalid("rotary_pct", found: "0.375")
        config["rotary_pct"] = nil
        config["rope_parameters"] = ["rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25]
        config["num_attention_heads"] = 5
        try assertInvalid("num_attention_heads", found: "5")
        config["num_attention_heads"] = 4
        config["use_parallel_residual"] = "yes"
        try assertInvalid("use_parallel_residual", found: "yes")
        config["use_parallel_residual"] = true
        config["model_type"] = "gpt_neox_japanese"
        try assertInvalid("model_type", found: "gpt_neox_japanese")
    }

    func testWeightErrorsNameTheFileAndTensor() throws {
        config["num_hidden_layers"] = 3
        try write()
        XCTAssertThrowsError(try NeoXModel(directory: directory.path)) { error in
            XCTAssertEqual(error as? NeoXModelError, .missingTensor(path: directory.path, name: "gpt_neox.layers.2.input_layernorm.weight", expectedShape: [32]))
        }
        config["num_hidden_layers"] = 1
        try write()
        XCTAssertThrowsError(try NeoXModel(directory: directory.path)) { error in
            guard case let .unexpectedTensor(_, name)? = error as? NeoXModelError else { return XCTFail("\(error)") }
            XCTAssertTrue(name.hasPrefix("gpt_neox.layers.1."), name)
        }
        config["num_hidden_layers"] = 2
        config["intermediate_size"] = 48
        try write()
        XCTAssertThrowsError(try NeoXModel(directory: directory.path)) { error in
            XCTAssertEqual(error as? NeoXModelError, .wrongShape(path: directory.appendingPathComponent("model.safetensors").path,
                                                                 name: "gpt_neox.layers.0.mlp.dense_h_to_4h.weight", expectedShape: [48, 32], foundShape: [64, 32]))
        }
    }
}
