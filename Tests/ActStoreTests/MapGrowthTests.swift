import Foundation
import XCTest
@testable import ActStore

/// The LMDB map starts small and must grow: a commit that does not fit is replayed in a map
/// twice the size (as often as needed), and the grown size is what the next open adopts.
/// The initial size is lowered to 64 KiB so a few hundred documents cross it several times.
final class MapGrowthTests: XCTestCase {
    private let savedInitialMapBytes = LMDBEnvironment.initialMapBytes

    override func setUp() {
        super.setUp()
        LMDBEnvironment.initialMapBytes = 64 << 10
    }

    override func tearDown() {
        LMDBEnvironment.initialMapBytes = savedInitialMapBytes
        super.tearDown()
    }

    func testCommitsGrowTheMapAndTheStoreReopensIntact() throws {
        let path = temporaryDirectory(self, "grow")
        let width = 8
        let docs = (0..<400).map { makeDocument($0, width: width, tokens: 40 + $0 % 200) }
        var growths = 0
        var grownMapBytes = 0
        do {
            let writer = try StoreWriter.create(at: path, manifest: manifest(width: width, codec: .f32, chunkRows: 64))
            XCTAssertEqual(writer.env.mapSizeBytes(), 64 << 10)
            // One commit of 300 documents (texts, doc records, rowdoc, chunk records: several
            // times the initial map): one write transaction replayed through several doublings.
            for doc in docs[0..<300] { try writer.append(doc) }
            try writer.commit()
            XCTAssertGreaterThanOrEqual(writer.env.mapGrowthCount, 2, "one commit should have doubled the map more than once")
            // Then small commits that each may cross the next doubling.
            for (i, doc) in docs[300..<400].enumerated() {
                try writer.append(doc)
                if i % 10 == 9 { try writer.commit() }
            }
            growths = writer.env.mapGrowthCount
            grownMapBytes = writer.env.mapSizeBytes()
            XCTAssertGreaterThan(grownMapBytes, 4 * (64 << 10))
        }

        // A fresh environment (the writer and its handle are gone) adopts the grown size.
        try assertStoreHolds(docs, at: path, width: width)
        do {
            let reader = try StoreReader(path: path)
            XCTAssertGreaterThanOrEqual(reader.env.mapSizeBytes(), grownMapBytes)
            XCTAssertEqual(reader.env.mapGrowthCount, 0)
        }
        let report = StoreVerifier.verify(path: path)
        XCTAssertTrue(report.isSound, "\(report.problems)")
        XCTAssertEqual(report.documentsChecked, 400)

        // Reopened for writing, the store keeps growing.
        let more = (400..<700).map { makeDocument($0, width: width, tokens: 100) }
        do {
            let writer = try StoreWriter.open(at: path)
            for doc in more { try writer.append(doc) }
            try writer.commit()
            XCTAssertGreaterThanOrEqual(writer.env.mapGrowthCount, 1)
        }
        try assertStoreHolds(docs + more, at: path, width: width)
        XCTAssertTrue(StoreVerifier.verify(path: path).isSound)
        XCTAssertGreaterThan(growths, 0)
    }

    /// Every document's rows, token ids and text read back exactly.
    private func assertStoreHolds(_ docs: [DocumentRows], at path: String, width: Int) throws {
        let reader = try StoreReader(path: path)
        XCTAssertEqual(reader.documentCount, docs.count)
        XCTAssertEqual(reader.rowCount, docs.reduce(0) { $0 + $1.rowCount })
        var values: [Float] = []
        try reader.readRows(column: hookName, rows: 0..<reader.rowCount, into: &values)
        XCTAssertTrue(bitsEqual(values, docs.flatMap { $0.activations[hookName]! }), "activations differ")
        let ids = try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<reader.rowCount)
        XCTAssertEqual(ids.map { UInt32($0) }, docs.flatMap(\.tokenIDs))
        for doc in stride(from: 0, to: docs.count, by: 37) {
            XCTAssertEqual(try reader.text(ofDocument: doc), docs[doc].text, "document \(doc)")
            XCTAssertEqual(try reader.documentID(containing: try reader.document(doc).firstRow), doc)
        }
    }
}
