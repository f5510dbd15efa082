/// Finds added tokens in text the way `tokenizers` does: leftmost-longest, non-overlapping,
/// with `lstrip`/`rstrip` tokens also taking the whitespace before/after them.
struct AddedTokenMatcher: Sendable {
    struct Match {
        var range: Range<Int>
        var token: TokenizerSpec.AddedToken
    }

    private let tokens: [TokenizerSpec.AddedToken]
    private let contents: [[UInt8]]
    /// Token indices by first byte, longest content first.
    private let candidatesByFirstByte: [[Int]]

    init(_ tokens: [TokenizerSpec.AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        self.tokens = usable
        let contents = usable.map { Array($0.content.utf8) }
        self.contents = contents
        var candidates = [[Int]](repeating: [], count: 256)
        for (index, content) in contents.enumerated() { candidates[Int(content[0])].append(index) }
        candidatesByFirstByte = candidates.map { list in list.sorted { contents[$0].count > contents[$1].count } }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// The matches in `bytes`, in order; each range already includes stripped whitespace.
    func matches(in bytes: UnsafeBufferPointer<UInt8>) -> [Match] {
        guard !tokens.isEmpty else { return [] }
        var found: [Match] = []
        var index = 0
        var previousEnd = 0
        while index < bytes.count {
            var matched: Int?
            for candidate in candidatesByFirstByte[Int(bytes[index])] {
                let content = contents[candidate]
                if index + content.count <= bytes.count && bytes[index..<(index + content.count)].elementsEqual(content) {
                    matched = candidate
                    break
                }
            }
            guard let candidate = matched else {
                index += 1
                continue
            }
            let token = tokens[candidate]
            var start = index
            var end = index + contents[candidate].count
            if token.lstrip {
                while start > previousEnd, let previous = Self.whitespaceScalarStart(before: start, in: bytes) { start = previous }
            }
            if token.rstrip {
                while let next = Self.whitespaceScalarEnd(after: end, in: bytes) { end = next }
            }
            found.append(Match(range: start..<end, token: token))
            previousEnd = end
            index = end
        }
        return found
    }

    /// Start of the whitespace scalar that ends at `index`, if there is one.
    private static func whitespaceScalarStart(before index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var start = index - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0, isWhitespace(bytes, start..<index) else { return nil }
        return start
    }

    /// End of the whitespace scalar that starts at `index`, if there is one.
    private static func whitespaceScalarEnd(after index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard index < bytes.count else { return nil }
        let end = index + PreTokenizerPipeline.scalarLength(bytes[index])
        return isWhitespace(bytes, index..<end) ? end : nil
    }

    /// Rust's `char::is_whitespace` (the White_Space property).
    private static func isWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self).unicodeScalars.first?.properties.isWhitespace ?? false
    }
}
