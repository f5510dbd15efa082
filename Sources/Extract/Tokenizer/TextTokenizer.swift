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
}

extension GPT2Tokenizer: TextTokenizer {}
extension HFTokenizer: TextTokenizer {}

/// Picks and loads a model directory's tokenizer.
public enum ModelTokenizer {
    /// `tokenizer.json` (with config.json / tokenizer_config.json for BOS and EOS) unless the
    /// model is GPT-2 (`model_type` "gpt2") or the file is absent; then vocab.json + merges.txt,
    /// read by `GPT2Tokenizer`, which gives GPT-2 the same ids faster.
    public static func load(directory: String) throws -> any TextTokenizer {
        let tokenizerJSON = (directory as NSString).appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: tokenizerJSON) && modelType(directory: directory) != "gpt2" {
            return try HFTokenizer(directory: directory)
        }
        return try GPT2Tokenizer(vocabPath: (directory as NSString).appendingPathComponent("vocab.json"),
                                 mergesPath: (directory as NSString).appendingPathComponent("merges.txt"))
    }

    /// config.json's `model_type`, or nil when there is no readable config.
    static func modelType(directory: String) -> String? {
        let path = (directory as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["model_type"] as? String
    }
}
