/// The parts of a `tokenizer.json` saestore implements, read into typed values.
///
/// Anything else in the file (WordPiece or Unigram models, other normalizers, BPE dropout…)
/// is refused with `TokenizerJSONError.unsupported` naming its JSON path, never ignored:
/// a silently skipped normalizer would give different ids than the model was trained on.
struct TokenizerSpec {
    /// How `Metaspace` decides whether to put `▁` before a piece.
    enum PrependScheme: String { case always, first, never }

    enum Normalizer: Equatable {
        case nfc
        case replace(pattern: String, content: String)
        case prepend(String)
    }

    /// Split patterns with a hand-written scanner; any other regex runs through Swift `Regex`.
    enum SplitPattern: Equatable {
        case gpt2
        case llama3(maxDigits: Int)
        case regex(String)
    }

    enum PreTokenizer: Equatable {
        case split(SplitPattern)
        case byteLevel(useRegex: Bool)
        case digits(individual: Bool)
        case metaspace(replacement: String, prependScheme: PrependScheme, split: Bool)
    }

    enum Decoder: Equatable {
        case byteLevel
        case replace(pattern: String, content: String)
        case byteFallback
        case fuse
        case strip(content: String, start: Int, stop: Int)
        case metaspace(replacement: String, prependScheme: PrependScheme)
    }

    struct AddedToken: Equatable {
        var id: UInt32
        var content: String
        var special: Bool
        var normalized: Bool
        var lstrip: Bool
        var rstrip: Bool
    }

    var normalizers: [Normalizer] = []
    var preTokenizers: [PreTokenizer] = []
    var decoders: [Decoder] = []
    var vocabulary: [(token: String, id: UInt32)] = []
    var merges: [(left: String, right: String, at: String)] = []
    var unknownToken: String?
    var byteFallback = false
    var fuseUnknown = false
    var ignoreMerges = false
    var addedTokens: [AddedToken] = []
    /// The first special token of the post-processor's single-sequence template (the BOS it adds).
    var templateBOS: String?

    /// True when the model's symbols are bytes written in GPT-2's byte→unicode alphabet.
    var isByteLevel: Bool { preTokenizers.contains { if case .byteLevel = $0 { return true } else { return false } } }

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    static func splitPattern(_ regex: String) -> SplitPattern {
        switch regex {
        case gpt2Pattern: return .gpt2
        case llama3Pattern: return .llama3(maxDigits: 3)
        case qwen2Pattern: return .llama3(maxDigits: 1)
        default: return .regex(regex)
        }
    }
}
