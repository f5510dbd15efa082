import Foundation
import XCTest
@testable import Extract

/// Oversized records: a document or JSONL line longer than `maxDocumentBytes` is a bad line
/// naming file, line and byte offset (or a thrown `CorpusError.badLine` in strict mode), and the
/// reader's buffer never grows past the limit plus two blocks, however large the record.
///
/// In CI the records are 8 MB against a 1 MB limit. With SAESTORE_HEAVY_TESTS=1 the heavy
/// variants run the sizes of docs/RELIABILITY.md (a 100 MB document, a 50 MB JSONL line) with
/// the default options; their peak RSS and time are recorded there.
final class CorpusLimitTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-limits-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private var heavy: Bool { ProcessInfo.processInfo.environment["SAESTORE_HEAVY_TESTS"] == "1" }

    /// Writes `prefix`, then `byteCount` bytes of word-like filler, then `suffix`, a MiB at a time.
    private func writeFile(_ name: String, prefix: String = "", fillerByteCount: Int, suffix: String = "") throws -> String {
        let path = directory.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.write(contentsOf: Data(prefix.utf8))
        let pattern = Array("lorem ipsum dolor sit amet, ".utf8)
        let block = Data((0..<(1 << 20)).map { pattern[$0 % pattern.count] })
        var left = fillerByteCount
        while left > 0 {
            try handle.write(contentsOf: block.prefix(left))
            left -= min(left, block.count)
        }
        try handle.write(contentsOf: Data(suffix.utf8))
        return path
    }

    private func readAll(_ path: String, _ options: CorpusOptions) throws -> (documents: [CorpusDocument], reader: CorpusReader) {
        let reader = try CorpusReader(path: path, options: options)
        var documents: [CorpusDocument] = []
        while let document = try reader.next() { documents.append(document) }
        return (documents, reader)
    }

    // MARK: one oversized plain-text document

    private func checkOversizedDocument(byteCount: Int, options: CorpusOptions) throws {
        let path = try writeFile("one-document.txt", fillerByteCount: byteCount)
        do {  // one reader at a time, so the heavy variant's peak RSS shows one buffer
            let (documents, reader) = try readAll(path, options)
            XCTAssertEqual(documents.count, 0)
            XCTAssertEqual(reader.badLines, [BadLine(source: path, line: 1, documentIndex: 0, byteOffset: 0,
                                                      reason: .tooLong(byteCount: byteCount, limit: options.maxDocumentBytes))])
            XCTAssertLessThanOrEqual(reader.bufferByteCapacity, options.maxDocumentBytes + 2 * options.blockBytes,
                                     "the record buffer grew past the limit")
        }
        var strict = options
        strict.strict = true
        XCTAssertThrowsError(try readAll(path, strict)) { error in
            guard case let .badLine(bad)? = error as? CorpusError else { return XCTFail("\(error)") }
            XCTAssertEqual(bad.line, 1)
            let message = "\(error)"
            XCTAssertTrue(message.contains("\(path):1:") && message.contains("maxDocumentBytes (\(options.maxDocumentBytes))"), message)
        }
    }

    func testOversizedDocumentIsABadLineAndMemoryStaysBounded() throws {
        try checkOversizedDocument(byteCount: 8 << 20, options: CorpusOptions(maxDocumentBytes: 1 << 20, blockBytes: 64 << 10))
    }

    func testHeavy100MBDocumentWithDefaultLimit() throws {
        try XCTSkipUnless(heavy, "set SAESTORE_HEAVY_TESTS=1")
        try checkOversizedDocument(byteCount: 100 << 20, options: CorpusOptions())
    }

    // MARK: long JSONL lines

    /// Line 2 of 3 is `lineFillerBytes` long: skipped (or kept when `limit` allows it), naming
    /// its line and byte offset; lines 1 and 3 are read either way.
    private func checkLongLine(fillerByteCount: Int, options: CorpusOptions) throws {
        let first = #"{"text": "first"}"# + "\n"
        let path = try writeFile("long-line.jsonl", prefix: first + #"{"id": 7, "text": ""#, fillerByteCount: fillerByteCount,
                                 suffix: "\"}\n" + #"{"text": "third"}"# + "\n")
        let lineByteCount = #"{"id": 7, "text": ""#.utf8.count + fillerByteCount + 2
        let (documents, reader) = try readAll(path, options)
        if lineByteCount > options.maxDocumentBytes {
            XCTAssertEqual(documents.map(\.text), ["first", "third"])
            XCTAssertEqual(documents.map(\.index), [0, 2])
            XCTAssertEqual(reader.badLines, [BadLine(source: path, line: 2, documentIndex: 1, byteOffset: first.utf8.count,
                                                      reason: .tooLong(byteCount: lineByteCount, limit: options.maxDocumentBytes))])
        } else {
            XCTAssertEqual(documents.count, 3)
            XCTAssertEqual(reader.badLineCount, 0)
            XCTAssertEqual(documents[1].text.utf8.count, fillerByteCount)
            XCTAssertTrue(documents[1].text.hasPrefix("lorem ipsum dolor sit amet, lorem"))
        }
        XCTAssertLessThanOrEqual(reader.bufferByteCapacity, options.maxDocumentBytes + 1 + 2 * options.blockBytes,
                                 "the record buffer grew past the limit")
    }

    func testLongJSONLLineIsSkippedOrKeptByTheLimitWithBoundedMemory() throws {
        let options = CorpusOptions(maxDocumentBytes: 1 << 20, blockBytes: 64 << 10)
        try checkLongLine(fillerByteCount: 8 << 20, options: options)
        try checkLongLine(fillerByteCount: 3 << 20, options: CorpusOptions(maxDocumentBytes: 4 << 20, blockBytes: 64 << 10))
    }

    func testHeavy50MBJSONLLineWithDefaultLimitIsReadWhole() throws {
        try XCTSkipUnless(heavy, "set SAESTORE_HEAVY_TESTS=1")
        try checkLongLine(fillerByteCount: 50 << 20, options: CorpusOptions())
    }
}
