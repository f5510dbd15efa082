import Foundation
import XCTest
@testable import TensorIO

/// A safetensors file whose header claims terabytes is refused from the header alone, before
/// anything of that size is allocated or mapped (docs/RELIABILITY.md, resource limits).
final class SafetensorsLimitTests: XCTestCase {
    func testTensorClaimingTerabytesIsRefusedFromItsHeader() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let fourTiB = 4 << 40
        // Shape and offsets agree (1 Mi x 1 Mi F32 = 4 TiB); only 8 data bytes follow.
        let header = #"{"w":{"dtype":"F32","shape":[1048576,1048576],"data_offsets":[0,\#(fourTiB)]}}"#
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 8)
        let path = dir.appendingPathComponent("claims-4tib.safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = TestSupport.expectError(path: path) { _ = try SafetensorsFile(path: path) }
        guard case let .offsetsOutOfBounds(_, tensor, begin, end, dataByteCount)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(tensor, "w")
        XCTAssertEqual([begin, end, dataByteCount], [0, fourTiB, 8])
    }
}
