import ActStore
import Extract
import Foundation
import XCTest

/// `IngestShardPlan`: the shard a command line or a rank names, where a shard writes, and that
/// the shards' bounded readers together read every document of the corpus exactly once.
final class IngestShardPlanTests: XCTestCase {
    private func directory() throws -> String {
        let path = NSTemporaryDirectory() + "IngestShardPlanTests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testTheShardComesFromTheOptionOrTheRank() throws {
        XCTAssertNil(try IngestShardPlan.shard(option: nil, rank: 0, rankCount: 1))
        XCTAssertEqual(try IngestShardPlan.shard(option: "2/5", rank: 0, rankCount: 1), try IngestShard(index: 2, count: 5))
        XCTAssertEqual(try IngestShardPlan.shard(option: nil, rank: 1, rankCount: 3), try IngestShard(index: 1, count: 3))
        for bad in ["2", "2/", "/5", "a/5", "2/5/1", "5/5", "-1/5", "0/0"] {
            XCTAssertThrowsError(try IngestShardPlan.shard(option: bad, rank: 0, rankCount: 1), bad) { error in
                guard case CorpusError.invalidOptions = error else { return XCTFail("\(bad): \(error)") }
            }
        }
        XCTAssertThrowsError(try IngestShardPlan.shard(option: "0/2", rank: 0, rankCount: 2)) { error in
            XCTAssertTrue("\(error)".contains("mpirun"), "\(error)")
        }
    }

    func testShardsReadEveryDocumentOnceAndWriteTheirOwnDirectories() throws {
        let dir = try directory()
        // Two sources of 7 and 4 documents: 11 records cut into 3 shards of 3, 4 and 4.
        let a = dir + "/a.txt", b = dir + "/b.txt"
        try (0..<7).map { "a\($0)" }.joined(separator: "\n").write(toFile: a, atomically: true, encoding: .utf8)
        try (0..<4).map { "b\($0)" }.joined(separator: "\n").write(toFile: b, atomically: true, encoding: .utf8)
        let options: (Int) -> CorpusOptions = { CorpusOptions(separator: "\n", skipDocuments: $0) }
        let store = dir + "/store"

        let plain = try IngestShardPlan(shard: nil, store: store, sources: [a, b], options: options)
        XCTAssertEqual(plain.targetStore, store)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store), "an unsharded plan leaves the store to the writer")

        var seen: [String] = []
        var perShard: [Int] = []
        for index in 0..<3 {
            let plan = try IngestShardPlan(shard: try IngestShard(index: index, count: 3), store: store, sources: [a, b], options: options)
            XCTAssertEqual(plan.targetStore, store + "/" + IngestShard.directoryName(index))
            var count = 0
            for source in [a, b] {
                var stream = try plan.open(source, 0)
                while let document = try stream.nextDocument() { seen.append(document.text); count += 1 }
            }
            perShard.append(count)
        }
        XCTAssertEqual(seen, (0..<7).map { "a\($0)" } + (0..<4).map { "b\($0)" })
        XCTAssertEqual(perShard, [3, 4, 4])
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: store, isDirectory: &isDirectory) && isDirectory.boolValue)

        // Resuming a shard after 1 of its documents skips it inside the shard's own range.
        let middle = try IngestShardPlan(shard: try IngestShard(index: 1, count: 3), store: store, sources: [a, b], options: options)
        var resumed = try middle.open(a, 4)
        var texts: [String] = []
        while let document = try resumed.nextDocument() { texts.append(document.text) }
        XCTAssertEqual(texts, ["a4", "a5", "a6"], "shard 1 holds a3…a6; resuming after a3 reads the rest")
    }

    func testAnInterruptedShardedIngestGetsNoManifest() throws {
        let store = try directory()
        try IngestShardPlan.completeShardedStore(store: store, rankCount: 2, interruptedRankCount: 1)
        XCTAssertFalse(ShardManifest.exists(in: store))
    }
}
