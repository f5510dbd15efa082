import CZstd

/// The one file in Extract that calls zstd: streaming decompression of a `.zst` corpus.
///
/// `ZSTD_decompressStream` moves on to the next frame by itself, so files made by `cat a.zst
/// b.zst` or by parallel compressors (many frames) read as one stream. A stream that ends
/// inside a frame is reported as truncated rather than silently shortened.
final class ZstdByteSource: ByteSource {
    private let file: FileByteSource
    private let context: OpaquePointer
    private let inputStorage: UnsafeMutableRawBufferPointer
    private var input: ZSTD_inBuffer
    private var reachedFileEnd = false
    /// `ZSTD_decompressStream`'s last return value: 0 exactly when a frame has just ended.
    private var lastHint = 1
    private var sawInput = false
    private var producedByteCount = 0

    init(file: FileByteSource, inputBytes: Int) {
        self.file = file
        guard let context = ZSTD_createDCtx() else { preconditionFailure("ZSTD_createDCtx returned NULL (out of memory)") }
        self.context = context
        inputStorage = .allocate(byteCount: max(inputBytes, ZSTD_DStreamInSize()), alignment: 16)
        input = ZSTD_inBuffer(src: UnsafeRawPointer(inputStorage.baseAddress), size: 0, pos: 0)
    }

    deinit {
        ZSTD_freeDCtx(context)
        inputStorage.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        while true {
            if input.pos == input.size && !reachedFileEnd {
                let count = try file.read(into: inputStorage)
                if count == 0 { reachedFileEnd = true } else { sawInput = true }
                input.size = count
                input.pos = 0
            }
            // A frame that just ended (hint 0) is fully flushed; the file may end here.
            if reachedFileEnd && input.pos == input.size && lastHint == 0 && sawInput { return 0 }
            // Called even with no input left: a full output buffer may have left data inside zstd.
            let hint = ZSTD_decompressStream(context, &output, &input)
            if ZSTD_isError(hint) != 0 {
                throw CorpusError.decompressionFailed(path: file.path, codec: .zstd, compressedByteOffset: file.bytesRead - (input.size - input.pos),
                                                      message: String(cString: ZSTD_getErrorName(hint)))
            }
            lastHint = hint
            if output.pos > 0 {
                producedByteCount += output.pos
                return output.pos
            }
            if reachedFileEnd && input.pos == input.size {
                if lastHint != 0 || !sawInput {
                    throw CorpusError.truncated(path: file.path, codec: .zstd, decompressedByteCount: producedByteCount)
                }
                return 0
            }
        }
    }
}
