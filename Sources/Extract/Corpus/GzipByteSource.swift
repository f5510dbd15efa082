import CZlib

/// The one file in Extract that calls zlib: streaming decompression of a `.gz` corpus.
///
/// `inflateInit2` with window bits 15 + 32 accepts gzip and zlib headers alike. After each
/// member ends, the stream is reset and decoding goes on, so concatenated members (`cat a.gz
/// b.gz`, pigz, bgzip) read as one stream. A stream that ends inside a member is reported as
/// truncated rather than silently shortened.
final class GzipByteSource: ByteSource {
    private let file: FileByteSource
    /// zlib keeps a pointer back to its `z_stream` and checks it, so the struct never moves.
    private let stream: UnsafeMutablePointer<z_stream>
    private let inputStorage: UnsafeMutableRawBufferPointer
    private var reachedFileEnd = false
    private var atMemberEnd = false
    private var producedByteCount = 0
    private var completedMemberCount = 0
    private var memberProducedByteCount = 0

    init(file: FileByteSource, inputBytes: Int) {
        self.file = file
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        inputStorage = .allocate(byteCount: max(inputBytes, 1 << 16), alignment: 16)
        let status = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "inflateInit2 failed with status \(status) (out of memory or a zlib version mismatch)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        inputStorage.deallocate()
    }

    private func failure(_ status: Int32) -> CorpusError {
        let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        let betweenMembers = completedMemberCount > 0 && memberProducedByteCount == 0
        let hint = betweenMembers ? " (after the end of a gzip member: trailing data that is not gzip?)" : ""
        return .decompressionFailed(path: file.path, codec: .gzip,
                                    compressedByteOffset: file.bytesRead - Int(stream.pointee.avail_in), message: message + hint)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let outBase = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let outCount = min(buffer.count, Int(UInt32.max))
        while true {
            if stream.pointee.avail_in == 0 && !reachedFileEnd {
                let count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: inputStorage[0..<min(inputStorage.count, Int(UInt32.max))]))
                if count == 0 { reachedFileEnd = true }
                stream.pointee.next_in = inputStorage.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(count)
            }
            if atMemberEnd {
                if stream.pointee.avail_in == 0 {
                    if reachedFileEnd { return 0 }
                    continue
                }
                let status = inflateReset(stream)
                guard status == Z_OK else { throw failure(status) }
                atMemberEnd = false
                memberProducedByteCount = 0
            }
            stream.pointee.next_out = outBase.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(outCount)
            // Called even with no input left: a full output buffer may have left data inside zlib.
            let status = inflate(stream, Z_NO_FLUSH)
            let produced = outCount - Int(stream.pointee.avail_out)
            switch status {
            case Z_STREAM_END:
                atMemberEnd = true
                completedMemberCount += 1
            case Z_OK, Z_BUF_ERROR: break
            default:
                throw failure(status)
            }
            if produced > 0 {
                producedByteCount += produced
                memberProducedByteCount += produced
                return produced
            }
            if reachedFileEnd && stream.pointee.avail_in == 0 && !atMemberEnd {
                throw CorpusError.truncated(path: file.path, codec: .gzip, decompressedByteCount: producedByteCount)
            }
        }
    }
}
