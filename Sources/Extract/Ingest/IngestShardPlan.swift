import ActStore
import Foundation

/// Where one shard of a sharded ingest writes and which documents it reads (docs/MPI.md), so
/// `saestore ingest --shard I/N` and a rank under mpirun run the same plan: the shard's store is
/// `STORE/shard-NNNN`, and each source is read only over the record range `IngestShard` gives it.
/// Without a shard the plan is the plain one: the whole corpus into `store`.
public struct IngestShardPlan {
    /// The shard this plan ingests (nil: an unsharded ingest).
    public let shard: IngestShard?
    /// The store directory the ingest writes: the user's store, or its shard directory.
    public let targetStore: String
    /// Opens a source resuming after `skip` documents (what `Ingester.run` calls), bounded to the
    /// shard's record range when sharded.
    public let open: (String, Int) throws -> IngestDocumentStream

    /// The shard named by `--shard I/N` (`option`), or by the rank under a multi-rank launch, or
    /// none. Throws `CorpusError.invalidOptions` for a malformed `I/N`, or for `--shard` under a
    /// multi-rank launch (the rank picks the shard there).
    public static func shard(option: String?, rank: Int, rankCount: Int) throws -> IngestShard? {
        if let option {
            let parts = option.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
                throw CorpusError.invalidOptions(field: "--shard", expected: "I/N (e.g. 0/4), got \(option)")
            }
            guard rankCount == 1 else {
                throw CorpusError.invalidOptions(field: "--shard", expected: "no --shard under mpirun (the shard is the rank), got \(option)")
            }
            return try IngestShard(index: index, count: count)
        }
        return rankCount > 1 ? try IngestShard(index: rank, count: rankCount) : nil
    }

    /// The plan for `shard` of `sources` into `store`; `options(skip)` are the corpus options a
    /// reader resuming after `skip` documents uses. Sharded, it counts every source's records
    /// once (reading them) and creates `store` as the directory that holds the shards.
    public init(shard: IngestShard?, store: String, sources: [String], options: @escaping (Int) -> CorpusOptions) throws {
        self.shard = shard
        guard let shard else {
            targetStore = store
            open = { path, skip in try CorpusReader(path: path, options: options(skip)) }
            return
        }
        let counts = try IngestShard.recordCounts(sources: sources) { path in try CorpusReader(path: path, options: options(0)) }
        // A source named twice reads its first range (the record counts are the same for both).
        let ranges = Dictionary(zip(sources, shard.recordRanges(recordCounts: counts)), uniquingKeysWith: { a, _ in a })
        targetStore = URL(fileURLWithPath: store).appendingPathComponent(IngestShard.directoryName(shard.index)).path
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        open = { path, skip in
            let range = ranges[path] ?? 0..<0
            let reader = try CorpusReader(path: path, options: options(max(skip, range.lowerBound)))
            return BoundedDocumentStream(reader, endIndex: range.upperBound)
        }
    }

    /// After every shard of a multi-rank ingest has committed (the caller synchronises the
    /// ranks first): writes `store`'s shards.json listing `rankCount` shards, so the shards
    /// read as one store, but only when no rank was interrupted (`interruptedRankCount` 0): an
    /// incomplete ingest gets no manifest and is resumed by rerunning the command.
    public static func completeShardedStore(store: String, rankCount: Int, interruptedRankCount: Int) throws {
        guard interruptedRankCount == 0 else { return }
        try ShardManifest.write(directory: store, shardPaths: (0..<rankCount).map(IngestShard.directoryName))
    }
}
