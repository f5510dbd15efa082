import Foundation

/// Everything needed to continue a run exactly: config, weights, Adam, trainer counters and
/// firing history (with the RNG), and the loader's position blob.
public struct TrainingCheckpoint: Equatable, Sendable {
    public var config: SAEConfig
    public var weights: SAEWeights
    public var adam: AdamState
    public var state: TrainerState
    /// The `BatchSource.position()` blob, opaque to the trainer.
    public var loaderPosition: Data

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
