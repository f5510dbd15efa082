/// The subset of Python literals numpy writes in .npy headers.
enum PyLiteral: Equatable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PyLiteral])
    case dict([(String, PyLiteral)])

    static func == (a: PyLiteral, b: PyLiteral) -> Bool { a.description == b.description }

    var description: String {
        switch self {
        case let .string(s): return "'\(s)'"
        case let .int(n): return "\(n)"
        case let .bool(b): return b ? "True" : "False"
        case .none: return "None"
        case let .tuple(items): return "(" + items.map(\.description).joined(separator: ", ") + ")"
        case let .dict(pairs): return "{" + pairs.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A recursive-descent parser for `PyLiteral`s; lists parse as tuples.
struct PyLiteralParser {
    struct Failure: Error {
        /// Offset within the header text.
        let byteOffset: Int
        let message: String
    }

    let bytes: [UInt8]
    var index = 0
    /// Nesting limit so a crafted header cannot overflow the stack.
    private var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// One literal, then only whitespace.
    mutating func parseTopLevel() throws -> PyLiteral {
        let value = try parseValue()
        skipSpace()
        guard index == bytes.count else { throw fail("unexpected '\(Character(UnicodeScalar(bytes[index])))' after the dict") }
        return value
    }

    private func fail(_ message: String) -> Failure { Failure(byteOffset: index, message: message) }

    private mutating func skipSpace() {
        while index < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains(bytes[index]) { index += 1 }
    }

    private mutating func parseValue() throws -> PyLiteral {
        skipSpace()
        guard index < bytes.count else { throw fail("unexpected end of header") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw fail("nesting too deep") }
        switch bytes[index] {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "("): return .tuple(try parseSequence(close: UInt8(ascii: ")")))
        case UInt8(ascii: "["): return .tuple(try parseSequence(close: UInt8(ascii: "]")))
        case UInt8(ascii: "{"): return try parseDict()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .int(try parseInt())
        default:
            for (word, value) in [("True", PyLiteral.bool(true)), ("False", .bool(false)), ("None", .none)] {
                let w = Array(word.utf8)
                if bytes.count - index >= w.count, Array(bytes[index..<index + w.count]) == w {
                    index += w.count
                    return value
                }
            }
            throw fail("unexpected '\(Character(UnicodeScalar(bytes[index])))'")
        }
    }

    private mutating func parseString() throws -> String {
        let quote = bytes[index]
        index += 1
        var out: [UInt8] = []
        while index < bytes.count, bytes[index] != quote {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
            out.append(bytes[index])
            index += 1
        }
        guard index < bytes.count else { throw fail("unterminated string") }
        index += 1
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func parseInt() throws -> Int {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        guard let n = Int(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            index = start
            throw fail("bad integer")
        }
        // Python 2 numpy wrote longs as 3L.
        if index < bytes.count, bytes[index] == UInt8(ascii: "L") { index += 1 }
        return n
    }

    private mutating func parseSequence(close: UInt8) throws -> [PyLiteral] {
        index += 1
        var items: [PyLiteral] = []
        while true {
            skipSpace()
            guard index < bytes.count else { throw fail("unterminated sequence") }
            if bytes[index] == close { index += 1; return items }
            items.append(try parseValue())
            skipSpace()
            guard index < bytes.count else { throw fail("unterminated sequence") }
            if bytes[index] == UInt8(ascii: ",") { index += 1 } else if bytes[index] != close { throw fail("expected ',' in sequence") }
        }
    }

    private mutating func parseDict() throws -> PyLiteral {
        index += 1
        var pairs: [(String, PyLiteral)] = []
        while true {
            skipSpace()
            guard index < bytes.count else { throw fail("unterminated dict") }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .dict(pairs) }
            guard bytes[index] == UInt8(ascii: "'") || bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after key '\(key)'") }
            index += 1
            pairs.append((key, try parseValue()))
            skipSpace()
            guard index < bytes.count else { throw fail("unterminated dict") }
            if bytes[index] == UInt8(ascii: ",") { index += 1 } else if bytes[index] != UInt8(ascii: "}") { throw fail("expected ',' in dict") }
        }
    }
}
