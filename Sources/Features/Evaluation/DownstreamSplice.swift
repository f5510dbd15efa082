import ActStore
import Extract

/// Runs the model over the complete windows of the evaluated rows three times per batch:
/// clean, with the hook replaced by the SAE's reconstruction, and with the hook zeroed
/// (SAELens' `get_recons_loss`). Windows are batched by equal length. The MLP neurons of the
/// baseline are read in a fourth, partial forward pass.
struct DownstreamSplice {
    let model: GPT2Model
    let modelName: String
    let hook: HookPoint
    let neuronHook: HookPoint?
    let reader: StoreReader
    let column: ColumnSpec
    let tokens: RowTokens
    /// Per row of `tokens.rows`: measured and spliced (false: special token or low position).
    let included: [Bool]

    /// Largest max|model − store| / max|store| accepted on the first window, by the column's
    /// dtype: the store's rounding plus batched-forward noise.
    var consistencyTolerance: Float {
        switch column.codec {
        case .f32: return 1e-3
        case .f16, .bf16: return 2e-2
        default: return 6e-2
        }
    }

    /// With `reusing`, the clean and zero-ablated losses are taken from an earlier evaluation of
    /// the same windows (they do not depend on the SAE) instead of being recomputed.
    func run(sae: ScaledSAE, windowsPerBatch: Int, neuronTracker: inout UnitActivationTracker?,
             reusing previous: DownstreamMetrics? = nil,
             progress: (EvaluationProgress) -> Void) throws -> DownstreamMetrics {
        // The splice closures escape (the model keeps them optional), so they capture locals.
        var sae = sae
        let included = self.included
        // Longest windows first; inside a length, row order.
        let byLength = Dictionary(grouping: tokens.windows, by: \.tokenCount)
        let lengths = byLength.keys.sorted(by: >)
        let total = tokens.windows.count
        let C = sae.sae.dIn
        var clean = 0.0, spliced = 0.0, zeroed = 0.0
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
                    let width = neuronHook.width(model.config)
                    for (j, i) in rowIndices.enumerated() where included[i] {
                        neuronTracker!.add(neurons, offset: j * width, row: Int32(i))
                    }
                }
                guard T >= 2 else {
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
                let loss = previous != nil ? 0 : Double(try model.nextTokenLoss(tokens: ids, batch: B, sequenceLength: T))
                let withSAE = Double(try model.nextTokenLoss(tokens: ids, batch: B, sequenceLength: T, replacing: hook) { activation in
                    if let stored = firstWindowStore {
                        mismatch = Self.compare(model: Array(activation[0..<(T * C)]), store: stored, tolerance: tolerance)
                    }
                    sae.run(activation, rowCount: B * T, latents: &latents, reconstruction: &reconstruction)
                    for (j, i) in rowIndices.enumerated() where included[i] {
                        activation.replaceSubrange((j * C)..<((j + 1) * C), with: reconstruction[(j * C)..<((j + 1) * C)])
                    }
                })
                if let mismatch {
                    throw EvaluationError.modelMismatch(model: modelName, hook: hook.description,
                                                        detail: "at rows \(batch[0].rows.lowerBound)..\(batch[0].rows.upperBound) \(mismatch)")
                }
                checkedConsistency = true
                let ablated = previous != nil ? 0 : Double(try model.nextTokenLoss(tokens: ids, batch: B, sequenceLength: T, replacing: hook) { activation in
                    for i in activation.indices { activation[i] = 0 }
                })
                let count = Double(B * (T - 1))
                clean += loss * count
                spliced += withSAE * count
                zeroed += ablated * count
                predicted += B * (T - 1)
                splicedRows += rowIndices.filter { included[$0] }.count
                done += B
                progress(.windowsRun(done: done, total: total))
            }
        }
        let n = Double(max(predicted, 1))
        var (cleanLoss, saeLoss, zeroLoss) = (clean / n, spliced / n, zeroed / n)
        if let previous {
            precondition(previous.windowCount == total && previous.predictedTokenCount == predicted,
                         "reused losses come from other windows (\(previous.windowCount) windows, \(previous.predictedTokenCount) tokens; now \(total), \(predicted))")
            (cleanLoss, zeroLoss) = (previous.cleanLoss, previous.zeroAblationLoss)
        }
        return DownstreamMetrics(
            model: modelName, windowCount: total, predictedTokenCount: predicted, splicedRowCount: splicedRows,
            cleanLoss: cleanLoss, saeLoss: saeLoss, zeroAblationLoss: zeroLoss,
            lossRecovered: (zeroLoss - saeLoss) / (zeroLoss - cleanLoss))
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
