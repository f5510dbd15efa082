import Foundation

/// Rows held in memory, visited in a fresh random order every epoch (Fisher–Yates with
/// `SeededGenerator`, so the order depends only on the seed and the epoch).
public struct ArrayBatchSource: BatchSource {
    /// Floats per row.
    public let rowWidth: Int
    /// Number of rows.
    public let rowCount: Int
    private let rows: [Float]
    private let seed: UInt64
    private let shuffles: Bool
    private var epochIndex: Int
    private var order: [Int]
    private var nextOrderIndex: Int

    /// - Parameters:
    ///   - rows: row-major, `rows.count` a multiple of `rowWidth`.
    ///   - shuffle: false visits rows in storage order (parity tests, evaluation).
    public init(rows: [Float], rowWidth: Int, seed: UInt64, shuffle: Bool = true) throws {
        guard rowWidth > 0, !rows.isEmpty, rows.count % rowWidth == 0 else {
            throw TrainingError.badSource(reason: "\(rows.count) floats are not whole rows of width \(rowWidth)")
        }
        self.rows = rows
        self.rowWidth = rowWidth
        self.rowCount = rows.count / rowWidth
        self.seed = seed
        self.shuffles = shuffle
        epochIndex = 0
        order = []
        nextOrderIndex = 0
        order = makeOrder(epoch: 0)
    }

    /// Up to `maxRowCount` rows of this epoch's order (`batch` must hold `maxRowCount` rows; traps
    /// otherwise); 0 once at the end of each epoch, after which the next epoch's order starts.
    public mutating func nextBatch(into batch: inout [Float], maxRowCount: Int) throws -> Int {
        precondition(batch.count >= maxRowCount * rowWidth, "batch buffer too small for \(maxRowCount) rows")
        if nextOrderIndex == rowCount {
            epochIndex += 1
            order = makeOrder(epoch: epochIndex)
            nextOrderIndex = 0
            return 0
        }
        let count = min(maxRowCount, rowCount - nextOrderIndex)
        let C = rowWidth
        batch.withUnsafeMutableBufferPointer { out in
            rows.withUnsafeBufferPointer { rows in
                for r in 0..<count {
                    let source = order[nextOrderIndex + r]
                    (out.baseAddress! + r * C).update(from: rows.baseAddress! + source * C, count: C)
                }
            }
        }
        nextOrderIndex += count
        return count
    }

    private struct Position: Codable {
        var epoch: Int
        var rowsConsumed: Int
        var rowCount: Int
        var seed: UInt64
    }

    /// Epoch, rows consumed, row count and seed.
    public func position() throws -> Data {
        try JSONEncoder.sortedKeys.encode(Position(epoch: epochIndex, rowsConsumed: nextOrderIndex,
                                          rowCount: rowCount, seed: seed))
    }

    /// Continues from a `position()` of a source over as many rows with the same seed; throws `TrainingError.badSource` otherwise.
    public mutating func restore(position: Data) throws {
        let saved: Position
        do { saved = try JSONDecoder().decode(Position.self, from: position) } catch {
            throw TrainingError.badSource(reason: "unreadable ArrayBatchSource position: \(error)")
        }
        guard saved.rowCount == rowCount, saved.seed == seed, saved.rowsConsumed <= rowCount else {
            throw TrainingError.badSource(reason: "position was saved for \(saved.rowCount) rows, seed \(saved.seed); "
                + "this source has \(rowCount) rows, seed \(seed)")
        }
        epochIndex = saved.epoch
        order = makeOrder(epoch: saved.epoch)
        nextOrderIndex = saved.rowsConsumed
    }

    /// Each epoch's order comes from its own generator (seed mixed with the epoch), so restoring
    /// a position needs no RNG state.
    private func makeOrder(epoch: Int) -> [Int] {
        var order = Array(0..<rowCount)
        guard shuffles else { return order }
        var generator = SeededGenerator(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15))
        var i = rowCount - 1
        while i > 0 {
            let j = generator.nextIndex(below: i + 1)
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}
