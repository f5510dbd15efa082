import ActStore
import Extract
import Foundation
import SAELoading
import StreamTrain

/// `saestore evaluate`: reconstruction quality, downstream loss and monosemanticity of an SAE
/// on a store's held-out rows (docs/EVALUATION.md).
public enum SAEEvaluation {
    /// Rows whose activations are read, encoded, measured and (with a model) spliced.
    /// `model` (any family that is a `SpliceableLanguageModel`: GPT-2, Llama) enables the
    /// downstream loss and the MLP-neuron baseline; `modelName` labels it. A model of another
    /// family, or without the store's hook, is refused with `EvaluationError.unsupportedHook`.
    /// `previous`: an evaluation of another SAE on the same store, column, rows and model (a
    /// sweep's first member) whose clean and zero-ablated losses are reused, saving two of the
    /// three forward passes; ignored when any of those differ.
    public static func run(_ config: EvaluationConfig, model: (any DecoderLanguageModel)? = nil, modelName: String? = nil,
                           reusingModelLossesOf previous: EvaluationResult? = nil,
                           progress: (EvaluationProgress) -> Void = { _ in }) throws -> EvaluationResult {
        try config.validate()
        let evaluated = try SAESource(path: config.sae)
        guard let storePath = config.store ?? evaluated.runConfig?.store else {
            throw EvaluationError.invalidArgument("\(config.sae) has no run.json naming its store; pass --store")
        }
        let reader = try openStore(at: storePath)
        guard let hook = config.hook ?? evaluated.hookName else { throw EvaluationError.unknownHook(sae: config.sae) }
        guard let spec = reader.columns.first(where: { $0.name == hook }) else {
            throw EvaluationError.hookNotInStore(store: storePath, hook: hook, available: reader.manifest.activationColumns.map(\.name))
        }
        guard spec.codec.isFloat else { throw EvaluationError.notActivations(store: storePath, column: hook) }
        guard spec.width == evaluated.loaded.sae.dIn else {
            throw FeaturesError.widthMismatch(sae: evaluated.directory.path, dIn: evaluated.loaded.sae.dIn, column: hook, width: spec.width)
        }
        let runnable = try evaluated.runnable(reader: reader, column: hook)
        let sae = runnable.sae
        var (rows, selection) = try selectRows(config, evaluated: evaluated, store: storePath, rowCount: reader.rowCount)
        if let maxRowCount = config.maxRowCount {
            rows = rows.lowerBound..<min(rows.upperBound, rows.lowerBound + maxRowCount)
        }
        var notes: [String] = []

        // Token metadata: which rows count, and the windows the model can run on.
        let hasTokens = [TokenColumn.tokenID, TokenColumn.position, TokenColumn.docID]
            .allSatisfy { reader.manifest.columnIndex($0) != nil }
        let tokens = hasTokens ? try RowTokens(reader: reader, rows: rows) : nil
        let minimumPosition = config.minimumPosition ?? evaluated.minimumPosition
        var included = [Bool](repeating: true, count: rows.count)
        if let tokens {
            let specialIDs = config.excludeSpecialTokens ? specialTokenIDs(manifest: reader.manifest, tokens: tokens) : []
            for i in included.indices {
                let special = specialIDs.contains(tokens.tokenIDs[i])
                included[i] = Int(tokens.positions[i]) >= minimumPosition && !special
            }
        } else {
            if minimumPosition > 0 {
                throw EvaluationError.missingTokenColumn(store: storePath, column: TokenColumn.position, needed: "a minimum position")
            }
            if model != nil {
                throw EvaluationError.missingTokenColumn(store: storePath, column: TokenColumn.tokenID, needed: "the downstream loss (--model)")
            }
            notes.append("the store has no token metadata: monosemanticity and the downstream loss were skipped")
        }
        let includedCount = included.filter { $0 }.count
        guard includedCount > 0 else {
            throw EvaluationError.noRows(store: storePath, rows: rows, reason: "every row is a special token or below position \(minimumPosition)")
        }
        var inWindow = [Bool](repeating: false, count: rows.count)
        for window in tokens?.windows ?? [] {
            for row in window.rows where included[row - rows.lowerBound] { inWindow[row - rows.lowerBound] = true }
        }

        // The model must have the hook, at the column's width; the neuron baseline is the MLP
        // feeding it.
        var hookPoint: HookPoint?
        var neuronHook: HookPoint?
        var spliceable: (any SpliceableLanguageModel)?
        if let model {
            let name = modelName ?? "model"
            let point: HookPoint
            do {
                point = try model.hookPoint(named: hook)
            } catch let error as HookPointError {
                guard case .layerOutOfRange = error else {
                    throw EvaluationError.unsupportedHook(model: name, family: model.family.rawValue, hook: hook, reason: "\(error)")
                }
                throw EvaluationError.hookNotInModel(model: name, hook: hook, layerCount: model.layerCount)
            } catch {
                throw EvaluationError.unsupportedHook(model: name, family: model.family.rawValue, hook: hook, reason: "\(error)")
            }
            guard let splicing = model as? any SpliceableLanguageModel else {
                throw EvaluationError.unsupportedHook(model: name, family: model.family.rawValue, hook: hook,
                                                      reason: "this family's forward pass cannot replace a hook's activation, so it has no downstream loss")
            }
            spliceable = splicing
            guard model.width(of: point) == spec.width else {
                throw EvaluationError.modelMismatch(model: name, hook: hook,
                                                    detail: "the model's \(hook) is \(model.width(of: point)) wide, the column \(spec.width)")
            }
            hookPoint = point
            if config.baselines {
                neuronHook = neuronBaselineHook(for: point)
                if neuronHook == nil { notes.append("\(hook) has no MLP before it: no neuron baseline") }
            }
        } else if hasTokens, config.baselines {
            notes.append("MLP neurons are measured only with --model")
        }

        let scale = runnable.scale.value
        if scale != 1 { notes.append("normalize_activations expected_average_only_in: rows scaled by \(scale) (\(runnable.scale.origin)) before the SAE, reconstructions scaled back") }
        var blockSAE = BlockSAE(sae: sae, maxRowCount: min(config.blockRowCount, 4096))

        // Pass over the rows: reconstruction, SAE features, residual dimensions.
        let C = sae.dIn, H = sae.dSAE
        var reconstruction = ReconstructionAccumulator(dIn: C, latentCount: H)
        var featureTracker = tokens.map { _ in UnitActivationTracker(unitCount: H, topK: config.topK, activation: .identity) }
        var residualTracker = config.baselines ? tokens.map { _ in
            UnitActivationTracker(unitCount: C, topK: config.topK, activation: UnitActivation(config.residualActivation))
        } : nil
        var x: [Float] = [], f: [Float] = [], xhat: [Float] = []
        var activationSum = [Double](repeating: 0, count: C)
        for blockStart in stride(from: rows.lowerBound, to: rows.upperBound, by: config.blockRowCount) {
            let block = blockStart..<min(blockStart + config.blockRowCount, rows.upperBound)
            try reader.readRows(column: hook, rows: block, into: &x)
            blockSAE.run(x, rowCount: block.count, latents: &f, reconstruction: &xhat)
            for r in 0..<block.count {
                let i = block.lowerBound + r - rows.lowerBound
                guard included[i] else { continue }
                reconstruction.add(row: r, x: x, reconstruction: xhat, latents: f)
                for c in 0..<C { activationSum[c] += Double(x[r * C + c]) }
                if inWindow[i] {
                    featureTracker?.add(f, offset: r * H, row: Int32(i))
                    residualTracker?.add(x, offset: r * C, row: Int32(i))
                }
            }
            progress(.rowsEncoded(done: block.upperBound - rows.lowerBound, total: rows.count))
        }

        var downstream: DownstreamMetrics?
        var neuronTracker: UnitActivationTracker?
        if let model = spliceable, let hookPoint, let tokens {
            if let neuronHook {
                neuronTracker = UnitActivationTracker(unitCount: model.width(of: neuronHook), topK: config.topK, activation: .positivePart)
            }
            let splice = DownstreamSplice(model: model, modelName: modelName ?? "model", hook: hookPoint, neuronHook: neuronHook,
                                          reader: reader, column: spec, tokens: tokens, included: included,
                                          meanActivation: activationSum.map { Float($0 / Double(includedCount)) })
            let reusable = previous.flatMap { p -> DownstreamMetrics? in
                guard p.store == storePath, p.hook == hook, p.firstRow == rows.lowerBound, p.endRow == rows.upperBound,
                      p.excludedRowCount == rows.count - includedCount, p.downstream?.model == (modelName ?? "model") else { return nil }
                return p.downstream
            }
            downstream = try splice.run(sae: blockSAE, windowsPerBatch: config.windowsPerBatch,
                                        neuronTracker: &neuronTracker, reusing: reusable, progress: progress)
            if downstream?.windowCount == 0 {
                notes.append("no complete window lies inside rows \(rows.lowerBound)..\(rows.upperBound): no downstream loss")
            }
        }

        var monosemanticity: [UnitKindMonosemanticity] = []
        if let tokens {
            let kinds: [(UnitActivationTracker?, String, String)] = [
                (featureTracker, "SAE features", "SAE"),
                (neuronTracker, "MLP neurons", neuronHook?.description ?? ""),
                (residualTracker, "residual dimensions", hook),
            ]
            for case let (tracker?, kind, source) in kinds {
                monosemanticity.append(tracker.summarize(kind: kind, source: source, tokenIDs: tokens.tokenIDs,
                                                         previousTokenIDs: tokens.previousTokenIDs))
            }
        }
        return EvaluationResult(
            store: storePath, saeDirectory: evaluated.directory.path, runDirectory: evaluated.runDirectory?.path,
            hook: hook, architecture: sae.architecture.rawValue, dIn: sae.dIn, dSAE: sae.dSAE,
            k: sae.architecture.usesK ? sae.k : nil, firstRow: rows.lowerBound, endRow: rows.upperBound,
            rowSelection: selection, excludedRowCount: rows.count - includedCount,
            reconstruction: reconstruction.metrics(denseThreshold: config.denseThreshold, activationScale: Double(scale)),
            downstream: downstream, monosemanticity: monosemanticity, notes: notes, config: config)
    }

