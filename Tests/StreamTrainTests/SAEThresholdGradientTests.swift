import XCTest
@testable import StreamTrain

/// batchtopk and jumprelu: the dense and sparse paths against the Double reference, the
/// reference against finite differences (every tensor but θ, whose straight-through gradient
/// is a definition, not a derivative), and the batch selection against its sorted reference.
final class SAEThresholdGradientTests: XCTestCase {
    static let jumpStep = JumpReLUTerms(coefficient: 0.3, loss: .step, bandwidth: 0.3, tanhScale: 4)
    static let jumpTanh = JumpReLUTerms(coefficient: 0.3, loss: .tanh, bandwidth: 0.3, tanhScale: 2)
    let cases: [(SAEArchitecture, JumpReLUTerms?)] = [(.batchtopk, nil), (.jumprelu, jumpStep), (.jumprelu, jumpTanh)]

    func make(_ architecture: SAEArchitecture, C: Int, H: Int) -> SparseAutoencoder {
        let base = TestSAE.make(.standard, dIn: C, dSAE: H)
        var rng = SeededGenerator(seed: 9)
        var weights = base.weights
        // Thresholds spread over the pre-activations' range so some entries sit in the band.
        weights.threshold = architecture == .jumprelu ? (0..<H).map { _ in 0.3 + rng.nextSymmetric(bound: 0.3) }
                                                      : [Float](repeating: 0, count: H)
        return try! SparseAutoencoder(architecture: architecture, dIn: C, dSAE: H, k: 3, applyBDecToInput: true,
                                      weights: weights)
    }

    func testReferenceGradientsMatchFiniteDifferences() {
        // Central differences, h = 1e-6, as SAEGradientTests; the random data keeps every
        // pre-activation away from its threshold and the batch's k·B-th value at this h.
        let C = 5, H = 12, B = 7, h = 1e-6
        for (architecture, terms) in cases {
            let sae = make(architecture, C: C, H: H)
            let x = TestSAE.batch(rowCount: B, dIn: C).map(Double.init)
            let w = SAEReference.Weights(sae.weights)
            let analytic = SAEReference.thresholdStep(sae, weights: w, x: x, rowCount: B, terms: terms).gradients
            assertGradientsMatchFiniteDifferences(analytic, at: w, h: h, "\(architecture) \(terms?.loss.rawValue ?? "")") {
                SAEReference.thresholdStep(sae, weights: $0, x: x, rowCount: B, terms: terms).total
            }
        }
    }

    func testDenseAndSparsePathsMatchReference() {
        // Float kernels vs Double loops: 1e-4 of the largest value, as SAEGradientTests.
        for (C, H, B) in [(5, 12, 7), (16, 64, 32)] {
            for (architecture, terms) in cases {
                let sae = make(architecture, C: C, H: H)
                let x = TestSAE.batch(rowCount: B, dIn: C)
                let ref = SAEReference.thresholdStep(sae, weights: SAEReference.Weights(sae.weights), x: x.map(Double.init),
                                                     rowCount: B, terms: terms)
                XCTAssertGreaterThan(ref.gradients.threshold.filter { $0 != 0 }.count, architecture == .jumprelu ? 0 : -1,
                                     "the band holds entries, so θ's gradient is exercised")
                for kernels in [SAEKernelMode.dense, .sparse] {
                    var ws = SAEWorkspace(sae: sae, maxRowCount: B + 3)
                    ws.training = true
                    ws.zeroesUnfiredDecoderRows = true
                    var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                    let fast = sae.lossAndGradients(x, rowCount: B, l1Coefficient: 0, workspace: &ws, gradients: &g,
                                                    kernels: kernels, jumpReLU: terms)
                    let label = "\(architecture) \(terms?.loss.rawValue ?? "") \(kernels) C\(C) H\(H)"
                    XCTAssertEqual(fast.mse, ref.mse, accuracy: 1e-5 * ref.mse, label)
                    XCTAssertEqual(fast.total, ref.total, accuracy: 1e-5 * ref.total, label)
                    if architecture == .jumprelu { XCTAssertEqual(fast.l1, ref.sparsity, accuracy: 1e-5 * max(ref.sparsity, 1), label) }
                    XCTAssertEqual(fast.activeLatentCount, ref.latents.filter { $0 > 0 }.count, label)
                    assertClose(Array(ws.acts[0..<(B * H)]).map(Double.init), ref.latents, relative: 1e-5, absolute: 0, "\(label) f")
                    let names = ["W_enc", "b_enc", "W_dec", "b_dec", "threshold"]
                    let ours = g.tensors + [g.threshold], theirs = ref.gradients
                    let wanted = [theirs.wEnc, theirs.bEnc, theirs.wDec, theirs.bDec, theirs.threshold]
                    for i in 0..<(architecture == .jumprelu ? 5 : 4) {
                        assertClose(ours[i].map(Double.init), wanted[i], relative: 1e-4, absolute: 1e-7, "\(label) d\(names[i])")
                    }
                }
            }
        }
    }

    func testBatchTopKCutoffMatchesSortedReference() {
        var rng = SeededGenerator(seed: 4)
        for (count, keep) in [(1, 1), (50, 7), (1000, 100), (4096, 4000), (300, 1)] {
            // Repeated values too, so ties and equal pivots are exercised.
            let values = (0..<count).map { _ in (rng.nextSymmetric(bound: 1) * 8).rounded() / 8 }
            var scratch = [Float](repeating: 0, count: count)
            let fast = values.withUnsafeBufferPointer { v in
                scratch.withUnsafeMutableBufferPointer { BatchTopKSelection.cutoff(v.baseAddress!, count: count, keep: keep, scratch: $0.baseAddress!) }
            }
            XCTAssertEqual(fast, BatchTopKSelection.cutoffReference(values, keep: keep), "count \(count) keep \(keep)")
        }
    }
}
