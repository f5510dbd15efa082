import ActStore
import Foundation

/// One rank's share of a data-parallel run's batches (docs/MPI.md).
///
/// The epoch's rows are split into `streamCount` streams (`StreamPartition`: each takes every
/// streamCount-th chunk of the epoch's chunk permutation and has its own shuffle buffer). A
/// global step of `B` rows takes `B / streamCount` rows from each stream (the first `B %
/// streamCount` streams one more), concatenated in stream order; a stream that has run dry for
/// the epoch gives none, and the epoch ends when every stream is dry. Rank r of N owns the
/// contiguous streams `r·S/N ..< (r+1)·S/N`, so the ranks' batches concatenated in rank order are
/// exactly the global batch a single process owning all streams reads: what the ranks see
/// depends on `streamCount`, never on the rank count. That makes N ranks reproduce one rank
/// over the same rows, and lets a run resume on another rank count (any N ≤ streamCount).
public final class RankBatchSource {
    /// Floats per row.
    public let rowWidth: Int
    /// Streams the epoch is split into (the same on every rank and in every resume).
    public let streamCount: Int
    /// The streams this rank reads.
    public let streamIndices: Range<Int>
    /// Global row numbers of the rows in the last batch, in batch order.
    public private(set) var lastBatchRows: [Int] = []

    private let config: StreamLoaderConfig
    private let storeRowCount: Int
    private let streams: [StoreBatchSource]
    private var dry: [Bool]
    private var epoch = 0
    private var stepsInEpoch = 0
    private var lastGlobalRowLimit = 0
    private var scratch: [Float] = []

    /// Rank `rank` of `rankCount`'s streams of a run split into `streamCount` streams over the rows
    /// `config` selects. Throws `DistributedError.badPartition` if the rank is out of range or there
    /// are fewer streams than ranks, and the loader's errors for a bad config or column.
    /// `rowsPerEpoch`, when known, is passed to every stream (`StoreBatchSource`).
    public init(reader: any StoreReading, config: StreamLoaderConfig, streamCount: Int, rank: Int, rankCount: Int,
                rowsPerEpoch: Int? = nil) throws {
        guard rankCount >= 1, (0..<rankCount).contains(rank) else {
            throw DistributedError.badPartition(detail: "rank \(rank) of \(rankCount)")
        }
        guard streamCount >= rankCount else {
            throw DistributedError.badPartition(detail: "\(rankCount) ranks need at least as many streams, the run has \(streamCount) (--streams)")
        }
        self.config = config
        self.streamCount = streamCount
        storeRowCount = reader.rowCount
        streamIndices = (rank * streamCount / rankCount)..<((rank + 1) * streamCount / rankCount)
        streams = try streamIndices.map {
            try StoreBatchSource(reader: reader, config: config, partition: StreamPartition(index: $0, count: streamCount),
                                 rowsPerEpoch: rowsPerEpoch)
        }
        rowWidth = streams[0].rowWidth
        dry = [Bool](repeating: false, count: streams.count)
    }

    /// Rows stream `stream` gives to a global batch of `globalRowCount` rows (when not dry).
    public func quota(stream: Int, globalRowCount: Int) -> Int {
        globalRowCount / streamCount + (stream < globalRowCount % streamCount ? 1 : 0)
    }

    /// Writes this rank's rows of the next global batch of at most `globalRowLimit` rows into
    /// `batch` (sized for the rank's largest share) and returns their count. Returns 0 once all
    /// this rank's streams are dry for the epoch, and keeps returning 0 until `advanceEpoch()`:
    /// the epoch ends for everyone only when every rank is dry.
    public func nextBatch(into batch: inout [Float], globalRowLimit: Int) throws -> Int {
        lastGlobalRowLimit = globalRowLimit
        lastBatchRows.removeAll(keepingCapacity: true)
        var produced = 0
        for (slot, stream) in streams.enumerated() where !dry[slot] {
            let want = quota(stream: streamIndices.lowerBound + slot, globalRowCount: globalRowLimit)
            guard want > 0 else { continue }
            if scratch.count < want * rowWidth { scratch = [Float](repeating: 0, count: want * rowWidth) }
            let got = try stream.nextBatch(into: &scratch, maxRowCount: want)
            if got == 0 {
                // The stream has begun its next epoch internally; it is not asked again until
                // every rank's epoch is over.
                dry[slot] = true
                continue
            }
            batch.withUnsafeMutableBufferPointer { out in
                scratch.withUnsafeBufferPointer { src in
                    (out.baseAddress! + produced * rowWidth).update(from: src.baseAddress!, count: got * rowWidth)
                }
            }
            lastBatchRows.append(contentsOf: stream.lastBatchRows)
            produced += got
        }
        stepsInEpoch += 1
        return produced
    }

