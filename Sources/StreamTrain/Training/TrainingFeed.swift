import Foundation

/// What the one training loop (`SAETrainer+TrainingLoop.swift`) reads: this process's share of
/// every global batch. A plain `BatchSource` is the whole batch of a one-process run
/// (`SingleSourceFeed`); a `RankBatchSource` is one rank's streams of a data-parallel run.
protocol TrainingFeed {
    /// Floats per row.
    var rowWidth: Int { get }
    /// Streams every epoch is split into; nil for a plain source.
    var partitionStreamCount: Int? { get }
    /// Most rows this process gives to a global batch of `globalRowCount` rows.
    func maxLocalRowCount(globalRowCount: Int) -> Int
    /// Writes this process's rows of the next global batch of at most `globalRowLimit` rows into
    /// `batch` and returns their count (0: this process has no more rows this epoch).
    mutating func nextBatch(into batch: inout [Float], globalRowLimit: Int) throws -> Int
    /// Every process found no rows: the next call of `nextBatch` starts the next epoch.
    mutating func advanceEpoch() throws
    /// The loader position saved in checkpoints.
    func position() throws -> Data
    /// Continues from a `position()`.
    mutating func restore(position: Data) throws
    /// Σ‖x‖ and the row count over this process's share of the first `rowCount` rows of epoch
    /// 0, read `batchSize` rows at a time into `scratch`; the feed is put back where it was.
    mutating func normSums(rowCount: Int, batchSize: Int, scratch: inout [Float]) throws -> (normSum: Double, rowCount: Int)
    /// Sets b_dec from a sample of the feed's first rows (`config.bDecInit`).
    mutating func initializeDecoderBias(of trainer: SAETrainer) throws
}

/// One process reading every row of every batch from a `BatchSource`.
struct SingleSourceFeed<Source: BatchSource>: TrainingFeed {
    var source: Source

    var rowWidth: Int { source.rowWidth }
    var partitionStreamCount: Int? { nil }
    func maxLocalRowCount(globalRowCount: Int) -> Int { globalRowCount }

    mutating func nextBatch(into batch: inout [Float], globalRowLimit: Int) throws -> Int {
        try source.nextBatch(into: &batch, maxRowCount: globalRowLimit)
    }

    /// A `BatchSource` starts its next epoch by itself after returning 0.
    mutating func advanceEpoch() throws {}

    func position() throws -> Data { try source.position() }
    mutating func restore(position: Data) throws { try source.restore(position: position) }

    mutating func normSums(rowCount: Int, batchSize: Int, scratch: inout [Float]) throws -> (normSum: Double, rowCount: Int) {
        let start = try source.position()
        var normSum = 0.0
        var rowsRead = 0
        while rowsRead < rowCount {
            let want = min(batchSize, rowCount - rowsRead)
            let rows = try source.nextBatch(into: &scratch, maxRowCount: want)
            if rows == 0 { break }
            normSum += try ActivationNorms.sum(scratch, rowCount: rows, width: source.rowWidth, firstRow: rowsRead)
            rowsRead += rows
        }
        try source.restore(position: start)
        return (normSum, rowsRead)
    }

    mutating func initializeDecoderBias(of trainer: SAETrainer) throws {
        try trainer.initializeDecoderBias(source: &source)
    }
}

extension RankBatchSource: TrainingFeed {
    var partitionStreamCount: Int? { streamCount }

    func maxLocalRowCount(globalRowCount: Int) -> Int { maxRankRowCount(globalRowCount: globalRowCount) }

    func normSums(rowCount: Int, batchSize: Int, scratch: inout [Float]) throws -> (normSum: Double, rowCount: Int) {
        // Each stream gives its share of the rows (512 at a time), as one process owning all
        // the streams would: the scale depends on the stream count, not on the rank count.
        try normSums(rowsPerStream: (rowCount + streamCount - 1) / streamCount)
    }

    func initializeDecoderBias(of trainer: SAETrainer) throws {
        // train(rankSource:…) refuses --b-dec-init before the loop starts.
        preconditionFailure("b_dec initialisation is not gathered over ranks")
    }
}
