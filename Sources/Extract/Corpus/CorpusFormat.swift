/// How documents are laid out in a corpus file (after decompression).
public enum CorpusFormat: String, Codable, Sendable, CaseIterable {
    /// UTF-8 text; documents are split on `CorpusOptions.separator` (or the file is one document).
    case text
    /// JSON Lines: one JSON object per line, the document in a top-level string field.
    case jsonl
}

/// How a corpus file is compressed.
public enum CorpusCompression: String, Codable, Sendable, CaseIterable {
    /// Not compressed (any extension other than the ones below).
    case none
    /// zstd frames (`.zst`), any number of them back to back.
    case zstd
    /// gzip or zlib members (`.gz`), any number of them back to back.
    case gzip

    /// The compression the first bytes of a file announce, if any (zstd and gzip magic numbers).
    static func sniff(_ prefix: [UInt8]) -> CorpusCompression? {
        if prefix.count >= 4 && prefix[0] == 0x28 && prefix[1] == 0xB5 && prefix[2] == 0x2F && prefix[3] == 0xFD { return .zstd }
        if prefix.count >= 2 && prefix[0] == 0x1F && prefix[1] == 0x8B { return .gzip }
        return nil
    }
}

extension CorpusFormat {
    /// Format and compression from a file name: `.txt`/`.text` → text, `.jsonl`/`.ndjson`/`.json`
    /// (JSON Lines) → jsonl, each optionally followed by `.zst`/`.zstd` or `.gz`/`.gzip`.
    /// `format` is nil when the name has no known format extension.
    public static func detect(path: String) -> (format: CorpusFormat?, compression: CorpusCompression) {
        var name = Substring(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "").lowercased()[...]
        var compression = CorpusCompression.none
        for (suffix, codec) in [(".zst", CorpusCompression.zstd), (".zstd", .zstd), (".gz", .gzip), (".gzip", .gzip)]
        where name.hasSuffix(suffix) {
            compression = codec
            name = name.dropLast(suffix.count)
            break
        }
        let format: CorpusFormat?
        if name.hasSuffix(".txt") || name.hasSuffix(".text") {
            format = .text
        } else if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") || name.hasSuffix(".json") {
            format = .jsonl
        } else {
            format = nil
        }
        return (format, compression)
    }
}
