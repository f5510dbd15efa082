/// A `Split` pre-tokenizer (behavior Isolated) as the regex itself, with Swift `Regex` on
/// Unicode scalars: every match is a piece, and so is every gap between matches.
///
/// The plain reference the hand scanners (`PreTokenScanner`, `Llama3PreTokenScanner`) are
/// tested against, and the path for a pattern saestore has no scanner for. Swift `Regex`
/// and Oniguruma agree on the constructs these patterns use (`\p{L}`, `\p{N}`, `\s`, `(?i:…)`,
/// lookahead), which the fixtures check; a pattern using others may split differently.
struct RegexPreTokenizer: @unchecked Sendable {
    let pattern: String
    private let regex: Regex<AnyRegexOutput>

    /// Nil when Swift `Regex` cannot compile the pattern.
    init?(pattern: String) {
        // Oniguruma folds case by Unicode rules, so `(?i:'s)` also matches `'ſ` (U+017F LONG S);
        // Swift Regex folds only simple cases. Spell that fold out for the patterns that use it.
        let folded = pattern.replacingOccurrences(of: "(?i:'s|", with: "(?i:'[sſ]|")
        guard let regex = try? Regex(folded) else { return nil }
        self.pattern = pattern
        // Scalar semantics: the default (grapheme clusters) would keep "e\u{301}" together.
        self.regex = regex.matchingSemantics(.unicodeScalar)
    }

    /// Byte ranges (into `text.utf8`) of the pieces of `text`.
    func split(_ text: String) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var previousEnd = 0
        for match in text.matches(of: regex) {
            let start = text.utf8.distance(from: text.utf8.startIndex, to: match.range.lowerBound)
            let end = start + text[match.range].utf8.count
            if start > previousEnd { pieces.append(previousEnd..<start) }
            if end > start { pieces.append(start..<end) }
            previousEnd = end
        }
        if previousEnd < text.utf8.count { pieces.append(previousEnd..<text.utf8.count) }
        return pieces
    }

    /// The same over UTF-8 bytes (which must be valid).
    func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        split(String(decoding: bytes, as: UTF8.self))
    }
}
