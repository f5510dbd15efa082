import ActStore
import Foundation
import XCTest
@testable import Extract

/// Paragraphs of a text as documents (a stand-in corpus reader).
struct ParagraphStream: IngestDocumentStream {
    let paragraphs: [String]
    var next: Int
    var badLineCount: Int { 0 }
    mutating func nextDocument() throws -> (text: String, index: Int)? {
        guard next < paragraphs.count else { return nil }
        defer { next += 1 }
        return (paragraphs[next], next)
    }
}

final class IngestTests: XCTestCase {
    private var modelDirectory: String!
    private var paragraphs: [String] = []

    override func setUpWithError() throws {
        modelDirectory = try sharedData("models/tiny-shakespeare-gpt2").path
        let text = try String(contentsOf: try sharedData("corpora/tinyshakespeare.txt"), encoding: .utf8)
        paragraphs = Array(text.components(separatedBy: "\n\n").prefix(80))
    }

    private func ingester(_ config: IngestConfig, name: String = "tiny-shakespeare-gpt2") throws -> Ingester {
        try Ingester(model: try GPT2Model(directory: modelDirectory),
                     tokenizer: try GPT2Tokenizer(vocabPath: modelDirectory + "/vocab.json", mergesPath: modelDirectory + "/merges.txt"),
                     modelName: name, config: config)
    }

    private func storePath(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "ingest-\(name)-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func open(_ docs: [String]) -> (String, Int) throws -> IngestDocumentStream {
        { _, skip in ParagraphStream(paragraphs: docs, next: skip) }
    }

    private let hooks = ["blocks.2.hook_resid_pre", "blocks.1.mlp.hook_post"]

