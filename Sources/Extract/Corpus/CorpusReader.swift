/// Streams the documents of one corpus file — plain text or JSON Lines, uncompressed, zstd
/// or gzip — with memory bounded by `CorpusOptions.maxDocumentBytes` and `blockBytes`,
/// whatever the size of the file.
///
/// ```swift
/// let reader = try CorpusReader(path: "owt.jsonl.zst")
/// while let document = try reader.next() { … }
/// // reader.badLineCount, reader.badLines (the first 100), reader.warnings
/// ```
///
/// Bad lines (docs/CORPUS.md) are skipped and counted, or thrown with `strict`. Empty and
/// whitespace-only documents are skipped silently but keep their `index`. Errors of the file
/// itself (unreadable, damaged or truncated compressed data) always throw; after one, `next()`
/// throws it again. Not thread-safe: one reader per thread.
public final class CorpusReader {
    /// How many bad lines, and how many warnings, are kept in memory; the counts go on.
    public static let keptIssueCount = 100

    /// The path as given.
    public let path: String
    /// The options as given (validated by `init`).
    public let options: CorpusOptions
    /// The format in use (from `options.format` or the extension).
    public let format: CorpusFormat
    /// The compression in use (from `options.compression` or the extension).
    public let compression: CorpusCompression
    /// Size of the file on disk, in bytes.
    public var fileByteCount: Int { file.byteCount }
    /// Bytes of the file read so far; with `fileByteCount`, the progress of a compressed file.
    public var fileBytesRead: Int { file.bytesRead }
    /// Decompressed bytes consumed so far.
    public var decompressedBytesRead: Int { splitter.consumedByteCount }
    /// Bytes held for the current record (its peak so far): at most `maxDocumentBytes` plus two blocks.
    var bufferByteCapacity: Int { splitter.bufferByteCapacity }
    /// The `index` the next record will get: all records consumed so far, empty, bad and skipped ones included.
    public private(set) var nextDocumentIndex = 0
    /// The first `keptIssueCount` bad lines, in file order.
    public private(set) var badLines: [BadLine] = []
    /// All bad lines so far.
    public private(set) var badLineCount = 0
    /// The first `keptIssueCount` warnings (documents returned with U+FFFD replacements).
    public private(set) var warnings: [BadLine] = []
    /// All warnings so far.
    public private(set) var warningCount = 0

    private let file: FileByteSource
    private let splitter: RecordSplitter
    private var jsonParser: JSONLineParser
    private var fatalError: CorpusError?

    /// Opens `path` and picks format and compression from `options` or the extension, checking
    /// the file's magic bytes against the compression. Nothing is decoded yet. Throws
    /// `CorpusError.invalidOptions`, `.cannotOpen`, `.unknownFormat` or `.compressionMismatch`.
    public init(path: String, options: CorpusOptions = CorpusOptions()) throws {
        try options.validate()
        self.path = path
        self.options = options
        let detected = CorpusFormat.detect(path: path)
        let file = try FileByteSource(path: path)
        guard let format = options.format ?? detected.format else { throw CorpusError.unknownFormat(path: path) }
        let compression = options.compression ?? detected.compression
        if let found = CorpusCompression.sniff(file.peekPrefix(4)), found != compression {
            throw CorpusError.compressionMismatch(path: path, expected: compression, found: found)
        }
        let source: ByteSource
        switch compression {
        case .none: source = file
        case .zstd: source = ZstdByteSource(file: file, inputBytes: options.blockBytes)
        case .gzip: source = GzipByteSource(file: file, inputBytes: options.blockBytes)
        }
        let delimiter: [UInt8]
        switch format {
        case .jsonl: delimiter = [0x0A]
        case .text: delimiter = options.separator.map { Array($0.utf8) } ?? []
        }
        self.file = file
        self.format = format
        self.compression = compression
        splitter = RecordSplitter(source: source, delimiter: delimiter, maxRecordBytes: options.maxDocumentBytes,
                                  blockBytes: options.blockBytes, countsLines: format == .text)
        jsonParser = JSONLineParser(field: options.textField)
    }

