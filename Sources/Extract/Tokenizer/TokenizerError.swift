/// Why a tokenizer could not be built from its files.
///
/// Every case names the file and, where it has one, the 1-based line (and column, for
/// vocab.json, counted in bytes) so a broken download or a hand-edited file can be found.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case unreadableFile(path: String, reason: String)
    /// vocab.json is not a flat JSON object of string → non-negative integer.
    case malformedVocab(path: String, line: Int, column: Int, expected: String)
    /// A vocab.json key holds a character outside GPT-2's byte→unicode alphabet.
    case tokenNotByteLevel(path: String, token: String)
    /// Two vocab.json keys, or two ids, collide.
    case duplicateVocabEntry(path: String, token: String, id: Int)
    /// One of the 256 single-byte tokens is missing from vocab.json.
    case missingByteToken(path: String, byte: UInt8)
    /// A merges.txt line is not two tokens separated by one space.
    case malformedMerge(path: String, line: Int, text: String)
    /// A merges.txt line names a token (or a merged token) that vocab.json lacks.
    case mergeTokenNotInVocab(path: String, line: Int, token: String)

    /// One line: the file, the line (and byte column) at fault, what was expected, and a hint.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read (\(reason)). Hint: --model must be a directory holding vocab.json and merges.txt."
        case let .malformedVocab(path, line, column, expected):
            return "\(path):\(line):\(column): expected \(expected). Hint: vocab.json must be a JSON object mapping token strings to integer ids, as in the Hugging Face gpt2 repository."
        case let .tokenNotByteLevel(path, token):
            return "\(path): token \(String(reflecting: token)) uses a character outside GPT-2's byte-level alphabet. Hint: this is not a byte-level BPE vocabulary (GPT-2 style)."
        case let .duplicateVocabEntry(path, token, id):
            return "\(path): token \(String(reflecting: token)) or id \(id) appears twice. Hint: the file is corrupt; download vocab.json again."
        case let .missingByteToken(path, byte):
            return "\(path): no token for byte 0x\(String(byte, radix: 16)). Hint: a byte-level BPE vocabulary must hold all 256 single-byte tokens."
        case let .malformedMerge(path, line, text):
            return "\(path):\(line): expected two tokens separated by one space, found \(String(reflecting: text)). Hint: merges.txt holds one merge per line after an optional '#version' line."
        case let .mergeTokenNotInVocab(path, line, token):
            return "\(path):\(line): token \(String(reflecting: token)) is not in vocab.json. Hint: vocab.json and merges.txt must come from the same model."
        }
    }
}
