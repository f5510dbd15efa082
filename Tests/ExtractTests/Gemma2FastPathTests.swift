import Foundation
import TensorIO
import XCTest
@testable import Extract

/// The Gemma 2 BLAS forward (Gemma2Model+BLAS.swift) against the plain loops it replaces, on the
/// parity fixtures: padded batches, and sequences of different lengths (shorter and longer than
/// the sliding window) packed back to back, ≤ 1e-5 relative per hook.
final class Gemma2FastPathTests: XCTestCase {
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    func testPackedSequencesMatchReference() throws {
        for name in ["gemma2-softcap", "gemma2-bf16"] {
            let directory = Gemma2ParityTests.root.appendingPathComponent(name).path
            let (_, tokens, _, T) = try Gemma2ParityTests.expected(name)
            let model = try Gemma2Model(directory: directory)
            let reference = try Gemma2Model(directory: directory)
            reference.usesReferenceLoops = true
            let lengths = [T, T - 3, 5]
            let packed = Array(tokens[0..<T]) + Array(tokens[T..<(2 * T - 3)]) + Array(tokens[3..<8])
            let hooks = model.hookNames.map { try! model.hookPoint(named: $0) }
            let fast = try model.activations(tokens: packed, sequenceLengths: lengths, hooks: hooks)
            for hook in hooks {
                let width = model.width(of: hook)
                var row = 0
                for n in lengths {
                    let alone = try reference.activations(tokens: Array(packed[row..<(row + n)]), batch: 1, sequenceLength: n, hooks: [hook])[hook]!
                    XCTAssertLessThanOrEqual(relativeError(Array(fast[hook]![(row * width)..<((row + n) * width)]), alone), 1e-5, "\(name) \(hook) sequence of \(n)")
                    row += n
                }
            }
        }
    }

    func testBatchAndSpliceMatchReference() throws {
        let directory = Gemma2ParityTests.root.appendingPathComponent("gemma2-softcap").path
        let (_, tokens, B, T) = try Gemma2ParityTests.expected("gemma2-softcap")
        let model = try Gemma2Model(directory: directory)
        let reference = try Gemma2Model(directory: directory)
        reference.usesReferenceLoops = true
        XCTAssertLessThanOrEqual(relativeError(try model.logits(tokens: tokens, batch: B, sequenceLength: T),
                                               try reference.logits(tokens: tokens, batch: B, sequenceLength: T)), 1e-5)
        let hook = try model.hookPoint(named: "blocks.1.hook_resid_mid")
        let counted = [Bool](repeating: true, count: B * (T - 1))
        let halve: (inout [Float]) -> Void = { values in for i in values.indices { values[i] *= 0.5 } }
        let fast = try model.compareNextTokens(tokens: tokens, batch: B, sequenceLength: T, hook: hook, transforms: [nil, halve], counted: counted)
        let slow = try reference.compareNextTokens(tokens: tokens, batch: B, sequenceLength: T, hook: hook, transforms: [nil, halve], counted: counted)
        XCTAssertEqual(fast.positionCount, B * (T - 1))
        for run in 0..<2 { XCTAssertEqual(fast.crossEntropySums[run], slow.crossEntropySums[run], accuracy: 1e-4 * abs(slow.crossEntropySums[run])) }
        XCTAssertGreaterThan(fast.klSums[1], 1e-3, "halving the residual must move the distribution")
        // The clean run's CE is the model's own loss (soft-capped logits) summed.
        let loss = try model.nextTokenLoss(tokens: tokens, batch: B, sequenceLength: T)
        XCTAssertEqual(fast.crossEntropySums[0] / Double(B * (T - 1)), Double(loss), accuracy: 1e-5 * Double(loss))
    }
}
