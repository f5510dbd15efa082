import XCTest
@testable import StreamTrain

/// The pooled element-wise passes of the dense step (`DenseKernels`) and the vector TopK scan
/// against their plain loops, bitwise, for 1–3 threads; whole dense steps and short training
/// runs bitwise independent of the kernel thread count.
final class DenseKernelTests: XCTestCase {
    // Sizes leave remainders in the 8-lane loops and in the 32-column blocks; three threads
    // leave uneven ranges.
    let B = 37, C = 45, H = 203

    func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }
    func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }

    func testReLUEqualsTheReferenceBitwise() {
        var rng = SeededGenerator(seed: 3)
        var pre = (0..<(B * H)).map { _ in rng.nextSymmetric(bound: 1) }
        pre[5] = -0.0
        pre[17] = .nan
        pre[H + 9] = 0
        var expected = pre
        let expectedCounts = DenseKernelsReference.relu(acts: &expected, B: B, H: H)
        for threads in [1, 2, 3] {
            let pool = WorkerPool(threadCount: threads)
            var acts = pre
            var counts = [Int32](repeating: -1, count: B)
            acts.withUnsafeMutableBufferPointer { acts in
                counts.withUnsafeMutableBufferPointer { counts in
                    let acts = acts.baseAddress!, counts = counts.baseAddress!
                    pool.run { part in
                        DenseKernels.relu(acts: acts, rowOpenCounts: counts, H: self.H,
                                          rows: WorkerPool.range(self.B, part: part, of: threads))
                    }
                }
            }
            XCTAssertEqual(bits(acts), bits(expected), "\(threads) threads")
            XCTAssertEqual(counts, expectedCounts, "\(threads) threads")
        }
    }

    func testResidualsEqualTheReference() {
        var rng = SeededGenerator(seed: 4)
        let xhat = (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 2) }
        let x = (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 2) }
        var expected = xhat
        let expectedSquares = DenseKernelsReference.residuals(&expected, x: x, B: B, C: C)
        var firstSquares: [Double]?
        for threads in [1, 2, 3] {
            let pool = WorkerPool(threadCount: threads)
            var res = xhat
            var squares = [Double](repeating: -1, count: B)
            res.withUnsafeMutableBufferPointer { res in
                squares.withUnsafeMutableBufferPointer { squares in
                    x.withUnsafeBufferPointer { x in
                        let res = res.baseAddress!, squares = squares.baseAddress!, x = x.baseAddress!
                        pool.run { part in
                            DenseKernels.residuals(res, rowSquares: squares, subtracting: x, C: self.C,
                                                   rows: WorkerPool.range(self.B, part: part, of: threads))
                        }
                    }
                }
            }
            XCTAssertEqual(bits(res), bits(expected), "\(threads) threads")
            // The row's squares are summed in eight lanes, then across them: another order than
            // the plain loop's, so equal to Double rounding (≤ 45 terms: 1e-14 relative).
            assertClose(squares, expectedSquares, relative: 1e-14, absolute: 0, "\(threads) threads")
            // …but the same for every split.
            if let firstSquares { XCTAssertEqual(bits(squares), bits(firstSquares)) } else { firstSquares = squares }
            // Without x: only the squares of what is there.
            var squaresOnly = [Double](repeating: -1, count: B)
            var same = expected
            same.withUnsafeMutableBufferPointer { res in
                squaresOnly.withUnsafeMutableBufferPointer { out in
                    let res = res.baseAddress!, out = out.baseAddress!
                    pool.run { part in
                        DenseKernels.residuals(res, rowSquares: out, subtracting: nil, C: self.C,
                                               rows: WorkerPool.range(self.B, part: part, of: threads))
                    }
                }
            }
            XCTAssertEqual(bits(same), bits(expected))
            XCTAssertEqual(bits(squaresOnly), bits(squares))
        }
    }

    func testLatentSweepEqualsTheReferenceBitwise() {
        var rng = SeededGenerator(seed: 5)
        // f ≥ 0 with about 40 % open, some exact zeros next to open values.
        let f = (0..<(B * H)).map { _ -> Float in
            let v = rng.nextSymmetric(bound: 1)
            return v > 0.2 ? v : 0
        }
        let dF = (0..<(B * H)).map { _ in rng.nextSymmetric(bound: 0.01) }
        let norms = (0..<H).map { _ in 0.5 + abs(rng.nextSymmetric(bound: 1)) }
        let l1PerRow: Float = 0.003
        for weighted in [false, true] {
            var expected = dF
            let ref = DenseKernelsReference.latentSweep(actGrads: &expected, f: f, l1PerRow: l1PerRow,
                                                        l1Weights: weighted ? norms : nil, B: B, H: H)
            for threads in [1, 2, 3] {
                let pool = WorkerPool(threadCount: threads)
                var grads = dF
                var sums = [Double](repeating: .nan, count: H), fired = [Int32](repeating: -1, count: H)
                var dbEnc = [Float](repeating: .nan, count: H)
                grads.withUnsafeMutableBufferPointer { grads in
                    sums.withUnsafeMutableBufferPointer { sums in
                        fired.withUnsafeMutableBufferPointer { fired in
                            dbEnc.withUnsafeMutableBufferPointer { dbEnc in
                                f.withUnsafeBufferPointer { f in
                                    norms.withUnsafeBufferPointer { norms in
                                        let g = grads.baseAddress!, s = sums.baseAddress!, fr = fired.baseAddress!
                                        let db = dbEnc.baseAddress!, fp = f.baseAddress!
                                        let w = weighted ? norms.baseAddress! : nil
                                        pool.run { part in
                                            DenseKernels.latentSweep(actGrads: g, latentActSums: s, firedRowCounts: fr,
                                                                     dbEnc: db, f: fp, l1PerRow: l1PerRow, l1Weights: w,
                                                                     B: self.B, H: self.H,
                                                                     latents: DenseKernels.laneRange(self.H, part: part, of: threads))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                let label = "weighted \(weighted), \(threads) threads"
                XCTAssertEqual(bits(grads), bits(expected), label)
                XCTAssertEqual(bits(sums), bits(ref.sums), label)
                XCTAssertEqual(fired, ref.fired, label)
                XCTAssertEqual(bits(dbEnc), bits(ref.dbEnc), label)
            }
        }
    }

    func testColumnSumsAndDecoderNormGradientEqualTheReferenceBitwise() {
        var rng = SeededGenerator(seed: 6)
        for N in [C, 77, 8, 3] {
            let m = (0..<(B * N)).map { _ in rng.nextSymmetric(bound: 1) }
            let expected = DenseKernelsReference.columnSums(m, scale: 0.37, B: B, N: N)
            for threads in [1, 2, 3] {
                let pool = WorkerPool(threadCount: threads)
                var out = [Float](repeating: .nan, count: N)
                out.withUnsafeMutableBufferPointer { out in
                    m.withUnsafeBufferPointer { m in
                        let out = out.baseAddress!, m = m.baseAddress!
                        pool.run { part in
                            DenseKernels.columnSums(out: out, m, scale: 0.37, B: self.B, N: N,
                                                    columns: DenseKernels.laneRange(N, part: part, of: threads))
                        }
                    }
                }
                XCTAssertEqual(bits(out), bits(expected), "N \(N), \(threads) threads")
            }
        }
        let wDec = (0..<(H * C)).map { _ in rng.nextSymmetric(bound: 1) }
        let start = (0..<(H * C)).map { _ in rng.nextSymmetric(bound: 1) }
        // Some latents never fired (sum 0) and one has a zero norm: both are skipped.
        let sums = (0..<H).map { j in j % 5 == 0 ? 0 : Double(abs(rng.nextSymmetric(bound: 3))) }
        var norms = (0..<H).map { _ in 0.5 + abs(rng.nextSymmetric(bound: 1)) }
        norms[7] = 0
        var expected = start
        DenseKernelsReference.decoderNormL1Gradient(dWDec: &expected, wDec: wDec, latentActSums: sums, norms: norms,
                                                    l1PerRow: 0.01, C: C, H: H)
        for threads in [1, 2, 3] {
            let pool = WorkerPool(threadCount: threads)
            var out = start
            out.withUnsafeMutableBufferPointer { out in
                let out = out.baseAddress!
                pool.run { part in
                    DenseKernels.decoderNormL1Gradient(dWDec: out, wDec: wDec, latentActSums: sums, norms: norms,
                                                       l1PerRow: 0.01, C: self.C,
                                                       latents: WorkerPool.range(self.H, part: part, of: threads))
                }
            }
            XCTAssertEqual(bits(out), bits(expected), "\(threads) threads")
        }
    }

    func testLaneRangesCoverEverythingOnce() {
        for count in [0, 1, 7, 8, 9, 203, 1024] {
            for parts in 1...5 {
                let ranges = (0..<parts).map { DenseKernels.laneRange(count, part: $0, of: parts) }
                XCTAssertEqual(ranges.first?.lowerBound, 0)
                XCTAssertEqual(ranges.last?.upperBound, count)
                for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                for r in ranges.dropLast() { XCTAssertEqual(r.upperBound % 8, 0, "count \(count) parts \(parts)") }
            }
        }
    }

    func testFiniteCheckAndScale() {
        var x = (0..<101).map { Float($0) - 50 }
        XCTAssertTrue(DenseKernels.allFinite(x, range: 0..<101))
        x[99] = .infinity
        XCTAssertFalse(DenseKernels.allFinite(x, range: 0..<101))
        XCTAssertTrue(DenseKernels.allFinite(x, range: 0..<99))
        x[99] = .nan
        XCTAssertFalse(DenseKernels.allFinite(x, range: 96..<101))
        x[99] = 3
        let expected = x.map { $0 * 1.5 }
        x.withUnsafeMutableBufferPointer { x in DenseKernels.scale(x.baseAddress!, by: 1.5, range: 0..<101) }
        XCTAssertEqual(x, expected)
    }

    func testBlockFloorTopKSelectsWhatThePlainScanSelects() {
        var rng = SeededGenerator(seed: 8)
        var candidates = [Int32](repeating: 0, count: 2000)
        for count in [1, 7, 8, 64, 203, 1000, 2000] {
            for k in Set([1, 2, 5, 8, 33, 64, count].filter { $0 <= count }).sorted() {
                for variant in 0..<4 {
                    // 0: smooth values; 1: coarse values (many ties); 2: NaN and infinities; 3: all equal.
                    var row = (0..<count).map { _ -> Float in
                        variant == 1 ? Float(Int(rng.nextSymmetric(bound: 8))) / 2 : rng.nextSymmetric(bound: 1)
                    }
                    if variant == 2 && count > 10 {
                        row[3] = .infinity
                        row[count / 2] = -.infinity
                        row[count - 2] = .nan
                    }
                    if variant == 3 { row = [Float](repeating: 0.25, count: count) }
                    var fast = [Int](repeating: -1, count: k), plain = fast
                    row.withUnsafeBufferPointer { r in
                        candidates.withUnsafeMutableBufferPointer { c in
                            fast.withUnsafeMutableBufferPointer {
                                TopKSelection.select(row: r.baseAddress!, count: count, k: k, heap: $0.baseAddress!,
                                                     candidates: c.baseAddress!)
                            }
                        }
                        plain.withUnsafeMutableBufferPointer {
                            TopKSelection.selectReference(row: r.baseAddress!, count: count, k: k, heap: $0.baseAddress!)
                        }
                    }
                    XCTAssertEqual(fast.sorted(), plain.sorted(), "count \(count) k \(k) variant \(variant)")
                    if variant == 3 { XCTAssertEqual(fast.sorted(), Array(0..<k), "ties go to the lower index") }
                }
            }
        }
    }

    func testAdamSkippingZeroDecoderRowsIsTheDenseUpdate() {
        // Rows marked 0 have an exactly zero gradient; Adam updates them from the constant 0
        // without reading it. Bitwise the plain update, with the pool or not (rows of 13 leave
        // lane remainders; runs of marked and unmarked rows of every length).
        let rows = 11, C = 13
        var rng = SeededGenerator(seed: 9)
        let marks: [Int32] = [0, 3, 0, 0, 1, 1, 0, 2, 0, 0, 0]
        let weights = SAEWeights(wEnc: (0..<40).map { _ in rng.nextSymmetric(bound: 1) }, bEnc: [0.5],
                                 wDec: (0..<(rows * C)).map { _ in rng.nextSymmetric(bound: 1) }, bDec: [0.1, 0.2])
        var plain = Adam(learningRate: 1e-3, tensorSizes: weights.tensors.map(\.count))
        var skipping = plain, pooled = plain
        var a = weights, b = weights, c = weights
        let pool = WorkerPool(threadCount: 3)
        for _ in 0..<3 {
            var g = SAEWeights(wEnc: (0..<40).map { _ in rng.nextSymmetric(bound: 1) }, bEnc: [0.3],
                               wDec: (0..<(rows * C)).map { _ in rng.nextSymmetric(bound: 1) }, bDec: [0.2, -0.1])
            for j in 0..<rows where marks[j] == 0 {
                for k in 0..<C { g.wDec[j * C + k] = 0 }
            }
            plain.step(&a, gradients: g)
            skipping.step(&b, gradients: g, pool: nil, zeroDecoderRows: marks)
            // The skipped rows' gradient is never read: poison it.
            var poisoned = g
            for j in 0..<rows where marks[j] == 0 {
                for k in 0..<C { poisoned.wDec[j * C + k] = .nan }
            }
            pooled.step(&c, gradients: poisoned, pool: pool, zeroDecoderRows: marks)
        }
        XCTAssertEqual(bits(a.wDec), bits(b.wDec))
        XCTAssertEqual(bits(a.wDec), bits(c.wDec))
        XCTAssertEqual(a, c)
        XCTAssertEqual(plain.state, skipping.state)
        XCTAssertEqual(plain.state, pooled.state)
        XCTAssertNotEqual(a.wDec, weights.wDec)
    }

    // MARK: - Whole steps

    func testThreadCountDoesNotChangeTheDenseStep() {
        let C = 24, H = 256, B = 40
        let cases: [(SAEArchitecture, Bool)] = [(.tied, false), (.tied, true), (.standard, true), (.standard, false),
                                                (.topk, true)]
        for (architecture, applyBDec) in cases {
            let sae = TestSAE.make(architecture, dIn: C, dSAE: H, k: architecture == .topk ? 20 : 0,
                                   applyBDecToInput: applyBDec)
            let x = TestSAE.batch(rowCount: B, dIn: C)
            var results: [(SAELosses, SAEWeights, [Double], [Int32])] = []
            for threads in [1, 2, 3] {
                var ws = SAEWorkspace(sae: sae, maxRowCount: B, threadCount: threads)
                var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                let losses = sae.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &ws, gradients: &g,
                                                  kernels: .dense)
                XCTAssertFalse(ws.lastStepWasSparse)
                results.append((losses, g, ws.latentActSums, ws.firedRowCounts))
            }
            for result in results.dropFirst() {
                XCTAssertEqual(result.0, results[0].0, "\(architecture) losses")
                XCTAssertEqual(result.1, results[0].1, "\(architecture) gradients")
                XCTAssertEqual(result.2, results[0].2, "\(architecture) tallies")
                XCTAssertEqual(result.3, results[0].3, "\(architecture) fired counts")
            }
        }
    }

    func testTrainingIsTheSameForAnyKernelThreadCount() throws {
        // Adam and every pass split over the pool give each element to one part and sum in a
        // fixed order, so 1 and 3 kernel threads train to bitwise the same parameters, on
        // either path (the sparse one leaves unfired W_dec gradient rows stale, which Adam and
        // the check never read; the unit-norm projection runs over them too).
        let C = 16, B = 32
        let variants: [(SAEArchitecture, Bool)] = [(.tied, false), (.standard, false), (.standard, true), (.topk, false)]
        for (architecture, unitNorm) in variants {
            for kernels in [SAEKernelMode.dense, .sparse] {
                var config = SAEConfig(architecture: architecture, dIn: C)
                config.dSAE = 128
                config.batchSize = B
                config.decoderUnitNorm = unitNorm
                config.k = architecture == .topk ? 12 : config.k
                var rng = SeededGenerator(seed: 12)
                let batches = (0..<3).map { _ in (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) } }
                var finals: [(SAEWeights, AdamState)] = []
                for threads in [1, 3] {
                    let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: kernels, kernelThreadCount: threads))
                    for step in 0..<8 { try trainer.step(rows: batches[step % 3], rowCount: B) }
                    XCTAssertEqual(trainer.sparseStepCount, kernels == .sparse ? 8 : 0)
                    finals.append((trainer.sae.weights, trainer.optimizer.state))
                }
                let label = "\(architecture) unitNorm \(unitNorm) \(kernels)"
                XCTAssertEqual(finals[0].0, finals[1].0, label)
                XCTAssertEqual(finals[0].1, finals[1].1, label)
            }
        }
    }
}
