import CZstd

/// The one file in ActStore that calls zstd. Contexts are reused across chunks (creating
/// one costs more than compressing a small chunk) and are not thread-safe: one per thread.
struct ZstdError: Error, CustomStringConvertible {
    let operation: String
    let message: String
    var description: String { "zstd \(operation) failed: \(message)" }
}

final class ZstdCompressor {
    private let context: OpaquePointer
    let level: Int32

    /// Frames carry zstd's content checksum, so a decompressed chunk is verified twice:
    /// the record's CRC32C over the compressed bytes, then the frame's own checksum.
    init(level: Int) {
        guard let context = ZSTD_createCCtx() else { preconditionFailure("ZSTD_createCCtx returned NULL (out of memory)") }
        self.context = context
        self.level = Int32(level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, self.level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `source` and appends the frame to `output`.
    func compress(_ source: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws {
        let bound = ZSTD_compressBound(source.count)
        let start = output.count
        output.reserveCapacity(start + bound)
        output.append(contentsOf: repeatElement(0, count: bound))
        let written = output.withUnsafeMutableBytes { out in
            ZSTD_compress2(context, out.baseAddress! + start, bound, source.baseAddress, source.count)
        }
        if ZSTD_isError(written) != 0 {
            output.removeLast(bound)
            throw ZstdError(operation: "compress", message: String(cString: ZSTD_getErrorName(written)))
        }
        output.removeLast(bound - written)
    }

    func compress(_ source: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        try source.withUnsafeBytes { try compress($0, appendingTo: &out) }
        return out
    }
}

final class ZstdDecompressor {
    private let context: OpaquePointer

    init() {
        guard let context = ZSTD_createDCtx() else { preconditionFailure("ZSTD_createDCtx returned NULL (out of memory)") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses one frame into `destination`, which must be exactly the frame's content
    /// size; a frame that is damaged, of another size or fails its checksum throws.
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws {
        let contentSize = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        if contentSize == ZSTD_CONTENTSIZE_ERROR || contentSize == ZSTD_CONTENTSIZE_UNKNOWN {
            throw ZstdError(operation: "decompress", message: "not a zstd frame with a known content size")
        }
        if contentSize != UInt64(destination.count) {
            throw ZstdError(operation: "decompress", message: "frame holds \(contentSize) bytes, expected \(destination.count)")
        }
        let written = ZSTD_decompressDCtx(context, destination.baseAddress, destination.count, source.baseAddress, source.count)
        if ZSTD_isError(written) != 0 {
            throw ZstdError(operation: "decompress", message: String(cString: ZSTD_getErrorName(written)))
        }
        if written != destination.count {
            throw ZstdError(operation: "decompress", message: "frame produced \(written) bytes, expected \(destination.count)")
        }
    }

    func decompress(_ source: [UInt8]) throws -> [UInt8] {
        let size = source.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > UInt64(Int32.max) {
            throw ZstdError(operation: "decompress", message: "not a zstd frame with a known content size")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        try source.withUnsafeBytes { src in
            try out.withUnsafeMutableBytes { try decompress(src, into: $0) }
        }
        return out
    }
}
