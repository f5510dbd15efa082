import XCTest
@testable import StreamTrain

enum SparseCases {
    /// (architecture, applyBDecToInput) covering every branch of the sparse step.
    static let all: [(SAEArchitecture, Bool)] = [(.tied, false), (.tied, true), (.standard, true), (.standard, false),
                                                 (.topk, true), (.topk, false)]
}

/// SAEs at a chosen density and CSR conversions, shared by SparseKernelTests and SparseStepTests.
extension XCTestCase {

    /// A random SAE (TestSAE's) whose encoder bias is shifted so that the given fraction of
    /// the batch's (row, latent) pairs is open; TopK gets k = density · H instead.
    func saeAtDensity(_ architecture: SAEArchitecture, applyBDec: Bool, density: Double, B: Int, C: Int, H: Int,
                      unitNorm: Bool = false) -> (SparseAutoencoder, [Float]) {
        let k = max(1, Int((density * Double(H)).rounded()))
        var sae = TestSAE.make(architecture, dIn: C, dSAE: H, k: architecture == .topk ? k : 0, applyBDecToInput: applyBDec)
        let x = TestSAE.batch(rowCount: B, dIn: C)
        if unitNorm {
            for j in 0..<H {
                let norm = (0..<C).map { sae.weights.wDec[j * C + $0] * sae.weights.wDec[j * C + $0] }.reduce(0, +).squareRoot()
                for c in 0..<C { sae.weights.wDec[j * C + c] /= norm }
            }
        }
        if architecture != .topk {
            // pre without b_enc; b_enc = −(the (1 − density) quantile), so `density` of them stay > 0.
            var pre = [Float](repeating: 0, count: B * H)
            for b in 0..<B {
                for j in 0..<H {
                    var sum: Float = 0
                    for c in 0..<C { sum += (x[b * C + c] - (applyBDec ? sae.weights.bDec[c] : 0)) * sae.weights.wEnc[c * H + j] }
                    pre[b * H + j] = sum
                }
            }
            let sorted = pre.sorted(by: >)
            let open = max(1, Int((density * Double(B * H)).rounded()))
            let threshold = (sorted[open - 1] + sorted[open]) / 2
            sae.weights.bEnc = [Float](repeating: -threshold, count: H)
        }
        return (sae, x)
    }

    /// The CSR of a dense f, built by the production gather.
    func csr(of f: [Float], B: Int, H: Int, pool: WorkerPool) -> SparseLatents {
        var sparse = SparseLatents(maxRowCount: B, latentCount: H, initialCapacity: 1)
        var counts = [Int32](repeating: 0, count: B)
        for b in 0..<B { counts[b] = Int32(f[(b * H)..<((b + 1) * H)].filter { $0 > 0 }.count) }
        sparse.resize(entryCount: Int(counts.reduce(0, +)))
        var offset: Int32 = 0
        for b in 0..<B { sparse.rowStarts[b] = offset; offset += counts[b] }
        sparse.rowStarts[B] = offset
        sparse.withPointers { sp in
            pool.run { part in
                SparseKernels.gather(latents: sp.latents, values: sp.values, f: f, rowStarts: sp.rowStarts, H: H,
                                     rows: WorkerPool.range(B, part: part, of: pool.threadCount))
            }
        }
        return sparse
    }

    /// Per-entry values of a CSR scattered back to a dense (B,H) matrix.
    func dense(_ sparse: SparseLatents, B: Int, H: Int, values: [Float]) -> [Float] {
        dense(rowStarts: sparse.rowStarts, latents: sparse.latents, values: values, B: B, H: H)
    }

    func dense(rowStarts: [Int32], latents: [Int32], values: [Float], B: Int, H: Int) -> [Float] {
        var out = [Float](repeating: 0, count: B * H)
        for b in 0..<B {
            for e in Int(rowStarts[b])..<Int(rowStarts[b + 1]) { out[b * H + Int(latents[e])] = values[e] }
        }
        return out
    }
}
