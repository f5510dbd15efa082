import ActStore
import Extract
import SAELoading

/// Runs the model over the complete windows of the evaluated rows four times per batch: clean,
/// with the measured rows' hook activation replaced by the SAE's reconstruction, by zero, and
/// by the mean of the evaluated activations. The same rows are replaced in all three
/// interventions and the same positions counted in all four losses, so no baseline is
/// inflated by rows the SAE run leaves alone (docs/EVALUATION.md). Windows are batched by
/// equal length. The MLP neurons of the baseline are read in a fifth, partial forward pass.
struct DownstreamSplice {
    /// Any family that can replace a hook's activation mid-forward (GPT-2, Llama).
    let model: any SpliceableLanguageModel
    let modelName: String
    let hook: HookPoint
    let neuronHook: HookPoint?
    let reader: any StoreReading
    let column: ColumnSpec
    let tokens: RowTokens
    /// Per row of `tokens.rows`: measured and replaced (false: special token or low position).
    let included: [Bool]
    /// The mean activation of the measured rows (d_in), the mean-ablation value.
    let meanActivation: [Float]

    /// Largest max|model − store| / max|store| accepted on the first window, by the column's
    /// dtype: the store's rounding plus batched-forward noise.
    var consistencyTolerance: Float {
        switch column.codec {
        case .f32: return 1e-3
        case .f16, .bf16: return 2e-2
        default: return 6e-2
        }
    }

