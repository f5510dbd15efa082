import ActStore
import XCTest

/// Two stores that should hold the same ingest: the same documents and texts, the same rows of
/// every integer column (tokens, positions, byte spans), and each float column handed to
/// `compareFloats` (bit for bit, or within a stated bound) with its name.
func assertSameIngest(_ a: any StoreReading, _ b: any StoreReading, _ label: String,
                      compareFloats: (_ x: [Float], _ y: [Float], _ column: String) -> Void,
                      file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(a.rowCount, b.rowCount, label, file: file, line: line)
    XCTAssertEqual(a.documentCount, b.documentCount, label, file: file, line: line)
    for doc in 0..<min(a.documentCount, b.documentCount) {
        XCTAssertEqual(try a.text(ofDocument: doc), try b.text(ofDocument: doc), "\(label): document \(doc)", file: file, line: line)
        XCTAssertEqual(try a.document(doc).rows, try b.document(doc).rows, "\(label): document \(doc)", file: file, line: line)
    }
    for column in a.columns {
        if column.codec.isFloat {
            var x: [Float] = [], y: [Float] = []
            try a.readRows(column: column.name, rows: 0..<a.rowCount, into: &x)
            try b.readRows(column: column.name, rows: 0..<b.rowCount, into: &y)
            XCTAssertEqual(x.count, y.count, "\(label): \(column.name)", file: file, line: line)
            compareFloats(x, y, column.name)
        } else {
            XCTAssertEqual(try a.readIntegers(column: column.name, rows: 0..<a.rowCount),
                           try b.readIntegers(column: column.name, rows: 0..<b.rowCount), "\(label): \(column.name)",
                           file: file, line: line)
        }
    }
}
