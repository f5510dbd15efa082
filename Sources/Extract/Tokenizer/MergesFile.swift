/// Parser for a Hugging Face / OpenAI `merges.txt`: one merge `left right` per line, best first.
///
/// A first line starting with `#version` is a header, not a merge. A merge's rank is its index
/// among the merges (header excluded). Lines end in `\n` (a `\r` before it is dropped); a blank
/// line is an error except at the very end of the file.
struct MergesFile {
    struct Merge {
        /// Left token, written in the byte-level alphabet.
        var left: String
        /// Right token, written in the byte-level alphabet.
        var right: String
        /// 1-based line in the file, for error messages.
        var lineNumber: Int
    }

    /// Merges in rank order.
    var merges: [Merge] = []

    static func read(path: String) throws -> MergesFile {
        try parse(TokenizerFileReader.bytes(atPath: path), path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> MergesFile {
        var file = MergesFile()
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if bytes.last == 0x0A { lines.removeLast() }
        file.merges.reserveCapacity(lines.count)
        for (index, rawLine) in lines.enumerated() {
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            if index == 0 && text.hasPrefix("#version") { continue }
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.malformedMerge(path: path, line: index + 1, text: text)
            }
            file.merges.append(Merge(left: String(decoding: parts[0], as: UTF8.self),
                                     right: String(decoding: parts[1], as: UTF8.self),
                                     lineNumber: index + 1))
        }
        return file
    }
}