    /// The next non-empty, good document, or nil at the end of the file.
    public func next() throws -> CorpusDocument? {
        if let fatalError { throw fatalError }
        do {
            while nextDocumentIndex < options.skipDocuments {
                guard try splitter.withNextRecord({ _ in () }) != nil else {
                    throw CorpusError.resumeBeyondEnd(path: path, skipDocuments: options.skipDocuments, documentCount: nextDocumentIndex)
                }
                nextDocumentIndex += 1
            }
            while true {
                let index = nextDocumentIndex
                let step = try splitter.withNextRecord { record -> Step in
                    nextDocumentIndex += 1
                    return format == .jsonl ? jsonStep(record, index: index) : textStep(record, index: index)
                }
                guard let step else { return nil }
                switch step {
                case .skip: continue
                case let .bad(bad):
                    try report(bad)
                case let .document(document, warning):
                    if let warning { noteWarning(warning) }
                    return document
                }
            }
        } catch let error as CorpusError {
            if case .badLine = error {} else { fatalError = error }
            throw error
        }
    }

    private enum Step {
        case skip
        case bad(BadLine)
        case document(CorpusDocument, warning: BadLine?)
    }

    private func report(_ bad: BadLine) throws {
        badLineCount += 1
        if badLines.count < Self.keptIssueCount { badLines.append(bad) }
        if options.strict { throw CorpusError.badLine(bad) }
    }

    private func noteWarning(_ warning: BadLine) {
        warningCount += 1
        if warnings.count < Self.keptIssueCount { warnings.append(warning) }
    }

    private func issue(_ record: RecordSplitter.Record, index: Int, line: Int, _ reason: BadLine.Reason) -> BadLine {
        BadLine(source: path, line: line, documentIndex: index, byteOffset: record.byteOffset, reason: reason)
    }

    private func jsonStep(_ record: RecordSplitter.Record, index: Int) -> Step {
        let line = index + 1
        guard var bytes = record.bytes else {
            return .bad(issue(record, index: index, line: line, .tooLong(byteCount: record.byteCount, limit: options.maxDocumentBytes)))
        }
        if let last = bytes.last, last == 0x0D { bytes = UnsafeBufferPointer(rebasing: bytes.dropLast()) }
        var bomByteCount = 0
        if record.byteOffset == 0 && Self.startsWithByteOrderMark(bytes) {
            bomByteCount = 3
            bytes = UnsafeBufferPointer(rebasing: bytes.dropFirst(3))
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .skip }
        switch jsonParser.parse(bytes) {
        case let .bad(reason):
            var reason = reason
            switch reason {
            case let .invalidJSON(column, expected): reason = .invalidJSON(column: column + bomByteCount, expected: expected)
            case let .invalidUTF8(column): reason = .invalidUTF8(column: column + bomByteCount)
            default: break
            }
            return .bad(issue(record, index: index, line: line, reason))
        case let .text(text, replacedLoneSurrogate):
            if Self.isBlank(text) { return .skip }
            let document = CorpusDocument(text: text, source: path, index: index, byteOffset: record.byteOffset)
            return .document(document, warning: replacedLoneSurrogate ? issue(record, index: index, line: line, .replacedLoneSurrogate) : nil)
        }
    }

    private func textStep(_ record: RecordSplitter.Record, index: Int) -> Step {
        guard var bytes = record.bytes else {
            return .bad(issue(record, index: index, line: record.lineNumber,
                              .tooLong(byteCount: record.byteCount, limit: options.maxDocumentBytes)))
        }
        var byteOffset = record.byteOffset
        if byteOffset == 0 && Self.startsWithByteOrderMark(bytes) {
            byteOffset = 3
            bytes = UnsafeBufferPointer(rebasing: bytes.dropFirst(3))
        }
        var warning: BadLine?
        let text: String
        if let valid = String(validating: bytes, as: UTF8.self) {
            text = valid
        } else {
            text = String(decoding: bytes, as: UTF8.self)
            let firstInvalid = UTF8Check.firstInvalidByteIndex(bytes) ?? 0
            warning = issue(record, index: index, line: record.lineNumber, .replacedInvalidUTF8(byteIndex: firstInvalid))
        }
        if Self.isBlank(text) { return .skip }
        return .document(CorpusDocument(text: text, source: path, index: index, byteOffset: byteOffset), warning: warning)
    }

    private static func startsWithByteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// Whitespace-only; stops at the first other scalar, so a real document costs almost nothing.
    private static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
    }
}
