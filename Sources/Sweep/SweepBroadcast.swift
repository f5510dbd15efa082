import Foundation
import StreamTrain

/// One batch source read once and served to several consumers, each of which sees the exact
/// sequence of batches (0-row epoch ends included) the source produces. The first consumer to
/// ask for batch i reads it; the batch is dropped once every attached consumer has taken it.
/// A consumer more than `batchesAhead` batches ahead of the slowest one waits, so memory is
/// bounded. Thread-safe: each consumer runs on its own thread.
final class SweepBroadcast: @unchecked Sendable {
    private struct Batch {
        var values: [Float]
        var rowCount: Int
        var maxRowCount: Int
        var remaining: Int
    }

    let rowWidth: Int
    private let source: StoreBatchSource
    private let batchesAhead: Int
    private let condition = NSCondition()
    private var batches: [Int: Batch] = [:]
    private var nextIndex: [Int]
    private var attached: [Bool]
    private var producedCount = 0
    private var failure: Error?

    init(source: StoreBatchSource, consumerCount: Int, batchesAhead: Int) {
        self.source = source
        self.rowWidth = source.rowWidth
        self.batchesAhead = batchesAhead
        nextIndex = [Int](repeating: 0, count: consumerCount)
        attached = [Bool](repeating: true, count: consumerCount)
    }

    /// The consumer's next batch into `batch` (rows · rowWidth floats); 0 at an epoch's end.
    func nextBatch(consumer: Int, into batch: inout [Float], maxRowCount: Int) throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        let index = nextIndex[consumer]
        while index == producedCount, failure == nil, producedCount - slowestIndex() >= batchesAhead {
            condition.wait()
        }
        if let failure { throw failure }
        if index == producedCount {
            var values = [Float](repeating: 0, count: maxRowCount * rowWidth)
            do {
                let rows = try source.nextBatch(into: &values, maxRowCount: maxRowCount)
                values.removeSubrange((rows * rowWidth)...)
                let waiting = attached.indices.filter { attached[$0] && nextIndex[$0] <= index }.count
                batches[index] = Batch(values: values, rowCount: rows, maxRowCount: maxRowCount, remaining: waiting)
                producedCount += 1
            } catch {
                failure = error
                condition.broadcast()
                throw error
            }
        }
        var served = batches[index]!
        precondition(served.maxRowCount == maxRowCount,
                     "sweep members asked for batch \(index) with \(served.maxRowCount) and \(maxRowCount) rows; they must share batch size and budgets")
        if served.rowCount > 0 {
            batch.withUnsafeMutableBufferPointer { out in
                served.values.withUnsafeBufferPointer { values in
                    out.baseAddress!.update(from: values.baseAddress!, count: values.count)
                }
            }
        }
        served.remaining -= 1
        batches[index] = served.remaining == 0 ? nil : served
        nextIndex[consumer] = index + 1
        condition.broadcast()
        return served.rowCount
    }

    /// Batches read from the source so far.
    var producedBatchCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return producedCount
    }

    /// The consumer stops (finished or failed): batches it would still have taken are released.
    func detach(consumer: Int) {
        condition.lock()
        defer { condition.unlock() }
        guard attached[consumer] else { return }
        attached[consumer] = false
        for index in batches.keys.sorted() where index >= nextIndex[consumer] {
            batches[index]!.remaining -= 1
            if batches[index]!.remaining == 0 { batches[index] = nil }
        }
        condition.broadcast()
    }

    /// The lowest batch index an attached consumer still needs (producedCount when none).
    private func slowestIndex() -> Int {
        attached.indices.filter { attached[$0] }.map { nextIndex[$0] }.min() ?? producedCount
    }
}
