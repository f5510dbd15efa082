import ActStore
import Foundation
import XCTest
import TestTools

/// Sharded ingest (`mpirun -np 2 saestore ingest`, and `--shard I/N` + `saestore shards`) reads
/// as one ingest of the same corpus: rows, tokens, documents, texts and lookups exactly,
/// activations to one f16 rounding step (see below). Needs ../shared/data's tiny model and mpirun.
final class MPIIngestCommandTests: XCTestCase {
    private func modelDirectory() throws -> String {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/models/tiny-shakespeare-gpt2").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) not present") }
        return path
    }

    private func mpirun() throws -> String {
        try ExternalTool.executable(["mpirun"], hint: "apt-get install openmpi-bin, or scripts/setup.sh")
    }

    private func corpus(_ dir: String) throws -> String {
        let paragraphs = [
            "First Citizen:\nBefore we proceed any further, hear me speak.", "All:\nSpeak, speak.",
            "First Citizen:\nYou are all resolved rather to die than to famish?", "All:\nResolved. resolved.",
            "First Citizen:\nFirst, you know Caius Marcius is chief enemy to the people.",
            "All:\nWe know't, we know't.", "First Citizen:\nLet us kill him, and we'll have corn at our own price.\nIs't a verdict?",
            "All:\nNo more talking on't; let it be done: away, away!", "Second Citizen:\nOne word, good citizens.",
            "First Citizen:\nWe are accounted poor citizens, the patricians good.",
        ]
        var lines = paragraphs.map { "{\"text\": \(String(data: try! JSONSerialization.data(withJSONObject: $0, options: .fragmentsAllowed), encoding: .utf8)!)}" }
        lines.insert("{not json", at: 4)       // a bad line keeps its record number
        let a = dir + "/a.jsonl", b = dir + "/b.jsonl"
        try lines[0..<7].joined(separator: "\n").write(toFile: a, atomically: true, encoding: .utf8)
        try lines[7...].joined(separator: "\n").write(toFile: b, atomically: true, encoding: .utf8)
        return a + " " + b
    }

    private func ingestArguments(_ model: String, _ files: String, _ store: String) -> [String] {
        ["ingest", "--model", model, "--corpus"] + files.split(separator: " ").map(String.init)
            + ["--store", store, "--hook", "blocks.2.hook_resid_pre", "--hook", "blocks.1.hook_resid_post", "--context", "8",
               "--threads", "1", "--batch", "3", "--quiet"]
    }

    private func assertSameStore(_ a: any StoreReading, _ b: any StoreReading, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(a.rowCount, b.rowCount, file: file, line: line)
        XCTAssertEqual(a.documentCount, b.documentCount, file: file, line: line)
        XCTAssertEqual(a.columns, b.columns, file: file, line: line)
        let rows = 0..<a.rowCount
        for spec in a.columns {
            if spec.codec.isFloat {
                var x: [Float] = [], y: [Float] = []
                try a.readRows(column: spec.name, rows: rows, into: &x)
                try b.readRows(column: spec.name, rows: rows, into: &y)
                XCTAssertEqual(x.count, y.count, spec.name, file: file, line: line)
                let differing = zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count
                let worst = zip(x, y).map { abs($0 - $1) / max(abs($0), 1e-3) }.max() ?? 0
                // Metadata, documents and texts are exact; activations are exact wherever a shard
                // runs the same forward batches as the single ingest. At shard seams a window's
                // batch differs (a shorter last batch), OpenBLAS may sum its products in another
                // order, and a rare value rounds to the neighbouring f16: measured 0 of 22016
                // values differ with 2 shards, 5 of 22016 by one f16 step (9.3e-4) with 3.
                XCTAssertLessThanOrEqual(differing, x.count / 1000, "\(spec.name): \(differing) values differ", file: file, line: line)
                XCTAssertLessThanOrEqual(worst, 1.0 / 1024, "\(spec.name): worst relative difference", file: file, line: line)
            } else {
                XCTAssertEqual(try a.readIntegers(column: spec.name, rows: rows), try b.readIntegers(column: spec.name, rows: rows),
                               spec.name, file: file, line: line)
            }
        }
        for doc in 0..<a.documentCount {
            XCTAssertEqual(try a.document(doc), try b.document(doc), "document \(doc)", file: file, line: line)
            XCTAssertEqual(try a.text(ofDocument: doc), try b.text(ofDocument: doc), file: file, line: line)
            XCTAssertEqual(try a.sourceName(try a.document(doc).sourceID), try b.sourceName(try b.document(doc).sourceID), file: file, line: line)
        }
        for row in stride(from: 0, to: a.rowCount, by: 5) {
            XCTAssertEqual(try a.context(row: row, window: 3), try b.context(row: row, window: 3), "row \(row)", file: file, line: line)
        }
    }

    func testShardedIngestReadsAsOneIngest() throws {
        let model = try modelDirectory()
        let mpirun = try mpirun()
        let dir = temporaryPath(self, "shardedingest")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let files = try corpus(dir)
        let whole = dir + "/whole.store"
        let plain = try saestore(ingestArguments(model, files, whole))
        XCTAssertEqual(plain.status, 0, plain.stderr)

        // One shard per rank under mpirun; rank 0 writes shards.json.
        let sharded = dir + "/sharded.store"
        let mpiRun = try runProcess(mpirun, ["--allow-run-as-root", "--oversubscribe", "-np", "2", try saestoreExecutable()]
                                              + ingestArguments(model, files, sharded))
        XCTAssertEqual(mpiRun.status, 0, mpiRun.stderr)
        let union = try openStore(at: sharded)
        XCTAssertEqual(union.shardPaths.count, 2)
        XCTAssertGreaterThan(try openStore(at: union.shardPaths[1]).documentCount, 0, "both shards hold documents")
        try assertSameStore(try openStore(at: whole), union)
        XCTAssertEqual(try saestore(["verify", sharded]).status, 0)

        // Three independent ingests, joined by `saestore shards`.
        let manual = dir + "/manual.store"
        for i in 0..<3 {
            let result = try saestore(ingestArguments(model, files, manual) + ["--shard", "\(i)/3"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let join = try saestore(["shards", manual] + (0..<3).map { manual + "/shard-000\($0)" })
        XCTAssertEqual(join.status, 0, join.stderr)
        try assertSameStore(try openStore(at: whole), try openStore(at: manual))

        // Training reads the sharded store like any other.
        let run = dir + "/run"
        let train = try saestore(["train", "--store", sharded, "--hook", "blocks.2.hook_resid_pre", "--out", run, "--epochs", "1",
                                  "--batch", "16", "--holdout", "0", "--quiet"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("\(union.rowCount) tokens"), train.stdout)
    }
}
