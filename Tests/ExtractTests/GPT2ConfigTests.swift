import XCTest
@testable import Extract

final class GPT2ConfigTests: XCTestCase {
    func testDecodesHubFieldsAndDefaults() throws {
        // Older files say n_ctx instead of n_positions and omit most optional fields.
        let json = #"{"n_layer": 2, "n_head": 4, "n_embd": 32, "n_ctx": 64, "vocab_size": 300, "model_type": "gpt2"}"#
        let config = try JSONDecoder().decode(GPT2Config.self, from: Data(json.utf8))
        XCTAssertEqual(config.maxPositions, 64)
        XCTAssertEqual(config.mlpWidth, 128)
        XCTAssertEqual(config.activationFunction, "gelu_new")
        XCTAssertEqual(config.layerNormEpsilon, 1e-5)
        XCTAssertTrue(config.tieWordEmbeddings)
        XCTAssertNoThrow(try config.validate())
        let again = try JSONDecoder().decode(GPT2Config.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(again, config)
    }

    func testSharedModelConfig() throws {
        let url = try sharedData("models/tiny-shakespeare-gpt2/config.json")
        let config = try GPT2Config.load(path: url.path)
        XCTAssertEqual(config, GPT2Config(layerCount: 4, headCount: 4, embeddingWidth: 128, maxPositions: 256,
                                          vocabularySize: 50257))
    }

    func testValidationNamesTheField() {
        var config = GPT2Config.gpt2Small
        config.innerWidth = 0
        XCTAssertThrowsError(try config.validate(path: "m/config.json")) {
            XCTAssertEqual($0 as? GPT2ModelError, .invalidConfig(path: "m/config.json", field: "n_inner", found: "0", expected: "null or 1...16777216"))
        }
    }

    /// fuzz/regressions/config-nembd-overflow.json: n_embd = 2^62 passed validation, and the
    /// loader's parameter shapes (3·C for c_attn) overflowed Int and trapped. Written by hand to
    /// hit what the fuzz/config target checks. Every dimension is now capped, so each
    /// parameter's element count fits in Int.
    func testHugeDimensionsAreRefusedBeforeAnyShapeIsComputed() throws {
        let path = packageRoot.appendingPathComponent("fuzz/regressions/config-nembd-overflow.json").path
        XCTAssertThrowsError(try GPT2Config.load(path: path)) {
            XCTAssertEqual($0 as? GPT2ModelError, .invalidConfig(path: path, field: "n_embd", found: "4611686018427387904",
                                                                  expected: "1...16777216"))
        }
        var config = GPT2Config.gpt2Small
        config.vocabularySize = GPT2Config.maxDimension
        config.innerWidth = GPT2Config.maxDimension
        config.embeddingWidth = GPT2Config.maxDimension
        config.headCount = 16
        XCTAssertNoThrow(try config.validate(), "the largest accepted config")
        let elementCounts = (GPT2Weights.parameters(config).map(\.shape) + GPT2LayerWeights.parameters(config).map(\.shape))
            .map { $0.reduce(1, *) }
        XCTAssertEqual(elementCounts.max(), 3 << 48, "c_attn: C x 3C, computed without overflow")
        config.layerCount = GPT2Config.maxCount + 1
        XCTAssertThrowsError(try config.validate())
    }
}
