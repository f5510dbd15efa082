import Foundation
import TensorIO
import XCTest
@testable import Extract

/// GPT-NeoX forward pass against transformers on random tiny models
/// (scripts/fixtures/neox_parity.py): every hook of every layer (ln hooks included), the logits
/// and the loss, on the BLAS path and on the plain loops.
final class NeoXParityTests: XCTestCase {
    static let root = TokenizerTests.packageRoot.appendingPathComponent("Tests/ExtractTests/Fixtures/neox-parity")

    /// Largest |a − b| over the largest |b|: a relative error per tensor that does not blow up
    /// on coordinates near zero.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    static func tokens(_ expected: SafetensorsFile) throws -> (tokens: [UInt32], batch: Int, length: Int) {
        let shape = try expected.info("tokens").shape
        let tokens: [UInt32] = try expected.withRawBytes("tokens") { raw in raw.bindMemory(to: Int32.self).map { UInt32($0) } }
        return (tokens, shape[0], shape[1])
    }

    /// Both paths hook by hook at ≤ 1e-5 relative; `sites` is what the model must expose.
    func check(_ name: String, sites: [HookPoint.Site], file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = Self.root.appendingPathComponent(name).path
        let expected = try SafetensorsFile(path: directory + "/expected.safetensors")
        let (tokens, B, T) = try Self.tokens(expected)
        for reference in [false, true] {
            let model = try NeoXModel(directory: directory)
            model.usesReferenceLoops = reference
            let label = name + (reference ? " (reference loops)" : " (BLAS)")
            XCTAssertEqual(model.hookSites, sites, label, file: file, line: line)
            let hooks = model.hookNames.map { try! model.hookPoint(named: $0) }
            XCTAssertEqual(Set(hooks.map(\.description)), Set(expected.tensorNames).subtracting(["tokens", "logits", "loss"]),
                           "\(label): the fixture holds every hook the model has, and no other", file: file, line: line)
            let activations = try model.activations(tokens: tokens, batch: B, sequenceLength: T, hooks: hooks)
            for hook in hooks {
                let error = Self.relativeError(activations[hook]!, try expected.floats(hook.description))
                XCTAssertLessThanOrEqual(error, 1e-5, "\(label) \(hook)", file: file, line: line)
            }
            let logitsError = Self.relativeError(try model.logits(tokens: tokens, batch: B, sequenceLength: T), try expected.floats("logits"))
            XCTAssertLessThanOrEqual(logitsError, 1e-5, "\(label) logits", file: file, line: line)
            let loss = try model.nextTokenLoss(tokens: tokens, batch: B, sequenceLength: T)
            let expectedLoss = try expected.floats("loss")[0]
            XCTAssertLessThanOrEqual(abs(loss - expectedLoss) / expectedLoss, 1e-5, "\(label) loss \(loss) vs \(expectedLoss)", file: file, line: line)
        }
    }

    static let parallelSites: [HookPoint.Site] = [.residPre, .ln1Normalized, .attnOut, .ln2Normalized, .mlpPost, .mlpOut, .residPost]

    /// Pythia's layout: parallel residual, rotary on 2 of 8 floats per head, exact GELU,
    /// embed_out, f32, with the hub's rotary_emb.inv_freq buffers in the file.
    func testPythiaParallelMatchesTransformers() throws {
        try check("pythia-parallel", sites: Self.parallelSites)
        let model = try NeoXModel(directory: Self.root.appendingPathComponent("pythia-parallel").path)
        XCTAssertEqual([model.config.rotaryWidth, model.config.headWidth], [2, 8])
        XCTAssertTrue(model.config.usesParallelResidual)
    }

    /// Sequential residual (so hook_resid_mid exists), full rotary, base 500, gelu_new, bf16 in
    /// 9 shards with the unembedding named lm_head.weight.
    func testSequentialShardedBF16MatchesTransformers() throws {
        try check("neox-sequential", sites: [.residPre, .ln1Normalized, .attnOut, .residMid, .ln2Normalized, .mlpPost, .mlpOut, .residPost])
        let model = try NeoXModel(directory: Self.root.appendingPathComponent("neox-sequential").path)
        XCTAssertEqual([model.config.rotaryWidth, model.config.headWidth], [8, 8])
        XCTAssertEqual(model.config.ropeTheta, 500)
    }

    /// Half rotary, no attention biases, tied embeddings, f16 weights.
    func testTiedF16WithoutAttentionBiasMatchesTransformers() throws {
        try check("neox-f16", sites: Self.parallelSites)
        let model = try NeoXModel(directory: Self.root.appendingPathComponent("neox-f16").path)
        XCTAssertFalse(model.config.attentionBias)
        XCTAssertTrue(model.config.tieWordEmbeddings)
        XCTAssertNil(model.weights.unembedding)
    }

    /// A parallel-residual model refuses hook_resid_mid naming the sites it has.
    func testParallelResidualHasNoResidMid() throws {
        let model = try NeoXModel(directory: Self.root.appendingPathComponent("pythia-parallel").path)
        XCTAssertThrowsError(try model.hookPoint(named: "blocks.0.hook_resid_mid")) { error in
            XCTAssertEqual(error as? ModelFamilyError, .hookNotInFamily(name: "blocks.0.hook_resid_mid", family: .gptNeoX, available: Self.parallelSites))
            XCTAssertTrue("\(error)".contains("blocks.L.ln2.hook_normalized"), "\(error)")
        }
    }
}
