import Foundation
import XCTest
@testable import ActStore

final class ConcurrencyAndCrashTests: XCTestCase {
    /// A reader polls while a writer appends and commits: every snapshot it sees is a
    /// committed prefix, and its rows equal what was written.
    func testConcurrentReaderSeesOnlyCommittedPrefixes() throws {
        let path = temporaryDirectory(self)
        let width = 12
        let docs = (0..<60).map { makeDocument($0, width: width) }
        let expected = docs.flatMap { $0.activations[hookName]! }
        var commitRows: Set<Int> = [0]
        var rows = 0
        for (i, doc) in docs.enumerated() {
            rows += doc.rowCount
            if i % 4 == 3 || i == docs.count - 1 { commitRows.insert(rows) }
        }
        let writer = try StoreWriter.create(at: path, manifest: manifest(width: width, codec: .f32, chunkRows: 50, segmentBytes: 1 << 16))
        let reader = try StoreReader(path: path)
        let done = DispatchSemaphore(value: 0)
        let failures = NSLock()
        var problems: [String] = []
        var snapshots = 0
        let finalRows = rows
        Thread.detachNewThread {
            let decoder = reader.makeDecoder()
            var out: [Float] = []
            while true {
                do {
                    try reader.refresh()
                    let n = reader.rowCount
                    if !commitRows.contains(n) { failures.withLock { problems.append("saw \(n) rows, not a commit point") } }
                    try reader.readRows(column: hookName, rows: 0..<n, into: &out, decoder: decoder)
                    if !bitsEqual(out, Array(expected[0..<n * width])) { failures.withLock { problems.append("rows differ at \(n)") } }
                    snapshots += 1
                    if n == finalRows { break }
                } catch {
                    failures.withLock { problems.append("\(error)") }
                    break
                }
            }
            done.signal()
        }
        for (i, doc) in docs.enumerated() {
            try writer.append(doc)
            if i % 4 == 3 || i == docs.count - 1 { try writer.commit() }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(problems, [])
        XCTAssertGreaterThan(snapshots, 0)
    }

    /// Several threads decode chunks of one reader at once, each with its own decoder.
    func testParallelDecodingEqualsSerial() throws {
        let path = temporaryDirectory(self)
        let writer = try StoreWriter.create(at: path, manifest: manifest(width: 32, codec: .bf16, chunkRows: 64))
        for i in 0..<40 { try writer.append(makeDocument(i, width: 32)) }
        try writer.commit()
        let reader = try StoreReader(path: path)
        let serial: [[Float]] = try (0..<reader.chunkCount).map { chunk in
            var out: [Float] = []
            try reader.readChunk(column: hookName, chunk: chunk, into: &out)
            return out
        }
        let lock = NSLock()
        var mismatches = 0
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let decoder = reader.makeDecoder()
            var out: [Float] = []
            for chunk in stride(from: worker, to: reader.chunkCount, by: 2) {
                do {
                    try reader.readChunk(column: hookName, chunk: chunk, into: &out, decoder: decoder)
                    if !bitsEqual(out, serial[chunk]) { lock.withLock { mismatches += 1 } }
                } catch {
                    lock.withLock { mismatches += 1 }
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    /// The crash-writer child is SIGKILLed at 20+ random instants and restarted each time
    /// (it resumes from the committed cursor). The end result must equal an uninterrupted
    /// run: same rows, same bytes, same documents, and the store must verify after every
    /// kill. Kill delays scale with how long a clean run takes here, so the number of kills
    /// does not depend on the machine's speed; should a run still finish early, another
    /// store is crashed until 20 kills have landed.
    func testSIGKILLAtRandomPointsThenResumeEqualsUninterruptedRun() throws {
        let writerPath = productsDirectory().appendingPathComponent("crash-writer").path
        guard FileManager.default.isExecutableFile(atPath: writerPath) else {
            throw XCTSkip("crash-writer not built at \(writerPath) (run `swift build --build-tests`)")
        }
        let docCount = "1500", commitEvery = "5"
        let clean = temporaryDirectory(self, "clean")
        let started = Date()
        XCTAssertEqual(try run(writerPath, [clean, docCount, commitEvery]), 0)
        let cleanSeconds = Date().timeIntervalSince(started)

        var rng = TestRNG(state: 2026)
        var kills = 0
        var cycle = 0
        while kills < 20 && cycle < 5 {
            cycle += 1
            let crashed = temporaryDirectory(self, "crashed\(cycle)")
            var previousRows = 0
            var finished = false
            while !finished {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: writerPath)
                process.arguments = [crashed, docCount, commitEvery]
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                let delay = cleanSeconds / 25 * (0.3 + Double(rng.uniform()))
                usleep(UInt32(delay * 1e6))
                if process.isRunning && kills < 20 {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    if process.terminationReason == .uncaughtSignal { kills += 1 } else { finished = true }
                } else {
                    process.waitUntilExit()
                    XCTAssertEqual(process.terminationStatus, 0, "crash-writer failed on its own")
                    finished = true
                }
                // After each kill: the store (if created) opens, verifies, and never shrinks.
                if StoreDirectory.holdsStore(crashed) {
                    let report = StoreVerifier.verify(path: crashed)
                    XCTAssertTrue(report.isSound, "after kill \(kills): \(report.problems)")
                    let rows = try StoreReader(path: crashed).rowCount
                    XCTAssertGreaterThanOrEqual(rows, previousRows, "committed rows were lost")
                    previousRows = rows
                }
            }
            try assertSameStore(clean, crashed)
        }
        XCTAssertGreaterThanOrEqual(kills, 20)
    }

    private func assertSameStore(_ cleanPath: String, _ crashedPath: String) throws {
        let a = try StoreReader(path: cleanPath), b = try StoreReader(path: crashedPath)
        XCTAssertEqual(a.rowCount, b.rowCount)
        XCTAssertEqual(a.documentCount, b.documentCount)
        for column in a.columns {
            if column.codec.isFloat {
                var x: [Float] = [], y: [Float] = []
                try a.readRows(column: column.name, rows: 0..<a.rowCount, into: &x)
                try b.readRows(column: column.name, rows: 0..<b.rowCount, into: &y)
                XCTAssertTrue(bitsEqual(x, y), column.name)
            } else {
                XCTAssertEqual(try a.readIntegers(column: column.name, rows: 0..<a.rowCount),
                               try b.readIntegers(column: column.name, rows: 0..<b.rowCount), column.name)
            }
        }
        for doc in stride(from: 0, to: a.documentCount, by: 97) {
            XCTAssertEqual(try a.text(ofDocument: doc), try b.text(ofDocument: doc))
            XCTAssertEqual(try a.document(doc), try b.document(doc))
        }
        XCTAssertTrue(StoreVerifier.verify(path: crashedPath).isSound)
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
