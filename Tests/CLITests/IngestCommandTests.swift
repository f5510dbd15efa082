import ActStore
import Foundation
import XCTest

final class IngestCommandTests: XCTestCase {
    /// The repository's demo model (the tiny Shakespeare GPT-2 in f16): no ../shared needed.
    private func modelDirectory() throws -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("demo/model").path
    }

    /// JSONL with a bad line: ingest counts it, stores the rest, and lookup prints each
    /// token inside its own text; rerunning adds nothing.
    func testIngestJSONLThenLookupThenRerun() throws {
        let model = try modelDirectory()
        let dir = temporaryPath(self, "ingest")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lines = [#"{"text": "First Citizen: Before we proceed any further, hear me speak."}"#,
                     #"{"text": "All: Speak, speak."#,  // truncated JSON: a bad line
                     #"{"id": 3, "text": "Second Citizen: One word, good citizens.\nWe are accounted poor citizens."}"#]
        try lines.joined(separator: "\n").write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let store = dir + "/s.store"
        let args = ["ingest", "--model", model, "--corpus", dir + "/c.jsonl", "--store", store, "--hook", "blocks.2.hook_resid_pre",
                    "--context", "8", "--quiet", "--json"]
        let first = try saestore(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(summary["documentsAdded"] as? Int, 2)
        XCTAssertEqual(summary["badLines"] as? Int, 1)

        let reader = try StoreReader(path: store)
        XCTAssertEqual(try reader.text(ofDocument: 1), "Second Citizen: One word, good citizens.\nWe are accounted poor citizens.")
        let lookup = try saestore(["lookup", store, "--doc", "1", "--pos", "3", "--window", "2", "--json"])
        XCTAssertEqual(lookup.status, 0, lookup.stderr)
        let context = try JSONSerialization.jsonObject(with: Data(lookup.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(context["document"] as? Int, 1)
        XCTAssertEqual(context["sourceIndex"] as? Int, 2, "the JSONL line number (0-based) of the document")
        let token = context["token"] as! String
        XCTAssertTrue(["Second", " Citizen", ":", " One", " word"].contains(token), token)

        let again = try saestore(args)
        let second = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(second["rowsAdded"] as? Int, 0)
        XCTAssertEqual(second["alreadyComplete"] as? Bool, true)
    }

    func testMissingCorpusAndUnknownHookAreOneClearSentence() throws {
        let model = try modelDirectory()
        let dir = temporaryPath(self, "bad")
        let missing = try saestore(["ingest", "--model", model, "--corpus", dir + "/nope.txt", "--store", dir + "/s", "--hook", "blocks.0.hook_resid_pre"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("does not exist"), missing.stderr)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "hello".write(toFile: dir + "/c.txt", atomically: true, encoding: .utf8)
        let badHook = try saestore(["ingest", "--model", model, "--corpus", dir + "/c.txt", "--store", dir + "/s", "--hook", "blocks.9.hook_resid_pre"])
        XCTAssertNotEqual(badHook.status, 0)
        XCTAssertTrue(badHook.stderr.contains("blocks.9"), badHook.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s"), "a failed start leaves no store behind")
    }
}

final class IngestCrashTests: XCTestCase {
    /// `saestore ingest` SIGKILLed at random instants and rerun each time ends with the same
    /// store as one uninterrupted run: same rows, tokens, spans and texts.
    func testKilledIngestResumesToTheSameStore() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let model = root.appendingPathComponent("demo/model").path
        let corpus = root.appendingPathComponent("demo/corpus/tinyshakespeare-heldout.txt").path
        let dir = temporaryPath(self, "kill")
        func args(_ store: String) -> [String] {
            ["ingest", "--model", model, "--corpus", corpus, "--separator", "\\n\\n", "--store", store, "--hook", "blocks.2.hook_resid_pre",
             "--context", "64", "--batch", "4", "--commit-seconds", "0.02", "--max-docs", "400", "--quiet"]
        }
        let started = Date()
        XCTAssertEqual(try saestore(args(dir + "/clean")).status, 0)
        let seconds = Date().timeIntervalSince(started)

        var kills = 0
        for _ in 0..<15 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try saestoreExecutable())
            process.arguments = args(dir + "/killed")
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(seconds * 1e6 * Double.random(in: 0.1...0.4)))
            if process.isRunning { kill(process.processIdentifier, SIGKILL); kills += 1 }
            process.waitUntilExit()
            if process.terminationReason == .exit { break }
        }
        XCTAssertEqual(try saestore(args(dir + "/killed")).status, 0)
        XCTAssertGreaterThan(kills, 0)

        let a = try StoreReader(path: dir + "/clean"), b = try StoreReader(path: dir + "/killed")
        XCTAssertEqual(a.documentCount, 400)
        XCTAssertEqual(b.documentCount, a.documentCount)
        XCTAssertEqual(b.rowCount, a.rowCount)
        for column in TokenColumn.all.map(\.name) {
            XCTAssertEqual(try a.readIntegers(column: column, rows: 0..<a.rowCount), try b.readIntegers(column: column, rows: 0..<b.rowCount), column)
        }
        var x: [Float] = [], y: [Float] = []
        try a.readRows(column: "blocks.2.hook_resid_pre", rows: 0..<a.rowCount, into: &x)
        try b.readRows(column: "blocks.2.hook_resid_pre", rows: 0..<b.rowCount, into: &y)
        var maxDifference: Float = 0
        for i in x.indices { maxDifference = max(maxDifference, abs(x[i] - y[i])) }
        XCTAssertLessThan(maxDifference, 0.02, "f16 activations of the same windows; batch composition after a resume may move the last ulp")
        for doc in [0, 199, 399] { XCTAssertEqual(try a.text(ofDocument: doc), try b.text(ofDocument: doc)) }
        XCTAssertEqual(try saestore(["verify", dir + "/killed", "--quiet"]).status, 0)
    }

    /// Bad JSONL lines are counted wherever they fall: before the first good document, between
    /// two, after the last one, and in a second file after the first file's count.
    func testEveryBadLineIsCountedWhereverItFalls() throws {
        let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("demo/model").path
        let dir = temporaryPath(self, "badlines")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let good = { (n: Int) in #"{"text": "Speak, citizen \#(n), speak."}"# }
        try ["{\"text\": broken", good(1), "[1, 2", good(2), #"{"text": "cut off"#].joined(separator: "\n")
            .write(toFile: dir + "/a.jsonl", atomically: true, encoding: .utf8)
        try [good(3), "not json at all"].joined(separator: "\n").write(toFile: dir + "/b.jsonl", atomically: true, encoding: .utf8)
        let result = try saestore(["ingest", "--model", model, "--corpus", dir + "/a.jsonl", dir + "/b.jsonl", "--store", dir + "/s.store",
                                   "--hook", "blocks.2.hook_resid_pre", "--context", "8", "--quiet", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(summary["documentsAdded"] as? Int, 3)
        XCTAssertEqual(summary["badLines"] as? Int, 4, "first, between and last of a.jsonl, last of b.jsonl")
        let text = try saestore(["ingest", "--model", model, "--corpus", dir + "/a.jsonl", "--store", dir + "/t.store",
                                 "--hook", "blocks.2.hook_resid_pre", "--context", "8", "--quiet"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("skipped 3 bad lines"), text.stdout)
    }
}
