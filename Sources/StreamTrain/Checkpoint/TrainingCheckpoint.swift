import Foundation

/// Everything needed to continue a run exactly: config, weights, Adam, trainer counters and
/// firing history (with the RNG), and the loader's position blob.
public struct TrainingCheckpoint: Equatable, Sendable {
    /// The run's SAE config (what the weights were trained with).
    public var config: SAEConfig
    /// The SAE's tensors after `step` steps.
    public var weights: SAEWeights
    /// Adam's step count and moments, one slot per tensor of `weights`.
    public var adam: AdamState
    /// The trainer's counters, firing history, activation scale and RNG.
    public var state: TrainerState
    /// The `BatchSource.position()` blob, opaque to the trainer.
    public var loaderPosition: Data

    /// A checkpoint of the given parts (not checked against each other here: `SAETrainer(resumingFrom:)` does).
    public init(config: SAEConfig, weights: SAEWeights, adam: AdamState, state: TrainerState,
                loaderPosition: Data) {
        self.config = config
        self.weights = weights
        self.adam = adam
        self.state = state
        self.loaderPosition = loaderPosition
    }

    /// Optimiser steps taken at this checkpoint.
    public var step: Int { state.stepCount }
}
