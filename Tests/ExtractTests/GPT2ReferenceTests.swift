import TensorIO
import XCTest
@testable import Extract

/// The fast path (OpenBLAS, SIMD GELU, fused residual adds, scratch reuse) against the plain
/// Double-accumulating reference. Tolerance: relative max error ≤ 1e-5 (max abs difference
/// over max abs value of the tensor) — f32 rounding of sums of ≤ 128 terms stays far below it.
final class GPT2ReferenceTests: XCTestCase {
    static let tolerance: Float = 1e-5

    func makeConfig(activation: String = "gelu_new", inner: Int? = nil, tied: Bool = true,
                    inverseLayerScaling: Bool = false) -> GPT2Config {
        GPT2Config(layerCount: 2, headCount: 4, embeddingWidth: 32, maxPositions: 24, vocabularySize: 97,
                   layerNormEpsilon: 1e-5, activationFunction: activation, innerWidth: inner,
                   scaleAttentionByInverseLayerIndex: inverseLayerScaling, tieWordEmbeddings: tied)
    }

    func tokens(_ count: Int, vocabulary: Int, seed: UInt64) -> [UInt32] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt32(rng.next() % UInt64(vocabulary)) }
    }

    func allHooks(_ config: GPT2Config) -> [HookPoint] {
        (0..<config.layerCount).flatMap { l in HookPoint.Site.allCases.map { HookPoint(layer: l, site: $0) } }
    }

    func checkAgainstReference(_ config: GPT2Config, B: Int, T: Int, seed: UInt64,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        // std 0.3 makes attention peaked and GELU non-linear, unlike the 0.02 init.
        let weights = GPT2Weights.random(config: config, seed: seed, standardDeviation: 0.3)
        let model = try GPT2Model(config: config, weights: weights)
        let ids = tokens(B * T, vocabulary: config.vocabularySize, seed: seed + 1)
        let hooks = allHooks(config)
        let reference = GPT2Reference.forward(config: config, weights: weights, tokens: ids, B: B, T: T,
                                              recording: Set(hooks))
        let fast = try model.activations(tokens: ids, batch: B, sequenceLength: T, hooks: hooks)
        for hook in hooks {
            let error = relativeMaxError(fast[hook]!, reference.activations[hook]!)
            XCTAssertLessThan(error, Self.tolerance, "\(hook)", file: file, line: line)
        }
        let logits = try model.logits(tokens: ids, batch: B, sequenceLength: T)
        XCTAssertLessThan(relativeMaxError(logits, reference.logits), Self.tolerance, "logits", file: file, line: line)
        guard T >= 2 else { return }
        let loss = try model.nextTokenLoss(tokens: ids, batch: B, sequenceLength: T)
        let referenceLoss = GPT2Reference.nextTokenLoss(logits: reference.logits, tokens: ids, B: B, T: T,
                                                        V: config.vocabularySize)
        XCTAssertEqual(Double(loss), referenceLoss, accuracy: 1e-5 * referenceLoss, "loss", file: file, line: line)
    }

    func testFastMatchesReference() throws {
        try checkAgainstReference(makeConfig(), B: 3, T: 11, seed: 1)
    }

    func testFastMatchesReferenceExactGELUUntiedCustomInnerWidth() throws {
        try checkAgainstReference(makeConfig(activation: "gelu", inner: 40, tied: false, inverseLayerScaling: true),
                                  B: 2, T: 24, seed: 2)
    }

    func testSingleTokenSequences() throws {
        try checkAgainstReference(makeConfig(), B: 4, T: 1, seed: 3)
    }

    func testSpliceMatchesReference() throws {
        let config = makeConfig()
        let weights = GPT2Weights.random(config: config, seed: 4, standardDeviation: 0.3)
        let model = try GPT2Model(config: config, weights: weights)
        let B = 2, T = 9
        let ids = tokens(B * T, vocabulary: config.vocabularySize, seed: 5)
        let clean = try model.nextTokenLoss(tokens: ids, batch: B, sequenceLength: T)
        for hook in allHooks(config) {
            // Zero-ablation for branches, halving for the residual stream: both change the loss.
            let transform: (inout [Float]) -> Void = { values in
                for i in values.indices { values[i] = hook.site == .attnOut || hook.site == .mlpOut ? 0 : values[i] * 0.5 }
            }
            let spliced = try model.nextTokenLoss(tokens: ids, batch: B, sequenceLength: T, replacing: hook, with: transform)
            let reference = GPT2Reference.forward(config: config, weights: weights, tokens: ids, B: B, T: T,
                                                  replacing: hook, with: transform)
            let referenceLoss = GPT2Reference.nextTokenLoss(logits: reference.logits, tokens: ids, B: B, T: T,
                                                            V: config.vocabularySize)
            XCTAssertEqual(Double(spliced), referenceLoss, accuracy: 1e-5 * referenceLoss, "\(hook)")
            XCTAssertNotEqual(spliced, clean, "\(hook): the splice had no effect")
            let identity = try model.nextTokenLoss(tokens: ids, batch: B, sequenceLength: T, replacing: hook) { _ in }
            XCTAssertEqual(identity, clean, accuracy: 1e-6 * clean, "\(hook): identity splice")
        }
    }

    func testSpliceThatChangesLengthThrows() throws {
        let config = makeConfig()
        let model = try GPT2Model(config: config, weights: .random(config: config))
        let ids = tokens(8, vocabulary: config.vocabularySize, seed: 6)
        XCTAssertThrowsError(try model.nextTokenLoss(tokens: ids, batch: 1, sequenceLength: 8,
                                                     replacing: HookPoint(layer: 0, site: .mlpPost)) { $0.removeLast() })
    }

    /// Scratch reuse: a large call, then a small one, then the large one again must give the
    /// same numbers as fresh models; stopping early must not change earlier hooks.
    func testScratchReuseAndEarlyStop() throws {
        let config = makeConfig()
        let weights = GPT2Weights.random(config: config, seed: 7, standardDeviation: 0.3)
        let model = try GPT2Model(config: config, weights: weights)
        let big = tokens(4 * 20, vocabulary: config.vocabularySize, seed: 8)
        let small = Array(big[0..<6])
        let hooks = allHooks(config)
        let first = try model.activations(tokens: big, batch: 4, sequenceLength: 20, hooks: hooks)
        let smallResult = try model.activations(tokens: small, batch: 2, sequenceLength: 3, hooks: hooks)
        let again = try model.activations(tokens: big, batch: 4, sequenceLength: 20, hooks: hooks)
        XCTAssertTrue(first == again, "a repeated call gave different numbers")
        let fresh = try GPT2Model(config: config, weights: weights)
            .activations(tokens: small, batch: 2, sequenceLength: 3, hooks: hooks)
        XCTAssertTrue(smallResult == fresh, "a call after a larger one differs from a fresh model")
        // Without attn_out/mlp_out hooks the branch adds are fused into sgemm (beta = 1), so
        // the residual differs from the hooked run by rounding only.
        let early = try model.activations(tokens: big, batch: 4, sequenceLength: 20,
                                          hooks: [HookPoint(layer: 0, site: .residPre), HookPoint(layer: 1, site: .residPre)])
        XCTAssertEqual(early.count, 2)
        XCTAssertLessThan(relativeMaxError(early[HookPoint(layer: 1, site: .residPre)]!,
                                           first[HookPoint(layer: 0, site: .residPost)]!), 1e-6)
        XCTAssertTrue(early[HookPoint(layer: 0, site: .residPre)]! == first[HookPoint(layer: 0, site: .residPre)]!)
    }

    func testFastTanhMatchesLibm() {
        var worst: Float = 0
        var x: Float = -12
        while x <= 12 {
            let fast = Kernels.fastTanh(x)
            worst = max(worst, abs(fast - tanhf(x)))
            x += 0.001
        }
        XCTAssertLessThan(worst, 5e-7)  // a few ulps of values near 1
    }
}
