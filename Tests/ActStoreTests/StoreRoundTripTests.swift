import XCTest
@testable import ActStore

final class StoreRoundTripTests: XCTestCase {
    /// Documents of odd lengths, several commits, chunk boundaries everywhere: every row
    /// reads back as the codec's conversion of what was written, and resolves to its text.
    func testEveryCodecRoundTripsAcrossChunkBoundaries() throws {
        for codec in [ColumnCodec.f32, .f16, .bf16, .int8] {
            let path = temporaryDirectory(self, "rt\(codec)")
            let width = 20
            let docs = (0..<23).map { makeDocument($0, width: width) }
            let writer = try StoreWriter.create(at: path, manifest: manifest(width: width, codec: codec, chunkRows: 97, segmentBytes: 1 << 16))
            for (i, doc) in docs.enumerated() {
                XCTAssertEqual(try writer.append(doc), i)
                if i % 5 == 4 { try writer.commit() }
            }
            try writer.commit()
            let reader = try StoreReader(path: path)
            let expectedRows = docs.reduce(0) { $0 + $1.rowCount }
            XCTAssertEqual(reader.rowCount, expectedRows)
            XCTAssertEqual(reader.documentCount, docs.count)

            var all: [Float] = []
            try reader.readRows(column: hookName, rows: 0..<expectedRows, into: &all)
            let written = docs.flatMap { $0.activations[hookName]! }
            if codec == .int8 {
                for r in 0..<expectedRows {
                    let scale = written[r * width..<(r + 1) * width].map(abs).max()! / 127
                    for j in 0..<width { XCTAssertLessThanOrEqual(abs(all[r * width + j] - written[r * width + j]), scale * 0.5001) }
                }
            } else {
                XCTAssertTrue(bitsEqual(all, written.map { stored($0, codec) }), "\(codec)")
            }
            // An odd range that straddles chunks equals the same slice of the full read.
            var middle: [Float] = []
            try reader.readRows(column: hookName, rows: 95..<301, into: &middle)
            XCTAssertTrue(bitsEqual(middle, Array(all[95 * width..<301 * width])))

            XCTAssertEqual(try reader.readIntegers(column: TokenColumn.tokenID, rows: 0..<expectedRows).map { UInt32($0) },
                           docs.flatMap(\.tokenIDs))
            // Rows resolve to their documents and exact token text.
            var row = 0
            for (d, doc) in docs.enumerated() {
                let text = try XCTUnwrap(try reader.text(ofDocument: d))
                XCTAssertEqual(text, doc.text)
                for t in stride(from: 0, to: doc.rowCount, by: 37) {
                    let location = try XCTUnwrap(try reader.locate(row: row + t))
                    XCTAssertEqual(location.document, d)
                    XCTAssertEqual(location.tokenIndex, t)
                    XCTAssertEqual(location.tokenID, doc.tokenIDs[t])
                    XCTAssertEqual(location.source, doc.source)
                    XCTAssertEqual(location.sourceIndex, d)
                    let bytes = Array(text.utf8)[location.byteStart..<location.byteEnd]
                    let expected = Array(doc.text.utf8)[Int(doc.byteStarts[t])..<Int(doc.byteEnds[t])]
                    XCTAssertEqual(Array(bytes), Array(expected))
                    XCTAssertEqual(try reader.row(document: d, tokenIndex: t), row + t)
                }
                row += doc.rowCount
            }
            XCTAssertTrue(StoreVerifier.verify(path: path).isSound, "\(StoreVerifier.verify(path: path).problems)")
            let info = try reader.info()
            XCTAssertEqual(info.columns.last!.chunkCount, reader.chunkCount)
            XCTAssertGreaterThan(info.segmentCount, 1, "a 64 KiB segment target forces several segments")
        }
    }

