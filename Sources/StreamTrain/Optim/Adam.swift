import Foundation

/// Adam with torch.optim.Adam's exact update (defaults: no weight decay, no amsgrad):
///   t += 1;  m = lerp(m, g, 1−β1);  v = β2·v + (1−β2)·g²
///   p −= (lr / (1 − β1ᵗ)) · m / (sqrt(v) / sqrt(1 − β2ᵗ) + ε)
/// Bias corrections are computed in Double and rounded to Float once, as torch does with its
/// Python-float scalars, so trajectories agree with PyTorch to Float rounding.
public struct Adam: Sendable {
    /// Step size (parameter units per step).
    public var learningRate: Double
    /// First-moment decay.
    public var beta1: Double
    /// Second-moment decay.
    public var beta2: Double
    /// Added after the square root of v̂.
    public var epsilon: Double
    /// Moments and step count; what a checkpoint saves.
    public var state: AdamState

    /// A fresh optimiser for tensors of the given element counts.
    public init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, tensorSizes: [Int]) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        state = AdamState(stepCount: 0,
                          firstMoments: tensorSizes.map { [Float](repeating: 0, count: $0) },
                          secondMoments: tensorSizes.map { [Float](repeating: 0, count: $0) })
    }

    /// The optimiser `config` asks for, sized for `weights`: the four SAELens tensors, and a
    /// fifth slot for the threshold when it is trained (jumprelu), or a fifth and sixth for
    /// r_mag and b_mag (gated).
    public init(config: SAEConfig, weights: SAEWeights) {
        self.init(learningRate: config.learningRate, beta1: config.adamBeta1,
                  beta2: config.adamBeta2, epsilon: config.adamEpsilon,
                  tensorSizes: Adam.tensorSizes(config: config, weights: weights))
    }

    /// Element counts of the slots `init(config:weights:)` makes.
    static func tensorSizes(config: SAEConfig, weights: SAEWeights) -> [Int] {
        weights.tensors.map(\.count) + (config.architecture == .jumprelu ? [weights.threshold.count] : [])
            + (config.architecture.isGated ? [weights.rMag.count, weights.bMag.count] : [])
            + (weights.wSkip.isEmpty ? [] : [weights.wSkip.count])
    }

    /// One step over all four SAE tensors (slots in `SAEWeights.tensorNames` order), and the
    /// threshold in slot 4 when the optimiser has five slots, r_mag and b_mag in slots 4 and 5
    /// when it has six.
    public mutating func step(_ weights: inout SAEWeights, gradients: SAEWeights) {
        step(&weights, gradients: gradients, pool: nil)
    }

    /// `step`, each tensor split over `pool`'s threads (elementwise, so the result is the same).
    /// `zeroDecoderRows`, when given, marks the rows j of W_dec (d_in floats each) whose
    /// gradient is known to be exactly 0 (`zeroDecoderRows[j] == 0`: the latent fired nowhere
    /// in the batch, sparse path): their update runs with the constant 0 instead of reading
    /// the gradient — the same operations on the same values, so bitwise the dense update, and
    /// every parameter still moves every step.
    ///
    /// `encoderTranspose`, when given ((d_sae, d_in) floats, `latentCount` = d_sae), receives
    /// the updated W_encᵀ, written while each group of W_enc rows is still in cache (the tied
    /// SAE's sparse decoder rows; saves the next sparse step its own transpose of W_enc).
    mutating func step(_ weights: inout SAEWeights, gradients: SAEWeights, pool: WorkerPool?,
                       zeroDecoderRows: [Int32]? = nil,
                       encoderTranspose: (rows: UnsafeMutablePointer<Float>, latentCount: Int)? = nil) {
        precondition((4...6).contains(state.firstMoments.count),
                     "Adam sized for \(state.firstMoments.count) tensors, SAE has 4, 5 or 6")
        state.stepCount += 1
        let c = coefficients()
        if let encoderTranspose {
            Adam.updateTransposing(&weights.wEnc, gradients.wEnc, &state.firstMoments[0], &state.secondMoments[0], c,
                                   into: encoderTranspose.rows, H: encoderTranspose.latentCount, pool: pool)
        } else {
            Adam.update(&weights.wEnc, gradients.wEnc, &state.firstMoments[0], &state.secondMoments[0], c, pool: pool)
        }
        Adam.update(&weights.bEnc, gradients.bEnc, &state.firstMoments[1], &state.secondMoments[1], c, pool: nil)
        if let rowMarks = zeroDecoderRows, !weights.wDec.isEmpty {
            Adam.updateRows(&weights.wDec, gradients.wDec, &state.firstMoments[2], &state.secondMoments[2], c,
                            rowMarks: rowMarks, pool: pool)
        } else {
            Adam.update(&weights.wDec, gradients.wDec, &state.firstMoments[2], &state.secondMoments[2], c, pool: pool)
        }
        Adam.update(&weights.bDec, gradients.bDec, &state.firstMoments[3], &state.secondMoments[3], c, pool: nil)
        if !weights.wSkip.isEmpty {
            // A skip transcoder (standard or topk: no threshold, no gated tensors) keeps W_skip in slot 4.
            precondition(state.firstMoments.count == 5, "Adam for a skip transcoder needs 5 slots")
            Adam.update(&weights.wSkip, gradients.wSkip, &state.firstMoments[4], &state.secondMoments[4], c, pool: pool)
        } else if state.firstMoments.count == 5 {
            Adam.update(&weights.threshold, gradients.threshold, &state.firstMoments[4], &state.secondMoments[4], c,
                        pool: nil)
        } else if state.firstMoments.count == 6 {
            Adam.update(&weights.rMag, gradients.rMag, &state.firstMoments[4], &state.secondMoments[4], c, pool: nil)
            Adam.update(&weights.bMag, gradients.bMag, &state.firstMoments[5], &state.secondMoments[5], c, pool: nil)
        }
    }

    /// One step of a single tensor in `slot`; call `advance()` once before the tensors of a step.
    public mutating func update(_ parameter: inout [Float], gradient: [Float], slot: Int) {
        Adam.update(&parameter, gradient, &state.firstMoments[slot], &state.secondMoments[slot],
                    coefficients())
    }

    /// Counts one step (for use with `update(_:gradient:slot:)`).
    public mutating func advance() { state.stepCount += 1 }

    struct Coefficients {
        let firstWeight: Float       // 1 − β1, torch's lerp weight
        let beta2: Float
        let secondWeight: Float      // 1 − β2
        let stepSize: Float          // lr / (1 − β1ᵗ)
        let correction2Sqrt: Float   // sqrt(1 − β2ᵗ)
        let epsilon: Float
    }

    func coefficients() -> Coefficients {
        precondition(state.stepCount > 0, "Adam coefficients before the first step")
        let t = Double(state.stepCount)
        let correction1 = 1 - pow(beta1, t)
        let correction2 = 1 - pow(beta2, t)
        return Coefficients(firstWeight: Float(1 - beta1), beta2: Float(beta2),
                            secondWeight: Float(1 - beta2),
                            stepSize: Float(learningRate / correction1),
                            correction2Sqrt: Float(correction2.squareRoot()),
                            epsilon: Float(epsilon))
    }

    static func update(_ p: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float],
                       _ c: Coefficients, pool: WorkerPool? = nil) {
        precondition(p.count == g.count && p.count == m.count && p.count == v.count,
                     "Adam: parameter \(p.count), gradient \(g.count), moments \(m.count)/\(v.count)")
        let count = p.count
        guard count > 0 else { return }
        p.withUnsafeMutableBufferPointer { p in
            g.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        let p = p.baseAddress!, g = g.baseAddress!, m = m.baseAddress!, v = v.baseAddress!
                        guard let pool else { return update(p, g, m, v, c, 0..<count) }
                        pool.run { part in update(p, g, m, v, c, WorkerPool.range(count, part: part, of: pool.threadCount)) }
                    }
                }
            }
        }
    }

    /// Rows of W_enc per group of `updateTransposing`: 16 floats are one 64-byte line of a
    /// transposed row, and 16 rows of d_sae 6144 (384 KiB) are still in L2/L3 when read back.
    static let transposeGroupRowCount = 16

    /// `update` of the (C, H) tensor `p` (groups of `transposeGroupRowCount` rows split over
    /// `pool`), then each group of updated rows written transposed into `out` ((H, C)). The
    /// update is elementwise, so `p`, `m`, `v` are bitwise `update`'s; `out` is pᵀ exactly.
    // p, g, m, v: (C,H), out: (H,C)
    static func updateTransposing(_ p: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float],
                                  _ c: Coefficients, into out: UnsafeMutablePointer<Float>, H: Int,
                                  pool: WorkerPool?) {
        precondition(p.count == g.count && p.count == m.count && p.count == v.count,
                     "Adam: parameter \(p.count), gradient \(g.count), moments \(m.count)/\(v.count)")
        precondition(H > 0 && p.count % H == 0, "Adam: \(p.count) values are not rows of \(H)")
        let C = p.count / H
        let groupRows = transposeGroupRowCount
        // Group boundaries fall on `out`'s cache lines (arrays are not 64-byte aligned), so each
        // latent's run of a group fills whole lines when C is a multiple of 16; a line split
        // between two groups would be read for ownership and written twice.
        let lead = (Int(bitPattern: out) / MemoryLayout<Float>.stride) % groupRows
        let groupCount = (C + lead + groupRows - 1) / groupRows
        p.withUnsafeMutableBufferPointer { p in
            g.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        let p = p.baseAddress!, g = g.baseAddress!, m = m.baseAddress!, v = v.baseAddress!
                        func run(_ groups: Range<Int>) {
                            for group in groups {
                                let rows = max(group * groupRows - lead, 0)..<min((group + 1) * groupRows - lead, C)
                                update(p, g, m, v, c, (rows.lowerBound * H)..<(rows.upperBound * H))
                                transposeRows(out: out, p, C: C, H: H, rows: rows)
                            }
                        }
                        guard let pool else { return run(0..<groupCount) }
                        pool.run { part in run(WorkerPool.range(groupCount, part: part, of: pool.threadCount)) }
                    }
                }
            }
        }
    }

    /// out[j, c] = w[c, j] for c in `rows` and every j.
    // out: (H,C), w: (C,H)
    static func transposeRows(out: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>, C: Int, H: Int,
                              rows: Range<Int>) {
        // The group's rows stay in L1 line by line: sixteen consecutive latents read the same
        // cache line of each row, and each latent writes one contiguous run of its row.
        for j in 0..<H {
            let o = out + j * C
            for r in rows { o[r] = w[r * H + j] }
        }
    }

    /// `update` of a (rows, count / rows) tensor by rows split over `pool`; rows whose mark is 0
    /// take the zero-gradient form.
    static func updateRows(_ p: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float],
                           _ c: Coefficients, rowMarks: [Int32], pool: WorkerPool?) {
        precondition(p.count == g.count && p.count == m.count && p.count == v.count,
                     "Adam: parameter \(p.count), gradient \(g.count), moments \(m.count)/\(v.count)")
        let rows = rowMarks.count
        precondition(rows > 0 && p.count % rows == 0, "Adam: \(p.count) values are not \(rows) rows")
        let rowLength = p.count / rows
        p.withUnsafeMutableBufferPointer { p in
            g.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        rowMarks.withUnsafeBufferPointer { marks in
                            let p = p.baseAddress!, g = g.baseAddress!, m = m.baseAddress!, v = v.baseAddress!
                            let marks = marks.baseAddress!
                            func run(_ rowRange: Range<Int>) {
                                // Consecutive rows of one kind are updated as one range.
                                var start = rowRange.lowerBound
                                while start < rowRange.upperBound {
                                    let zero = marks[start] == 0
                                    var end = start + 1
                                    while end < rowRange.upperBound && (marks[end] == 0) == zero { end += 1 }
                                    let range = (start * rowLength)..<(end * rowLength)
                                    update(p, zero ? nil : g, m, v, c, range)
                                    start = end
                                }
                            }
                            guard let pool else { return run(0..<rows) }
                            pool.run { part in run(WorkerPool.range(rows, part: part, of: pool.threadCount)) }
                        }
                    }
                }
            }
        }
    }

    /// The update over `range`, eight lanes at a time; `g` nil means a gradient of exactly 0.
    /// Lanes do exactly the scalar operations in the same order (IEEE sqrt and division are correctly rounded, nothing is fused), so
    /// the result is bitwise the scalar loop's.
    private static func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>?,
                               _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                               _ c: Coefficients, _ range: Range<Int>) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ q: UnsafePointer<Float>) -> V { UnsafeRawPointer(q).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ x: V, _ q: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(q).storeBytes(of: x, as: V.self)
        }
        let firstWeight = V(repeating: c.firstWeight), beta2 = V(repeating: c.beta2)
        let secondWeight = V(repeating: c.secondWeight), correction2Sqrt = V(repeating: c.correction2Sqrt)
        let epsilon = V(repeating: c.epsilon), stepSize = V(repeating: c.stepSize)
        @inline(__always) func lanes(_ i: Int, _ gi: V) {
            let mi = load(m + i) + firstWeight * (gi - load(m + i))
            let vi = load(v + i) * beta2 + secondWeight * gi * gi
            let denominator = vi.squareRoot() / correction2Sqrt + epsilon
            store(mi, m + i)
            store(vi, v + i)
            store(load(p + i) - stepSize * (mi / denominator), p + i)
        }
        @inline(__always) func scalar(_ i: Int, _ gi: Float) {
            // torch's lerp for weight < 0.5: self + weight · (end − self)
            m[i] = m[i] + c.firstWeight * (gi - m[i])
            v[i] = v[i] * c.beta2 + c.secondWeight * gi * gi
            let denominator = v[i].squareRoot() / c.correction2Sqrt + c.epsilon
            p[i] = p[i] - c.stepSize * (m[i] / denominator)
        }
        // Two loops rather than a per-lane test of `g`, so the common one stays as lean as before.
        var i = range.lowerBound
        if let g {
            while i + 8 <= range.upperBound { lanes(i, load(g + i)); i += 8 }
            while i < range.upperBound { scalar(i, g[i]); i += 1 }
        } else {
            while i + 8 <= range.upperBound { lanes(i, V()); i += 8 }
            while i < range.upperBound { scalar(i, 0); i += 1 }
        }
    }
}
