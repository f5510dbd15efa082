import ActStore
import Foundation
import StreamTrain

/// The one meaning saestore gives cfg.json's `normalize_activations`, in every command:
///
/// - "none": the SAE takes raw activations (every saestore export: the trainer's scale is
///   folded into the exported weights, as SAELens folds it before saving).
/// - "expected_average_only_in": the SAE takes rows multiplied by s = √d_in / E‖x‖ (Anthropic's
///   April 2024 update, SAELens' training). s is cfg.json's `norm_scaling_factor` when present;
///   otherwise it is estimated once, the same way for every command, over the first
///   `estimateRowCount` rows of the column at position ≥ 1 when the store has positions (BOS
///   rows are outliers in norm) — never over the rows a command happens to look at, so
///   `features` and `evaluate` see the same activations.
///
/// The scale is folded into the weights (W_enc·s, W_dec/s, b_dec/s), which computes exactly
/// f(s·x) and x̂(s·x)/s, so the rest of the pipeline sees raw rows.
public struct SAEInputScale: Codable, Sendable, Equatable {
    /// s (1 for "none").
    public var value: Float
    /// Where s came from: "none", "cfg.json norm_scaling_factor", or "estimated on rows A..B (N rows)".
    public var origin: String

    /// Rows the estimate reads at most (the trainer's default estimate size).
    public static let estimateRowCount = 65_536

    /// s = 1, for an SAE that takes raw activations ("none"); folding it returns the SAE unchanged.
    public static let identity = SAEInputScale(value: 1, origin: "none")

    static func resolve(_ source: SAESource, reader: any StoreReading, column: String) throws -> SAEInputScale {
        guard source.loaded.normalizeActivations == ActivationNormalization.expectedAverageOnlyIn.rawValue else { return .identity }
        if let recorded = source.recordedScale { return SAEInputScale(value: recorded, origin: "cfg.json norm_scaling_factor") }
        let end = min(reader.rowCount, estimateRowCount)
        guard end > 0 else {
            throw EvaluationError.noRows(store: reader.path, rows: 0..<0, reason: "the store is empty; the normalisation scale of \(source.directory.path) cannot be estimated")
        }
        var values: [Float] = []
        try reader.readRows(column: column, rows: 0..<end, into: &values)
        let C = source.loaded.sae.dIn
        let positions = reader.manifest.columnIndex(TokenColumn.position) != nil
            ? try reader.readIntegers(column: TokenColumn.position, rows: 0..<end) : nil
        var normSum = 0.0, counted = 0
        for r in 0..<end where (positions?[r] ?? 1) >= 1 {
            var squares = 0.0
            for c in 0..<C { squares += Double(values[r * C + c]) * Double(values[r * C + c]) }
            normSum += squares.squareRoot()
            counted += 1
        }
        guard counted > 0, normSum > 0 else {
            throw EvaluationError.noRows(store: reader.path, rows: 0..<end, reason: "the rows are all zero (or all at position 0); the normalisation scale cannot be estimated")
        }
        let scale = Float(Double(C).squareRoot() / (normSum / Double(counted)))
        return SAEInputScale(value: scale, origin: "estimated on rows 0..\(end) at position ≥ 1 (\(counted) rows)")
    }

    /// `sae` with input scale `s` folded in (the same SAE for s = 1).
    public static func fold(_ sae: SparseAutoencoder, scale s: Float) throws -> SparseAutoencoder {
        guard s != 1 else { return sae }
        let architecture: SAEArchitecture = sae.architecture.isTied ? .standard : sae.architecture
        // The pre-activations are unchanged (W_enc·s applied to x − b_dec/s), so a JumpReLU
        // threshold and the gated SAE's b_gate, r_mag, b_mag carry over as they are.
        let weights = SAEWeights(wEnc: sae.weights.wEnc.map { $0 * s }, bEnc: sae.weights.bEnc,
                                 wDec: sae.decoderMatrix.map { $0 / s }, bDec: sae.weights.bDec.map { $0 / s },
                                 threshold: sae.weights.threshold, rMag: sae.weights.rMag, bMag: sae.weights.bMag)
        return try SparseAutoencoder(architecture: architecture, dIn: sae.dIn, dSAE: sae.dSAE, k: sae.k,
                                     applyBDecToInput: sae.applyBDecToInput, weights: weights)
    }
}
