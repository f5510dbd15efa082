import Foundation
import XCTest
@testable import ActStore

/// A store of very many one-token documents: commits of tens of thousands of documents, the
/// row→document lookup, texts and `verify` all work, and the writer keeps nothing per
/// document once it is committed. CI writes 20,000 documents; with SAESTORE_HEAVY_TESTS=1 the
/// heavy variant writes 2,000,000 (peak RSS and time in docs/RELIABILITY.md).
final class ManyDocumentsTests: XCTestCase {
    private func checkManyTinyDocuments(count: Int, commitEvery: Int) throws {
        let path = temporaryDirectory(self, "many")
        let width = 4
        do {
            let writer = try StoreWriter.create(at: path, manifest: manifest(width: width, codec: .f32, chunkRows: 8192, segmentBytes: 64 << 20))
            for i in 0..<count {
                try writer.append(makeDocument(i, width: width, tokens: 1))
                if (i + 1) % commitEvery == 0 || i == count - 1 {
                    try writer.commit()
                    XCTAssertEqual(writer.uncommittedDocumentCount, 0)
                }
            }
            XCTAssertEqual(writer.committedDocumentCount, count)
        }
        let reader = try StoreReader(path: path)
        XCTAssertEqual(reader.documentCount, count)
        XCTAssertEqual(reader.rowCount, count)
        for doc in [0, 1, count / 3, count / 2 + 1, count - 2, count - 1] {
            XCTAssertEqual(try reader.documentID(containing: doc), doc, "row \(doc)")
            let record = try reader.document(doc)
            XCTAssertEqual(record.rows, doc..<doc + 1)
            XCTAssertEqual(try reader.text(ofDocument: doc), makeDocument(doc, width: width, tokens: 1).text)
            XCTAssertEqual(try reader.sourceName(record.sourceID), "corpus-\(doc % 3).jsonl")
        }
        let docIDs = try reader.readIntegers(column: TokenColumn.docID, rows: 0..<count)
        XCTAssertEqual(docIDs, (0..<count).map { UInt64($0) })
        let report = StoreVerifier.verify(path: path)
        XCTAssertTrue(report.isSound, "\(report.problems.prefix(5))")
        XCTAssertEqual(report.documentsChecked, count)
        XCTAssertEqual(report.rowsChecked, count)
    }

    func testTwentyThousandOneTokenDocuments() throws {
        try checkManyTinyDocuments(count: 20_000, commitEvery: 5_000)
    }

    func testHeavyTwoMillionOneTokenDocuments() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["SAESTORE_HEAVY_TESTS"] == "1", "set SAESTORE_HEAVY_TESTS=1")
        try checkManyTinyDocuments(count: 2_000_000, commitEvery: 50_000)
    }
}
