/// A record the reader skipped (a bad line) or altered (a warning), with where it is.
public struct BadLine: Equatable, Sendable, CustomStringConvertible {
    /// Why a record was skipped or altered.
    public enum Reason: Equatable, Sendable, CustomStringConvertible {
        /// Bad line: the line is not valid JSON; `column` is the 1-based byte in the line.
        case invalidJSON(column: Int, expected: String)
        /// Bad line: the line is valid JSON but not an object.
        case notAnObject(found: String)
        /// Bad line: the object has no top-level `field`.
        case missingField(String)
        /// Bad line: the top-level `field` holds a number, object, … instead of a string.
        case fieldNotString(String, found: String)
        /// Bad line: a JSONL line is not valid UTF-8 (RFC 8259 requires it); `column` is the
        /// 1-based byte where the invalid sequence starts.
        case invalidUTF8(column: Int)
        /// Bad line: the record is longer than `CorpusOptions.maxDocumentBytes`.
        case tooLong(byteCount: Int, limit: Int)
        /// Warning: a plain-text document was not valid UTF-8; invalid sequences became U+FFFD.
        /// `byteIndex` is the first invalid byte, counted from the document's start.
        case replacedInvalidUTF8(byteIndex: Int)
        /// Warning: the JSON text held a `\u` escape of an unpaired surrogate, which became U+FFFD.
        case replacedLoneSurrogate

        /// True for the cases that skip the record; false for warnings.
        public var skipsDocument: Bool {
            switch self {
            case .replacedInvalidUTF8, .replacedLoneSurrogate: return false
            default: return true
            }
        }

        /// The reason in one clause, e.g. `no top-level "text" field`; `BadLine` prefixes `file:line:`.
        public var description: String {
            switch self {
            case let .invalidJSON(column, expected): return "column \(column): invalid JSON, expected \(expected)"
            case let .notAnObject(found): return "expected a JSON object, found \(found)"
            case let .missingField(field): return "no top-level \(String(reflecting: field)) field"
            case let .fieldNotString(field, found): return "field \(String(reflecting: field)) is \(found), expected a string"
            case let .invalidUTF8(column): return "column \(column): invalid UTF-8"
            case let .tooLong(byteCount, limit): return "record of \(byteCount) bytes is longer than maxDocumentBytes (\(limit))"
            case let .replacedInvalidUTF8(byteIndex): return "invalid UTF-8 from byte \(byteIndex) of the document replaced by U+FFFD"
            case .replacedLoneSurrogate: return "unpaired UTF-16 surrogate escape replaced by U+FFFD"
            }
        }
    }

    /// The corpus file.
    public var source: String
    /// 1-based line where the record starts in the decompressed stream (for JSONL, `documentIndex + 1`).
    public var line: Int
    /// 0-based document number (`CorpusDocument.index`).
    public var documentIndex: Int
    /// Byte offset of the record in the decompressed stream.
    public var byteOffset: Int
    /// What is wrong with the record; `reason.skipsDocument` tells a bad line from a warning.
    public var reason: Reason

    /// Takes the fields as given; `CorpusReader` makes these as it finds bad records.
    public init(source: String, line: Int, documentIndex: Int, byteOffset: Int, reason: Reason) {
        self.source = source
        self.line = line
        self.documentIndex = documentIndex
        self.byteOffset = byteOffset
        self.reason = reason
    }

    /// `file:line: reason`, the form editors and grep understand.
    public var description: String { "\(source):\(line): \(reason)" }
}