    func testContextCutsTheTokenAndItsNeighboursFromTheText() throws {
        let path = temporaryDirectory(self)
        let writer = try StoreWriter.create(at: path, manifest: manifest(width: 2, codec: .f16, chunkRows: 16))
        let docs = (0..<3).map { makeDocument($0, width: 2, tokens: 40) }
        for doc in docs { try writer.append(doc) }
        try writer.commit()
        let reader = try StoreReader(path: path)
        for (row, doc, t) in [(0, 0, 0), (45, 1, 5), (119, 2, 39)] {
            let c = try XCTUnwrap(try reader.context(row: row, window: 3))
            let bytes = Array(docs[doc].text.utf8)
            let lo = max(0, t - 3), hi = min(39, t + 3)
            XCTAssertEqual(c.before, String(decoding: bytes[Int(docs[doc].byteStarts[lo])..<Int(docs[doc].byteStarts[t])], as: UTF8.self))
            XCTAssertEqual(c.token, String(decoding: bytes[Int(docs[doc].byteStarts[t])..<Int(docs[doc].byteEnds[t])], as: UTF8.self))
            XCTAssertEqual(c.after, String(decoding: bytes[Int(docs[doc].byteEnds[t])..<Int(docs[doc].byteEnds[hi])], as: UTF8.self))
            XCTAssertEqual(c.document, doc)
        }
    }

