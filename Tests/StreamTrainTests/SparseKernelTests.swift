import XCTest
@testable import StreamTrain

/// The sparse kernels against their plain references, the sparse step against the dense one,
/// and whole training runs on each path, over densities from 0.1 % to 50 %.
final class SparseKernelTests: XCTestCase {
    let densities = [0.001, 0.01, 0.1, 0.5]

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

    // MARK: - Sparse step against the dense (sgemm) step

    /// (architecture, applyBDecToInput) covering every branch of the sparse step.
    let cases: [(SAEArchitecture, Bool)] = [(.tied, false), (.tied, true), (.standard, true), (.standard, false),
                                            (.topk, true), (.topk, false)]

    func testSparseStepMatchesDenseStep() {
        // Same batch, same weights: only the summation order differs (Float). Losses within
        // 1e-6 relative, gradients within 1e-5 of each tensor's largest value.
        let B = 64, C = 32, H = 512
        for (architecture, applyBDec) in cases {
            for density in densities {
                let (sae, x) = saeAtDensity(architecture, applyBDec: applyBDec, density: density, B: B, C: C, H: H)
                let label = "\(architecture) applyBDec=\(applyBDec) density \(density)"
                var denseWS = SAEWorkspace(sae: sae, maxRowCount: B)
                var sparseWS = SAEWorkspace(sae: sae, maxRowCount: B, threadCount: 3)
                var denseG = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                var sparseG = denseG
                // Stale values in the sparse gradients must be overwritten.
                sparseG.wEnc = sparseG.wEnc.map { _ in .nan }
                sparseG.wDec = sparseG.wDec.map { _ in .nan }
                let lambda = architecture == .topk ? 0.0 : 0.01
                let dense = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &denseWS,
                                                 gradients: &denseG, kernels: .dense)
                let sparse = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &sparseWS,
                                                  gradients: &sparseG, kernels: .sparse)
                XCTAssertFalse(denseWS.lastStepWasSparse, label)
                XCTAssertTrue(sparseWS.lastStepWasSparse, label)
                let measured = Double(dense.activeLatentCount) / Double(B * H)
                XCTAssertEqual(measured, density, accuracy: density * 0.5 + 1.0 / Double(H), "\(label): measured \(measured)")
                XCTAssertEqual(sparse.activeLatentCount, dense.activeLatentCount, label)
                XCTAssertEqual(sparse.mse, dense.mse, accuracy: 1e-6 * dense.mse, label)
                XCTAssertEqual(sparse.l1, dense.l1, accuracy: 1e-6 * dense.l1 + 1e-12, label)
                XCTAssertEqual(sparseWS.latentActSums, denseWS.latentActSums, label)
                XCTAssertEqual(sparseWS.firedRowCounts, denseWS.firedRowCounts, label)
                assertClose(Array(sparseWS.residuals[0..<(B * C)]).map(Double.init),
                            Array(denseWS.residuals[0..<(B * C)]).map(Double.init), relative: 1e-5, absolute: 0, "\(label) x̂−x")
                for (name, path) in [("W_enc", \SAEWeights.wEnc), ("b_enc", \.bEnc), ("W_dec", \.wDec), ("b_dec", \.bDec)] {
                    assertClose(sparseG[keyPath: path].map(Double.init), denseG[keyPath: path].map(Double.init),
                                relative: 1e-5, absolute: 1e-12, "\(label) d\(name)")
                }
            }
        }
    }

    func testThreadCountDoesNotChangeTheSparseStep() {
        // Each output element belongs to one part and is summed in a fixed order: bitwise equal.
        let B = 40, C = 24, H = 256
        for (architecture, applyBDec) in cases {
            let (sae, x) = saeAtDensity(architecture, applyBDec: applyBDec, density: 0.05, B: B, C: C, H: H)
            var results: [(SAELosses, SAEWeights)] = []
            for threads in [1, 2, 3] {
                var ws = SAEWorkspace(sae: sae, maxRowCount: B, threadCount: threads)
                var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                let losses = sae.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &ws, gradients: &g,
                                                  kernels: .sparse)
                results.append((losses, g))
            }
            for (losses, g) in results.dropFirst() {
                XCTAssertEqual(losses, results[0].0, "\(architecture)")
                XCTAssertEqual(g, results[0].1, "\(architecture)")
            }
        }
    }

    func testWideRowsTakeTheBLASPathAndStillAgree() {
        // d_in 264 and 520: the row kernels call OpenBLAS's axpy (and at 520 its dot). The step
        // still matches the dense one (tolerances as above) and is bitwise the same for 1–3 threads.
        let B = 32, H = 128
        for C in [264, 520] {
        for (architecture, applyBDec) in [(SAEArchitecture.tied, false), (.standard, true), (.topk, true)] {
            let (sae, x) = saeAtDensity(architecture, applyBDec: applyBDec, density: 0.05, B: B, C: C, H: H)
            var denseWS = SAEWorkspace(sae: sae, maxRowCount: B)
            var denseG = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
            let lambda = architecture == .topk ? 0.0 : 0.01
            let dense = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &denseWS,
                                             gradients: &denseG, kernels: .dense)
            var results: [(SAELosses, SAEWeights)] = []
            for threads in [1, 2, 3] {
                var ws = SAEWorkspace(sae: sae, maxRowCount: B, threadCount: threads)
                var g = SAEWeights(zerosFor: architecture, dIn: C, dSAE: H)
                let losses = sae.lossAndGradients(x, rowCount: B, l1Coefficient: lambda, workspace: &ws, gradients: &g,
                                                  kernels: .sparse)
                results.append((losses, g))
            }
            for (losses, g) in results.dropFirst() {
                XCTAssertEqual(losses, results[0].0, "\(architecture)")
                XCTAssertEqual(g, results[0].1, "\(architecture)")
            }
            let (sparse, sparseG) = results[0]
            XCTAssertEqual(sparse.mse, dense.mse, accuracy: 1e-6 * dense.mse, "\(architecture)")
            XCTAssertEqual(sparse.activeLatentCount, dense.activeLatentCount, "\(architecture)")
            for (name, path) in [("W_enc", \SAEWeights.wEnc), ("b_enc", \.bEnc), ("W_dec", \.wDec), ("b_dec", \.bDec)] {
                assertClose(sparseG[keyPath: path].map(Double.init), denseG[keyPath: path].map(Double.init),
                            relative: 1e-5, absolute: 1e-12, "\(architecture) C \(C) d\(name)")
            }
        }
        }
    }

    func testSparseBuffersGrowOnceAndAreReused() {
        // A workspace reserved for `auto`'s densest sparse batch serves a forced-sparse 50 %
        // batch by growing, then a sparser batch without shrinking; results stay right.
        let B = 32, C = 16, H = 128
        let (dense, x) = saeAtDensity(.standard, applyBDec: true, density: 0.5, B: B, C: C, H: H)
        let (sparse, _) = saeAtDensity(.standard, applyBDec: true, density: 0.01, B: B, C: C, H: H)
        var ws = SAEWorkspace(sae: dense, maxRowCount: B)
        let reserved = ws.sparse.capacity
        var g = SAEWeights(zerosFor: .standard, dIn: C, dSAE: H)
        _ = dense.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &ws, gradients: &g, kernels: .sparse)
        let grown = ws.sparse.capacity
        XCTAssertGreaterThan(grown, reserved)
        let losses = sparse.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &ws, gradients: &g, kernels: .sparse)
        XCTAssertEqual(ws.sparse.capacity, grown)
        var freshWS = SAEWorkspace(sae: sparse, maxRowCount: B)
        var freshG = g
        let fresh = sparse.lossAndGradients(x, rowCount: B, l1Coefficient: 0.01, workspace: &freshWS, gradients: &freshG,
                                            kernels: .dense)
        XCTAssertEqual(losses.total, fresh.total, accuracy: 1e-6 * fresh.total)
        assertClose(g.wEnc.map(Double.init), freshG.wEnc.map(Double.init), relative: 1e-5, absolute: 1e-12, "dW_enc")
    }

    // MARK: - Training runs: sparse and dense give the same parameters after N steps

    func testTrainingOnEitherPathGivesTheSameParameters() throws {
        // 30 Adam steps (lr 1e-3) on 4 batches of 64 rows. The paths differ by Float rounding
        // in each gradient; Adam divides by sqrt(v), so a gradient element that is itself at
        // rounding level can move by up to lr per step on one path and not the other. Measured
        // worst case below 2e-5 (see the assertion); the bound, 1e-4, is 10 % of one step's lr.
        let B = 64, C = 32, H = 256, steps = 30
        let variants: [(String, SAEArchitecture, Bool)] = [("tied", .tied, false), ("standard", .standard, false),
                                                          ("standard+unit-norm", .standard, true), ("topk", .topk, false)]
        for (name, architecture, unitNorm) in variants {
            for density in densities {
                var config = SAEConfig(architecture: architecture, dIn: C)
                config.dSAE = H
                config.batchSize = B
                config.decoderUnitNorm = unitNorm
                config.l1Coefficient = architecture == .topk ? 0 : 0.01
                config.k = max(1, Int((density * Double(H)).rounded()))
                let (sae, _) = saeAtDensity(architecture, applyBDec: config.applyBDecToInput, density: density,
                                            B: B, C: C, H: H, unitNorm: unitNorm)
                var rng = SeededGenerator(seed: 11)
                let batches = (0..<4).map { _ in (0..<(B * C)).map { _ in rng.nextSymmetric(bound: 1) } }
                var finals: [SAEWeights] = []
                var sparseSteps: [Int] = []
                for kernels in [SAEKernelMode.dense, .sparse] {
                    let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: kernels))
                    try trainer.replaceWeights(sae.weights)
                    for step in 0..<steps { try trainer.step(rows: batches[step % 4], rowCount: B) }
                    finals.append(trainer.sae.weights)
                    sparseSteps.append(trainer.sparseStepCount)
                }
                XCTAssertEqual(sparseSteps, [0, steps])
                let label = "\(name) density \(density)"
                for (tensor, path) in [("W_enc", \SAEWeights.wEnc), ("b_enc", \.bEnc), ("W_dec", \.wDec), ("b_dec", \.bDec)] {
                    let a = finals[0][keyPath: path], b = finals[1][keyPath: path]
                    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst, 1e-4, "\(label) \(tensor): max |dense − sparse| \(worst)")
                }
            }
        }
    }

    func testAutoFollowsTheMeasuredDensity() throws {
        let B = 64, C = 32, H = 256
        for (density, expectSparse) in [(0.01, true), (0.5, false)] {
            var config = SAEConfig(architecture: .standard, dIn: C)
            config.dSAE = H
            config.batchSize = B
            let (sae, x) = saeAtDensity(.standard, applyBDec: true, density: density, B: B, C: C, H: H)
            let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .auto))
            try trainer.replaceWeights(sae.weights)
            try trainer.step(rows: x, rowCount: B)
            XCTAssertEqual(trainer.sparseStepCount, expectSparse ? 1 : 0, "density \(density)")
        }
        XCTAssertThrowsError(try SAETrainerOptions(kernelThreadCount: 0).validate())
        // Options saved before the kernel fields existed decode with the defaults.
        let old = #"{"logIntervalSteps":5,"deadFeatureWindowTokens":10,"featureFrequencyWindowTokens":10,"checkpointIntervalSteps":0,"keptCheckpointCount":3}"#
        let decoded = try JSONDecoder().decode(SAETrainerOptions.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.kernels, .auto)
        XCTAssertNil(decoded.kernelThreadCount)
        let roundTrip = SAETrainerOptions(kernels: .sparse, kernelThreadCount: 2)
        XCTAssertEqual(try JSONDecoder().decode(SAETrainerOptions.self, from: JSONEncoder().encode(roundTrip)), roundTrip)
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

    func testTiedSparseStepsReuseTheTransposeOnlyWhileItIsCurrent() throws {
        // The tied trainer's sparse steps take W_encᵀ from the previous Adam step. Replacing the
        // weights must not leave it stale: the step after replaceWeights must see the new
        // weights exactly (loss bitwise that of a fresh trainer on them), and a run of sparse
        // steps must stay within the dense run's tolerance (testTrainingOnEitherPath…).
        let B = 64, C = 32, H = 256
        var config = SAEConfig(architecture: .tied, dIn: C)
        config.dSAE = H
        config.batchSize = B
        config.l1Coefficient = 0.01
        let (sae, x) = saeAtDensity(.tied, applyBDec: config.applyBDecToInput, density: 0.05, B: B, C: C, H: H)
        var other = sae.weights
        for i in other.wEnc.indices { other.wEnc[i] *= 1.5 }
        let trainer = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .sparse))
        try trainer.replaceWeights(sae.weights)
        for _ in 0..<3 { try trainer.step(rows: x, rowCount: B) }
        XCTAssertEqual(trainer.sparseStepCount, 3)
        try trainer.replaceWeights(other)
        let afterReplace = try trainer.step(rows: x, rowCount: B)
        let fresh = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .sparse))
        try fresh.replaceWeights(other)
        let first = try fresh.step(rows: x, rowCount: B)
        XCTAssertEqual(afterReplace.total, first.total)
        XCTAssertEqual(afterReplace.mse, first.mse)
        // And the next step (transpose from Adam) equals a trainer that transposes afresh:
        // its loss is that of the same weights run through a new trainer.
        let weightsNow = trainer.sae.weights
        let reused = try trainer.step(rows: x, rowCount: B)
        let check = try SAETrainer(config: config, options: SAETrainerOptions(kernels: .sparse))
        try check.replaceWeights(weightsNow)
        let recomputed = try check.step(rows: x, rowCount: B)
        XCTAssertEqual(reused.total, recomputed.total)
        XCTAssertEqual(reused.mse, recomputed.mse)
    }

    // MARK: - Helpers

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
