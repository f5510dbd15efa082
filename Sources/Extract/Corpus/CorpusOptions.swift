/// How `CorpusReader` reads one corpus file. Saved with an ingest run, so every field has a
/// default and a missing key decodes to it.
public struct CorpusOptions: Codable, Sendable, Equatable {
    /// Record layout; nil detects it from the file extension (`.txt`, `.jsonl`, `.json`, `.ndjson`).
    public var format: CorpusFormat?
    /// Compression; nil detects it from the extension (`.zst`/`.zstd`, `.gz`/`.gzip`, else none).
    public var compression: CorpusCompression?
    /// JSONL only: the top-level key whose string value is the document text (OpenWebText and
    /// The Pile exports use "text").
    public var textField: String
    /// Plain text only: the exact byte sequence (UTF-8) between two documents, e.g. "\n\n" for
    /// blank-line-separated paragraphs or "\n" for one document per line. nil = the whole file
    /// is one document. Matched literally: a CRLF file needs "\r\n\r\n".
    public var separator: String?
    /// true: the first bad line throws `CorpusError.badLine`; false: bad lines are counted in
    /// `CorpusReader.badLines` and skipped. Warnings never throw.
    public var strict: Bool
    /// Largest record, in bytes of the decompressed stream (a JSONL line or a text document).
    /// A longer one is a bad line and is discarded while it is read, so memory stays bounded by
    /// about this plus `blockBytes`.
    public var maxDocumentBytes: Int
    /// Number of leading documents (as `CorpusDocument.index` counts them) to pass over without
    /// returning them, to resume an interrupted ingest. Skipped records are only delimited —
    /// a compressed file is still decompressed up to that point, but nothing is JSON-parsed or
    /// UTF-8-decoded, and bad lines among them are not reported.
    public var skipDocuments: Int
    /// Bytes read from the file (and produced by the decompressor) per step.
    public var blockBytes: Int

    /// Defaults: format and compression from the extension, JSONL field "text", a plain-text file
    /// as one document, bad lines skipped, records up to 64 MiB, no documents skipped, 1 MiB blocks.
    public init(format: CorpusFormat? = nil, compression: CorpusCompression? = nil, textField: String = "text",
                separator: String? = nil, strict: Bool = false, maxDocumentBytes: Int = 64 << 20,
                skipDocuments: Int = 0, blockBytes: Int = 1 << 20) {
        self.format = format
        self.compression = compression
        self.textField = textField
        self.separator = separator
        self.strict = strict
        self.maxDocumentBytes = maxDocumentBytes
        self.skipDocuments = skipDocuments
        self.blockBytes = blockBytes
    }

    /// Every key optional: an options object saved by an older ingest decodes with today's defaults.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = CorpusOptions()
        format = try container.decodeIfPresent(CorpusFormat.self, forKey: .format)
        compression = try container.decodeIfPresent(CorpusCompression.self, forKey: .compression)
        textField = try container.decodeIfPresent(String.self, forKey: .textField) ?? defaults.textField
        separator = try container.decodeIfPresent(String.self, forKey: .separator)
        strict = try container.decodeIfPresent(Bool.self, forKey: .strict) ?? defaults.strict
        maxDocumentBytes = try container.decodeIfPresent(Int.self, forKey: .maxDocumentBytes) ?? defaults.maxDocumentBytes
        skipDocuments = try container.decodeIfPresent(Int.self, forKey: .skipDocuments) ?? defaults.skipDocuments
        blockBytes = try container.decodeIfPresent(Int.self, forKey: .blockBytes) ?? defaults.blockBytes
    }

    /// Throws `CorpusError.invalidOptions` naming the first field out of range.
    public func validate() throws {
        if textField.isEmpty { throw CorpusError.invalidOptions(field: "textField", expected: "a non-empty key") }
        if let separator, separator.isEmpty {
            throw CorpusError.invalidOptions(field: "separator", expected: "a non-empty string, or nil for one document per file")
        }
        if maxDocumentBytes < 1 { throw CorpusError.invalidOptions(field: "maxDocumentBytes", expected: "at least 1 byte") }
        if skipDocuments < 0 { throw CorpusError.invalidOptions(field: "skipDocuments", expected: "0 or more documents") }
        if blockBytes < 1 || blockBytes > 1 << 30 {
            throw CorpusError.invalidOptions(field: "blockBytes", expected: "between 1 byte and 1 GiB")
        }
    }
}
