// libFuzzer target: the chunk decode path a reader runs after the CRC check — zstd frame →
// payload of the size the record promises → un-shuffle and convert to floats / integers.
// Input: byte 0 fixed-size codec (mod their count), byte 1 bit 0 shuffled, byte 2 rows-1 (mod 64), byte 3
// width-1 (mod 64), then the compressed frame. Built by scripts/fuzz.sh with ActStore's Format
// and Codec sources (links libzstd). Seeds come from this binary itself: run it with
// SAESTORE_FUZZ_WRITE_SEEDS=<dir> to write real encoded chunks there (scripts/fuzz.sh does).
// Expectation: a frame of the wrong size or damaged throws ZstdError; a frame that decodes
// gives the same floats on the fast and reference decoders; no trap.
#if canImport(Glibc)
import Glibc
#endif

private let decompressor = ZstdDecompressor()

/// The fixed-size codecs this target drives. int8-outlier's payload size varies with its outlier
/// count (it is range-checked and decoded by OutlierInt8Codec, tested in OutlierInt8CodecTests),
/// so the promise "a payload of the size the record gives" does not apply to it here.
private let fixedSizeCodecs = ColumnCodec.allCases.filter { $0 != .int8Outlier }

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    guard let dir = getenv("SAESTORE_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    let compressor = ZstdCompressor(level: 3)
    var seedIndex = 0
    for codec in fixedSizeCodecs {
        for shuffle in [false, true] {
            let rows = 5, width = 7
            var payload: [UInt8] = []
            if codec.isFloat {
                let values = (0..<rows * width).map { Float($0) * 0.37 - 3 }
                let spec = ColumnSpec(name: "x", width: width, codec: codec, byteShuffle: shuffle)
                try! values.withUnsafeBufferPointer { try ChunkCodec.encode(floats: $0, rows: rows, width: width, spec: spec, firstRow: 0, into: &payload) }
            } else {
                let spec = ColumnSpec(name: "x", width: 1, codec: codec, byteShuffle: shuffle)
                let ids = (0..<UInt64(rows * width)).map { $0 * 977 }
                if codec == .u32 {
                    let narrow = ids.map { UInt32($0) }
                    narrow.withUnsafeBytes { ChunkCodec.encode(integers: $0, spec: spec, into: &payload) }
                } else {
                    ids.withUnsafeBytes { ChunkCodec.encode(integers: $0, spec: spec, into: &payload) }
                }
            }
            let frame = try! compressor.compress(payload)
            let header: [UInt8] = [UInt8(fixedSizeCodecs.firstIndex(of: codec)!), shuffle ? 1 : 0, UInt8(rows - 1),
                                   UInt8((codec.isFloat ? width : 1) - 1)]
            let bytes = header + frame
            bytes.withUnsafeBufferPointer { FuzzScratch.write($0, to: "\(dir)/seed-\(seedIndex)") }
            seedIndex += 1
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 4, let data else { return 0 }
    let codec = fixedSizeCodecs[Int(data[0]) % fixedSizeCodecs.count]
    let shuffled = data[1] & 1 != 0
    let rows = Int(data[2] % 64) + 1
    let width = codec.isFloat ? Int(data[3] % 64) + 1 : 1
    let frame = UnsafeRawBufferPointer(start: data + 4, count: size - 4)
    var payload = [UInt8](repeating: 0, count: ChunkCodec.payloadByteCount(codec: codec, rows: rows, width: width))
    do {
        try payload.withUnsafeMutableBytes { try decompressor.decompress(frame, into: $0) }
    } catch is ZstdError {
        return 0
    } catch {
        fatalError("decompress threw an untyped error: \(error)")
    }
    if codec.isFloat {
        var out = [Float](repeating: 0, count: rows * width)
        payload.withUnsafeBytes { p in
            out.withUnsafeMutableBufferPointer { ChunkCodec.decode(floatsFrom: p, codec: codec, shuffled: shuffled, rows: rows, width: width, into: $0) }
        }
        let reference = ChunkCodec.referenceDecode(floatsFrom: payload, codec: codec, shuffled: shuffled, rows: rows, width: width)
        precondition(zip(out, reference).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) },
                     "fast and reference chunk decode differ")
    } else {
        var out = [UInt64](repeating: 0, count: rows)
        payload.withUnsafeBytes { p in
            out.withUnsafeMutableBufferPointer { ChunkCodec.decode(integersFrom: p, codec: codec, shuffled: shuffled, count: rows, into: $0) }
        }
    }
    return 0
}
