import XCTest
@testable import StreamTrain

/// The sgemm path against the Double reference, and the reference against finite differences.
final class SAEGradientTests: XCTestCase {
    /// (architecture, applyBDecToInput, k) covering every code path of the backward pass.
    let cases: [(SAEArchitecture, Bool, Int)] = [
        (.tied, false, 0), (.tied, true, 0), (.standard, true, 0), (.standard, false, 0),
        (.topk, true, 4), (.topk, false, 4),
    ]

    func testReferenceGradientsMatchFiniteDifferences() {
        // Central differences in Double, h = 1e-6: truncation error ~h² and rounding ~1e-16/h,
        // so 1e-6 relative to the largest gradient is a tight bound. Random data keeps every
        // pre-activation (and every TopK boundary) far from its kink at this h.
        let C = 5, H = 12, B = 7, lambda = 0.05, h = 1e-6
        for (architecture, applyBDec, k) in cases {
            let sae = TestSAE.make(architecture, dIn: C, dSAE: H, k: k, applyBDecToInput: applyBDec)
            let x = TestSAE.batch(rowCount: B, dIn: C).map(Double.init)
            let w = SAEReference.Weights(sae.weights)
            let analytic = SAEReference.lossAndGradients(sae, weights: w, x: x, rowCount: B,
                                                         l1Coefficient: lambda).gradients
            assertGradientsMatchFiniteDifferences(analytic, at: w, h: h, "\(architecture) applyBDec=\(applyBDec)") {
                SAEReference.forward(sae, weights: $0, x: x, rowCount: B, l1Coefficient: lambda).total
            }
        }
    }

    func testFastPathMatchesReference() {
        // Float sgemm vs Double loops: sums of ≤64 terms of size ~1 in Float carry ~1e-6
        // relative error, so 1e-4 of the largest value leaves margin yet catches any wrong term.
        for (C, H, B) in [(5, 12, 7), (16, 64, 32)] {
            for (architecture, applyBDec, k) in cases {
                let sae = TestSAE.make(architecture, dIn: C, dSAE: H, k: k, applyBDecToInput: applyBDec)
                let x = TestSAE.batch(rowCount: B, dIn: C)
                let lambda = 0.05
                var ws = SAEWorkspace(sae: sae, maxRowCount: B + 3)
                var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                let fast = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &ws, gradients: &g)
                let (fwd, ref) = SAEReference.lossAndGradients(
                    sae, weights: SAEReference.Weights(sae.weights), x: x.map(Double.init),
                    rowCount: B, l1Coefficient: lambda)
                let label = "\(architecture) C\(C) H\(H) applyBDec=\(applyBDec)"
                XCTAssertEqual(fast.mse, fwd.mse, accuracy: 1e-5 * fwd.mse, label)
                XCTAssertEqual(fast.l1, fwd.l1, accuracy: 1e-5 * fwd.l1, label)
                XCTAssertEqual(fast.total, fwd.total, accuracy: 1e-5 * fwd.total, label)
                XCTAssertEqual(fast.activeLatentCount, fwd.latents.filter { $0 > 0 }.count, label)
                assertClose(Array(ws.acts[0..<(B * H)]).map(Double.init), fwd.latents,
                            relative: 1e-5, absolute: 1e-6, "\(label) f")
                assertClose(g.wEnc.map(Double.init), ref.wEnc, relative: 1e-4, absolute: 1e-7, "\(label) dW_enc")
                assertClose(g.bEnc.map(Double.init), ref.bEnc, relative: 1e-4, absolute: 1e-7, "\(label) db_enc")
                assertClose(g.wDec.map(Double.init), ref.wDec, relative: 1e-4, absolute: 1e-7, "\(label) dW_dec")
                assertClose(g.bDec.map(Double.init), ref.bDec, relative: 1e-4, absolute: 1e-7, "\(label) db_dec")
                if architecture == .topk {
                    for b in 0..<B {
                        XCTAssertLessThanOrEqual(ws.acts[(b * H)..<((b + 1) * H)].filter { $0 > 0 }.count, k)
                    }
                }
            }
        }
    }

    func testShorterBatchReusesWorkspace() {
        // A workspace sized for 32 rows serves a 9-row batch after a full one, with no stale rows.
        let sae = TestSAE.make(.standard, dIn: 16, dSAE: 64)
        var ws = SAEWorkspace(sae: sae, maxRowCount: 32)
        var g = SAEWeights(zerosFor: .standard, dIn: 16, dSAE: 64)
        _ = sae.lossAndGradients(TestSAE.batch(rowCount: 32, dIn: 16), rowCount: 32, l1Coefficient: 0.01,
                                 workspace: &ws, gradients: &g)
        let short = TestSAE.batch(rowCount: 9, dIn: 16, seed: 9)
        let fast = sae.lossAndGradients(short, rowCount: 9, l1Coefficient: 0.01, workspace: &ws, gradients: &g)
        let (fwd, ref) = SAEReference.lossAndGradients(sae, weights: SAEReference.Weights(sae.weights),
                                                       x: short.map(Double.init), rowCount: 9, l1Coefficient: 0.01)
        XCTAssertEqual(fast.total, fwd.total, accuracy: 1e-5 * fwd.total)
        assertClose(g.wEnc.map(Double.init), ref.wEnc, relative: 1e-4, absolute: 1e-7, "dW_enc")
    }
}
