/// The splice loop shared by the families whose forward hands every hook's values to a `visit`
/// closure (Llama, GPT-NeoX, Gemma 2): the checks of `compareNextTokens`' arguments, and one run
/// per transform in which the hooked site's values are replaced in place. Each family keeps
/// only what differs: its forward, its final norm, its unembedding and its error type.
enum VisitedSplice {
    /// Throws `invalidInput(reason)` for T < 2 (no next token to predict) and for a `counted`
    /// that does not hold one flag per predicting position, B × (T − 1).
    static func checkPositions<E: Error>(batch B: Int, sequenceLength T: Int, counted: [Bool],
                                         invalidInput: (String) -> E) throws {
        guard T >= 2 else {
            throw invalidInput("sequence length \(T): the next-token loss needs at least 2 tokens per sequence")
        }
        guard counted.count == B * (T - 1) else {
            throw invalidInput("\(counted.count) position flags for \(B) × \(T - 1) predicting positions")
        }
    }

    /// The final hidden states of one run per entry of `transforms` (nil: the clean run), each
    /// from `run(visit)`, where `visit` applies the transform to `point`'s values. A transform
    /// that changes the length throws `invalidInput` once its run is over; meanwhile the
    /// values are zeros of the old length, which keeps the forward in bounds (that run is
    /// thrown away).
    static func hiddenStates<E: Error>(transforms: [((inout [Float]) -> Void)?], point: HookPoint,
                                       invalidInput: (String) -> E,
                                       run: ((HookPoint, inout [Float]) -> Void) -> [Float]) throws -> [[Float]] {
        var hiddenStates: [[Float]] = []
        for transform in transforms {
            // The reason only: `visit` goes into `run`, so it may not hold another closure parameter.
            var failure: String?
            func visit(_ site: HookPoint, _ values: inout [Float]) {
                guard let transform, site == point else { return }
                let count = values.count
                transform(&values)
                if values.count != count {
                    failure = "the transform for \(site) changed the activation from \(count) to \(values.count) floats"
                    values = [Float](repeating: 0, count: count)
                }
            }
            let states = run(visit)
            if let failure { throw invalidInput(failure) }
            hiddenStates.append(states)
        }
        return hiddenStates
    }
}
