/// Parser for a Hugging Face `vocab.json`: one flat JSON object of token string → integer id.
///
/// Hand-written rather than `JSONDecoder` so a broken file is reported by line and column.
/// Only the subset of JSON such a file can hold is accepted: string keys (any escapes),
/// non-negative integer values below 2^32 - 1.
struct VocabularyFile {
    /// Entries in file order.
    var entries: [(token: String, id: UInt32)] = []

    static func read(path: String) throws -> VocabularyFile {
        try parse(TokenizerFileReader.bytes(atPath: path), path: path)
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> VocabularyFile {
        var parser = Parser(bytes: bytes, path: path)
        return try parser.parseDocument()
    }

    /// The flat object that starts at byte `start` of a larger JSON document (tokenizer.json's
    /// `model.vocab`), read entry by entry in file order.
    static func parseEmbedded(_ bytes: [UInt8], startingAt start: Int, path: String) throws -> VocabularyFile {
        var parser = Parser(bytes: bytes, path: path, offset: start)
        return try parser.parseObject()
    }

    private struct Parser {
        let bytes: [UInt8]
        let path: String
        var offset = 0

        mutating func parseDocument() throws -> VocabularyFile {
            skipWhitespace()
            let file = try parseObject()
            skipWhitespace()
            if offset != bytes.count { throw error("end of file after the vocabulary object") }
            return file
        }

        /// One `{token: id, …}` object starting at `offset`; leaves `offset` after its `}`.
        mutating func parseObject() throws -> VocabularyFile {
            var file = VocabularyFile()
            try expect(UInt8(ascii: "{"), "'{' opening the vocabulary object")
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                offset += 1
            } else {
                while true {
                    skipWhitespace()
                    let token = try parseString()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"), "':' after a token string")
                    skipWhitespace()
                    let id = try parseID()
                    file.entries.append((token, id))
                    skipWhitespace()
                    if peek() == UInt8(ascii: ",") { offset += 1; continue }
                    try expect(UInt8(ascii: "}"), "',' or '}' after an id")
                    break
                }
            }
            return file
        }

        func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws {
            guard peek() == byte else { throw error(what) }
            offset += 1
        }

        mutating func parseID() throws -> UInt32 {
            let start = offset
            var value: UInt64 = 0
            while let byte = peek(), (0x30...0x39).contains(byte) {
                value = value * 10 + UInt64(byte - 0x30)
                // UInt32.max itself is kept free so a packed pair of ids never hits a sentinel.
                guard value < UInt64(UInt32.max) else { offset = start; throw error("an id below 4294967295") }
                offset += 1
            }
            guard offset > start else { throw error("a non-negative integer id") }
            if let byte = peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                offset = start
                throw error("an integer id (no fraction or exponent)")
            }
            return UInt32(value)
        }

        mutating func parseString() throws -> String {
            try expect(UInt8(ascii: "\""), "'\"' opening a token string")
            var utf8: [UInt8] = []
            while true {
                guard let byte = peek() else { throw error("'\"' closing the token string") }
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: utf8, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    try parseEscape(into: &utf8)
                case 0..<0x20:
                    offset -= 1
                    throw error("no raw control character inside a string (use an escape)")
                default:
                    utf8.append(byte)
                }
            }
        }

        mutating func parseEscape(into utf8: inout [UInt8]) throws {
            guard let byte = peek() else { throw error("an escape character after '\\'") }
            offset += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var value = try parseHex4()
                if (0xD800...0xDBFF).contains(value) {
                    guard peek() == UInt8(ascii: "\\") else { throw error("a low surrogate '\\uDC00'-'\\uDFFF' after a high surrogate") }
                    offset += 1
                    try expect(UInt8(ascii: "u"), "a low surrogate '\\uDC00'-'\\uDFFF' after a high surrogate")
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("a low surrogate '\\uDC00'-'\\uDFFF' after a high surrogate") }
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(value) {
                    throw error("a high surrogate before a low surrogate")
                }
                utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(value)!)).utf8))
            default:
                offset -= 1
                throw error("a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            }
        }

        mutating func parseHex4() throws -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = peek() else { throw error("four hex digits after '\\u'") }
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw error("four hex digits after '\\u'")
                }
                value = value << 4 | digit
                offset += 1
            }
            return value
        }

        /// The error for the current offset, with a 1-based line and a 1-based byte column.
        func error(_ expected: String) -> TokenizerError {
            var line = 1
            var lineStart = 0
            for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A {
                line += 1
                lineStart = index + 1
            }
            return .malformedVocab(path: path, line: line, column: offset - lineStart + 1, expected: expected)
        }
    }
}
