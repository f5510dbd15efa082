import Foundation
import XCTest
@testable import TensorIO

final class SafetensorsTests: XCTestCase {
    /// Writes one tensor of every dtype and reads it back: floats exactly as the dtype's
    /// Int64 and Double values past Float's exact range are stored as given, byte for byte.
    func testExactInt64AndFloat64RoundTrip() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("exact.safetensors").path
        let rows = [0, -1, (1 << 24) + 1, Int.max, Int.min, 123_456_789_012]
        let sums: [Double] = [0.1, -1e300, 1 + 0x1p-52, .pi, -0.0, .leastNonzeroMagnitude]
        try SafetensorsWriter.write(path: path, tensors: [
            .init(name: "rows", shape: [2, 3], values: .int64(rows)),
            .init(name: "sums", shape: [6], values: .float64(sums)),
            .init(name: "acts", shape: [2], values: .floats([1.5, -2], .f32)),
        ])
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.tensorNames, ["rows", "sums", "acts"])
        XCTAssertEqual(try file.info("rows").dtype, .i64)
        XCTAssertEqual(try file.info("sums").dtype, .f64)
        let readRows = try file.withRawBytes("rows") { raw in (0..<6).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) } }
        XCTAssertEqual(readRows, rows)
        let readSums = try file.withRawBytes("sums") { raw in (0..<6).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
        XCTAssertEqual(readSums.map(\.bitPattern), sums.map(\.bitPattern))
        XCTAssertEqual(try file.floats("acts"), [1.5, -2])
        XCTAssertThrowsError(try SafetensorsWriter.write(path: path, tensors: [.init(name: "rows", shape: [4], values: .int64(rows))]))
    }

    /// rounding predicts, integers exactly through the raw bytes.
    func testRoundTripEveryDType() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("all.safetensors").path
        let floatValues: [Float] = [0, -0, 1.5, -2.25, 3.14159, 1e-7, 65504, 70000, -1e30, .infinity]
        let intValues: [Float] = [0, 1, 2, 3, 4, 5, 6, 100]
        let signedValues: [Float] = [-100, -1, 0, 1, 2, 3, 4, 100]
        var tensors: [(name: String, shape: [Int], values: [Float], dtype: TensorDType)] = []
        for dtype in TensorDType.allCases {
            let values: [Float]
            switch dtype {
            case .f32, .f16, .bf16, .f64: values = floatValues
            case .i64, .i32, .i16, .i8: values = signedValues
            case .bool: values = [0, 1, 1, 0, 1, 0, 0, 1]
            default: values = intValues
            }
            tensors.append((name: "t.\(dtype.rawValue)", shape: values.count == 10 ? [2, 5] : [2, 2, 2], values: values, dtype: dtype))
        }
        try SafetensorsWriter.write(path: path, tensors: tensors, metadata: ["format": "pt", "quote\"key": "line\nbreak"])
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.metadata, ["format": "pt", "quote\"key": "line\nbreak"])
        XCTAssertEqual(file.tensors.count, TensorDType.allCases.count)
        XCTAssertEqual(file.tensorNames, tensors.map(\.name), "data laid out in the given order")
        XCTAssertEqual(file.dataByteOffset % 8, 0, "header padded to 8 bytes")
        for tensor in tensors {
            let info = try file.info(tensor.name)
            XCTAssertEqual(info.dtype, tensor.dtype)
            XCTAssertEqual(info.shape, tensor.shape)
            XCTAssertEqual(info.byteRange.count, tensor.values.count * tensor.dtype.byteWidth)
            switch tensor.dtype {
            case .f32:
                XCTAssertEqual(try file.floats(tensor.name).map(\.bitPattern), tensor.values.map(\.bitPattern))
            case .f64:
                XCTAssertEqual(try file.floats(tensor.name).map(\.bitPattern), tensor.values.map(\.bitPattern))
                let doubles = try file.withRawBytes(tensor.name) { raw in (0..<raw.count / 8).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) } }
                XCTAssertEqual(doubles, tensor.values.map(Double.init))
            case .f16:
                XCTAssertEqual(try file.floats(tensor.name).map(\.bitPattern),
                               tensor.values.map { HalfConversion.float(fromF16: HalfConversion.f16Bits($0)).bitPattern })
                XCTAssertEqual(try file.floats(tensor.name)[7], .infinity, "70000 overflows half")
            case .bf16:
                XCTAssertEqual(try file.floats(tensor.name).map(\.bitPattern),
                               tensor.values.map { HalfConversion.float(fromBF16: HalfConversion.bf16Bits($0)).bitPattern })
            default:
                XCTAssertThrowsError(try file.floats(tensor.name)) { error in
                    guard case .unsupportedConversion = error as? TensorIOError else { return XCTFail("\(error)") }
                }
                let decoded = try file.withRawBytes(tensor.name) { raw -> [Float] in
                    var out = [Float](repeating: .nan, count: tensor.values.count)
                    out.withUnsafeMutableBufferPointer { tensor.dtype.decode(raw, into: $0) }
                    return out
                }
                XCTAssertEqual(decoded, tensor.values, "\(tensor.dtype)")
            }
        }
        // The header must be byte-identical JSON that Foundation also accepts.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: data[8..<(8 + headerLength)]))
    }

    func testWriterRejectsBadInput() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let path = dir.appendingPathComponent("bad.safetensors").path
        let cases: [[(name: String, shape: [Int], values: [Float], dtype: TensorDType)]] = [
            [(name: "a", shape: [2, 2], values: [1, 2, 3], dtype: .f32)],
            [(name: "a", shape: [1], values: [1], dtype: .f32), (name: "a", shape: [1], values: [1], dtype: .f32)],
            [(name: "i", shape: [2], values: [1.5, 2], dtype: .i32)],
            [(name: "u", shape: [1], values: [300], dtype: .u8)],
            [(name: "__metadata__", shape: [1], values: [1], dtype: .f32)],
        ]
        for tensors in cases {
            let error = TestSupport.expectError(path: path) { try SafetensorsWriter.write(path: path, tensors: tensors) }
            guard case .invalidWrite = error else { return XCTFail("\(String(describing: error))") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "no file left behind")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"), "no temporary left behind")
        }
    }

    /// A file written by the python `safetensors` library (torch backend) in every dtype.
    func testReadsPythonSafetensors() throws {
        let path = TestSupport.fixture("python_all_dtypes.safetensors")
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.metadata["format"], "pt")
        XCTAssertEqual(file.metadata["note"], "made by tensorio_fixtures.py")
        for name in ["f32", "f16", "bf16", "f64"] {
            let info = try file.info("x_\(name)")
            XCTAssertEqual(info.dtype.rawValue, name.uppercased())
            XCTAssertEqual(info.shape, [3, 5])
            XCTAssertEqual(info.elementCount, 15)
            // Python's own cast, widened to f32, must equal our decoding bit for bit.
            XCTAssertEqual(try file.floats("x_\(name)").map(\.bitPattern), try file.floats("x_\(name)_as_f32").map(\.bitPattern), name)
        }
        for (name, dtype, signed) in [("i_i64", TensorDType.i64, true), ("i_i32", .i32, true), ("i_i16", .i16, true),
                                      ("i_i8", .i8, true), ("i_u8", .u8, false)] {
            let info = try file.info(name)
            XCTAssertEqual(info.dtype, dtype)
            XCTAssertEqual(info.shape, [2, 4])
            let values = try file.withRawBytes(name) { raw -> [Float] in
                var out = [Float](repeating: 0, count: 8)
                out.withUnsafeMutableBufferPointer { dtype.decode(raw, into: $0) }
                return out
            }
            XCTAssertEqual(values, (0..<8).map { Float($0 - (signed ? 7 : 0)) }, name)
        }
        XCTAssertEqual(try file.info("i_bool").dtype, .bool)
        XCTAssertEqual(try file.withRawBytes("i_bool") { Array($0) }, [0, 1, 0, 1, 0, 1, 0, 1])
        XCTAssertEqual(try file.info("scalar_f32").shape, [])
        XCTAssertEqual(try file.floats("scalar_f32"), [2.5])
        XCTAssertEqual(try file.info("empty_f32").shape, [0, 3])
        XCTAssertEqual(try file.floats("empty_f32"), [])
    }

    func testMissingTensorListsNearNames() throws {
        let path = TestSupport.fixture("python_all_dtypes.safetensors")
        let file = try SafetensorsFile(path: path)
        let error = TestSupport.expectError(path: path) { _ = try file.floats("x_f61") }
        guard case let .tensorNotFound(_, tensor, near) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(tensor, "x_f61")
        XCTAssertTrue(near.contains("x_f64"), "\(near)")
        XCTAssertTrue(error!.description.contains("x_f64"))
    }

    /// The shared tiny GPT-2 model: names and shapes agree with its config.json.
    func testReadsSharedModel() throws {
        let dir = try TestSupport.sharedData("models/tiny-shakespeare-gpt2")
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        let configData = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: configData) as? [String: Any])
        let layers = try XCTUnwrap(config["n_layer"] as? Int)
        let width = try XCTUnwrap(config["n_embd"] as? Int)
        let vocab = try XCTUnwrap(config["vocab_size"] as? Int)
        let positions = try XCTUnwrap(config["n_positions"] as? Int)
        XCTAssertEqual(file.tensors.count, 4 + 12 * layers)
        XCTAssertEqual(try file.info("transformer.wte.weight").shape, [vocab, width])
        XCTAssertEqual(try file.info("transformer.wpe.weight").shape, [positions, width])
        XCTAssertEqual(try file.info("transformer.ln_f.weight").shape, [width])
        for layer in 0..<layers {
            let prefix = "transformer.h.\(layer)."
            XCTAssertEqual(try file.info(prefix + "attn.c_attn.weight").shape, [width, 3 * width])
            XCTAssertEqual(try file.info(prefix + "attn.c_proj.weight").shape, [width, width])
            XCTAssertEqual(try file.info(prefix + "mlp.c_fc.weight").shape, [width, 4 * width])
            XCTAssertEqual(try file.info(prefix + "mlp.c_proj.weight").shape, [4 * width, width])
            XCTAssertEqual(try file.info(prefix + "ln_1.bias").shape, [width])
        }
        XCTAssertTrue(file.tensors.values.allSatisfy { $0.dtype == .f32 })
        let embedding = try file.floats("transformer.wte.weight")
        XCTAssertEqual(embedding.count, vocab * width)
        XCTAssertTrue(embedding.allSatisfy(\.isFinite))
        // Trained LayerNorm gains are around 1, not zero or garbage.
        let gain = try file.floats("transformer.ln_f.weight")
        let meanGain = gain.reduce(0, +) / Float(gain.count)
        XCTAssertGreaterThan(meanGain, 0.2)
        XCTAssertLessThan(meanGain, 5)
        // The unprefixed name a hub gpt2 would use is suggested against.
        let error = TestSupport.expectError(path: dir + "/model.safetensors") { _ = try file.info("wte.weight") }
        guard case let .tensorNotFound(_, _, near) = error else { return XCTFail() }
        XCTAssertEqual(near.first, "transformer.wte.weight")
    }
}