    /// A context encodes as one flat object (what `lookup --json` prints) and decodes back to itself.
    func testContextEncodesFlatAndRoundTrips() throws {
        let path = temporaryDirectory(self)
        let writer = try StoreWriter.create(at: path, manifest: manifest(width: 2, codec: .f16, chunkRows: 16))
        try writer.append(makeDocument(0, width: 2, tokens: 20))
        try writer.commit()
        let c = try XCTUnwrap(try StoreReader(path: path).context(row: 7, window: 2))
        let data = try JSONEncoder().encode(c)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["row", "document", "tokenIndex", "position", "tokenID", "byteStart", "byteEnd",
                                          "source", "sourceIndex", "before", "token", "after"])
        XCTAssertEqual(object["row"] as? Int, 7)
        XCTAssertEqual(object["token"] as? String, c.token)
        XCTAssertEqual(try JSONDecoder().decode(TokenContext.self, from: data), c)
    }

    func testDocumentAppendedInPartsEqualsDocumentAppendedWhole() throws {
        let whole = temporaryDirectory(self, "whole"), parts = temporaryDirectory(self, "parts")
        let doc = makeDocument(3, width: 5, tokens: 230)
        let a = try StoreWriter.create(at: whole, manifest: manifest(width: 5, codec: .f32, chunkRows: 64))
        try a.append(doc)
        try a.commit()
        let b = try StoreWriter.create(at: parts, manifest: manifest(width: 5, codec: .f32, chunkRows: 64))
        try b.beginDocument(text: doc.text, source: doc.source, sourceIndex: doc.sourceIndex)
        for range in [0..<100, 100..<101, 101..<230] {
            var part = doc
            part.tokenIDs = Array(doc.tokenIDs[range]); part.positions = Array(doc.positions[range])
            part.byteStarts = Array(doc.byteStarts[range]); part.byteEnds = Array(doc.byteEnds[range])
            part.activations = [hookName: Array(doc.activations[hookName]![range.lowerBound * 5..<range.upperBound * 5])]
            try b.appendTokens(part)
            XCTAssertThrowsError(try b.commit(), "no commit inside a document")
        }
        try b.endDocument()
        try b.commit()
        let x = try StoreReader(path: whole), y = try StoreReader(path: parts)
        var vx: [Float] = [], vy: [Float] = []
        try x.readRows(column: hookName, rows: 0..<230, into: &vx)
        try y.readRows(column: hookName, rows: 0..<230, into: &vy)
        XCTAssertTrue(bitsEqual(vx, vy))
        XCTAssertEqual(try x.document(0), try y.document(0))
        XCTAssertEqual(try y.context(row: 150, window: 2), try x.context(row: 150, window: 2))
    }

    func testCachedRandomReadsEqualUncachedAndFollowRefresh() throws {
        let path = temporaryDirectory(self)
        let writer = try StoreWriter.create(at: path, manifest: manifest(width: 6, codec: .f16, chunkRows: 32))
        for i in 0..<6 { try writer.append(makeDocument(i, width: 6, tokens: 30)) }
        try writer.commit()
        let cached = try StoreReader(path: path)
        let uncached = try StoreReader(path: path)
        uncached.decodedCacheBytes = 0
        for start in [0, 5, 31, 33, 100, 5, 31] {
            var a: [Float] = [], b: [Float] = []
            try cached.readRows(column: hookName, rows: start..<start + 3, into: &a)
            try uncached.readRows(column: hookName, rows: start..<start + 3, into: &b)
            XCTAssertTrue(bitsEqual(a, b), "rows \(start)")
            XCTAssertEqual(try cached.readIntegers(column: TokenColumn.tokenID, rows: start..<start + 2),
                           try uncached.readIntegers(column: TokenColumn.tokenID, rows: start..<start + 2))
        }
        // The last chunk was partial and cached; after more rows land, a refresh must not serve it stale.
        let lastRow = cached.rowCount - 1
        _ = try cached.readIntegers(column: TokenColumn.docID, rows: lastRow..<lastRow + 1)
        try writer.append(makeDocument(6, width: 6, tokens: 30))
        try writer.commit()
        try cached.refresh()
        XCTAssertEqual(try cached.readIntegers(column: TokenColumn.docID, rows: lastRow..<lastRow + 2), [5, 6])
    }

    func testUncommittedRowsAreDroppedAndAppendingResumes() throws {
        let path = temporaryDirectory(self)
        let width = 8
        var writer: StoreWriter? = try StoreWriter.create(at: path, manifest: manifest(width: width, codec: .f32, chunkRows: 16))
        for i in 0..<5 { try writer!.append(makeDocument(i, width: width)) }
        try writer!.commit(cursor: ["corpus": [5]])
        let committedRows = writer!.committedRowCount
        for i in 5..<9 { try writer!.append(makeDocument(i, width: width)) }  // never committed
        XCTAssertGreaterThan(writer!.uncommittedRowCount, 0)
        writer = nil
        let segmentBefore = fileSize(SegmentFile.path(store: path, segment: 0))

        let reader = try StoreReader(path: path)
        XCTAssertEqual(reader.rowCount, committedRows)
        XCTAssertEqual(try reader.cursor()["corpus"], [5])

        let reopened = try StoreWriter.open(at: path)
        XCTAssertLessThan(fileSize(SegmentFile.path(store: path, segment: 0)), segmentBefore, "uncommitted bytes are cut off")
        XCTAssertEqual(try reopened.committedCursor()["corpus"], [5])
        for i in 5..<9 { try reopened.append(makeDocument(i, width: width)) }
        try reopened.commit()
        try reader.refresh()
        XCTAssertEqual(reader.documentCount, 9)
        XCTAssertEqual(try reader.document(5).firstRow, committedRows)
        XCTAssertTrue(StoreVerifier.verify(path: path).isSound)
    }

    func testBareRowsImportAndAddColumnAllOrNothing() throws {
        let path = temporaryDirectory(self)
        let a = activationLike(rows: 250, width: 6, seed: 5)
        let writer = try StoreWriter.create(at: path, manifest: StoreManifest(
            columns: [ColumnSpec(name: "a", width: 6, codec: .f32)], chunkRows: 64, hasDocuments: false))
        try writer.appendRows(["a": Array(a[0..<600])], rowCount: 100)
        try writer.appendRows(["a": Array(a[600...])], rowCount: 150)
        try writer.commit()
        XCTAssertThrowsError(try writer.append(makeDocument(0, width: 6)))

        let b = activationLike(rows: 250, width: 3, seed: 6)
        // A fill that fails half-way leaves the store exactly as it was.
        XCTAssertThrowsError(try writer.addColumn(ColumnSpec(name: "b", width: 3, codec: .bf16)) { rows, out in
            if rows.lowerBound > 100 { throw StoreError.invalidArgument("injected failure") }
            out.append(contentsOf: b[rows.lowerBound * 3..<rows.upperBound * 3])
        })
        var reader = try StoreReader(path: path)
        XCTAssertEqual(reader.columns.map(\.name), ["a"])
        XCTAssertTrue(StoreVerifier.verify(path: path).isSound)

        try writer.addColumn(ColumnSpec(name: "b", width: 3, codec: .bf16)) { rows, out in
            out.append(contentsOf: b[rows.lowerBound * 3..<rows.upperBound * 3])
        }
        reader = try StoreReader(path: path)
        XCTAssertEqual(reader.columns.map(\.name), ["a", "b"])
        var readA: [Float] = [], readB: [Float] = []
        try reader.readRows(column: "a", rows: 0..<250, into: &readA)
        try reader.readRows(column: "b", rows: 0..<250, into: &readB)
        XCTAssertTrue(bitsEqual(readA, a))
        XCTAssertTrue(bitsEqual(readB, b.map { stored($0, .bf16) }))
        XCTAssertNil(try reader.locate(row: 3), "bare rows have no document")
        XCTAssertTrue(StoreVerifier.verify(path: path).isSound)
    }

    func testOpeningWhatIsNotAStoreOrIsNewerOrLockedFailsClearly() throws {
        let path = temporaryDirectory(self)
        XCTAssertThrowsError(try StoreReader(path: path)) { error in
            guard case StoreError.notAStore = error else { return XCTFail("\(error)") }
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path + "/notes.txt", contents: Data("hi".utf8))
        XCTAssertThrowsError(try StoreReader(path: path)) { error in
            XCTAssertTrue("\(error)".contains("is not a saestore store"), "\(error)")
        }
        XCTAssertThrowsError(try StoreWriter.create(at: path, manifest: manifest(width: 4, codec: .f32))) { error in
            XCTAssertEqual(error as? StoreError, .alreadyExists(path: path))
        }

        let store = temporaryDirectory(self, "store")
        let writer = try StoreWriter.create(at: store, manifest: manifest(width: 4, codec: .f32))
        XCTAssertThrowsError(try StoreWriter.open(at: store)) { error in
            XCTAssertEqual(error as? StoreError, .locked(path: store))
        }
        // A store from a future format version is refused by name.
        var newer = RecordWriter()
        newer.u32(StoreFormat.version + 1)
        try writer.env.withTransaction(write: true) { try $0.put(.meta, StoreFormat.MetaKey.version, newer.bytes) }
        XCTAssertThrowsError(try StoreReader(path: store)) { error in
            XCTAssertEqual(error as? StoreError, .newerFormat(path: store, found: StoreFormat.version + 1, supported: StoreFormat.version))
        }
    }

    func testBadDocumentsAreRejectedWithoutTouchingTheStore() throws {
        let path = temporaryDirectory(self)
        let writer = try StoreWriter.create(at: path, manifest: manifest(width: 4, codec: .f16))
        try writer.append(makeDocument(0, width: 4))
        try writer.commit()
        var bad = makeDocument(1, width: 4)
        bad.byteEnds[0] = 100_000
        XCTAssertThrowsError(try writer.append(bad)) { XCTAssertTrue("\($0)".contains("outside its"), "\($0)") }
        var wrongWidth = makeDocument(2, width: 4)
        wrongWidth.activations[hookName]!.removeLast()
        XCTAssertThrowsError(try writer.append(wrongWidth)) { XCTAssertTrue("\($0)".contains("expected"), "\($0)") }
        var huge = makeDocument(3, width: 4, tokens: 2)
        huge.activations[hookName]![1] = 1e6
        try writer.append(huge)  // buffered: the chunk is encoded at commit
        XCTAssertThrowsError(try writer.commit()) { XCTAssertTrue("\($0)".contains("cannot be stored as f16"), "\($0)") }
        let reader = try StoreReader(path: path)
        XCTAssertEqual(reader.documentCount, 1)
        XCTAssertTrue(StoreVerifier.verify(path: path).isSound)
    }
}
