import Foundation

/// Shard `index` of `count` of a sharded ingest (docs/MPI.md): the corpus's records, all sources
/// in order, are cut into `count` contiguous runs of (almost) equal record counts, and this
/// shard ingests run `index` into its own store. Because every document is windowed on its own,
/// the shard stores read as one (`shards.json`) equal the store one ingest would write.
public struct IngestShard: Codable, Sendable, Equatable {
    /// This shard, 0..<count.
    public var index: Int
    /// Shards the corpus is cut into.
    public var count: Int

    /// Throws `CorpusError.invalidOptions` unless count ≥ 1 and 0 ≤ index < count.
    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw CorpusError.invalidOptions(field: "shard", expected: "index 0..<count and count ≥ 1, got \(index) of \(count)")
        }
        self.index = index
        self.count = count
    }

    /// The directory name of shard `index` inside a sharded store: shard-0000, shard-0001, …
    public static func directoryName(_ index: Int) -> String { String(format: "shard-%04d", index) }

    /// Records (documents, empty and bad ones included: the readers' `index` numbering) of each
    /// source, by reading the sources once.
    public static func recordCounts(sources: [String], open: (String) throws -> CorpusReader) throws -> [Int] {
        try sources.map { source in
            let reader = try open(source)
            while try reader.next() != nil {}
            return reader.nextDocumentIndex
        }
    }

    /// Per source, the record indices this shard ingests.
    public func recordRanges(recordCounts: [Int]) -> [Range<Int>] {
        let total = recordCounts.reduce(0, +)
        let lower = index * total / count, upper = (index + 1) * total / count
        var offset = 0
        return recordCounts.map { n in
            defer { offset += n }
            let start = min(max(lower - offset, 0), n), end = min(max(upper - offset, 0), n)
            return start..<max(start, end)
        }
    }
}

/// A source's documents up to (not including) record `endIndex`.
public struct BoundedDocumentStream: IngestDocumentStream {
    private var base: IngestDocumentStream
    private let endIndex: Int
    private var done = false

    /// Wraps `base`, ending it before the first document whose index is `endIndex` or more.
    public init(_ base: IngestDocumentStream, endIndex: Int) {
        self.base = base
        self.endIndex = endIndex
    }

    /// `base`'s next document, or nil from the first one at `endIndex` on.
    public mutating func nextDocument() throws -> (text: String, index: Int)? {
        guard !done, let document = try base.nextDocument() else { return nil }
        if document.index >= endIndex {
            done = true
            return nil
        }
        return document
    }

    /// `base`'s count: bad lines are counted by the wrapped reader.
    public var badLineCount: Int { base.badLineCount }
}
