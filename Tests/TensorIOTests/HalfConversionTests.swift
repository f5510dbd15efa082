import TensorIO
import XCTest
@testable import TensorIO

final class HalfConversionTests: XCTestCase {
    /// The table, the bit-manipulation decoder and the arithmetic reference agree exactly on
    /// all 65536 binary16 patterns (NaNs compared as NaN with the same sign).
    func testF16DecodeTableMatchesReferenceOnAllInputs() {
        let table = HalfConversion.f16Table
        XCTAssertEqual(table.count, 65536)
        let allBits = (0...0xffff).map { UInt16($0) }
        let bulk = HalfConversion.floats(fromF16: allBits)
        for bits in allBits {
            let reference = HalfConversion.referenceFloat(fromF16: bits)
            let scalar = HalfConversion.float(fromF16: bits)
            let fromTable = bulk[Int(bits)]
            if reference.isNaN {
                XCTAssertTrue(scalar.isNaN && fromTable.isNaN, "bits \(bits)")
                XCTAssertEqual(scalar.sign, reference.sign)
            } else {
                XCTAssertEqual(scalar.bitPattern, reference.bitPattern, "bits \(String(bits, radix: 16))")
                XCTAssertEqual(fromTable.bitPattern, reference.bitPattern, "bits \(String(bits, radix: 16))")
            }
        }
    }

    /// Every non-NaN half survives decode → encode unchanged.
    func testF16EncodeInvertsDecode() {
        for raw in 0...0xffff {
            let bits = UInt16(raw)
            let value = HalfConversion.float(fromF16: bits)
            if value.isNaN {
                XCTAssertTrue(HalfConversion.float(fromF16: HalfConversion.f16Bits(value)).isNaN)
            } else {
                XCTAssertEqual(HalfConversion.f16Bits(value), bits, "bits \(String(bits, radix: 16))")
            }
        }
    }

    /// Float → half rounds like numpy's astype(float16) (round to nearest even, overflow to
    /// inf, subnormals, ties) on edge cases and ~4000 random values; decoding numpy's halves
    /// gives numpy's floats.
    func testF16MatchesNumpy() throws {
        let inputs = try NPYFile(path: TestSupport.fixture("half_inputs_f32.npy")).allFloats()
        let numpyHalves = try NPYFile(path: TestSupport.fixture("half_numpy_f16.npy"))
        XCTAssertEqual(numpyHalves.dtype, .f16)
        let numpyAsFloat = try NPYFile(path: TestSupport.fixture("half_numpy_f16_as_f32.npy")).allFloats()
        let decoded = try numpyHalves.allFloats()
        let ours = HalfConversion.f16Bits(inputs)
        XCTAssertEqual(inputs.count, numpyAsFloat.count)
        XCTAssertGreaterThan(inputs.count, 4000)
        var mismatches = 0
        for i in inputs.indices {
            let expected = numpyAsFloat[i]
            let got = HalfConversion.float(fromF16: ours[i])
            if expected.isNaN {
                if !got.isNaN || !decoded[i].isNaN { mismatches += 1 }
            } else if got.bitPattern != expected.bitPattern || decoded[i].bitPattern != expected.bitPattern {
                mismatches += 1
                if mismatches < 5 { XCTFail("input \(inputs[i]): ours \(got), numpy \(expected), decoded \(decoded[i])") }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    /// Float → bfloat16 gives torch's .to(bfloat16) bits exactly (NaN: any NaN).
    func testBF16MatchesTorch() throws {
        let inputs = try NPYFile(path: TestSupport.fixture("half_inputs_f32.npy")).allFloats()
        let torchBits = try NPYFile(path: TestSupport.fixture("half_torch_bf16_bits.npy"))
        XCTAssertEqual(torchBits.dtype, .u16)
        let expected = try torchBits.allFloats().map { UInt16($0) }
        let ours = HalfConversion.bf16Bits(inputs)
        XCTAssertEqual(ours.count, expected.count)
        for i in inputs.indices {
            if inputs[i].isNaN {
                XCTAssertTrue(HalfConversion.float(fromBF16: ours[i]).isNaN)
            } else {
                XCTAssertEqual(ours[i], expected[i], "input \(inputs[i])")
            }
        }
        let back = HalfConversion.floats(fromBF16: ours)
        for i in inputs.indices where !inputs[i].isNaN {
            XCTAssertEqual(back[i].bitPattern, UInt32(ours[i]) << 16)
        }
    }

    /// Property check of f16 rounding on values not in the fixture: the chosen half is a
    /// nearest one, and on a tie its last bit is even.
    func testF16RoundsToNearestEven() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0x477f_ffff)  // |x| < 65536
            let bits = HalfConversion.f16Bits(x)
            let chosen = Double(HalfConversion.float(fromF16: bits))
            guard chosen.isFinite else { continue }  // overflow to inf is checked against numpy
            let up = Double(HalfConversion.float(fromF16: bits &+ 1))
            let down = Double(HalfConversion.float(fromF16: bits == 0 ? 0 : bits &- 1))
            let error = abs(chosen - Double(x))
            if up.isFinite && (bits & 0x7fff) != 0x7bff { XCTAssertLessThanOrEqual(error, abs(up - Double(x)), "x \(x)") }
            XCTAssertLessThanOrEqual(error, abs(down - Double(x)), "x \(x)")
            if up.isFinite && error == abs(up - Double(x)) && (bits & 0x7fff) != 0x7bff && chosen != up {
                XCTAssertEqual(bits & 1, 0, "tie at \(x) not rounded to even")
            }
            if bits != 0 && error == abs(down - Double(x)) && chosen != down {
                XCTAssertEqual(bits & 1, 0, "tie at \(x) not rounded to even")
            }
        }
    }

    func testBulkInoutVariantsResize() {
        var floats = [Float](repeating: 9, count: 2)
        HalfConversion.convert(f16Bits: [0x3c00, 0xc000, 0x7c00], into: &floats)
        XCTAssertEqual(floats, [1, -2, .infinity])
        var bits = [UInt16]()
        HalfConversion.convert([1, -2], toBF16Bits: &bits)
        XCTAssertEqual(bits, [0x3f80, 0xc000])
        HalfConversion.convert([0.5], toF16Bits: &bits)
        XCTAssertEqual(bits, [0x3800])
    }
}


