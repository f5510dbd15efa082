import ActStore
import Foundation
import XCTest
@testable import Extract

/// A stream with malformed lines between documents and, optionally, a read error at one place:
/// what the read-ahead stage must pass on exactly as a plain loop sees it.
private struct ScriptedStream: IngestDocumentStream {
    struct ReadFailure: Error, Equatable { let at: Int }
    let texts: [String]
    let failAt: Int?
    var next = 0
    var badLineCount = 0

    mutating func nextDocument() throws -> (text: String, index: Int)? {
        if next == failAt { throw ReadFailure(at: next) }
        guard next < texts.count else { return nil }
        if next % 3 == 1 { badLineCount += 1 }  // a bad line skipped before every third document
        defer { next += 1 }
        return (texts[next], next)
    }
}

final class IngestTokenizeStageTests: XCTestCase {
    private var modelDirectory: String!
    private var paragraphs: [String] = []

    override func setUpWithError() throws {
        modelDirectory = try sharedData("models/tiny-shakespeare-gpt2").path
        let text = try String(contentsOf: try sharedData("corpora/tinyshakespeare.txt"), encoding: .utf8)
        paragraphs = Array(text.components(separatedBy: "\n\n").prefix(120))
    }

    private func tokenizer() throws -> GPT2Tokenizer {
        try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt")
    }

    /// Every read, as a plain loop over the stream gives it.
    private func plainReads(_ stream: ScriptedStream, _ tokenizer: GPT2Tokenizer) -> ([IngestTokenizeStage.Item], Error?) {
        var stream = stream
        var items: [IngestTokenizeStage.Item] = []
        do {
            while let document = try stream.nextDocument() {
                items.append(.init(document: document, spans: tokenizer.encodeWithSpans(document.text, allowSpecial: false),
                                   badLineCount: stream.badLineCount))
            }
            items.append(.init(document: nil, spans: [], badLineCount: stream.badLineCount))
            return (items, nil)
        } catch {
            return (items, error)
        }
    }

    private func assertSameReads(_ a: [IngestTokenizeStage.Item], _ b: [IngestTokenizeStage.Item], _ label: String) {
        XCTAssertEqual(a.count, b.count, label)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.document?.text, y.document?.text, label)
            XCTAssertEqual(x.document?.index, y.document?.index, label)
            XCTAssertEqual(x.spans, y.spans, label)
            XCTAssertEqual(x.badLineCount, y.badLineCount, label)
        }
    }

    func testReadsAheadInTheStreamsOrderWithItsBadLineCountsAndItsError() throws {
        let tokenizer = try tokenizer()
        for (failAt, depth) in [(nil, 1), (nil, 4), (nil, 200), (37, 1), (37, 8), (0, 3)] as [(Int?, Int)] {
            let stream = ScriptedStream(texts: paragraphs, failAt: failAt)
            let (expected, expectedError) = plainReads(stream, tokenizer)
            let stage = IngestTokenizeStage(stream: stream, tokenizer: tokenizer, depth: depth)
            var got: [IngestTokenizeStage.Item] = []
            var gotError: Error?
            do {
                while true {
                    let item = try stage.next()
                    got.append(item)
                    if item.document == nil { break }
                }
            } catch {
                gotError = error
            }
            stage.stop()
            let label = "fail at \(failAt.map(String.init) ?? "none"), depth \(depth)"
            assertSameReads(got, expected, label)
            XCTAssertEqual(gotError as? ScriptedStream.ReadFailure, expectedError as? ScriptedStream.ReadFailure, label)
            if failAt == nil { XCTAssertEqual(got.count, paragraphs.count + 1, label) }
        }
    }

    /// Stopping early (a budget, Ctrl-C) with documents read ahead ends the thread and loses nothing
    /// the consumer took.
    func testStopsWithDocumentsStillReadAhead() throws {
        let tokenizer = try tokenizer()
        let stage = IngestTokenizeStage(stream: ScriptedStream(texts: paragraphs, failAt: nil), tokenizer: tokenizer, depth: 16)
        let first = try stage.next()
        XCTAssertEqual(first.document?.index, 0)
        stage.stop()
        stage.stop()  // idempotent
    }

    /// An ingest with the read-ahead stage writes the same store, bit for bit in every column, as one
    /// that reads and tokenizes in its own loop; a budget that stops mid-corpus and a resume included.
    func testIngestWithReadAheadStoresTheSameRowsAsThePlainLoop() throws {
        let tokenizer = try tokenizer()
        let model = try GPT2Model(directory: modelDirectory)
        let config = IngestConfig(hooks: ["blocks.2.hook_resid_pre", "blocks.0.hook_attn_out"], contextSize: 32,
                                  dtype: .f16, batchWindows: 4, chunkRows: 200)
        var stores: [String] = []
        for readAhead in [0, 64] {
            let path = NSTemporaryDirectory() + "readahead-\(readAhead)-\(UUID().uuidString.prefix(8))"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
            let docs = paragraphs
            // First a budget that stops partway, then the rest: the resume reads again what the
            // stage read ahead but the first run never consumed.
            var budgeted = config
            budgeted.maxDocuments = 45
            for run in [budgeted, config] {
                let ingest = try Ingester(model: model, tokenizer: tokenizer, modelName: "tiny", config: run)
                ingest.readAheadDocuments = readAhead
                _ = try ingest.run(store: path, sources: ["shakespeare"], open: { _, skip in
                    ScriptedStream(texts: docs, failAt: nil, next: skip)
                })
            }
            stores.append(path)
        }
        let a = try StoreReader(path: stores[0]), b = try StoreReader(path: stores[1])
        XCTAssertEqual(a.documentCount, paragraphs.count)
        try assertSameIngest(a, b, "read-ahead vs plain loop") { x, y, column in
            XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern), column)
        }
    }
}
