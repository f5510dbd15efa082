import Dispatch
import Foundation

/// The store-writing half of the ingest pipeline: compressing chunks, writing segments and
/// committing run on one background thread, in submission order, while the next forward
/// runs. At most `depth` batches wait, so memory stays bounded. After a failure the remaining
/// work is skipped (nothing after the last good commit reaches the index) and the error is
/// rethrown to the submitter.
final class IngestWriteStage {
    private let queue = DispatchQueue(label: "saestore.ingest.write")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: Error?
    private var busySeconds = 0.0

    init(depth: Int = 2) { slots = DispatchSemaphore(value: depth) }

    /// Queues `work`, first waiting for a free slot; throws an earlier work's error instead.
    func submit(_ work: @escaping () throws -> Void) throws {
        try rethrow()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            if lock.withLock({ failure != nil }) { return }
            let start = ContinuousClock.now
            do { try work() } catch { lock.withLock { failure = error } }
            let (s, atto) = (ContinuousClock.now - start).components
            lock.withLock { busySeconds += Double(s) + Double(atto) * 1e-18 }
        }
    }

    /// Waits for everything queued, then throws the first failure if there was one.
    func drain() throws {
        queue.sync {}
        try rethrow()
    }

    /// Seconds the stage spent working so far.
    var secondsBusy: Double { lock.withLock { busySeconds } }

    private func rethrow() throws {
        if let error = lock.withLock({ failure }) { throw error }
    }
}
