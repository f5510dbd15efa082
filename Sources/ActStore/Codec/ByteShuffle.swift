/// Byte shuffling: the bytes of `count` elements of `width` bytes are regrouped into
/// `width` planes (plane p holds byte p of every element). Float activations share their
/// sign/exponent bytes far more than their mantissa bytes, so zstd compresses the planes
/// better than the interleaved values (Blosc/HDF5's shuffle filter does the same).
///
/// These are the plain references; ChunkCodec fuses un-shuffling with conversion on the
/// read path and the tests hold both equal.
enum ByteShuffle {
    static func shuffle(_ input: [UInt8], width: Int) -> [UInt8] {
        precondition(input.count % width == 0, "shuffle: \(input.count) bytes is not a multiple of width \(width)")
        let count = input.count / width
        var out = [UInt8](repeating: 0, count: input.count)
        for i in 0..<count {
            for p in 0..<width { out[p * count + i] = input[i * width + p] }
        }
        return out
    }

    static func unshuffle(_ input: [UInt8], width: Int) -> [UInt8] {
        precondition(input.count % width == 0, "unshuffle: \(input.count) bytes is not a multiple of width \(width)")
        let count = input.count / width
        var out = [UInt8](repeating: 0, count: input.count)
        for i in 0..<count {
            for p in 0..<width { out[i * width + p] = input[p * count + i] }
        }
        return out
    }

    /// Fast shuffle from typed memory into `out` (count * width bytes).
    static func shuffle(_ input: UnsafeRawBufferPointer, width: Int, into out: UnsafeMutableRawBufferPointer) {
        let count = input.count / width
        let src = input.bindMemory(to: UInt8.self)
        let dst = out.bindMemory(to: UInt8.self)
        for p in 0..<width {
            let plane = dst.baseAddress! + p * count
            var s = src.baseAddress! + p
            for i in 0..<count {
                plane[i] = s.pointee
                s += width
            }
        }
    }
}
