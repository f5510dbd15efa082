import Foundation
import TensorIO
import XCTest
@testable import Extract

/// The BLAS forward (NeoXModel+BLAS.swift) against the plain loops it replaces, on the parity
/// fixtures' models: padded batches, and sequences of different lengths packed back to back.
final class NeoXFastPathTests: XCTestCase {
    static let names = ["pythia-parallel", "neox-sequential", "neox-f16"]

    func fixture(_ name: String) throws -> (model: NeoXModel, reference: NeoXModel, tokens: [UInt32], batch: Int, length: Int) {
        let directory = NeoXParityTests.root.appendingPathComponent(name).path
        let (tokens, B, T) = try NeoXParityTests.tokens(try SafetensorsFile(path: directory + "/expected.safetensors"))
        let reference = try NeoXModel(directory: directory)
        reference.usesReferenceLoops = true
        return (try NeoXModel(directory: directory), reference, tokens, B, T)
    }

    /// Sequences of lengths T, T−3 and 5 cut from the fixture's two rows, packed, hook by hook
    /// equal (≤ 1e-5 relative) to each sequence run alone through the reference loops.
    func testPackedSequencesMatchReference() throws {
        for name in Self.names {
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
                    let error = NeoXParityTests.relativeError(Array(fast[hook]![(row * width)..<((row + n) * width)]), alone)
                    XCTAssertLessThanOrEqual(error, 1e-5, "\(name) \(hook) sequence of \(n)")
                    row += n
                }
            }
        }
    }

    /// Padded batches: every hook and the logits, BLAS path against the loops.
    func testBatchMatchesReference() throws {
        for name in Self.names {
            let (model, reference, tokens, B, T) = try fixture(name)
            let hooks = model.hookNames.map { try! model.hookPoint(named: $0) }
            let fast = try model.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
            let slow = try reference.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
            for hook in hooks { XCTAssertLessThanOrEqual(NeoXParityTests.relativeError(fast[hook]!, slow[hook]!), 1e-5, "\(name) \(hook)") }
            XCTAssertLessThanOrEqual(NeoXParityTests.relativeError(try model.logits(tokens: tokens, batch: B, sequenceLength: T),
                                                                   try reference.logits(tokens: tokens, batch: B, sequenceLength: T)), 1e-5, "\(name) logits")
        }
    }

    func testInputErrors() throws {
        let (model, _, _, _, _) = try fixture("neox-f16")
        let hook = try model.hookPoint(named: "blocks.0.hook_resid_post")
        let calls: [() throws -> [HookPoint: [Float]]] = [
                     { try model.activations(tokens: [1, 2, 3], sequenceLengths: [2], hooks: [hook]) },
                     { try model.activations(tokens: [1], sequenceLengths: [0, 1], hooks: [hook]) },
                     { try model.activations(tokens: [UInt32(model.vocabularySize)], sequenceLengths: [1], hooks: [hook]) },
                     { try model.activations(tokens: [1, 2, 3], batch: 2, sequenceLength: 2, hooks: [hook]) },
                     { try model.activations(tokens: [UInt32](repeating: 1, count: 65), batch: 1, sequenceLength: 65, hooks: [hook]) }]
        for call in calls {
            XCTAssertThrowsError(try call()) { error in
                guard case .invalidInput? = error as? NeoXModelError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try model.nextTokenLoss(tokens: [1], batch: 1, sequenceLength: 1))
    }
}
