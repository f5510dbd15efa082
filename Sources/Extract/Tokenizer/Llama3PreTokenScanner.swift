/// Llama 3's pre-tokenizer (and Qwen2's, which differs only in `\p{N}` vs `\p{N}{1,3}`), by
/// hand over UTF-8 bytes. Splits exactly as the regex
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// under leftmost-first alternation (Oniguruma, as `tokenizers` runs it):
/// - the contractions ignore case, and Unicode case folding makes `'ſ` (U+017F) one too;
/// - one character that is not CR, LF, a letter or a number joins the letters after it
///   (`" word"`, `"\tword"`, `"(word"`);
/// - numbers come in runs of at most `maxDigits`;
/// - a run of other symbols takes one leading U+0020 and the CR/LF run after it;
/// - `\s*[\r\n]+` ends a whitespace run at its last CR or LF;
/// - otherwise whitespace behaves as in GPT-2 (`\s+(?!\S)` gives back one character).
/// `RegexPreTokenizer` runs the pattern itself; tests hold the two equal.
struct Llama3PreTokenScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let table: UnsafeBufferPointer<UInt8>
    private let maxDigits: Int
    private var position = 0

    /// `bytes` must be valid UTF-8 and outlive the scanner.
    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDigits: Int) {
        self.bytes = bytes
        self.table = ScalarClass.basicPlaneTable
        self.maxDigits = maxDigits
    }

    @inline(__always)
    private func classify(_ index: Int) -> (ScalarClass, Int) {
        let b0 = UInt32(bytes[index])
        if b0 < 0x80 { return (ScalarClass(rawValue: table[Int(b0)])!, 1) }
        if b0 < 0xE0 {
            return (ScalarClass(rawValue: table[Int((b0 & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F))])!, 2)
        }
        if b0 < 0xF0 {
            let value = (b0 & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
            return (ScalarClass(rawValue: table[Int(value)])!, 3)
        }
        let value = (b0 & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
            | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
        return (ScalarClass(Unicode.Scalar(value)!), 4)
    }

    @inline(__always)
    private static func isLineBreak(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0D }

    private func runEnd(from index: Int, of scalarClass: ScalarClass, limit: Int = .max) -> Int {
        var index = index
        var count = 0
        while index < bytes.count && count < limit {
            let (next, length) = classify(index)
            if next != scalarClass { break }
            index += length
            count += 1
        }
        return index
    }

    /// The next pre-token's byte range, or nil at the end of the input.
    mutating func next() -> Range<Int>? {
        let start = position
        guard start < bytes.count else { return nil }
        position = nextEnd(from: start)
        return start..<position
    }

    /// Length of a case-insensitive contraction at `start` (which holds `'`), or 0.
    private func contractionLength(at start: Int) -> Int {
        let end = bytes.count
        guard start + 1 < end else { return 0 }
        // `| 0x20` lower-cases ASCII letters; the only bytes it maps onto s t m d r v l e are their capitals.
        let second = bytes[start + 1] | 0x20
        switch second {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return start + 2 < end && bytes[start + 2] | 0x20 == UInt8(ascii: "e") ? 3 : 0
        case UInt8(ascii: "l"):
            return start + 2 < end && bytes[start + 2] | 0x20 == UInt8(ascii: "l") ? 3 : 0
        default:
            // U+017F LATIN SMALL LETTER LONG S case-folds to "s".
            return start + 2 < end && bytes[start + 1] == 0xC5 && bytes[start + 2] == 0xBF ? 3 : 0
        }
    }

    private func nextEnd(from start: Int) -> Int {
        let end = bytes.count
        let b0 = bytes[start]
        if b0 == UInt8(ascii: "'") {
            let length = contractionLength(at: start)
            if length > 0 { return start + length }
        }
        let (firstClass, firstLength) = classify(start)
        if firstClass == .letter { return runEnd(from: start, of: .letter) }
        if firstClass != .number && !Self.isLineBreak(b0) && start + firstLength < end
            && classify(start + firstLength).0 == .letter {
            return runEnd(from: start + firstLength, of: .letter)
        }
        if firstClass == .number { return runEnd(from: start, of: .number, limit: maxDigits) }
        var symbolStart = start
        if b0 == 0x20 && start + 1 < end && classify(start + 1).0 == .other { symbolStart = start + 1 }
        if classify(symbolStart).0 == .other {
            var index = runEnd(from: symbolStart, of: .other)
            while index < end && Self.isLineBreak(bytes[index]) { index += 1 }
            return index
        }
        // Whitespace from here on.
        var index = start
        var lastLineBreak = -1
        var lastCharacterStart = start
        while index < end {
            let (scalarClass, length) = classify(index)
            if scalarClass != .whitespace { break }
            if Self.isLineBreak(bytes[index]) { lastLineBreak = index }
            lastCharacterStart = index
            index += length
        }
        if lastLineBreak >= 0 { return lastLineBreak + 1 }
        if index == end { return end }
        return lastCharacterStart > start ? lastCharacterStart : index
    }
}
