import Evaluation
import StreamTrain

/// One member of a sweep: its settings, training summary and evaluation.
public struct SweepMemberResult: Codable, Sendable, Equatable {
    /// Directory name under the sweep's output (e.g. "l1-0.001", "k-32").
    public var name: String
    /// The run directory (run.json, config.json, metrics.jsonl, tb/, sae/).
    public var runDirectory: String
    /// The member's architecture (nil in sweep.json files written before members could differ).
    public var architecture: SAEArchitecture?
    /// λ and k (topk) of the member.
    public var l1Coefficient: Double
    /// The member's k (latents kept per row); nil for architectures without k (tied, standard).
    public var k: Int?
    /// Optimiser steps and rows trained on.
    public var stepCount = 0
    /// Rows (tokens) the member trained on.
    public var tokenCount = 0
    /// The last training metrics window: L0 and FVE on training rows.
    public var trainingL0: Double?
    /// Fraction of variance explained on the last window of training rows.
    public var trainingExplainedVariance: Double?
    /// The evaluation on held-out rows (nil when the sweep does not evaluate).
    public var evaluation: EvaluationResult?
    /// Why the member has no SAE (its training failed, e.g. diverged); nil when it trained.
    public var failure: String?

    /// An entry with no training or evaluation yet; `SAESweep.run` fills the rest in.
    public init(name: String, runDirectory: String, architecture: SAEArchitecture? = nil, l1Coefficient: Double, k: Int?) {
        self.name = name
        self.architecture = architecture
        self.runDirectory = runDirectory
        self.l1Coefficient = l1Coefficient
        self.k = k
    }

    /// L0 on held-out rows, else training's last window.
    public var l0: Double? { evaluation?.reconstruction.l0 ?? trainingL0 }
    /// FVE on held-out rows, else training's last window.
    public var explainedVariance: Double? { evaluation?.reconstruction.explainedVariance ?? trainingExplainedVariance }
    /// CE loss recovered (needs the model).
    public var lossRecovered: Double? { evaluation?.downstream?.lossRecovered }
}
