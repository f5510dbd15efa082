import Foundation
import TensorIO
import XCTest
@testable import Extract

/// `blocks.L.ln1.hook_normalized` / `ln2.hook_normalized` on GPT-2 against transformers' ln_1 / ln_2
/// outputs (fixtures by scripts/fixtures/ln_hooks.py, tokens of gpt2-parity/<model>.json), within
/// the parity tests' 1e-5 relative max error; through the packed path ingest runs; and as
/// intervention sites, where the replaced value must reach the block's next step.
final class LNHookTests: XCTestCase {
    let models = ["gpt2-tiny-hub", "gpt2-tiny-prefixed", "gpt2-tiny-untied"]

    func lnHooks(_ model: GPT2Model) -> [HookPoint] {
        (0..<model.config.layerCount).flatMap { l in [HookPoint(layer: l, site: .ln1Normalized), HookPoint(layer: l, site: .ln2Normalized)] }
    }

    func load(_ name: String) throws -> (model: GPT2Model, tokens: [UInt32], batch: Int, length: Int, expected: SafetensorsFile) {
        let parity = fixturesDirectory.appendingPathComponent("gpt2-parity")
        let fixture = try JSONDecoder().decode(GPT2ForwardTests.ParityFixture.self,
                                               from: Data(contentsOf: parity.appendingPathComponent("\(name).json")))
        let expected = try SafetensorsFile(path: fixturesDirectory.appendingPathComponent("ln-hooks/\(name).safetensors").path)
        let model = try GPT2Model(directory: fixturesDirectory.appendingPathComponent(name).path)
        return (model, fixture.tokens, fixture.batch, fixture.sequence_length, expected)
    }

    func testLNHooksMatchTransformers() throws {
        for name in models {
            let (model, tokens, B, T, expected) = try load(name)
            let hooks = lnHooks(model)
            let padded = try model.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
            let packed = try model.activations(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), hooks: hooks)
            for hook in hooks {
                XCTAssertEqual(try expected.info(hook.description).shape, [B, T, model.config.embeddingWidth], "\(name) \(hook)")
                let reference = try expected.floats(hook.description)
                XCTAssertLessThan(relativeMaxError(padded[hook]!, reference), GPT2ForwardTests.tolerance, "\(name) \(hook)")
                XCTAssertLessThan(relativeMaxError(packed[hook]!, reference), GPT2ForwardTests.tolerance, "\(name) \(hook) packed")
            }
        }
    }

    /// The names parse, the GPT-2 family lists them in forward order, the Llama and NeoX families
    /// have them too, and Gemma 2 (which does not compute them yet) does not list them.
    func testNamesAndFamilies() throws {
        XCTAssertEqual(try HookPoint(parsing: "blocks.3.ln2.hook_normalized"), HookPoint(layer: 3, site: .ln2Normalized))
        XCTAssertEqual(HookPoint(layer: 0, site: .ln1Normalized).description, "blocks.0.ln1.hook_normalized")
        let sites = ModelFamily.gpt2.transformerLensSites
        XCTAssertEqual(sites, [.residPre, .ln1Normalized, .attnOut, .residMid, .ln2Normalized, .mlpPost, .mlpOut, .residPost])
        XCTAssertEqual(sites, sites.sorted { HookPoint(layer: 0, site: $0) < HookPoint(layer: 0, site: $1) })
        let (model, _, _, _, _) = try load("gpt2-tiny-hub")
        XCTAssertEqual(try model.hookPoint(named: "blocks.1.ln2.hook_normalized"), HookPoint(layer: 1, site: .ln2Normalized))
        XCTAssertTrue(ModelFamily.llama.transformerLensSites.contains(.ln2Normalized))
        XCTAssertTrue(ModelFamily.gptNeoX.transformerLensSites.contains(.ln1Normalized))
        XCTAssertFalse(ModelFamily.gemma2.transformerLensSites.contains(.ln2Normalized))
    }

    /// Zeroing ln_2's output leaves only the MLP's biases in its output: c_proj(gelu(b_fc)) + b_proj,
    /// the same in every row; the attention half of the block (resid_mid) is untouched, bit for bit.
    func testReplacingLN2FeedsTheMLP() throws {
        let (model, tokens, B, T, _) = try load("gpt2-tiny-hub")
        let site = HookPoint(layer: 0, site: .ln2Normalized)
        let clean = try model.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: [HookPoint(layer: 0, site: .residMid)])
        let C = model.config.embeddingWidth
        var seen = 0
        var mlpOut: [Float] = []
        model.forward(tokens: tokens, sequenceLengths: Array(repeating: T, count: B), lastLayer: 0,
                      hooks: [site, HookPoint(layer: 0, site: .residMid), HookPoint(layer: 0, site: .mlpOut)]) { point, buffer in
            switch point.site {
            case .residMid:
                XCTAssertEqual(Array(buffer), clean[point]!)
            case .ln2Normalized:
                seen += 1
                for i in buffer.indices { buffer[i] = 0 }
            case .mlpOut:
                mlpOut = Array(buffer)
            default: XCTFail("unexpected \(point)")
            }
        }
        XCTAssertEqual(seen, 1)
        XCTAssertEqual(mlpOut.count, B * T * C)
        // Equal up to sgemm's rounding, which differs between rows of one product.
        for row in 1..<(B * T) {
            XCTAssertLessThan(relativeMaxError(Array(mlpOut[(row * C)..<((row + 1) * C)]), Array(mlpOut[0..<C])), 1e-6, "row \(row)")
        }
        XCTAssertGreaterThan(mlpOut[0..<C].map(abs).max()!, 0)
    }
}
