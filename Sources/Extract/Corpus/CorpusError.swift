/// Why a corpus file cannot be read (or, with `strict`, why reading stopped).
public enum CorpusError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened (missing, a directory, no permission).
    case cannotOpen(path: String, reason: String)
    /// Reading the file failed midway.
    case readFailed(path: String, reason: String)
    /// Neither `CorpusOptions.format` nor the file extension says what the file holds.
    case unknownFormat(path: String)
    /// The file starts with another compression's magic number than the one chosen.
    case compressionMismatch(path: String, expected: CorpusCompression, found: CorpusCompression)
    /// The decompressor rejected the data; `compressedByteOffset` is how far into the file it had read.
    case decompressionFailed(path: String, codec: CorpusCompression, compressedByteOffset: Int, message: String)
    /// The compressed stream ends inside a frame or member.
    case truncated(path: String, codec: CorpusCompression, decompressedByteCount: Int)
    /// `strict` is on and a record is bad.
    case badLine(BadLine)
    /// `CorpusOptions.skipDocuments` asks to skip more documents than the file holds.
    case resumeBeyondEnd(path: String, skipDocuments: Int, documentCount: Int)
    /// A `CorpusOptions` field is out of range.
    case invalidOptions(field: String, expected: String)

    /// One line: the file, what went wrong and where (byte offset, line), and a hint where one helps.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open corpus (\(reason)). Hint: a corpus is a .txt, .jsonl, .jsonl.zst or .jsonl.gz file."
        case let .readFailed(path, reason):
            return "\(path): read failed (\(reason))."
        case let .unknownFormat(path):
            return "\(path): cannot tell the corpus format from the file name. Hint: name it .txt / .jsonl (optionally + .zst or .gz), or set the format (text or jsonl) explicitly."
        case let .compressionMismatch(path, expected, found):
            let expectedText = expected == .none ? "uncompressed" : "\(expected)-compressed"
            return "\(path): expected an \(expectedText) file, but it starts with the \(found) magic number. Hint: fix the extension or set the compression explicitly."
        case let .decompressionFailed(path, codec, offset, message):
            return "\(path): \(codec) decompression failed near compressed byte \(offset): \(message). Hint: the file is damaged or not \(codec); check it with `\(codec == .zstd ? "zstd -t" : "gzip -t") \(path)`."
        case let .truncated(path, codec, count):
            return "\(path): the \(codec) stream ends inside a \(codec == .zstd ? "frame" : "member") after \(count) decompressed bytes. Hint: the file is truncated (an interrupted download or copy?); fetch it again."
        case let .badLine(bad):
            return "\(bad.description). Hint: fix the line, or read without strict mode to count and skip bad lines."
        case let .resumeBeyondEnd(path, skip, count):
            return "\(path): asked to skip \(skip) documents to resume, but the file holds only \(count). Hint: the file changed since the ingest started; resume with the original file."
        case let .invalidOptions(field, expected):
            return "corpus options: \(field) must be \(expected)."
        }
    }
}