    /// The rows to evaluate: as given; else those after (or before) the run's training rows
    /// when run.json says which they were and names this store; else all rows.
    static func selectRows(_ config: EvaluationConfig, evaluated: SAESource, store: String,
                           rowCount: Int) throws -> (Range<Int>, String) {
        if let first = config.firstRow, let end = config.endRow {
            guard first >= 0, end <= rowCount else {
                throw EvaluationError.invalidArgument("rows \(first)..\(end) are outside the store's \(rowCount) rows")
            }
            return (first..<end, "given")
        }
        if let heldOut = evaluated.heldOutRows(store: store, storeRowCount: rowCount) { return (heldOut, "held out") }
        if let trained = evaluated.trainedRows(store: store, storeRowCount: rowCount) {
            if trained.upperBound < rowCount { return (trained.upperBound..<rowCount, "held out") }
            if trained.lowerBound > 0 { return (0..<trained.lowerBound, "held out") }
            throw EvaluationError.noHeldOutRows(run: evaluated.runDirectory?.path ?? config.sae, trainedRows: trained)
        }
        guard rowCount > 0 else { throw EvaluationError.noRows(store: store, rows: 0..<0, reason: "the store is empty") }
        return (0..<rowCount, "all")
    }

    /// Token ids left out as special tokens: GPT-2's <|endoftext|> in a GPT-2 BPE store (SAELens'
    /// default); in a tokenizer.json store (Llama family) the BOS ingest put first in every window
    /// when the manifest says it prepended one, read from the position-0 rows, because 50256 is an
    /// ordinary token in those vocabularies and the BOS id differs per model.
    static func specialTokenIDs(manifest: StoreManifest, tokens: RowTokens) -> Set<UInt32> {
        guard manifest.tokenizer == "tokenizer.json" else { return [GPT2Tokenizer.endOfTextID] }
        guard manifest.prependBOS == true else { return [] }
        return Set(zip(tokens.tokenIDs, tokens.positions).lazy.filter { $0.1 == 0 }.map { $0.0 })
    }

    /// The MLP whose neurons feed `hook` most directly: the block's own MLP for hooks after it
    /// (mlp_out, resid_post), the previous block's for hooks before it; nil at block 0's start.
    public static func neuronBaselineHook(for hook: HookPoint) -> HookPoint? {
        switch hook.site {
        case .mlpOut, .residPost:
            return HookPoint(layer: hook.layer, site: .mlpPost)
        case .residPre, .ln1Normalized, .attnOut, .residMid, .ln2Normalized, .mlpPost:
            return hook.layer >= 1 ? HookPoint(layer: hook.layer - 1, site: .mlpPost) : nil
        }
    }
}
