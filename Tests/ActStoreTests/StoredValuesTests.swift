import Foundation
import XCTest
@testable import ActStore

/// `ColumnSpec.storedValues` gives exactly what a reader reads back from a store the values
/// were written to, for every float codec (the server's /encode relies on it).
final class StoredValuesTests: XCTestCase {
    func testStoredValuesAreWhatTheStoreReadsBack() throws {
        let width = 24, rows = 37
        let values = activationLike(rows: rows, width: width, seed: 11)
        for codec in [ColumnCodec.f32, .f16, .bf16, .int8, .int8Outlier] {
            for shuffle in [true, false] {
                let spec = ColumnSpec(name: hookName, width: width, codec: codec, byteShuffle: shuffle)
                let path = temporaryDirectory(self, "stored-\(codec.rawValue)-\(shuffle)")
                let writer = try StoreWriter.create(at: path, manifest: StoreManifest(columns: [spec], hasDocuments: false))
                try writer.appendRows([hookName: values], rowCount: rows)
                try writer.commit()
                var read: [Float] = []
                try StoreReader(path: path).readRows(column: hookName, rows: 0..<rows, into: &read)
                let stored = try spec.storedValues(values, rowCount: rows)
                XCTAssertEqual(stored.map(\.bitPattern), read.map(\.bitPattern), "\(codec.rawValue), shuffle \(shuffle)")
                if codec == .f32 { XCTAssertEqual(stored, values) } else { XCTAssertNotEqual(stored, values, "\(codec.rawValue) rounds") }
            }
        }
        XCTAssertEqual(try ColumnSpec(name: hookName, width: width, codec: .f16).storedValues([], rowCount: 0), [])
    }

    func testAValueF16CannotHoldIsRefusedAsTheWriterRefusesIt() {
        let spec = ColumnSpec(name: hookName, width: 2, codec: .f16)
        XCTAssertThrowsError(try spec.storedValues([1, 1e6], rowCount: 1)) { error in
            XCTAssertTrue("\(error)".contains(hookName), "\(error)")
        }
    }
}