    /// Rows resolve to exactly their token's text, and stored activations equal a direct
    /// forward pass over the same window.
    func testIngestedRowsResolveToTheirTokensAndEqualADirectForward() throws {
        let config = IngestConfig(hooks: hooks, contextSize: 24, dtype: .f32, batchWindows: 3, chunkRows: 100)
        let ingest = try ingester(config)
        let store = storePath("e2e")
        let summary = try ingest.run(store: store, sources: ["shakespeare"], open: open(Array(paragraphs.prefix(30))))
        XCTAssertEqual(summary.documentsAdded, 30)
        XCTAssertTrue(StoreVerifier.verify(path: store).isSound)

        let reader = try StoreReader(path: store)
        XCTAssertEqual(reader.rowCount, summary.rowsInStore)
        XCTAssertEqual(reader.columns.map(\.name), TokenColumn.all.map(\.name) + hooks)
        let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<reader.rowCount)
        let positions = try reader.readIntegers(column: TokenColumn.position, rows: 0..<reader.rowCount)
        for row in stride(from: 0, to: reader.rowCount, by: 7) {
            let c = try XCTUnwrap(try reader.context(row: row, window: 2))
            if positions[row] == 0 {
                XCTAssertEqual(UInt32(ids[row]), GPT2Tokenizer.endOfTextID)
                XCTAssertEqual(c.token, "")
            } else {
                XCTAssertEqual(c.token, ingest.tokenizer.decode([UInt32(ids[row])]), "row \(row)")
            }
        }
        // Document 5, window by window, through the model directly.
        let doc = try reader.document(5)
        let text = try XCTUnwrap(try reader.text(ofDocument: 5))
        XCTAssertEqual(text, paragraphs[5])
        let spans = ingest.tokenizer.encodeWithSpans(text, allowSpecial: false)
        var row = doc.firstRow
        for window in Ingester.windows(tokenCount: spans.count, tokensPerWindow: 23) {
            let tokens = [GPT2Tokenizer.endOfTextID] + window.map { spans[$0].id }
            let direct = try ingest.model.activations(tokens: tokens, batch: 1, sequenceLength: tokens.count,
                                                      hooks: try hooks.map { try HookPoint(parsing: $0) })
            for name in hooks {
                var stored: [Float] = []
                try reader.readRows(column: name, rows: row..<row + tokens.count, into: &stored)
                let expected = direct[try HookPoint(parsing: name)]!
                XCTAssertLessThan(relativeMaxError(stored, expected), 1e-5, "\(name) rows \(row)...")
            }
            row += tokens.count
        }
        XCTAssertEqual(row, doc.rows.upperBound)
    }

    /// Stopping (Ctrl-C) and budgets, then rerunning the same command: the store ends as
    /// one uninterrupted run would make it.
    func testInterruptedAndBudgetedRunsResumeToTheSameStore() throws {
        let docs = Array(paragraphs.prefix(40))
        let config = IngestConfig(hooks: [hooks[0]], contextSize: 32, dtype: .f16, batchWindows: 4, chunkRows: 64)
        let clean = storePath("clean")
        _ = try ingester(config).run(store: clean, sources: ["a", "b"], open: open(docs))

        let resumed = storePath("resumed")
        var limited = config
        limited.maxDocuments = 15
        let first = try ingester(limited).run(store: resumed, sources: ["a", "b"], open: open(docs))
        XCTAssertEqual(first.documentsInStore, 15)
        var polls = 0
        let second = try ingester(config).run(store: resumed, sources: ["a", "b"], open: open(docs), shouldStop: {
            polls += 1
            return polls > 12
        })
        XCTAssertTrue(second.interrupted)
        let third = try ingester(config).run(store: resumed, sources: ["a", "b"], open: open(docs))
        XCTAssertFalse(third.interrupted)
        let again = try ingester(config).run(store: resumed, sources: ["a", "b"], open: open(docs))
        XCTAssertEqual(again.rowsAdded, 0, "a finished ingest adds nothing when rerun")

        let a = try StoreReader(path: clean), b = try StoreReader(path: resumed)
        XCTAssertEqual(a.documentCount, 80)
        XCTAssertEqual(b.documentCount, a.documentCount)
        XCTAssertEqual(b.rowCount, a.rowCount)
        for column in TokenColumn.all.map(\.name) {
            XCTAssertEqual(try a.readIntegers(column: column, rows: 0..<a.rowCount), try b.readIntegers(column: column, rows: 0..<b.rowCount), column)
        }
        var x: [Float] = [], y: [Float] = []
        try a.readRows(column: hooks[0], rows: 0..<a.rowCount, into: &x)
        try b.readRows(column: hooks[0], rows: 0..<b.rowCount, into: &y)
        XCTAssertLessThan(relativeMaxError(y, x), 1e-3, "f16 activations of the same windows (batching may differ in the last ulp)")
        for doc in [0, 39, 40, 79] {
            XCTAssertEqual(try a.text(ofDocument: doc), try b.text(ofDocument: doc))
            XCTAssertEqual(try a.sourceName(try a.document(doc).sourceID), try b.sourceName(try b.document(doc).sourceID))
        }
    }

    func testAStoreFromAnotherModelIsRefused() throws {
        let store = storePath("other")
        let config = IngestConfig(hooks: [hooks[0]], contextSize: 16, dtype: .f16)
        _ = try ingester(config).run(store: store, sources: ["a"], open: open(Array(paragraphs.prefix(2))))
        XCTAssertThrowsError(try ingester(config, name: "gpt2").run(store: store, sources: ["a"], open: open(paragraphs))) { error in
            XCTAssertTrue("\(error)".contains("was made from tiny-shakespeare-gpt2"), "\(error)")
        }
        var otherContext = config
        otherContext.contextSize = 32
        XCTAssertThrowsError(try ingester(otherContext).run(store: store, sources: ["a"], open: open(paragraphs)))
    }

    func testWindowsCoverEveryTokenOnce() {
        XCTAssertEqual(Ingester.windows(tokenCount: 0, tokensPerWindow: 5), [])
        XCTAssertEqual(Ingester.windows(tokenCount: 12, tokensPerWindow: 5), [0..<5, 5..<10, 10..<12])
        XCTAssertEqual(Ingester.windows(tokenCount: 10, tokensPerWindow: 5), [0..<5, 5..<10])
    }
}
