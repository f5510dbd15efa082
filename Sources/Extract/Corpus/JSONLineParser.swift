/// Pulls one top-level string field out of a JSON Lines record, validating the whole line.
///
/// Hand-written rather than `JSONSerialization` because a corpus is mostly the text field: the
/// parser never builds the other values (it only checks them), decodes the text straight from
/// the line's bytes when it holds no escape, and reports the column where a line goes wrong.
/// `ReferenceJSONLineParser` is the plain version it is tested against.
///
/// Policy (docs/CORPUS.md): the line must be one JSON object (RFC 8259) in valid UTF-8; the
/// field must be at the top level and hold a string; other fields are ignored; if a key repeats,
/// the last value wins (as in Python's `json`). A `\u` escape of an unpaired surrogate — valid
/// JSON, but not a Unicode scalar — becomes U+FFFD and is reported as a warning.
struct JSONLineParser {
    enum Outcome: Equatable {
        case text(String, replacedLoneSurrogate: Bool)
        case bad(BadLine.Reason)
    }

    /// Deeper nesting is a bad line, so a hostile line cannot exhaust the stack.
    static let maxNestingDepth = 512

    let field: String
    private let fieldBytes: [UInt8]

    init(field: String) {
        self.field = field
        fieldBytes = Array(field.utf8)
    }

    mutating func parse(_ line: UnsafeBufferPointer<UInt8>) -> Outcome {
        guard let base = line.baseAddress, !line.isEmpty else {
            return .bad(.invalidJSON(column: 1, expected: "a JSON object"))
        }
        var cursor = Cursor(base: base, count: line.count, fieldBytes: fieldBytes)
        do {
            let value = try cursor.parseLine()
            switch value {
            case .missing: return .bad(.missingField(field))
            case let .other(kind): return .bad(.fieldNotString(field, found: kind))
            case let .string(range, hasEscapes):
                let contents = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
                if !hasEscapes { return .text(String(decoding: contents, as: UTF8.self), replacedLoneSurrogate: false) }
                // Unescaped text is never longer than its escaped form, so it is decoded straight
                // into the string's storage.
                var replaced = false
                let text = String(unsafeUninitializedCapacity: range.count) { output in
                    let result = Self.unescape(contents, into: output)
                    replaced = result.replacedLoneSurrogate
                    return result.byteCount
                }
                return .text(text, replacedLoneSurrogate: replaced)
            }
        } catch let failure as Failure {
            switch failure {
            case let .syntax(offset, expected): return .bad(.invalidJSON(column: offset + 1, expected: expected))
            case let .utf8(offset): return .bad(.invalidUTF8(column: offset + 1))
            case let .notAnObject(found): return .bad(.notAnObject(found: found))
            }
        } catch {
            preconditionFailure("JSONLineParser threw \(error)")
        }
    }

    private enum Failure: Error {
        case syntax(offset: Int, expected: String)
        case utf8(offset: Int)
        case notAnObject(found: String)
    }

    private enum FieldValue {
        case missing
        /// Byte range of the string's contents (between the quotes) in the line.
        case string(Range<Int>, hasEscapes: Bool)
        /// What the field held instead of a string ("a number", "an object", ...).
        case other(String)
    }

    private struct Cursor {
        let base: UnsafePointer<UInt8>
        let count: Int
        let fieldBytes: [UInt8]
        var offset = 0

        func peek() -> UInt8? { offset < count ? base[offset] : nil }

