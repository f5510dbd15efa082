import TensorIO
import XCTest
@testable import ActStore

final class CodecTests: XCTestCase {
    func testCRC32CKnownVectorAndFastEqualsReference() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([]), 0)
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeros → 0x8A9136AA, of 0xFF → 0x62A8AB43.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        var rng = TestRNG(state: 7)
        for length in [1, 7, 8, 9, 63, 64, 65, 1000, 4099] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            XCTAssertEqual(CRC32C.checksum(bytes), CRC32C.referenceChecksum(bytes), "length \(length)")
        }
    }

    func testByteShuffleFastEqualsReferenceAndRoundTrips() {
        var rng = TestRNG(state: 3)
        for width in [2, 4, 8] {
            let bytes = (0..<(width * 37)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let reference = ByteShuffle.shuffle(bytes, width: width)
            var fast = [UInt8](repeating: 0, count: bytes.count)
            bytes.withUnsafeBytes { src in fast.withUnsafeMutableBytes { ByteShuffle.shuffle(src, width: width, into: $0) } }
            XCTAssertEqual(fast, reference)
            XCTAssertEqual(ByteShuffle.unshuffle(reference, width: width), bytes)
            XCTAssertEqual(reference[0], bytes[0])
            XCTAssertEqual(reference[1], bytes[width], "plane 0 holds byte 0 of each element")
        }
    }

    func testF16TableEqualsFloat16OnAllInputs() {
        for bits in 0...0xFFFF {
            let table = HalfConversion.f16Table[bits]
            let reference = Float(Float16(bitPattern: UInt16(bits)))
            XCTAssertTrue(table.bitPattern == reference.bitPattern || (table.isNaN && reference.isNaN), "bits \(bits)")
        }
    }

    func testBF16RoundsToNearestEven() {
        // 1 + 2^-8 is halfway between two bf16 values: ties go to the even mantissa (1.0).
        XCTAssertEqual(HalfConversion.bf16Bits(1 + 1.0 / 256), 0x3F80)
        XCTAssertEqual(HalfConversion.bf16Bits(1 + 3.0 / 256), 0x3F82)
        XCTAssertEqual(HalfConversion.float(fromBF16: HalfConversion.bf16Bits(-2.5)), -2.5)
        XCTAssertTrue(HalfConversion.float(fromBF16: HalfConversion.bf16Bits(.nan)).isNaN)
    }

    /// Every codec, shuffled or not: the fused fast decode equals the plain reference, and
    /// the decoded values are the codec's conversion of the input.
    func testFastDecodeEqualsReferenceForEveryCodec() throws {
        let rows = 33, width = 24
        let values = activationLike(rows: rows, width: width, seed: 11)
        for codec in [ColumnCodec.f32, .f16, .bf16, .int8] {
            for shuffle in [true, false] {
                let spec = ColumnSpec(name: "c", width: width, codec: codec, byteShuffle: shuffle)
                var payload: [UInt8] = []
                try values.withUnsafeBufferPointer {
                    try ChunkCodec.encode(floats: $0, rows: rows, width: width, spec: spec, firstRow: 0, into: &payload)
                }
                XCTAssertEqual(payload.count, ChunkCodec.payloadByteCount(codec: codec, rows: rows, width: width))
                var fast = [Float](repeating: 0, count: rows * width)
                payload.withUnsafeBytes { src in
                    fast.withUnsafeMutableBufferPointer {
                        ChunkCodec.decode(floatsFrom: src, codec: codec, shuffled: shuffle, rows: rows, width: width, into: $0)
                    }
                }
                let reference = ChunkCodec.referenceDecode(floatsFrom: payload, codec: codec, shuffled: shuffle, rows: rows, width: width)
                XCTAssertTrue(bitsEqual(fast, reference), "\(codec) shuffle=\(shuffle)")
                if codec == .int8 {
                    for r in 0..<rows {
                        let row = values[r * width..<(r + 1) * width]
                        let scale = row.map(abs).max()! / 127
                        for j in 0..<width {
                            XCTAssertLessThanOrEqual(abs(fast[r * width + j] - values[r * width + j]), scale * 0.5001)
                        }
                    }
                } else {
                    XCTAssertTrue(bitsEqual(fast, values.map { stored($0, codec) }), "\(codec)")
                }
            }
        }
    }

    func testF16OverflowIsRefusedNotClipped() {
        let spec = ColumnSpec(name: "big", width: 2, codec: .f16)
        var payload: [UInt8] = []
        XCTAssertThrowsError(try [Float(1), 70000].withUnsafeBufferPointer {
            try ChunkCodec.encode(floats: $0, rows: 1, width: 2, spec: spec, firstRow: 41, into: &payload)
        }) { error in
            guard case let StoreError.valueNotRepresentable(column, row, value, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(column, "big"); XCTAssertEqual(row, 41); XCTAssertEqual(value, 70000)
        }
    }

    func testIntegerColumnsRoundTrip() throws {
        for codec in [ColumnCodec.u32, .u64] {
            for shuffle in [true, false] {
                let spec = ColumnSpec(name: "ids", width: 1, codec: codec, byteShuffle: shuffle)
                let values: [UInt64] = (0..<50).map { UInt64($0) * 1_234_567 % (codec == .u32 ? 1 << 32 : UInt64.max) }
                var payload: [UInt8] = []
                if codec == .u32 {
                    values.map { UInt32($0) }.withUnsafeBytes { ChunkCodec.encode(integers: $0, spec: spec, into: &payload) }
                } else {
                    values.withUnsafeBytes { ChunkCodec.encode(integers: $0, spec: spec, into: &payload) }
                }
                var out = [UInt64](repeating: 0, count: values.count)
                payload.withUnsafeBytes { src in
                    out.withUnsafeMutableBufferPointer { ChunkCodec.decode(integersFrom: src, codec: codec, shuffled: shuffle, count: values.count, into: $0) }
                }
                XCTAssertEqual(out, values)
            }
        }
    }
}
