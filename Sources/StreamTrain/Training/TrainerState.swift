/// The trainer's counters and firing history: everything besides weights, Adam and the loader
/// position that a resumed run needs to continue exactly (saved as JSON in checkpoints).
public struct TrainerState: Codable, Equatable, Sendable {
    /// Optimiser steps taken.
    public var stepCount: Int = 0
    /// Rows trained on (tokens).
    public var tokenCount: Int = 0
    /// Epochs completed.
    public var epochIndex: Int = 0
    /// Rows trained on in the current epoch (tokens).
    public var epochTokenCount: Int = 0
    /// The activation scale (1 without normalisation); nil until estimated.
    public var activationScale: Float?
    /// State of the trainer's generator after the weight init (kept for anything random later).
    public var generator: SeededGenerator
    /// Per latent: `tokenCount` after the last batch in which it fired; 0 = never.
    public var lastFiredTokenCount: [Int]
    /// Per latent: rows in the current frequency window where it fired.
    public var windowFiredCounts: [Int]
    /// Rows in the current frequency window.
    public var windowTokenCount: Int = 0
    /// The last complete frequency window's counts (empty until one completes).
    public var completedWindowFiredCounts: [Int] = []
    /// Rows in the last complete frequency window.
    public var completedWindowTokenCount: Int = 0
    /// BatchTopK: the running inference threshold θ in Double, as SAELens keeps its
    /// `topk_threshold` (the SAE's Float `threshold` is this, rounded, for every latent).
    public var batchTopKThreshold: Double?
    /// Latents re-initialised by dead-latent resampling so far (nil: none, or resampling off).
    public var resampledLatentCount: Int?
    /// Whether b_dec was set from a sample (`SAEConfig.bDecInit`); nil before, or without it.
    public var decoderBiasInitialized: Bool?

    init(latentCount: Int, generator: SeededGenerator) {
        self.generator = generator
        lastFiredTokenCount = [Int](repeating: 0, count: latentCount)
        windowFiredCounts = [Int](repeating: 0, count: latentCount)
    }
}
