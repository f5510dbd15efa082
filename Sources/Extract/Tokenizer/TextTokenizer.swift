import Foundation

/// What every saestore tokenizer offers: ids, ids with byte spans into the text, and back.
///
/// `GPT2Tokenizer` (vocab.json + merges.txt) and `HFTokenizer` (tokenizer.json) both conform,
/// with the same span contract (docs/TOKENIZER.md) and the same `allowSpecial` policy.
public protocol TextTokenizer: AnyObject, Sendable {
    /// Number of token ids (largest id + 1).
    var vocabularySize: Int { get }
    /// Token ids of `text`; special tokens in the text count only with `allowSpecial`.
    func encode(_ text: String, allowSpecial: Bool) -> [UInt32]
    /// Token ids with each token's half-open byte range in `text.utf8`; the spans tile the input.
    func encodeWithSpans(_ text: String, allowSpecial: Bool) -> [TokenSpan]
    /// The text of the ids (invalid UTF-8 becomes U+FFFD).
    func decode(_ ids: [UInt32]) -> String
    /// The bytes one token stands for in text.
    func tokenBytes(_ id: UInt32) -> [UInt8]
    /// Whether `id` names a token of this vocabulary (`tokenBytes` traps on one that does not).
    func contains(_ id: UInt32) -> Bool
    /// Whether `id` stands for no text (BOS, EOS, separators): a document rebuilt from ids
    /// (`SAELensCacheImporter`) gives it an empty span, as `ingest` gives its BOS rows.
    func isSpecialToken(_ id: UInt32) -> Bool
    /// The store manifest's `tokenizer` for stores whose ids this tokenizer reads:
    /// "gpt2-bpe" (vocab.json + merges.txt) or "tokenizer.json", as `ingest` records it.
    var manifestName: String { get }
}

extension GPT2Tokenizer: TextTokenizer {
    /// `<|endoftext|>`, GPT-2's one special token.
    public func isSpecialToken(_ id: UInt32) -> Bool { id == GPT2Tokenizer.endOfTextID }
    /// "gpt2-bpe".
    public var manifestName: String { "gpt2-bpe" }
}

extension HFTokenizer: TextTokenizer {
    /// "tokenizer.json".
    public var manifestName: String { "tokenizer.json" }
}

/// Picks and loads a model directory's tokenizer.
public enum ModelTokenizer {
    /// `tokenizer.json` (with config.json / tokenizer_config.json for BOS and EOS) unless the
    /// model is GPT-2 (`model_type` "gpt2") or the file is absent; then vocab.json + merges.txt,
    /// read by `GPT2Tokenizer`, which gives GPT-2 the same ids faster.
    public static func load(directory: String) throws -> any TextTokenizer {
        if usesTokenizerJSON(directory: directory) {
            return try HFTokenizer(directory: directory)
        }
        return try GPT2Tokenizer(vocabPath: (directory as NSString).appendingPathComponent("vocab.json"),
                                 mergesPath: (directory as NSString).appendingPathComponent("merges.txt"))
    }

    /// The files whose bytes decide the ids `load(directory:)` gives: tokenizer.json, or
    /// vocab.json and merges.txt. Two directories with equal bytes here tokenize alike (BOS
    /// aside, which config.json may set). Throws `TokenizerError.unreadableFile` naming the
    /// first one missing.
    public static func definingFiles(directory: String) throws -> [String] {
        let names = usesTokenizerJSON(directory: directory) ? ["tokenizer.json"] : ["vocab.json", "merges.txt"]
        let paths = names.map { (directory as NSString).appendingPathComponent($0) }
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw TokenizerError.unreadableFile(path: path, reason: "no such file")
        }
        return paths
    }

    /// tokenizer.json is there and the model is not GPT-2 (whose vocab.json + merges.txt
    /// `GPT2Tokenizer` reads faster, to the same ids).
    static func usesTokenizerJSON(directory: String) -> Bool {
        FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("tokenizer.json"))
            && modelType(directory: directory) != "gpt2"
    }

    /// config.json's `model_type`, or nil when there is no readable config.
    static func modelType(directory: String) -> String? {
        let path = (directory as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["model_type"] as? String
    }
}
