/// GPT-2's pre-tokenizer as the regex itself (Swift Regex, matching on unicode scalars).
///
/// The plain reference `PreTokenScanner` is tested against; too slow for corpora.
enum ReferencePreTokenizer {
    static let pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// Byte ranges (into `text.utf8`) of the pre-tokens of `text`.
    static func split(_ text: String) -> [Range<Int>] {
        // Scalar semantics: the default (grapheme clusters) would keep "e\u{301}" together.
        let regex = try! Regex(pattern).matchingSemantics(.unicodeScalar)
        return text.matches(of: regex).map { match in
            let start = text.utf8.distance(from: text.utf8.startIndex, to: match.range.lowerBound)
            return start..<(start + text[match.range].utf8.count)
        }
    }
}
