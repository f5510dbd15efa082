import ActStore
import ArgumentParser
import Foundation
import StreamTrain

/// The rows of every batch the streaming loader (`StoreBatchSource`) serves, one JSON line per
/// batch: what the Python loader (python/saestore/loader.py) is tested to reproduce for the
/// same settings, and the Swift side of its throughput benchmark (benchmarks/python).
struct BatchesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batches", abstract: "Rows of the store loader's batches, as JSON lines (or only the rate with --count-only).")

    @Option(help: "Store directory.") var store: String
    @Option(help: "Activation column.") var column: String
    @Option(help: "Rows per batch.") var batch = 512
    @Option(help: "Shuffle buffer rows.") var bufferRows = 1 << 16
    @Option var seed: UInt64 = 0
    @Option(help: "Epochs to serve.") var epochs = 1
    @Option(help: "Skip rows at context positions below this.") var minimumPosition = 0
    @Option var firstRow: Int?
    @Option var endRow: Int?
    @Option(help: "Stream I/N of a data-parallel split (0/1: everything).") var stream = "0/1"
    @Option(help: "Decode threads.") var workers = 1
    @Flag(help: "Rows in store order (no chunk permutation, no buffer).") var noShuffle = false
    @Flag(help: "Print one summary line (rows, seconds) instead of the rows.") var countOnly = false

    func run() throws {
        let parts = stream.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]) else {
            throw ValidationError("--stream must be I/N with 0 <= I < N, not \(stream)")
        }
        let reader = try openStore(at: store)
        let config = StreamLoaderConfig(column: column, firstRow: firstRow, endRow: endRow, shuffleBufferRows: bufferRows,
                                        workerCount: workers, seed: seed, minimumPosition: minimumPosition, shuffle: !noShuffle)
        let source = try StoreBatchSource(reader: reader, config: config, partition: StreamPartition(index: parts[0], count: parts[1]))
        var values = [Float](repeating: 0, count: batch * source.rowWidth)
        let start = ContinuousClock.now
        var rows = 0
        for epoch in 0..<epochs {
            while true {
                let n = try source.nextBatch(into: &values, maxRowCount: batch)
                if n == 0 { break }
                rows += n
                if !countOnly {
                    print("{\"epoch\":\(epoch),\"rows\":[\(source.lastBatchRows.map(String.init).joined(separator: ","))]}")
                }
            }
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18 + Double((ContinuousClock.now - start).components.seconds)
        if countOnly {
            print("{\"rows\":\(rows),\"seconds\":\(seconds),\"width\":\(source.rowWidth)}")
        }
    }
}
