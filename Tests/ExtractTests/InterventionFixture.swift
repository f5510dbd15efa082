import Foundation
import TensorIO
import XCTest
@testable import Extract

/// The checks LlamaInterventionTests and NeoXInterventionTests run on their family's splice,
/// against the per-position CE and KL that scripts/fixtures/{llama,neox}_interventions.py saved
/// from transformers (one layout: `tokens`, and per hook `HOOK/perturbed`, `HOOK/mean`,
/// `HOOK/ce/RUN`, `HOOK/kl/RUN` for the runs clean, perturbed, zero, mean).
enum InterventionFixture {
    /// Per position |Δ| ≤ 2e-5 nats + 2e-5 relative for CE (values about 7 nats) and KL (0 to 3 nats):
    /// f32 forward and log-softmax against transformers' f32 forward with a float64 log-softmax.
    static func close(_ a: Double, _ b: Float) -> Bool { abs(a - Double(b)) <= 2e-5 + 2e-5 * abs(Double(b)) }

    /// Every hook of `hooks`, on the BLAS path and on the plain loops (`makeModel(true)`): one
    /// counted position at a time against the fixture's numbers, then all positions at once
    /// against their sums. Returns the worst |ΔCE| and |ΔKL| per position, in nats.
    @discardableResult
    static func checkAgainstTransformers(expectedPath: String, hooks: [String], file: StaticString = #filePath, line: UInt = #line,
                                         makeModel: (_ referenceLoops: Bool) throws -> any SpliceableLanguageModel) throws -> (ce: Double, kl: Double) {
        let expected = try SafetensorsFile(path: expectedPath)
        let shape = try expected.info("tokens").shape
        let (B, T) = (shape[0], shape[1])
        let tokens: [UInt32] = try expected.withRawBytes("tokens") { raw in raw.bindMemory(to: Int32.self).map { UInt32($0) } }
        var worstCE = 0.0, worstKL = 0.0
        for reference in [false, true] {
            let model = try makeModel(reference)
            for name in hooks {
                let hook = try model.hookPoint(named: name)
                let width = model.width(of: hook)
                let perturbed = try expected.floats(name + "/perturbed")
                let mean = try expected.floats(name + "/mean")
                XCTAssertEqual(perturbed.count, B * T * width, file: file, line: line)
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
                        XCTAssertEqual(comparison.positionCount, 1, file: file, line: line)
                        for run in runs.indices {
                            let i = b * (T - 1) + t
                            let label = "\(name) \(runs[run]) b\(b) t\(t)\(reference ? " (reference loops)" : "")"
                            XCTAssertTrue(close(comparison.crossEntropySums[run], ce[run][i]), "\(label) CE \(comparison.crossEntropySums[run]) vs \(ce[run][i])", file: file, line: line)
                            XCTAssertTrue(close(comparison.klSums[run], kl[run][i]), "\(label) KL \(comparison.klSums[run]) vs \(kl[run][i])", file: file, line: line)
                            worstCE = max(worstCE, abs(comparison.crossEntropySums[run] - Double(ce[run][i])))
                            worstKL = max(worstKL, abs(comparison.klSums[run] - Double(kl[run][i])))
                        }
                    }
                }
                // All positions at once: the sums of the per-position values.
                let all = try model.compareNextTokens(tokens: tokens, batch: B, sequenceLength: T, hook: hook, transforms: transforms,
                                                      counted: [Bool](repeating: true, count: B * (T - 1)))
                XCTAssertEqual(all.positionCount, B * (T - 1), file: file, line: line)
                for run in runs.indices {
                    let sum = ce[run].reduce(0) { $0 + Double($1) }
                    XCTAssertEqual(all.crossEntropySums[run], sum, accuracy: 1e-4 * abs(sum), "\(name) \(runs[run]) summed CE", file: file, line: line)
                }
            }
        }
        return (worstCE, worstKL)
    }

    /// The clean run of the comparison is the model's own loss, and the BLAS path (`makeModel(false)`)
    /// and the plain loops agree on a run with blocks.1.hook_resid_pre halved; 24 tokens below
    /// `vocabularySize` as 2 × 12.
    static func checkCleanRunAndPaths(vocabularySize: Int, file: StaticString = #filePath, line: UInt = #line,
                                      makeModel: (_ referenceLoops: Bool) throws -> any SpliceableLanguageModel) throws {
        let tokens: [UInt32] = (0..<24).map { UInt32(($0 * 37 + 5) % vocabularySize) }
        let scale: (inout [Float]) -> Void = { values in for i in values.indices { values[i] *= 0.5 } }
        let counted = [Bool](repeating: true, count: 2 * 11)
        var comparisons: [NextTokenComparison] = []
        for reference in [false, true] {
            let model = try makeModel(reference)
            let hook = try model.hookPoint(named: "blocks.1.hook_resid_pre")
            comparisons.append(try model.compareNextTokens(tokens: tokens, batch: 2, sequenceLength: 12, hook: hook, transforms: [nil, scale], counted: counted))
            if !reference {
                let loss = try model.nextTokenLoss(tokens: tokens, batch: 2, sequenceLength: 12)
                XCTAssertEqual(comparisons[0].crossEntropySums[0] / Double(comparisons[0].positionCount), Double(loss), accuracy: 1e-5 * Double(loss), file: file, line: line)
            }
        }
        let (fast, plain) = (comparisons[0], comparisons[1])
        for run in 0..<2 {
            XCTAssertEqual(fast.crossEntropySums[run], plain.crossEntropySums[run], accuracy: 1e-5 * plain.crossEntropySums[run], file: file, line: line)
        }
        XCTAssertEqual(fast.klSums[1], plain.klSums[1], accuracy: 1e-5 + 1e-4 * plain.klSums[1], file: file, line: line)
    }
}
