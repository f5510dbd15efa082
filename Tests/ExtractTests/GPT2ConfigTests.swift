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
            XCTAssertEqual($0 as? GPT2ModelError, .invalidConfig(path: "m/config.json", field: "n_inner", found: "0", expected: "null or at least 1"))
        }
    }
}
