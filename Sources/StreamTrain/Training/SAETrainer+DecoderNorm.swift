/// The unit-norm constraint on decoder rows (`config.decoderUnitNorm`): the gradient's radial
/// part removed before the step, the rows renormalised after it.
extension SAETrainer {
    /// Anthropic / SAELens: with rows held at unit norm, only the gradient component
    /// orthogonal to each row moves it along the sphere: g_j −= (g_j · w_j) w_j.
    func removeGradientParallelToDecoderRows() {
        let C = config.dIn, H = config.latentCount
        let pool = workspace.pool
        gradients.wDec.withUnsafeMutableBufferPointer { g in
            sae.weights.wDec.withUnsafeBufferPointer { w in
                let g = g.baseAddress!, w = w.baseAddress!
                pool.run { part in
                    for j in WorkerPool.range(H, part: part, of: pool.threadCount) {
                        let dot = SparseKernels.dot(g + j * C, w + j * C, C)
                        SparseKernels.axpy(-dot, w + j * C, g + j * C, C)
                    }
                }
            }
        }
    }

    func normalizeDecoderRows() {
        let C = config.dIn, H = config.latentCount
        let pool = workspace.pool
        sae.weights.wDec.withUnsafeMutableBufferPointer { w in
            let w = w.baseAddress!
            pool.run { part in
                for j in WorkerPool.range(H, part: part, of: pool.threadCount) {
                    let row = w + j * C
                    let norm = SparseKernels.dot(row, row, C).squareRoot()
                    guard norm > 0 else { continue }
                    for c in 0..<C { row[c] /= norm }
                }
            }
        }
    }
}
