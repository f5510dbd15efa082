import Foundation
import TensorIO
import XCTest
@testable import Extract

/// The BLAS forward (LlamaModel+BLAS.swift) against the plain loops it replaces, on the parity
/// fixtures' models: padded batches, and sequences of different lengths packed back to back.
final class LlamaFastPathTests: XCTestCase {
    /// Largest |a − b| over the largest |b| (sgemm sums in another order than the loops).
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    func fixture(_ name: String) throws -> (model: LlamaModel, reference: LlamaModel, tokens: [UInt32], batch: Int, length: Int) {
        let directory = LlamaParityTests.root.appendingPathComponent(name).path
        let expected = try SafetensorsFile(path: directory + "/expected.safetensors")
        let shape = try expected.info("tokens").shape
        let tokens: [UInt32] = try expected.withRawBytes("tokens") { raw in raw.bindMemory(to: Int32.self).map { UInt32($0) } }
        let reference = try LlamaModel(directory: directory)
        reference.usesReferenceLoops = true
        return (try LlamaModel(directory: directory), reference, tokens, shape[0], shape[1])
    }

    /// Sequences of lengths T, T−3 and 5 cut from the fixture's two rows, packed, hook by hook equal
    /// (≤ 1e-5 relative) to each sequence run alone through the reference loops.
    func checkPacked(_ name: String) throws {
        let (model, reference, tokens, _, T) = try fixture(name)
        let lengths = [T, T - 3, 5]
        let packed = Array(tokens[0..<T]) + Array(tokens[T..<(2 * T - 3)]) + Array(tokens[3..<8])
        let hooks = model.hookNames.map { try! model.hookPoint(named: $0) }
        let fast = try model.activations(tokens: packed, sequenceLengths: lengths, hooks: hooks)
        for hook in hooks {
            let width = model.width(of: hook)
            var row = 0
            for n in lengths {
                let alone = try reference.activations(tokens: Array(packed[row..<(row + n)]), batch: 1, sequenceLength: n, hooks: [hook])[hook]!
                let error = relativeError(Array(fast[hook]![(row * width)..<((row + n) * width)]), alone)
                XCTAssertLessThanOrEqual(error, 1e-5, "\(name) \(hook) sequence of \(n)")
                row += n
            }
        }
    }

    func testPackedSequencesMatchReferenceLlama3() throws { try checkPacked("llama3-tied") }
    func testPackedSequencesMatchReferenceQwen2() throws { try checkPacked("qwen2-bias") }
    func testPackedSequencesMatchReferenceF16() throws { try checkPacked("llama-f16") }

    /// Padded batches: every hook and the logits, BLAS path against the loops.
    func testBatchMatchesReference() throws {
        for name in ["llama3-tied", "qwen2-bias", "llama-f16"] {
            let (model, reference, tokens, B, T) = try fixture(name)
            let hooks = model.hookNames.map { try! model.hookPoint(named: $0) }
            let fast = try model.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
            let slow = try reference.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
            for hook in hooks { XCTAssertLessThanOrEqual(relativeError(fast[hook]!, slow[hook]!), 1e-5, "\(name) \(hook)") }
            XCTAssertLessThanOrEqual(relativeError(try model.logits(tokens: tokens, batch: B, sequenceLength: T),
                                                   try reference.logits(tokens: tokens, batch: B, sequenceLength: T)), 1e-5, "\(name) logits")
        }
    }

    func testPackedInputErrors() throws {
        let (model, _, _, _, _) = try fixture("llama-f16")
        let hook = try model.hookPoint(named: "blocks.0.hook_resid_post")
        XCTAssertThrowsError(try model.activations(tokens: [1, 2, 3], sequenceLengths: [2], hooks: [hook]))
        XCTAssertThrowsError(try model.activations(tokens: [1], sequenceLengths: [0, 1], hooks: [hook]))
        XCTAssertThrowsError(try model.activations(tokens: [UInt32(model.vocabularySize)], sequenceLengths: [1], hooks: [hook]))
    }
}