        mutating func skipWhitespace() {
            while offset < count {
                let byte = base[offset]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
                offset += 1
            }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws {
            guard peek() == byte else { throw Failure.syntax(offset: offset, expected: what) }
            offset += 1
        }

        mutating func parseLine() throws -> FieldValue {
            skipWhitespace()
            guard peek() == UInt8(ascii: "{") else {
                if offset < count, let kind = try? kindOfValue() {
                    throw Failure.notAnObject(found: kind)
                }
                throw Failure.syntax(offset: offset, expected: "'{' opening a JSON object")
            }
            offset += 1
            var value = FieldValue.missing
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                offset += 1
            } else {
                while true {
                    skipWhitespace()
                    guard peek() == UInt8(ascii: "\"") else { throw Failure.syntax(offset: offset, expected: "'\"' opening an object key") }
                    offset += 1
                    let key = try scanString()
                    let isField = keyMatches(key.range, hasEscapes: key.hasEscapes)
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"), "':' after an object key")
                    skipWhitespace()
                    if isField {
                        if peek() == UInt8(ascii: "\"") {
                            offset += 1
                            let text = try scanString()
                            value = .string(text.range, hasEscapes: text.hasEscapes)
                        } else {
                            value = .other(try skipValue(depth: 1))
                        }
                    } else {
                        _ = try skipValue(depth: 1)
                    }
                    skipWhitespace()
                    if peek() == UInt8(ascii: ",") { offset += 1; continue }
                    try expect(UInt8(ascii: "}"), "',' or '}' after an object value")
                    break
                }
            }
            skipWhitespace()
            if offset != count { throw Failure.syntax(offset: offset, expected: "the end of the line after the object (one object per line)") }
            return value
        }

        /// The kind of a non-object top-level value, for the error message.
        mutating func kindOfValue() throws -> String {
            let start = offset
            let kind = try skipValue(depth: 1)
            skipWhitespace()
            guard offset == count else { offset = start; throw Failure.syntax(offset: start, expected: "a JSON value") }
            return kind
        }

        func keyMatches(_ range: Range<Int>, hasEscapes: Bool) -> Bool {
            if !hasEscapes {
                guard range.count == fieldBytes.count else { return false }
                return fieldBytes.withUnsafeBufferPointer { field in
                    for index in 0..<range.count where field[index] != base[range.lowerBound + index] { return false }
                    return true
                }
            }
            var decoded = [UInt8](repeating: 0, count: range.count)
            let byteCount = decoded.withUnsafeMutableBufferPointer {
                JSONLineParser.unescape(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), into: $0).byteCount
            }
            return decoded.prefix(byteCount).elementsEqual(fieldBytes)
        }

