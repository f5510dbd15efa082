import ActStore
import Foundation

/// Training batches streamed from a store column, shuffled at two levels: the order of
/// chunks is permuted every epoch, and rows pass through a shuffle buffer from which each
/// batch row is drawn uniformly (the refill-on-draw buffer of tf.data). Chunks are decoded
/// on worker threads ahead of the trainer. Memory is the buffer plus the chunks in flight,
/// whatever the store's size. Deterministic for a given seed.
public final class StoreBatchSource: BatchSource {
    /// Column, rows, shuffle buffer, workers, seed and position filter.
    public let config: StreamLoaderConfig
    /// The store the rows come from.
    public let reader: any StoreReading
    /// Floats per row (the column's width; with a `targetColumn`, both columns' widths).
    public let rowWidth: Int
    /// The reader's columns a row is made of: `config.column`, then `config.targetColumn`.
    private let columnPair: ColumnPair
    /// Which share of each epoch's chunks this source reads (`.whole` unless it is one of the
    /// streams of a data-parallel run, docs/MPI.md).
    public let partition: StreamPartition
    /// Rows one epoch yields (after the row range and position filter).
    public private(set) var rowsPerEpoch: Int
    /// Global row numbers of the rows in the last batch, in batch order.
    public private(set) var lastBatchRows: [Int] = []

    private let filter: RowFilter
    private let chunks: [Int]
    /// This epoch's chunk sequence for this stream, and how many of it the buffer has taken.
    private var order: [Int] = []
    private var chunksTaken = 0
    private var epoch = 0
    private var batchesInEpoch = 0
    private var lastMaxRowCount = 0
    private var rng = SeededGenerator(seed: 0)
    private var pipeline: ChunkPipeline?

    // The buffer: `bufferCount` rows, values and global row numbers.
    private var buffer: [Float] = []
    private var bufferRows: [Int] = []
    private var bufferCount = 0
    // The chunk being fed into the buffer.
    private var incoming = DecodedChunk(values: [], rows: [])
    private var incomingOffset = 0
    private var streamDone = false

    /// A source over `partition` of the rows `config` selects in `reader`'s column, at the start
    /// of epoch 0. `rowsPerEpoch`, when known (a resumed run's run.json), is taken instead of
    /// counted: with a position filter the count reads the whole `pos` column, O(store rows),
    /// which would make a resume's cost grow with the store; `restore(position:)` checks it
    /// against the count the checkpoint's loader had. Throws `StoreError` for an invalid config,
    /// an unknown or non-float column, a row range outside the store, or a position filter
    /// without a `pos` column.
    public init(reader: any StoreReading, config: StreamLoaderConfig, partition: StreamPartition = .whole,
                rowsPerEpoch known: Int? = nil) throws {
        try config.validate()
        self.reader = reader
        self.config = config
        self.partition = partition
        let spec = try reader.spec(config.column)
        guard spec.codec.isFloat else {
            throw StoreError.invalidArgument("column \(config.column) holds \(spec.codec.rawValue) integers, not activations")
        }
        if config.minimumPosition > 0 { _ = try reader.spec(TokenColumn.position) }
        columnPair = try ColumnPair(reader: reader, column: config.column, inputWidth: spec.width,
                                    targetColumn: config.targetColumn)
        rowWidth = columnPair.rowWidth
        let first = config.firstRow ?? 0
        let end = config.endRow ?? reader.rowCount
        guard first >= 0, end <= reader.rowCount, first < end else {
            throw StoreError.invalidArgument("\(reader.path): rows \(first)..<\(end) are not within its \(reader.rowCount) rows, or empty")
        }
        filter = RowFilter(rowRange: first..<end, minimumPosition: config.minimumPosition)
        let firstChunk = try reader.chunk(containing: first)
        let lastChunk = try reader.chunk(containing: end - 1)
        chunks = Array(firstChunk...lastChunk)
        rowsPerEpoch = try known ?? filter.countRows(reader: reader, chunks: chunks)
        guard rowsPerEpoch > 0 else { throw StoreError.invalidArgument("\(reader.path): no rows left after filtering positions below \(config.minimumPosition)") }
        startEpoch(0)
    }

    deinit { pipeline?.stop() }

    /// Starts epoch `newEpoch` afresh (a data-parallel run replays its streams from there).
    func begin(epoch newEpoch: Int) { startEpoch(newEpoch) }

