import Foundation
import SAELoading

/// results.json: what was scanned, with what, and how to read results.safetensors.
public struct FeatureResultsManifest: Codable, Sendable, Equatable {
    /// Version of this results layout (docs/FEATURES.md).
    public var formatVersion: Int
    /// ISO 8601 time the scan finished.
    public var createdAt: String
    /// The store scanned, as it was.
    public var store: StoreIdentity
    /// The SAE used.
    public var sae: SAEIdentity
    /// Scan settings (column, k, quantiles, rows, features, seed).
    public var config: FeatureScanConfig
    /// Rows scanned (the row range's length).
    public var rowsScanned: Int
    /// Features scanned.
    public var featureCount: Int
    /// Features that never fired.
    public var deadFeatureCount: Int
    /// Histogram bins (ActivationHistogram): 2^minimumExponent ... 2^maximumExponent, binsPerOctave per octave.
    public var histogramMinimumExponent: Int
    /// `ActivationHistogram.maximumExponent` at scan time; results whose bins differ from this
    /// build's are refused on load.
    public var histogramMaximumExponent: Int
    /// `ActivationHistogram.binsPerOctave` at scan time.
    public var histogramBinsPerOctave: Int
    /// Model directory whose unembedding gave the logit effects (nil: not computed).
    public var model: String?
    /// Promoted / suppressed tokens kept per feature (0 without a model).
    public var logitTokenCount: Int
    /// Wall time of the scan, seconds.
    public var scanSeconds: Double
    /// Rows per second over all passes.
    public var rowsPerSecond: Double
    /// The stored example windows (DIR/results.examples); nil in results written before
    /// them, which `saestore feature` serves by resolving examples from the store and SAE.
    public var examples: ExampleWindowsInfo?
    /// The SAE's input scale (cfg.json's `normalize_activations`, `SAEInputScale`), folded into
    /// the weights for the scan; nil: none (s = 1).
    public var inputScale: SAEInputScale?
    /// True when examples were folded by context (`ContextKeys`; the store has token ids and
    /// positions); nil/false in older results and for bare rows.
    public var foldsDuplicateContexts: Bool?
    /// Rows skipped by the position filter (`config.minimumPosition`).
    public var rowsSkippedByPosition: Int?
    /// Tokens left out of the logit effects, for either reason below (older results: collapsed
    /// only); nil: no logit effects.
    public var logitTokensLeftOut: Int?
    /// Of those, tokens whose unembedding rows collapsed (`CollapsedTokens`); nil in older results.
    public var logitTokensCollapsed: Int? = nil
    /// Of those, tokens never seen in training (`TrainingTokens`); nil: not known.
    public var logitTokensUntrained: Int? = nil
    /// The training-token file that gave `logitTokensUntrained`.
    public var trainingTokens: String? = nil

    /// Why tokens were left out of the logit effects, as one sentence (nil: none were).
    public var logitTokensLeftOutNote: String? {
        LogitExclusions.note(leftOut: logitTokensLeftOut ?? 0, collapsed: logitTokensCollapsed,
                             untrained: logitTokensUntrained, trainingTokens: trainingTokens)
    }

    /// Whether the scan folded duplicate contexts.
    public var foldsDuplicates: Bool { foldsDuplicateContexts ?? false }

    /// The results layout this build writes; `FeatureResults.load` refuses a newer one.
    public static let currentFormatVersion = 1
    /// The manifest's name in the results directory.
    public static let fileName = "results.json"
    /// The tables' file in the results directory (docs/FEATURES.md lists its tensors).
    public static let dataFileName = "results.safetensors"
}
