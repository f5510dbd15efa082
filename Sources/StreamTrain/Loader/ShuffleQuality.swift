import ActStore

/// How well batches mix documents, measured against uniform sampling over the same rows.
public struct ShuffleQuality: Codable, Sendable {
    /// Mean number of distinct documents in a batch.
    public var meanDistinctDocuments: Double
    /// Mean over batches of the largest fraction of a batch that comes from one document.
    public var meanLargestDocumentShare: Double
    /// The same two numbers for batches drawn uniformly at random, without replacement,
    /// from the rows the loader serves (by simulation with a fixed seed).
    public var uniformMeanDistinctDocuments: Double
    /// `meanLargestDocumentShare` of the uniform draws.
    public var uniformMeanLargestDocumentShare: Double
    /// Rows per measured batch.
    public var batchRows: Int
    /// Batches measured.
    public var batches: Int

    /// Draws `batches` batches from a loader with `config` and compares them with uniform draws.
    public static func measure(reader: any StoreReading, config: StreamLoaderConfig, batchRows: Int, batches: Int) throws -> ShuffleQuality {
        let source = try StoreBatchSource(reader: reader, config: config)
        let docOfRow = try reader.readIntegers(column: TokenColumn.docID, rows: 0..<reader.rowCount)
        var batch = [Float](repeating: 0, count: batchRows * source.rowWidth)
        var observed: [[Int]] = []
        var eligible: Set<Int> = []
        while observed.count < batches {
            let n = try source.nextBatch(into: &batch, maxRowCount: batchRows)
            if n == 0 {
                if observed.isEmpty { break }
                continue
            }
            observed.append(source.lastBatchRows)
            eligible.formUnion(source.lastBatchRows)
        }
        // Uniform baseline over the rows the loader serves in one epoch.
        var all: [Int] = []
        let epochSource = try StoreBatchSource(reader: reader, config: StreamLoaderConfig(column: config.column, firstRow: config.firstRow, endRow: config.endRow,
                                                                                          minimumPosition: config.minimumPosition, shuffle: false))
        while true {
            let n = try epochSource.nextBatch(into: &batch, maxRowCount: batchRows)
            if n == 0 { break }
            all += epochSource.lastBatchRows
        }
        var rng = SeededGenerator(seed: 12345)
        var uniform: [[Int]] = []
        for _ in 0..<max(observed.count, 1) {
            var picks = Set<Int>()
            while picks.count < min(batchRows, all.count) { picks.insert(all[rng.nextIndex(below: all.count)]) }
            uniform.append(Array(picks))
        }
        func stats(_ batches: [[Int]]) -> (Double, Double) {
            var distinct = 0.0, largest = 0.0
            for rows in batches {
                var counts: [UInt64: Int] = [:]
                for row in rows { counts[docOfRow[row], default: 0] += 1 }
                distinct += Double(counts.count)
                largest += Double(counts.values.max() ?? 0) / Double(max(rows.count, 1))
            }
            return (distinct / Double(max(batches.count, 1)), largest / Double(max(batches.count, 1)))
        }
        let (d, l) = stats(observed)
        let (ud, ul) = stats(uniform)
        return ShuffleQuality(meanDistinctDocuments: d, meanLargestDocumentShare: l, uniformMeanDistinctDocuments: ud,
                              uniformMeanLargestDocumentShare: ul, batchRows: batchRows, batches: observed.count)
    }
}
