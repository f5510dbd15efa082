/// What Adam remembers between steps; `Codable` for checkpoints.
public struct AdamState: Codable, Equatable, Sendable {
    /// Steps taken so far (t in the bias corrections).
    public var stepCount: Int
    /// m per tensor slot.
    public var firstMoments: [[Float]]
    /// v per tensor slot.
    public var secondMoments: [[Float]]

    /// A state with the given step count and moments (one array per tensor slot).
    public init(stepCount: Int, firstMoments: [[Float]], secondMoments: [[Float]]) {
        self.stepCount = stepCount
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }
}
