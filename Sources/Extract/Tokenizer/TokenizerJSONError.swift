/// Why a `tokenizer.json` (Hugging Face tokenizers format) could not be loaded.
///
/// Every case names the file and the JSON path of the offending value (`model.merges[12]`),
/// so a broken or unusual file can be found and fixed by hand.
public enum TokenizerJSONError: Error, CustomStringConvertible, Equatable {
    /// The file is not JSON at all.
    case notJSON(path: String, reason: String)
    /// A value has the wrong type or is missing.
    case malformed(path: String, at: String, expected: String)
    /// The value is valid in the format, but saestore does not implement it.
    case unsupported(path: String, at: String, what: String)
    /// A merge, added token or special token names a token the vocabulary lacks.
    case unknownToken(path: String, at: String, token: String)
    /// Two tokens share an id, or one token has two ids.
    case duplicateToken(path: String, at: String, token: String, id: Int)
    /// A byte-level vocabulary lacks one of the 256 single-byte tokens.
    case missingByteToken(path: String, byte: UInt8)

    /// One line: the file, the JSON path at fault, what was expected, and a hint.
    public var description: String {
        switch self {
        case let .notJSON(path, reason):
            return "\(path): not a JSON document (\(reason)). Hint: download tokenizer.json again."
        case let .malformed(path, at, expected):
            return "\(path): at \(at): expected \(expected). Hint: the file does not follow the Hugging Face tokenizers format."
        case let .unsupported(path, at, what):
            return "\(path): at \(at): \(what) is not supported. Hint: docs/TOKENIZER.md lists the normalizers, pre-tokenizers and models saestore reads."
        case let .unknownToken(path, at, token):
            return "\(path): at \(at): token \(String(reflecting: token)) is not in model.vocab. Hint: the file is corrupt or hand-edited."
        case let .duplicateToken(path, at, token, id):
            return "\(path): at \(at): token \(String(reflecting: token)) or id \(id) appears twice. Hint: the file is corrupt."
        case let .missingByteToken(path, byte):
            return "\(path): at model.vocab: no token for byte 0x\(String(byte, radix: 16)). Hint: a byte-level BPE vocabulary must hold all 256 single-byte tokens."
        }
    }
}
