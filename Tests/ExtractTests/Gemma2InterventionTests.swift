import Foundation
import TensorIO
import XCTest
@testable import Extract

/// Gemma 2's splice (`compareNextTokens`) against transformers with the same replacement at the
/// same place (scripts/fixtures/gemma2_parity.py, gemma2-softcap/interventions.safetensors): the
/// summed next-token CE and KL over all B·(T−1) positions, from soft-capped logits, ≤ 1e-5
/// relative (CE) and 1e-4 relative (KL, a difference of near-equal log-probabilities), through
/// both the BLAS path and the reference loops.
final class Gemma2InterventionTests: XCTestCase {
    func testSplicedRunsMatchTransformers() throws {
        let directory = Gemma2ParityTests.root.appendingPathComponent("gemma2-softcap").path
        let expected = try SafetensorsFile(path: directory + "/interventions.safetensors")
        let (_, tokens, B, T) = try Gemma2ParityTests.expected("gemma2-softcap")
        let counted = [Bool](repeating: true, count: B * (T - 1))
        let H = 48  // intermediate_size of the fixture
        let transforms: [(String, (inout [Float]) -> Void)] = [
            ("blocks.0.hook_attn_out", { values in for i in values.indices { values[i] = -values[i] } }),
            ("blocks.1.hook_resid_mid", { values in for i in values.indices { values[i] *= 0.5 } }),
            ("blocks.2.mlp.hook_post", { values in for i in values.indices where i % H < H / 2 { values[i] = 0 } }),
        ]
        for reference in [false, true] {
            let model = try Gemma2Model(directory: directory)
            model.usesReferenceLoops = reference
            XCTAssertEqual(model.config.mlpWidth, H)
            for (name, transform) in transforms {
                let result = try model.compareNextTokens(tokens: tokens, batch: B, sequenceLength: T, hook: try model.hookPoint(named: name),
                                                         transforms: [nil, transform], counted: counted)
                let clean = Double(try expected.floats("clean/ce")[0])
                let ce = Double(try expected.floats(name + "/ce")[0]), kl = Double(try expected.floats(name + "/kl")[0])
                let label = "\(name)\(reference ? " (reference loops)" : "")"
                XCTAssertEqual(result.positionCount, B * (T - 1))
                XCTAssertEqual(result.crossEntropySums[0], clean, accuracy: 1e-5 * clean, label)
                XCTAssertEqual(result.crossEntropySums[1], ce, accuracy: 1e-5 * ce, label)
                XCTAssertEqual(result.klSums[1], kl, accuracy: 1e-4 * kl, label)
            }
        }
    }

    func testSpliceErrors() throws {
        let model = try Gemma2Model(directory: Gemma2ParityTests.root.appendingPathComponent("gemma2-softcap").path)
        let hook = try model.hookPoint(named: "blocks.0.hook_resid_post")
        XCTAssertThrowsError(try model.compareNextTokens(tokens: [1, 2, 3, 4], batch: 1, sequenceLength: 4, hook: hook,
                                                         transforms: [nil, { $0.removeLast() }], counted: [true, true, true]))
        XCTAssertThrowsError(try model.compareNextTokens(tokens: [1, 2, 3, 4], batch: 1, sequenceLength: 4, hook: hook,
                                                         transforms: [nil], counted: [true]))
        XCTAssertThrowsError(try model.compareNextTokens(tokens: [1], batch: 1, sequenceLength: 1, hook: hook, transforms: [nil], counted: []))
    }
}
