/// The trainer's NaN/Inf guards: on the batch before a step (a typed error naming the row and
/// element) and on the gradients before Adam applies them.
extension SAETrainer {
    /// Throws at the batch's first non-finite value, else multiplies the batch by `scale`
    /// (both split over the pool; the scan for the position runs only when a part failed).
    func checkAndScaleBatch(rowCount B: Int, scale: Float, step: Int) throws {
        let C = config.feedRowWidth, count = B * C
        let pool = workspace.pool
        try batch.withUnsafeMutableBufferPointer { x in
            let base = x.baseAddress!
            var finite = true
            finiteCheckSums.withUnsafeMutableBufferPointer { flags in
                let flags = flags.baseAddress!
                pool.run { part in
                    flags[part] = DenseKernels.allFinite(base, range: WorkerPool.range(count, part: part, of: pool.threadCount)) ? 0 : 1
                }
                for part in 0..<pool.threadCount where flags[part] != 0 { finite = false }
            }
            if !finite {
                for i in 0..<count where !x[i].isFinite {
                    throw TrainingError.nonFiniteActivations(step: step, row: i / C, element: i % C, value: x[i])
                }
            }
            guard scale != 1 else { return }
            pool.run { part in
                DenseKernels.scale(base, by: scale, range: WorkerPool.range(count, part: part, of: pool.threadCount))
            }
        }
    }

    /// The gradient tensors the check reads (empty ones, e.g. r_mag outside the gated SAE,
    /// are skipped), and their names in errors.
    static let gradientPaths: [KeyPath<SAEWeights, [Float]>] = [\.wEnc, \.bEnc, \.wDec, \.bDec, \.rMag, \.bMag, \.wSkip]
    static let gradientNames = SAEWeights.tensorNames + ["r_mag", "b_mag", "W_skip"]

    /// Index (`gradientPaths`, `gradientNames`) of the first gradient tensor holding a NaN or ±Inf.
    /// 0·x is 0 for finite x and NaN otherwise, so one sum per part finds either. After a
    /// sparse step the W_dec rows of latents that fired nowhere were written as zeros by the
    /// kernel and are not read again (`zeroDecoderRows`).
    /// When the sparse weight-gradient kernels already found W_enc and the W_dec rows they wrote
    /// finite (`weightGradientsKnownFinite`, consumed here), only the biases are read.
    func firstNonFiniteGradient() -> Int? {
        let pool = workspace.pool
        let rowMarks = zeroDecoderRows
        let weightsChecked = workspace.weightGradientsKnownFinite
        workspace.weightGradientsKnownFinite = false
        for (index, path) in SAETrainer.gradientPaths.enumerated() {
            if weightsChecked && (index == 0 || index == 2) { continue }
            let tensor = gradients[keyPath: path]
            let count = tensor.count
            guard count > 0 else { continue }
            tensor.withUnsafeBufferPointer { t in
                finiteCheckSums.withUnsafeMutableBufferPointer { sums in
                    let t = t.baseAddress!, sums = sums.baseAddress!
                    if index == 2, let rowMarks {
                        let C = config.dIn
                        let rows = rowMarks.count
                        rowMarks.withUnsafeBufferPointer { marks in
                            let marks = marks.baseAddress!
                            pool.run { part in
                                var allFinite = true
                                for j in WorkerPool.range(rows, part: part, of: pool.threadCount) where marks[j] != 0 {
                                    allFinite = allFinite && DenseKernels.allFinite(t, range: (j * C)..<((j + 1) * C))
                                }
                                sums[part] = allFinite ? 0 : .nan
                            }
                        }
                    } else {
                        pool.run { part in
                            let range = WorkerPool.range(count, part: part, of: pool.threadCount)
                            sums[part] = DenseKernels.allFinite(t, range: range) ? 0 : .nan
                        }
                    }
                }
            }
            if !finiteCheckSums.allSatisfy({ $0 == 0 }) { return index }
        }
        return nil
    }

    /// After a sparse step of an untied SAE: per latent, its rows of the batch with f > 0; a
    /// 0 marks a W_dec row whose gradient the sparse kernel set to exactly zero.
    var zeroDecoderRows: [Int32]? {
        guard workspace.lastStepWasSparse && !config.architecture.isTied else { return nil }
        guard workspace.auxKActive, workspace.auxKRowMarks.count == config.latentCount else { return workspace.firedRowCounts }
        // AuxK also wrote the rows of the dead latents it chose.
        return zip(workspace.firedRowCounts, workspace.auxKRowMarks).map { $0 | $1 }
    }
}
