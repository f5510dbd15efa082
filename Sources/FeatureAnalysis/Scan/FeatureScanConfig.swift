import Foundation
import SAELoading

/// What a feature scan keeps per feature and which rows and features it reads.
public struct FeatureScanConfig: Codable, Sendable, Equatable {
    /// Column (hook) the SAE encodes, e.g. `blocks.2.hook_resid_pre`.
    public var column: String
    /// Top examples kept per feature (rows, exact; ties: larger activation, then smaller row).
    public var topK: Int
    /// Quantile buckets per feature: bucket i holds activations in [i, i+1) × max / count
    /// (the last one includes the max). 0 skips the second pass and keeps no samples.
    public var quantileCount: Int
    /// Rows sampled uniformly (without replacement) from each quantile bucket.
    public var samplesPerQuantile: Int
    /// First row scanned (inclusive); 0 when nil.
    public var firstRow: Int?
    /// End row scanned (exclusive); the store's row count when nil.
    public var endRow: Int?
    /// SAE feature ids to keep (sorted, unique); every feature when nil.
    public var features: [Int]?
    /// Threads decompressing chunks ahead of the encoder.
    public var workerCount: Int
    /// Rows encoded per sgemm; memory is batchRows × features × 4 bytes.
    public var batchRows: Int
    /// Seed of the quantile buckets' sampling priorities.
    public var seed: UInt64
    /// Skip rows at context positions below this (1 skips BOS), as training's `--min-position`
    /// does; nil or 0 scans every row of the range.
    public var minimumPosition: Int?

    /// A scan of `column` with the CLI's defaults: top 20, 10 quantile buckets of 5 samples, every
    /// row and feature, one worker, 1024-row batches, seed 0. The scan calls `validate()`.
    public init(column: String, topK: Int = 20, quantileCount: Int = 10, samplesPerQuantile: Int = 5,
                firstRow: Int? = nil, endRow: Int? = nil, features: [Int]? = nil,
                workerCount: Int = 1, batchRows: Int = 1024, seed: UInt64 = 0, minimumPosition: Int? = nil) {
        self.column = column
        self.topK = topK
        self.quantileCount = quantileCount
        self.samplesPerQuantile = samplesPerQuantile
        self.firstRow = firstRow
        self.endRow = endRow
        self.features = features
        self.workerCount = workerCount
        self.batchRows = batchRows
        self.seed = seed
        self.minimumPosition = minimumPosition
    }

    /// Throws `FeaturesError.invalidArgument` (in the CLI's terms, `--top-k` ...) when the column
    /// is empty, topK is outside 1...10000, quantileCount outside 0...1000, samplesPerQuantile
    /// outside 1...1000 (with quantiles), workerCount outside 1...64, batchRows outside 1...65536,
    /// minimumPosition or firstRow negative, the row range empty, or `features` empty, negative,
    /// unsorted or repeated. Whether the rows lie in the store is checked when the scan opens it.
    public func validate() throws {
        if column.isEmpty { throw FeaturesError.invalidArgument("the column (hook) to scan is empty") }
        if !(1...10_000).contains(topK) { throw FeaturesError.invalidArgument("--top-k must be 1...10000, got \(topK)") }
        if !(0...1000).contains(quantileCount) { throw FeaturesError.invalidArgument("--quantiles must be 0...1000, got \(quantileCount)") }
        if quantileCount > 0, !(1...1000).contains(samplesPerQuantile) {
            throw FeaturesError.invalidArgument("--quantile-samples must be 1...1000, got \(samplesPerQuantile)")
        }
        if !(1...64).contains(workerCount) { throw FeaturesError.invalidArgument("--workers must be 1...64, got \(workerCount)") }
        if !(1...65_536).contains(batchRows) { throw FeaturesError.invalidArgument("--batch-rows must be 1...65536, got \(batchRows)") }
        if let minimumPosition, minimumPosition < 0 { throw FeaturesError.invalidArgument("--min-position must be >= 0, got \(minimumPosition)") }
        if let firstRow, firstRow < 0 { throw FeaturesError.invalidArgument("first row \(firstRow) is negative") }
        if let firstRow, let endRow, firstRow >= endRow {
            throw FeaturesError.invalidArgument("row range \(firstRow)..<\(endRow) is empty")
        }
        if let features {
            if features.isEmpty { throw FeaturesError.invalidArgument("--features lists no feature") }
            if features.first! < 0 { throw FeaturesError.invalidArgument("feature ids are >= 0, got \(features.first!)") }
            for i in 1..<features.count where features[i] <= features[i - 1] {
                throw FeaturesError.invalidArgument("feature ids must be sorted and unique (\(features[i - 1]), \(features[i]))")
            }
        }
    }

    /// Parses a feature list as users write it: `3,17,100-199` (ranges inclusive; `..` works
    /// for `-`). Returns sorted unique ids.
    public static func parseFeatureList(_ text: String) throws -> [Int] {
        var ids = Set<Int>()
        for part in text.split(separator: ",") {
            let piece = part.trimmingCharacters(in: .whitespaces)
            let bounds = piece.contains("..") ? piece.components(separatedBy: "..") : piece.components(separatedBy: "-")
            let bad = FeaturesError.invalidArgument("feature list \"\(text)\": \"\(piece)\" is not an id or a range A-B")
            switch bounds.count {
            case 1:
                guard let id = Int(bounds[0]), id >= 0 else { throw bad }
                ids.insert(id)
            case 2:
                guard let a = Int(bounds[0]), let b = Int(bounds[1]), a >= 0, a <= b else { throw bad }
                guard b - a < 10_000_000 else { throw bad }
                for id in a...b { ids.insert(id) }
            default:
                throw bad
            }
        }
        guard !ids.isEmpty else { throw FeaturesError.invalidArgument("feature list \"\(text)\" is empty") }
        return ids.sorted()
    }
}
