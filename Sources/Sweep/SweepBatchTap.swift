import Foundation
import SAELoading
import StreamTrain

/// One member's view of a `SweepBroadcast`, as the `BatchSource` its trainer reads.
struct SweepBatchTap: BatchSource {
    let broadcast: SweepBroadcast
    let consumer: Int

    var rowWidth: Int { broadcast.rowWidth }

    mutating func nextBatch(into batch: inout [Float], maxRowCount: Int) throws -> Int {
        try broadcast.nextBatch(consumer: consumer, into: &batch, maxRowCount: maxRowCount)
    }

    /// Sweeps keep no checkpoints (a member cannot resume alone from a shared stream), and their
    /// rows are never normalised, so the trainer never asks where the tap is.
    func position() throws -> Data {
        throw EvaluationError.invalidArgument("a sweep member's stream has no resumable position; sweeps do not checkpoint")
    }

    mutating func restore(position: Data) throws {
        throw EvaluationError.invalidArgument("a sweep member's stream cannot be restored; rerun the sweep into a new --out")
    }
}