        /// Skips (and checks) one value; returns its kind for messages.
        mutating func skipValue(depth: Int) throws -> String {
            guard let byte = peek() else { throw Failure.syntax(offset: offset, expected: "a JSON value") }
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                _ = try scanString()
                return "a string"
            case UInt8(ascii: "{"):
                guard depth < JSONLineParser.maxNestingDepth else {
                    throw Failure.syntax(offset: offset, expected: "nesting no deeper than \(JSONLineParser.maxNestingDepth)")
                }
                offset += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "}") { offset += 1; return "an object" }
                while true {
                    skipWhitespace()
                    guard peek() == UInt8(ascii: "\"") else { throw Failure.syntax(offset: offset, expected: "'\"' opening an object key") }
                    offset += 1
                    _ = try scanString()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"), "':' after an object key")
                    skipWhitespace()
                    _ = try skipValue(depth: depth + 1)
                    skipWhitespace()
                    if peek() == UInt8(ascii: ",") { offset += 1; continue }
                    try expect(UInt8(ascii: "}"), "',' or '}' after an object value")
                    return "an object"
                }
            case UInt8(ascii: "["):
                guard depth < JSONLineParser.maxNestingDepth else {
                    throw Failure.syntax(offset: offset, expected: "nesting no deeper than \(JSONLineParser.maxNestingDepth)")
                }
                offset += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "]") { offset += 1; return "an array" }
                while true {
                    skipWhitespace()
                    _ = try skipValue(depth: depth + 1)
                    skipWhitespace()
                    if peek() == UInt8(ascii: ",") { offset += 1; continue }
                    try expect(UInt8(ascii: "]"), "',' or ']' after an array element")
                    return "an array"
                }
            case UInt8(ascii: "t"): try skipLiteral("true"); return "a boolean"
            case UInt8(ascii: "f"): try skipLiteral("false"); return "a boolean"
            case UInt8(ascii: "n"): try skipLiteral("null"); return "null"
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                try skipNumber()
                return "a number"
            default:
                throw Failure.syntax(offset: offset, expected: "a JSON value")
            }
        }

        mutating func skipLiteral(_ literal: StaticString) throws {
            let start = offset
            let length = literal.utf8CodeUnitCount
            let bytes = literal.utf8Start
            guard offset + length <= count else { throw Failure.syntax(offset: start, expected: "a JSON value") }
            for index in 0..<length where base[offset + index] != bytes[index] {
                throw Failure.syntax(offset: start, expected: "a JSON value")
            }
            offset += length
        }

        mutating func skipDigits() -> Int {
            let start = offset
            while let byte = peek(), byte >= 0x30 && byte <= 0x39 { offset += 1 }
            return offset - start
        }

        /// RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        mutating func skipNumber() throws {
            if peek() == UInt8(ascii: "-") { offset += 1 }
            if peek() == UInt8(ascii: "0") {
                offset += 1
            } else if skipDigits() == 0 {
                throw Failure.syntax(offset: offset, expected: "a digit in a number")
            }
            if peek() == UInt8(ascii: ".") {
                offset += 1
                if skipDigits() == 0 { throw Failure.syntax(offset: offset, expected: "a digit after the decimal point") }
            }
            if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                offset += 1
                if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { offset += 1 }
                if skipDigits() == 0 { throw Failure.syntax(offset: offset, expected: "a digit in the exponent") }
            }
        }

        /// Scans a string whose opening quote was consumed, through its closing quote. Checks
        /// escapes, control characters and UTF-8; returns the contents' byte range.
        mutating func scanString() throws -> (range: Range<Int>, hasEscapes: Bool) {
            let start = offset
            var hasEscapes = false
            while true {
                // Eight plain bytes at a time: no quote, backslash, control byte or non-ASCII byte.
                while offset + 8 <= count {
                    let word = UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
                    let special = JSONLineParser.specialByteMask(word)
                    if special != 0 {
                        offset += special.trailingZeroBitCount >> 3
                        break
                    }
                    offset += 8
                }
                guard offset < count else { throw Failure.syntax(offset: offset, expected: "'\"' closing the string") }
                let byte = base[offset]
                if byte == UInt8(ascii: "\"") {
                    let range = start..<offset
                    offset += 1
                    return (range, hasEscapes)
                } else if byte == UInt8(ascii: "\\") {
                    hasEscapes = true
                    offset += 1
                    try skipEscape()
                } else if byte < 0x20 {
                    throw Failure.syntax(offset: offset, expected: "no raw control character inside a string (use an escape such as \\n)")
                } else if byte < 0x80 {
                    offset += 1
                } else {
                    let length = UTF8Check.sequenceLength(base, offset, count)
                    guard length > 0 else { throw Failure.utf8(offset: offset) }
                    offset += length
                }
            }
        }

        @inline(__always)
        mutating func skipEscape() throws {
            guard let byte = peek() else { throw Failure.syntax(offset: offset, expected: "an escape character after '\\'") }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                offset += 1
            case UInt8(ascii: "u"):
                offset += 1
                for _ in 0..<4 {
                    guard let digit = peek(), JSONLineParser.hexValue(digit) != nil else {
                        throw Failure.syntax(offset: offset, expected: "four hex digits after '\\u'")
                    }
                    offset += 1
                }
            default:
                throw Failure.syntax(offset: offset, expected: "a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            }
        }
    }

    /// High bit set in each byte that is '"', '\\', < 0x20 or >= 0x80 (and possibly in bytes
    /// above the first such byte: the lowest flag is exact, as borrows only run upwards).
    /// `word` holds eight bytes in memory order (little-endian value).
    @inline(__always)
    static func specialByteMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // Classic SWAR tests (exact as booleans): a byte < 0x20, a byte >= 0x80, a zero byte after xor.
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let quoteHit = (quote &- ones) & ~quote & highs
        let backslashHit = (backslash &- ones) & ~backslash & highs
        return control | (word & highs) | quoteHit | backslashHit
    }
}
