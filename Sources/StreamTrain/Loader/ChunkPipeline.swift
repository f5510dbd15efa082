import ActStore
import Foundation

/// Rows of one chunk after decoding and filtering, with their global row numbers.
struct DecodedChunk {
    var values: [Float]
    var rows: [Int]
}

/// Decodes a fixed sequence of chunks on worker threads, at most `ahead` chunks in front of
/// the consumer, and hands them over strictly in sequence order — so what the trainer sees
/// depends only on the sequence, never on thread timing.
final class ChunkPipeline: @unchecked Sendable {
    private let reader: any StoreReading
    private let columns: ColumnPair
    private let sequence: [Int]
    private let filter: RowFilter
    private let ahead: Int

    private let condition = NSCondition()
    private var nextToClaim = 0
    private var nextToTake = 0
    private var ready: [Int: Result<DecodedChunk, Error>] = [:]
    private var stopped = false
    private var running = 0

    init(reader: any StoreReading, columns: ColumnPair, sequence: [Int], filter: RowFilter, workers: Int, ahead: Int) {
        self.reader = reader
        self.columns = columns
        self.sequence = sequence
        self.filter = filter
        self.ahead = ahead
        running = workers
        for _ in 0..<workers {
            let thread = Thread { [self] in work() }
            thread.name = "saestore-decode"
            thread.start()
        }
    }

    deinit { stop() }

    /// Ends the workers (they finish the chunk in hand) and waits for them.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    /// The next chunk in sequence, or nil after the last one.
    func next() throws -> DecodedChunk? {
        condition.lock()
        defer { condition.unlock() }
        guard nextToTake < sequence.count else { return nil }
        while ready[nextToTake] == nil { condition.wait() }
        let result = ready.removeValue(forKey: nextToTake)!
        nextToTake += 1
        condition.broadcast()
        return try result.get()
    }

    private func work() {
        let decoder = reader.makeDecoder()
        var positions: [UInt64] = []
        while true {
            condition.lock()
            while !stopped && nextToClaim < sequence.count && nextToClaim >= nextToTake + ahead { condition.wait() }
            if stopped || nextToClaim >= sequence.count {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let index = nextToClaim
            nextToClaim += 1
            condition.unlock()

            let result = Result {
                try Self.decode(reader: reader, columns: columns, chunk: sequence[index], filter: filter,
                                decoder: decoder, positions: &positions)
            }

            condition.lock()
            ready[index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// One chunk's kept rows (what the pipeline hands over for it; a restored loader decodes
    /// its current chunk again through this).
    static func decode(reader: any StoreReading, columns: ColumnPair, chunk: Int, filter: RowFilter,
                       decoder: ChunkDecoder, positions: inout [UInt64]) throws -> DecodedChunk {
        var values: [Float] = []
        try columns.readChunk(reader: reader, chunk: chunk, into: &values, decoder: decoder)
        let width = columns.rowWidth
        let chunkRows = try reader.chunkRows(chunk)
        if filter.needsPositions {
            try reader.readChunk(column: TokenColumn.position, chunk: chunk, into: &positions, decoder: decoder)
            try reader.release(column: TokenColumn.position, chunk: chunk)
        }
        let keep = filter.keptRows(of: chunkRows, positions: positions)
        if keep.count == chunkRows.count { return DecodedChunk(values: values, rows: Array(chunkRows)) }
        var kept = [Float]()
        kept.reserveCapacity(keep.count * width)
        for row in keep {
            let start = (row - chunkRows.lowerBound) * width
            kept.append(contentsOf: values[start..<start + width])
        }
        return DecodedChunk(values: kept, rows: keep)
    }
}