    /// Most rows this rank gives to a global batch of `globalRowCount` rows.
    public func maxRankRowCount(globalRowCount: Int) -> Int {
        streamIndices.reduce(0) { $0 + quota(stream: $1, globalRowCount: globalRowCount) }
    }

    /// Every rank's epoch is over (a global step found no rows anywhere): streams continue
    /// with the next epoch.
    public func advanceEpoch() throws {
        // A dry stream has begun its next epoch already; one that gave no rows because its
        // quota was 0 (a last batch smaller than the stream count) starts it now.
        for (slot, stream) in streams.enumerated() where !dry[slot] { stream.begin(epoch: epoch + 1) }
        dry = [Bool](repeating: false, count: streams.count)
        epoch += 1
        stepsInEpoch = 0
    }

    /// Σ‖x‖ and the row count over the first `rowsPerStream` rows of each of this rank's streams
    /// (or all of a shorter stream) in epoch 0, for the activation scale; the streams are put
    /// back at the start of epoch 0. Throws on a non-finite value.
    public func normSums(rowsPerStream: Int) throws -> (normSum: Double, rowCount: Int) {
        precondition(epoch == 0 && stepsInEpoch == 0, "the scale is estimated before the first step")
        var normSum = 0.0, rowCount = 0
        var rows = [Float](repeating: 0, count: 512 * rowWidth)
        for stream in streams {
            var read = 0
            while read < rowsPerStream {
                let got = try stream.nextBatch(into: &rows, maxRowCount: min(512, rowsPerStream - read))
                if got == 0 { break }
                normSum += try ActivationNorms.sum(rows, rowCount: got, width: rowWidth, firstRow: rowCount)
                read += got
                rowCount += got
            }
            stream.begin(epoch: 0)
        }
        return (normSum, rowCount)
    }

    // MARK: resume

    private struct Position: Codable {
        var epoch: Int
        var stepsInEpoch: Int
        var globalRowLimit: Int
        var streamCount: Int
        var config: StreamLoaderConfig
        var storeRowCount: Int
    }

    /// The position of the whole job (every rank returns the same blob): epoch, global steps
    /// taken in it and the stream split. Any rank count ≤ `streamCount` can restore it.
    public func position() throws -> Data {
        try JSONEncoder.sortedKeys.encode(Position(epoch: epoch, stepsInEpoch: stepsInEpoch, globalRowLimit: lastGlobalRowLimit,
                                          streamCount: streamCount, config: config, storeRowCount: storeRowCount))
    }

    /// Replays this rank's streams to `position` (decoding at most one epoch of its chunks).
    public func restore(position: Data) throws {
        let saved = try JSONDecoder().decode(Position.self, from: position)
        guard saved.config == config else {
            throw StoreError.invalidArgument("the checkpoint's loader settings differ from this run's (column, rows, buffer, seed or filter); resume with the same settings")
        }
        guard saved.streamCount == streamCount else {
            throw StoreError.invalidArgument("the checkpoint split each epoch into \(saved.streamCount) streams, this run into \(streamCount); resume with --streams \(saved.streamCount)")
        }
        guard saved.storeRowCount == storeRowCount || config.endRow != nil else {
            throw StoreError.invalidArgument("the store had \(saved.storeRowCount) rows when the checkpoint was written and has \(storeRowCount) now")
        }
        for stream in streams { stream.begin(epoch: saved.epoch) }
        dry = [Bool](repeating: false, count: streams.count)
        epoch = saved.epoch
        stepsInEpoch = 0
        var replay = [Float](repeating: 0, count: max(1, maxRankRowCount(globalRowCount: saved.globalRowLimit)) * rowWidth)
        for _ in 0..<saved.stepsInEpoch {
            _ = try nextBatch(into: &replay, globalRowLimit: saved.globalRowLimit)
        }
        lastGlobalRowLimit = saved.globalRowLimit
    }
}
