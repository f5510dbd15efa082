import XCTest
@testable import StreamTrain

/// The sparse kernels against their plain references (also the encoder paths, Adam's lanes and
/// the weight-gradient kernels' finiteness reports), over densities from 0.1 % to 50 %.
final class SparseKernelTests: XCTestCase {
    let densities = [0.001, 0.01, 0.1, 0.5]
    let cases = SparseCases.all

    // MARK: - Kernels against SparseKernelsReference

    func testKernelsMatchReference() {
        // Float kernels vs Double loops over ≤ 200 terms of size ≤ 1: rounding stays below
        // 1e-5 of the largest value. C = 21 leaves remainders in the 8-lane loops and in the
        // encoder gradient's blocks of four; three pool threads leave uneven ranges. C = 300
        // takes OpenBLAS's axpy, C = 520 its dot as well (`SparseKernels.blasAxpyLength`,
        // `blasDotLength`).
        XCTAssertLessThanOrEqual(SparseKernels.blasAxpyLength, 300)
        XCTAssertGreaterThan(SparseKernels.blasDotLength, 300)
        XCTAssertLessThanOrEqual(SparseKernels.blasDotLength, 520)
        let B = 24, H = 200
        let pool = WorkerPool(threadCount: 3)
        var rng = SeededGenerator(seed: 7)
        for C in [21, 300, 520] {
        for density in densities {
            let f = (0..<(B * H)).map { _ -> Float in
                Float(Double(rng.next()) / Double(UInt64.max)) < Float(density) ? 0.1 + abs(rng.nextSymmetric(bound: 1)) : 0
            }
            let x = (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) }
            let input = (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) }
            let decoder = (0..<(H * C)).map { _ in rng.nextSymmetric(bound: 0.5) }
            let bDec = (0..<C).map { _ in rng.nextSymmetric(bound: 0.2) }
            let norms = (0..<H).map { _ in 0.5 + abs(rng.nextSymmetric(bound: 1)) }
            let s: Float = 0.03, l1PerRow: Float = 0.002
            let label = "C \(C) density \(density)"

            var sparse = csr(of: f, B: B, H: H, pool: pool)
            let n = sparse.entryCount
            XCTAssertEqual(n, f.filter { $0 > 0 }.count, label)
            XCTAssertGreaterThan(n, 0, label)
            // gather: entries are exactly the nonzeros in row-major order.
            var listed: [(Int, Int, Float)] = []
            for b in 0..<B { for j in 0..<H where f[b * H + j] > 0 { listed.append((b, j, f[b * H + j])) } }
            for (e, (b, j, value)) in listed.enumerated() {
                XCTAssertTrue(Int(sparse.rowStarts[b]) <= e && e < Int(sparse.rowStarts[b + 1]), "\(label) entry \(e) row")
                XCTAssertEqual(Int(sparse.latents[e]), j, "\(label) entry \(e) latent")
                XCTAssertEqual(sparse.values[e], value, "\(label) entry \(e) value")
            }

            var residuals = [Float](repeating: 0, count: B * C)
            var cursors = [Int32](repeating: -1, count: B)
            let refResiduals = SparseKernelsReference.decode(f: f, decoder: decoder, bDec: bDec, x: x, B: B, C: C, H: H)
            var dPre = [Float](repeating: 0, count: B * H)
            sparse.withPointers { sp in
                residuals.withUnsafeMutableBufferPointer { res in
                    cursors.withUnsafeMutableBufferPointer { cursors in
                        let res = res.baseAddress!, cursors = cursors.baseAddress!
                        pool.run { part in
                            // Blocks of 7 latents: many blocks, most rows resuming mid-row.
                            SparseKernels.decode(out: res, rowStarts: sp.rowStarts, latents: sp.latents, values: sp.values,
                                                 decoder: decoder, bDec: bDec, subtracting: x, cursors: cursors, C: C, H: H,
                                                 latentBlock: 7, rows: WorkerPool.range(B, part: part, of: 3))
                        }
                    }
                }
            }
            assertClose(residuals.map(Double.init), refResiduals, relative: 1e-5, absolute: 1e-7, "\(label) decode")

            for weighted in [false, true] {
                sparse.withPointers { sp in
                    norms.withUnsafeBufferPointer { norms in
                        cursors.withUnsafeMutableBufferPointer { cursors in
                            let weights = weighted ? norms.baseAddress! : nil, cursors = cursors.baseAddress!
                            pool.run { part in
                                SparseKernels.latentGradients(grads: sp.grads, rowStarts: sp.rowStarts, latents: sp.latents,
                                                              residuals: residuals, decoder: decoder, scale: s,
                                                              l1PerRow: l1PerRow, l1Weights: weights, cursors: cursors,
                                                              C: C, H: H, latentBlock: weighted ? 7 : H,
                                                              rows: WorkerPool.range(B, part: part, of: 3))
                            }
                        }
                    }
                }
                dPre = dense(sparse, B: B, H: H, values: sparse.grads)
                let ref = SparseKernelsReference.latentGradients(residuals: residuals, decoder: decoder, f: f, scale: s,
                                                                 l1PerRow: l1PerRow, l1Weights: weighted ? norms : nil,
                                                                 B: B, C: C, H: H)
                assertClose(dPre.map(Double.init), ref, relative: 1e-5, absolute: 1e-9, "\(label) weighted \(weighted) dPre")
            }

            // dW_dec, with and without the decoder-norm L1 term.
            var fired = [Int32](repeating: 0, count: H)
            var sums = [Double](repeating: 0, count: H)
            for b in 0..<B { for j in 0..<H where f[b * H + j] > 0 { fired[j] += 1; sums[j] += Double(f[b * H + j]) } }
            var decoderNorms = [Float](repeating: 0, count: H)
            for j in 0..<H { decoderNorms[j] = (0..<C).map { decoder[j * C + $0] * decoder[j * C + $0] }.reduce(0, +).squareRoot() }
            sparse.withPointers { sp in SparseKernels.indexByLatent(sp, firedRowCounts: fired, B: B, H: H) }
            for weighted in [false, true] {
                var dDecoder = [Float](repeating: .nan, count: H * C)   // every element must be written
                sparse.withPointers { sp in
                    dDecoder.withUnsafeMutableBufferPointer { out in
                        sums.withUnsafeBufferPointer { sums in
                            decoder.withUnsafeBufferPointer { decoder in
                                decoderNorms.withUnsafeBufferPointer { norms in
                                    let out = out.baseAddress!
                                    let l1 = weighted ? (perRow: l1PerRow, latentSums: sums.baseAddress!,
                                                         decoder: decoder.baseAddress!, norms: norms.baseAddress!) : nil
                                    pool.run { part in
                                        SparseKernels.decoderWeightGradients(
                                            dDecoder: out, latentStarts: sp.latentStarts, slotRows: sp.slotRows,
                                            slotEntries: sp.slotEntries, values: sp.values, residuals: residuals, scale: s,
                                            l1: l1, C: C, latentRange: WorkerPool.range(H, part: part, of: 3))
                                    }
                                }
                            }
                        }
                    }
                }
                let ref = SparseKernelsReference.decoderWeightGradients(f: f, residuals: residuals, scale: s,
                                                                        l1PerRow: weighted ? l1PerRow : nil,
                                                                        decoder: decoder, B: B, C: C, H: H)
                assertClose(dDecoder.map(Double.init), ref, relative: 1e-5, absolute: 1e-9, "\(label) weighted \(weighted) dW_dec")
            }

            // dW_enc, untied and tied (decoder share added); H = 200 leaves a partial tile.
            for isTied in [false, true] {
                var dWEnc = [Float](repeating: .nan, count: C * H)
                var scratch = [Float](repeating: .nan, count: 3 * SparseKernels.encoderTileLatentCount * C)
                sparse.withPointers { sp in
                    dWEnc.withUnsafeMutableBufferPointer { out in
                        scratch.withUnsafeMutableBufferPointer { scratch in
                            residuals.withUnsafeBufferPointer { res in
                                let out = out.baseAddress!, scratch = scratch.baseAddress!
                                let tied = isTied ? (residuals: res.baseAddress!, values: UnsafePointer(sp.values), scale: s) : nil
                                pool.run { part in
                                    SparseKernels.encoderWeightGradients(
                                        dWEnc: out, scratch: scratch + part * SparseKernels.encoderTileLatentCount * C,
                                        input: input, latentStarts: sp.latentStarts, slotRows: sp.slotRows,
                                        slotEntries: sp.slotEntries, grads: sp.grads, tied: tied, C: C, H: H,
                                        latentRange: WorkerPool.range(H, part: part, of: 3))
                                }
                            }
                        }
                    }
                }
                let ref = SparseKernelsReference.encoderWeightGradients(
                    input: input, dPre: dPre, tied: isTied ? (residuals: residuals, f: f, scale: s) : nil, B: B, C: C, H: H)
                assertClose(dWEnc.map(Double.init), ref, relative: 1e-5, absolute: 1e-9, "\(label) tied \(isTied) dW_enc")
            }
        }
        }
    }

    func testTransposeIsExact() {
        let C = 37, H = 53
        let w = (0..<(C * H)).map { Float($0) }
        var out = [Float](repeating: .nan, count: H * C)
        let pool = WorkerPool(threadCount: 2)
        out.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            pool.run { part in
                SparseKernels.transpose(out: out, w, C: C, H: H, latentRange: WorkerPool.range(H, part: part, of: 2))
            }
        }
        for c in 0..<C { for j in 0..<H { XCTAssertEqual(out[j * C + c], w[c * H + j]) } }
    }

    // MARK: - Encoder (analysis) paths

    func testEncoderPaths() {
        let B = 48, C = 24, H = 384
        for (architecture, applyBDec) in cases {
            let (sae, x) = saeAtDensity(architecture, applyBDec: applyBDec, density: 0.02, B: B, C: C, H: H)
            let reference = SAEReference.forward(sae, weights: SAEReference.Weights(sae.weights), x: x.map(Double.init),
                                                 rowCount: B, l1Coefficient: 0)
            var encoder = SAEEncoder(sae: sae, maxRowCount: B)
            var f: [Float] = []
            encoder.encode(x, rowCount: B, into: &f)
            assertClose(f.map(Double.init), reference.latents, relative: 1e-5, absolute: 1e-7, "\(architecture) encode")
            var rowStarts: [Int32] = [], latents: [Int32] = [], values: [Float] = []
            encoder.encodeSparse(x, rowCount: B, rowStarts: &rowStarts, latents: &latents, values: &values)
            XCTAssertEqual(dense(rowStarts: rowStarts, latents: latents, values: values, B: B, H: H), f, "\(architecture) encodeSparse")
            if architecture != .topk {
                // ReLU of the pre-activations is f, bit for bit (the same gemm, no other change).
                var pre: [Float] = []
                encoder.encodePreActivations(x, rowCount: B, into: &pre)
                XCTAssertEqual(pre.map { max($0, 0) }, f, "\(architecture) encodePreActivations")
                XCTAssertGreaterThan(pre.filter { $0 < 0 }.count, B * H / 2, "\(architecture): pre-activations keep their negatives")
            }
            var auto: [Float] = [], denseOut: [Float] = []
            encoder.reconstruct(x, rowCount: B, into: &auto)
            var denseEncoder = SAEEncoder(sae: sae, maxRowCount: B, kernels: .dense)
            denseEncoder.reconstruct(x, rowCount: B, into: &denseOut)
            assertClose(auto.map(Double.init), reference.reconstructions, relative: 1e-5, absolute: 1e-7,
                        "\(architecture) reconstruct (sparse)")
            assertClose(denseOut.map(Double.init), reference.reconstructions, relative: 1e-5, absolute: 1e-7,
                        "\(architecture) reconstruct (dense)")
        }
    }

    func testAdamLanesAndThreadsEqualTheScalarUpdate() {
        // The 8-lane update, with or without the pool, is bitwise the scalar formula (sizes
        // leave lane remainders and an empty tensor).
        var rng = SeededGenerator(seed: 5)
        let sizes = [1001, 7, 0, 33]
        let weights = SAEWeights(wEnc: (0..<sizes[0]).map { _ in rng.nextSymmetric(bound: 1) },
                                 bEnc: (0..<sizes[1]).map { _ in rng.nextSymmetric(bound: 1) }, wDec: [],
                                 bDec: (0..<sizes[3]).map { _ in rng.nextSymmetric(bound: 1) })
        var serial = Adam(learningRate: 1e-3, tensorSizes: sizes), parallel = serial
        var a = weights, b = weights
        var p = weights.wEnc, m = [Float](repeating: 0, count: sizes[0]), v = m
        let pool = WorkerPool(threadCount: 3)
        for step in 1...3 {
            let g = SAEWeights(wEnc: (0..<sizes[0]).map { _ in rng.nextSymmetric(bound: 1) },
                               bEnc: (0..<sizes[1]).map { _ in rng.nextSymmetric(bound: 1) }, wDec: [],
                               bDec: (0..<sizes[3]).map { _ in rng.nextSymmetric(bound: 1) })
            serial.step(&a, gradients: g)
            parallel.step(&b, gradients: g, pool: pool)
            let stepSize = Float(1e-3 / (1 - pow(0.9, Double(step))))
            let correction2Sqrt = Float((1 - pow(0.999, Double(step))).squareRoot())
            for i in 0..<sizes[0] {
                m[i] = m[i] + Float(1 - 0.9) * (g.wEnc[i] - m[i])
                v[i] = v[i] * Float(0.999) + Float(1 - 0.999) * g.wEnc[i] * g.wEnc[i]
                p[i] = p[i] - stepSize * (m[i] / (v[i].squareRoot() / correction2Sqrt + Float(1e-8)))
            }
        }
        XCTAssertEqual(a, b)
        XCTAssertEqual(serial.state, parallel.state)
        XCTAssertEqual(a.wEnc, p)
        XCTAssertEqual(serial.state.firstMoments[0], m)
        XCTAssertEqual(serial.state.secondMoments[0], v)
        XCTAssertNotEqual(a.wEnc, weights.wEnc)
    }

    func testAdamWritingTheTransposeEqualsThePlainUpdate() {
        // Adam.updateTransposing (groups of 16 rows, C 37 leaves a partial group) against the
        // plain update plus a transpose: p, m, v bitwise, and the copy is exactly pᵀ.
        let C = 37, H = 24
        var rng = SeededGenerator(seed: 9)
        let start = (0..<(C * H)).map { _ in rng.nextSymmetric(bound: 1) }
        for threads in [1, 2, 3] {
            let pool = WorkerPool(threadCount: threads)
            var plain = Adam(learningRate: 1e-3, tensorSizes: [C * H, 0, 0, 0]), fused = plain
            var a = SAEWeights(wEnc: start, bEnc: [], wDec: [], bDec: []), b = a
            var transposed = [Float](repeating: .nan, count: H * C)
            for _ in 1...3 {
                let g = SAEWeights(wEnc: (0..<(C * H)).map { _ in rng.nextSymmetric(bound: 1) }, bEnc: [], wDec: [], bDec: [])
                plain.step(&a, gradients: g, pool: nil)
                transposed.withUnsafeMutableBufferPointer { t in
                    fused.step(&b, gradients: g, pool: pool, encoderTranspose: (t.baseAddress!, H))
                }
                XCTAssertEqual(a, b, "\(threads) threads")
                XCTAssertEqual(plain.state, fused.state)
                for c in 0..<C {
                    for j in 0..<H where transposed[j * C + c] != b.wEnc[c * H + j] {
                        return XCTFail("\(threads) threads: transposed[\(j), \(c)] \(transposed[j * C + c]) ≠ W_enc \(b.wEnc[c * H + j])")
                    }
                }
            }
        }
    }

    func testWeightGradientKernelsReportNonFiniteValues() {
        // The trainer's gradient check skips dW_enc and dW_dec after a sparse step whose
        // kernels reported them finite, so the report must catch a NaN or Inf in any open
        // entry's input or residual row, and only then.
        let B = 3, C = 20, H = 40
        let pool = WorkerPool(threadCount: 1)
        var rng = SeededGenerator(seed: 4)
        let f = (0..<(B * H)).map { _ -> Float in let u = rng.nextSymmetric(bound: 1); return u > 0.6 ? u : 0 }
        var sparse = csr(of: f, B: B, H: H, pool: pool)
        var fired = [Int32](repeating: 0, count: H)
        for b in 0..<B { for j in 0..<H where f[b * H + j] > 0 { fired[j] += 1 } }
        let entryCount = sparse.entryCount
        sparse.withPointers { sp in
            SparseKernels.indexByLatent(sp, firedRowCounts: fired, B: B, H: H)
            for e in 0..<entryCount { sp.grads[e] = 0.5 }
        }
        let openRow = (0..<B).first { b in (0..<H).contains { f[b * H + $0] > 0 } }!
        let clean = (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) }
        for poison in [Float?.none, .nan, .infinity] {
            var rows = clean
            if let poison { rows[openRow * C + 7] = poison }
            var dWEnc = [Float](repeating: 0, count: C * H), dWDec = [Float](repeating: 0, count: H * C)
            var scratch = [Float](repeating: 0, count: SparseKernels.encoderTileLatentCount * C)
            var results: [Bool] = []
            sparse.withPointers { sp in
                rows.withUnsafeBufferPointer { rows in
                    let rows = rows.baseAddress!
                    for tied in [false, true] {
                        results.append(SparseKernels.encoderWeightGradients(
                            dWEnc: &dWEnc, scratch: &scratch, input: rows, latentStarts: sp.latentStarts,
                            slotRows: sp.slotRows, slotEntries: sp.slotEntries, grads: sp.grads,
                            tied: tied ? (residuals: rows, values: UnsafePointer(sp.values), scale: 0.1) : nil,
                            C: C, H: H, latentRange: 0..<H))
                    }
                    results.append(SparseKernels.decoderWeightGradients(
                        dDecoder: &dWDec, latentStarts: sp.latentStarts, slotRows: sp.slotRows,
                        slotEntries: sp.slotEntries, values: sp.values, residuals: rows, scale: 0.1, l1: nil,
                        C: C, latentRange: 0..<H))
                }
            }
            let expected = poison == nil
            XCTAssertEqual(results, [expected, expected, expected], "poison \(String(describing: poison))")
            XCTAssertEqual(dWEnc.allSatisfy(\.isFinite), expected)
        }
    }
}
