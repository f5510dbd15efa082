import Foundation
import StreamTrain

/// Members' training outcomes, written by their threads under one lock (which also serialises
/// their progress events).
final class SweepOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [Result<TrainingSummary, Error>?]

    init(memberCount: Int) {
        outcomes = [Result<TrainingSummary, Error>?](repeating: nil, count: memberCount)
    }

    /// Runs `body` under the lock.
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        try lock.withLock(body)
    }

    func record(_ outcome: Result<TrainingSummary, Error>, member: Int) {
        lock.withLock { outcomes[member] = outcome }
    }

    /// Every member's outcome; traps if a member did not report (a thread that never ran).
    var all: [Result<TrainingSummary, Error>] {
        lock.withLock {
            outcomes.enumerated().map { index, outcome in
                guard let outcome else { preconditionFailure("sweep member \(index) ended without an outcome") }
                return outcome
            }
        }
    }
}