    /// With `reusing`, the ablated losses and divergences are taken from an earlier evaluation
    /// of the same windows and rows (they do not depend on the SAE) instead of being recomputed.
    func run(sae: BlockSAE, windowsPerBatch: Int, neuronTracker: inout UnitActivationTracker?,
             reusing previous: DownstreamMetrics? = nil,
             progress: (EvaluationProgress) -> Void) throws -> DownstreamMetrics {
        // The splice closures escape (the model keeps them optional), so they capture locals.
        var sae = sae
        let included = self.included
        let mean = meanActivation
        // Longest windows first; inside a length, row order.
        let byLength = Dictionary(grouping: tokens.windows, by: \.tokenCount)
        let lengths = byLength.keys.sorted(by: >)
        let total = tokens.windows.count
        let C = sae.sae.dIn
        var sums = [Double](repeating: 0, count: 4), kls = [Double](repeating: 0, count: 4)
        var predicted = 0, splicedRows = 0, done = 0
        var checkedConsistency = false
        var latents: [Float] = [], reconstruction: [Float] = []
        for T in lengths {
            let windows = byLength[T]!
            for batchStart in stride(from: 0, to: windows.count, by: windowsPerBatch) {
                let batch = Array(windows[batchStart..<min(batchStart + windowsPerBatch, windows.count)])
                let B = batch.count
                let ids = batch.flatMap { tokens.tokens(of: $0) }
                let rowIndices = batch.flatMap { $0.rows.map { $0 - tokens.rows.lowerBound } }

                if let neuronHook, neuronTracker != nil {
                    let neurons = try model.activations(tokens: ids, batch: B, sequenceLength: T, hooks: [neuronHook])[neuronHook]!
                    let width = model.width(of: neuronHook)
                    for (j, i) in rowIndices.enumerated() where included[i] {
                        neuronTracker!.add(neurons, offset: j * width, row: Int32(i))
                    }
                }
                // A prediction made at position t is counted when row t itself is measured.
                var counted: [Bool] = []
                for b in 0..<B { for t in 0..<max(T - 1, 0) { counted.append(included[rowIndices[b * T + t]]) } }
                guard T >= 2, counted.contains(true) else {
                    done += B
                    progress(.windowsRun(done: done, total: total))
                    continue
                }

                var mismatch: String?
                let firstWindowStore: [Float]? = checkedConsistency ? nil : try {
                    var values: [Float] = []
                    try reader.readRows(column: column.name, rows: batch[0].rows, into: &values)
                    return values
                }()
                let tolerance = consistencyTolerance
                func replaceMeasured(_ activation: inout [Float], with value: (Int) -> ArraySlice<Float>) {
                    for (j, i) in rowIndices.enumerated() where included[i] {
                        activation.replaceSubrange((j * C)..<((j + 1) * C), with: value(j))
                    }
                }
                var transforms: [((inout [Float]) -> Void)?] = [nil, { activation in
                    if let stored = firstWindowStore {
                        mismatch = Self.compare(model: Array(activation[0..<(T * C)]), store: stored, tolerance: tolerance)
                    }
                    sae.run(activation, rowCount: B * T, latents: &latents, reconstruction: &reconstruction)
                    replaceMeasured(&activation) { reconstruction[($0 * C)..<(($0 + 1) * C)] }
                }]
                if previous == nil {
                    let zeros = [Float](repeating: 0, count: C)
                    transforms.append { activation in replaceMeasured(&activation) { _ in zeros[...] } }
                    transforms.append { activation in replaceMeasured(&activation) { _ in mean[...] } }
                }
                let comparison = try model.compareNextTokens(tokens: ids, batch: B, sequenceLength: T, hook: hook,
                                                             transforms: transforms, counted: counted)
                if let mismatch {
                    throw EvaluationError.modelMismatch(model: modelName, hook: hook.description,
                                                        detail: "at rows \(batch[0].rows.lowerBound)..\(batch[0].rows.upperBound) \(mismatch)")
                }
                checkedConsistency = true
                for run in comparison.crossEntropySums.indices {
                    sums[run] += comparison.crossEntropySums[run]
                    kls[run] += comparison.klSums[run]
                }
                predicted += comparison.positionCount
                splicedRows += rowIndices.filter { included[$0] }.count
                done += B
                progress(.windowsRun(done: done, total: total))
            }
        }
        let n = Double(max(predicted, 1))
        let clean = sums[0] / n, withSAE = sums[1] / n
        var (zero, meanLoss) = (sums[2] / n, sums[3] / n)
        var (zeroKL, meanKL) = (kls[2] / n, kls[3] / n)
        if let previous {
            precondition(previous.windowCount == total && previous.predictedTokenCount == predicted,
                         "reused losses come from other windows (\(previous.windowCount) windows, \(previous.predictedTokenCount) tokens; now \(total), \(predicted))")
            (zero, meanLoss) = (previous.zeroAblationLoss, previous.meanAblationLoss)
            (zeroKL, meanKL) = (previous.zeroAblationKLDivergence, previous.meanAblationKLDivergence)
        }
        return DownstreamMetrics(
            model: modelName, windowCount: total, predictedTokenCount: predicted, splicedRowCount: splicedRows,
            cleanLoss: clean, saeLoss: withSAE, zeroAblationLoss: zero, meanAblationLoss: meanLoss,
            lossIncrease: withSAE - clean, lossRecovered: (zero - withSAE) / (zero - clean),
            lossRecoveredAgainstMean: (meanLoss - withSAE) / (meanLoss - clean),
            klDivergence: kls[1] / n, zeroAblationKLDivergence: zeroKL, meanAblationKLDivergence: meanKL)
    }

    /// nil when the model's activation of a window matches the store's within `tolerance` of the
    /// store's largest magnitude; else what differs.
    static func compare(model: [Float], store: [Float], tolerance: Float) -> String? {
        guard model.count == store.count else {
            return "the model gives \(model.count) values, the store \(store.count)"
        }
        var largest: Float = 0, worst: Float = 0
        for i in store.indices {
            largest = max(largest, abs(store[i]))
            worst = max(worst, abs(model[i] - store[i]))
        }
        guard worst <= tolerance * max(largest, Float.leastNormalMagnitude) else {
            return "the model's activations differ from the stored ones by up to \(worst) (largest stored magnitude \(largest), tolerance \(tolerance) of it)"
        }
        return nil
    }
}