    /// Starts epoch `newEpoch` with its first `skippingChunks` chunks already taken (a
    /// restored position: their rows are in the restored buffer or were served).
    private func startEpoch(_ newEpoch: Int, skippingChunks: Int = 0) {
        pipeline?.stop()
        epoch = newEpoch
        batchesInEpoch = 0
        rng = SeededGenerator(seed: config.seed &+ UInt64(newEpoch) &* 0x9E37_79B9_7F4A_7C15)
        var order = chunks
        if config.shuffle {
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextIndex(below: i + 1)) }
        }
        if partition.count > 1 {
            // Every stream permutes the same way and takes every count-th chunk of it, so the
            // streams split each epoch's chunks disjointly; each draws from its own buffer.
            order = stride(from: partition.index, to: order.count, by: partition.count).map { order[$0] }
            rng = SeededGenerator(seed: config.seed &+ UInt64(newEpoch) &* 0x9E37_79B9_7F4A_7C15
                                      ^ (UInt64(partition.index + 1) &* 0xD1B5_4A32_D192_ED03))
        }
        self.order = order
        chunksTaken = min(skippingChunks, order.count)
        pipeline = ChunkPipeline(reader: reader, columns: columnPair, sequence: Array(order[chunksTaken...]),
                                 filter: filter, workers: config.workerCount, ahead: config.prefetchChunks)
        let capacity = config.shuffle ? min(max(1, config.shuffleBufferRows / partition.count), rowsPerEpoch) : 0
        if buffer.count != capacity * rowWidth {
            buffer = [Float](repeating: 0, count: capacity * rowWidth)
            bufferRows = [Int](repeating: 0, count: capacity)
        }
        bufferCount = 0
        incoming = DecodedChunk(values: [], rows: [])
        incomingOffset = 0
        streamDone = false
    }

    /// The next row from the chunk stream into `body`; false when the epoch's stream is done.
    private func pullRow(_ body: (ArraySlice<Float>, Int) -> Void) throws -> Bool {
        while incomingOffset >= incoming.rows.count {
            guard !streamDone, let chunk = try pipeline!.next() else {
                streamDone = true
                return false
            }
            incoming = chunk
            incomingOffset = 0
            chunksTaken += 1
        }
        let start = incomingOffset * rowWidth
        body(incoming.values[start..<start + rowWidth], incoming.rows[incomingOffset])
        incomingOffset += 1
        return true
    }

    /// Up to `maxRowCount` rows (row-major into `batch`, which must hold `maxRowCount` rows;
    /// traps otherwise) and their row numbers in `lastBatchRows`; 0 once at the end of each epoch,
    /// after which the next call starts the next epoch. Throws the reader's decode and checksum errors.
    public func nextBatch(into batch: inout [Float], maxRowCount: Int) throws -> Int {
        precondition(batch.count >= maxRowCount * rowWidth, "batch holds \(batch.count) floats, need \(maxRowCount * rowWidth)")
        lastMaxRowCount = maxRowCount
        lastBatchRows.removeAll(keepingCapacity: true)
        let width = rowWidth
        var produced = 0
        if !config.shuffle {
            while produced < maxRowCount {
                let got = try pullRow { values, row in
                    batch.replaceSubrange(produced * width..<(produced + 1) * width, with: values)
                    lastBatchRows.append(row)
                }
                if !got { break }
                produced += 1
            }
        } else {
            let capacity = bufferRows.count
            // Fill the buffer before the first draw of the epoch.
            while bufferCount < capacity && !streamDone {
                let slot = bufferCount
                let got = try pullRow { values, row in
                    buffer.replaceSubrange(slot * width..<(slot + 1) * width, with: values)
                    bufferRows[slot] = row
                }
                if got { bufferCount += 1 }
            }
            while produced < maxRowCount && bufferCount > 0 {
                let slot = rng.nextIndex(below: bufferCount)
                batch.withUnsafeMutableBufferPointer { out in
                    buffer.withUnsafeBufferPointer { buf in
                        (out.baseAddress! + produced * width).update(from: buf.baseAddress! + slot * width, count: width)
                    }
                }
                lastBatchRows.append(bufferRows[slot])
                produced += 1
                // Refill the drawn slot from the stream; once it is dry, shrink the buffer.
                let refilled = try pullRow { values, row in
                    buffer.replaceSubrange(slot * width..<(slot + 1) * width, with: values)
                    bufferRows[slot] = row
                }
                if !refilled {
                    let last = bufferCount - 1
                    if slot != last {
                        buffer.withUnsafeMutableBufferPointer { buf in
                            (buf.baseAddress! + slot * width).update(from: buf.baseAddress! + last * width, count: width)
                        }
                        bufferRows[slot] = bufferRows[last]
                    }
                    bufferCount -= 1
                }
            }
        }
        if produced == 0 {
            startEpoch(epoch + 1)
            return 0
        }
        batchesInEpoch += 1
        return produced
    }

    // MARK: resume

    private struct Position: Codable {
        var epoch: Int
        var batchesInEpoch: Int
        var maxRowCount: Int
        var config: StreamLoaderConfig
        var storeRowCount: Int
        var partition: StreamPartition?
        // The loader's state (absent in checkpoints of older versions, which are replayed):
        /// The draw RNG's state.
        var rng: SeededGenerator?
        /// Chunks of the epoch's sequence taken so far; the last of them is being fed in.
        var chunksTaken: Int?
        /// Kept rows of that chunk already fed into the buffer.
        var incomingOffset: Int?
        /// Global row numbers of the buffer's rows, slot by slot.
        var bufferRows: [Int]?
        var streamDone: Bool?
        /// Rows the epoch yields (absent in older checkpoints).
        var rowsPerEpoch: Int?
    }

    /// Epoch, batches served in it, and the loader's state: the draw RNG, how far into the
    /// epoch's chunk sequence it is, and the row numbers in the shuffle buffer (not their
    /// values: 8 bytes a row, whatever the width). `restore` reads those rows back from the
    /// store, so resuming costs the buffer's chunks, not the epoch so far.
    public func position() throws -> Data {
        try JSONEncoder.sortedKeys.encode(Position(epoch: epoch, batchesInEpoch: batchesInEpoch, maxRowCount: lastMaxRowCount,
                                                   config: config, storeRowCount: reader.rowCount,
                                                   partition: partition == .whole ? nil : partition,
                                                   rng: rng, chunksTaken: chunksTaken, incomingOffset: incomingOffset,
                                                   bufferRows: Array(bufferRows.prefix(bufferCount)), streamDone: streamDone,
                                                   rowsPerEpoch: rowsPerEpoch))
    }

    /// Continues from a `position()` of a source with the same config, partition and store rows;
    /// throws `StoreError.invalidArgument` naming what differs.
    public func restore(position: Data) throws {
        let saved = try JSONDecoder().decode(Position.self, from: position)
        guard saved.config == config else {
            throw StoreError.invalidArgument("the checkpoint's loader settings differ from this run's (column, rows, buffer, seed or filter); resume with the same settings")
        }
        guard (saved.partition ?? .whole) == partition else {
            throw StoreError.invalidArgument("the checkpoint's loader was stream \((saved.partition ?? .whole).index) of \((saved.partition ?? .whole).count), this one is \(partition.index) of \(partition.count)")
        }
        guard saved.storeRowCount == reader.rowCount || config.endRow != nil else {
            throw StoreError.invalidArgument("the store had \(saved.storeRowCount) rows when the checkpoint was written and has \(reader.rowCount) now")
        }
        if let savedRows = saved.rowsPerEpoch, savedRows != rowsPerEpoch {
            throw StoreError.invalidArgument("the checkpoint's loader had \(savedRows) rows per epoch, this one has \(rowsPerEpoch) (the store's rows or the filter changed); resume with the same store and settings")
        }
        guard let rngState = saved.rng, let taken = saved.chunksTaken, let offset = saved.incomingOffset,
              let rows = saved.bufferRows, let done = saved.streamDone else {
            // A position without the loader's state: replay the epoch's draws up to it.
            startEpoch(saved.epoch)
            var scratch = [Float](repeating: 0, count: max(saved.maxRowCount, 1) * rowWidth)
            for _ in 0..<saved.batchesInEpoch {
                _ = try nextBatch(into: &scratch, maxRowCount: saved.maxRowCount)
            }
            return
        }
        startEpoch(saved.epoch, skippingChunks: taken)
        guard taken == chunksTaken, rows.count <= bufferRows.count else {
            throw StoreError.invalidArgument("the checkpoint's loader position (\(taken) chunks taken, \(rows.count) buffered rows) does not fit this store and buffer")
        }
        batchesInEpoch = saved.batchesInEpoch
        lastMaxRowCount = saved.maxRowCount
        rng = rngState
        streamDone = done
        let decoder = reader.makeDecoder()
        if taken > 0 {
            var positions: [UInt64] = []
            incoming = try ChunkPipeline.decode(reader: reader, columns: columnPair, chunk: order[taken - 1],
                                                filter: filter, decoder: decoder, positions: &positions)
            guard offset <= incoming.rows.count else {
                throw StoreError.invalidArgument("the checkpoint's loader position is \(offset) rows into chunk \(order[taken - 1]), which keeps \(incoming.rows.count)")
            }
            incomingOffset = offset
        }
        try refillBuffer(rows: rows, decoder: decoder)
    }

    /// Reads the buffer's rows back from the store into their slots, one chunk at a time
    /// (the buffer holds rows of the last few hundred chunks at most, however far the epoch
    /// has gone: each draw replaces a slot, so old chunks' rows leave it geometrically).
    private func refillBuffer(rows: [Int], decoder: ChunkDecoder) throws {
        let width = rowWidth
        var slotsByChunk: [Int: [Int]] = [:]
        for (slot, row) in rows.enumerated() {
            guard filter.rowRange.contains(row) else {
                throw StoreError.invalidArgument("the checkpoint's shuffle buffer holds row \(row), outside this run's rows \(filter.rowRange)")
            }
            slotsByChunk[try reader.chunk(containing: row), default: []].append(slot)
        }
        var values: [Float] = []
        for chunk in slotsByChunk.keys.sorted() {
            try columnPair.readChunk(reader: reader, chunk: chunk, into: &values, decoder: decoder)
            let first = try reader.chunkRows(chunk).lowerBound
            for slot in slotsByChunk[chunk]! {
                let start = (rows[slot] - first) * width
                buffer.replaceSubrange(slot * width..<(slot + 1) * width, with: values[start..<start + width])
                bufferRows[slot] = rows[slot]
            }
        }
        bufferCount = rows.count
    }
}
