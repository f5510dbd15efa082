import XCTest
@testable import Extract

/// The model-family seam: GPT-2 through `DecoderLanguageModel`, and hook checks per family.
final class ModelFamilyTests: XCTestCase {
    func tinyGPT2() throws -> GPT2Model {
        let config = GPT2Config(layerCount: 2, headCount: 2, embeddingWidth: 8, maxPositions: 16, vocabularySize: 32)
        return try GPT2Model(config: config, weights: .random(config: config, seed: 7))
    }

    func testGPT2HasEveryTransformerLensBlockHook() throws {
        let model: any DecoderLanguageModel = try tinyGPT2()
        XCTAssertEqual(model.family, .gpt2)
        XCTAssertEqual(model.hookNames.count, 2 * HookPoint.Site.allCases.count)
        XCTAssertEqual(model.hookNames.first, "blocks.0.hook_resid_pre")
        XCTAssertEqual(model.hookNames.last, "blocks.1.hook_resid_post")
        for name in model.hookNames { XCTAssertEqual(try model.hookPoint(named: name).description, name) }
        XCTAssertEqual(model.width(of: try model.hookPoint(named: "blocks.1.mlp.hook_post")), 32)
    }

    /// Through the protocol, GPT-2 gives exactly what its own methods give.
    func testProtocolCallsAreTheGPT2ForwardPass() throws {
        let gpt2 = try tinyGPT2()
        let model: any DecoderLanguageModel = gpt2
        let tokens: [UInt32] = [1, 5, 9, 30, 2, 2, 17, 4]
        let hooks = try ["blocks.0.hook_attn_out", "blocks.1.hook_resid_post"].map { try model.hookPoint(named: $0) }
        XCTAssertEqual(try model.activations(tokens: tokens, batch: 2, sequenceLength: 4, hooks: hooks),
                       try gpt2.activations(tokens: tokens, batch: 2, sequenceLength: 4, hooks: hooks))
        XCTAssertEqual(try model.nextTokenLoss(tokens: tokens, batch: 2, sequenceLength: 4),
                       try gpt2.nextTokenLoss(tokens: tokens, batch: 2, sequenceLength: 4, replacing: nil, with: nil))
    }

    /// A parallel-residual family has no hook_resid_mid; the error lists what it has.
    func testHookTheFamilyLacksIsRefusedNamingThoseItHas() throws {
        final class ParallelResidualStub: DecoderLanguageModel {
            var family: ModelFamily { .gptNeoX }
            var layerCount: Int { 3 }
            var vocabularySize: Int { 10 }
            var maxSequenceLength: Int { 8 }
            var hookSites: [HookPoint.Site] { ModelFamily.gptNeoX.transformerLensSites }
            func width(of hook: HookPoint) -> Int { 4 }
            func activations(tokens: [UInt32], batch: Int, sequenceLength: Int, hooks: [HookPoint]) throws -> [HookPoint: [Float]] { [:] }
            func activations(tokens: [UInt32], sequenceLengths: [Int], hooks: [HookPoint]) throws -> [HookPoint: [Float]] { [:] }
            func nextTokenLoss(tokens: [UInt32], batch: Int, sequenceLength: Int) throws -> Float { 0 }
        }
        let model = ParallelResidualStub()
        XCTAssertEqual(model.hookNames.count, 3 * 7)
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.1.hook_resid_mid")) { error in
            XCTAssertEqual(error as? ModelFamilyError, .hookNotInFamily(name: "blocks.1.hook_resid_mid", family: .gptNeoX,
                                                                        available: ModelFamily.gptNeoX.transformerLensSites))
            let message = "\(error)"
            XCTAssertTrue(message.contains("gpt_neox") && message.contains("blocks.L.hook_resid_pre") && message.contains("blocks.L.mlp.hook_post"), message)
            XCTAssertFalse(message.contains("blocks.L.hook_resid_mid"), message)
        }
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.1.hook_z")) { error in
            guard case .unknownName(name: "blocks.1.hook_z", family: .gptNeoX, available: _)? = error as? ModelFamilyError else {
                return XCTFail("\(error)")
            }
        }
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.3.hook_resid_pre")) { error in
            XCTAssertEqual(error as? HookPointError, .layerOutOfRange(name: "blocks.3.hook_resid_pre", layer: 3, layerCount: 3))
        }
    }
}
