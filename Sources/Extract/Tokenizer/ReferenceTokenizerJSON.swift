import Foundation

/// Plain reference for `HFTokenizer`: the pre-tokenizer regexes through Swift `Regex`, and
/// textbook BPE on strings (merge every occurrence of the best-ranked pair, repeat), with no
/// word cache, no packed merge table and no heap. Ids only; far too slow for corpora.
///
/// Added-token matching and normalization are shared with the fast path (they are already
/// plain code); tests hold the two tokenizers equal on the fixtures and on fuzz strings.
struct ReferenceTokenizerJSON {
    /// Tokens are compared as UTF-8 bytes: Swift String equality is canonical equivalence.
    private typealias Symbol = [UInt8]
    private struct Pair: Hashable {
        var left: Symbol
        var right: Symbol
    }

    private let spec: TokenizerSpec
    private let tokenizer: HFTokenizer
    private let pipeline: PreTokenizerPipeline
    private let idForToken: [Symbol: UInt32]
    private let rankForPair: [Pair: Int]

    init(tokenizerPath: String) throws {
        let bytes = try TokenizerFileReader.bytes(atPath: tokenizerPath)
        spec = try TokenizerSpec(json: JSONValueReader.parse(bytes, file: tokenizerPath), bytes: bytes)
        tokenizer = try HFTokenizer(spec: spec, file: tokenizerPath, config: nil, tokenizerConfig: nil)
        pipeline = try PreTokenizerPipeline(spec.preTokenizers, file: tokenizerPath, reference: true)
        idForToken = Dictionary(spec.vocabulary.map { (Array($0.token.utf8), $0.id) }, uniquingKeysWith: { first, _ in first })
        rankForPair = Dictionary(spec.merges.enumerated().map { (Pair(left: Array($1.left.utf8), right: Array($1.right.utf8)), $0) },
                                 uniquingKeysWith: { _, last in last })
    }

    func encode(_ text: String, allowSpecial: Bool) -> [UInt32] {
        let bytes = Array(text.utf8)
        var ids: [UInt32] = []
        var start = 0
        let rawMatches = bytes.withUnsafeBufferPointer { tokenizer.rawMatcher.matches(in: $0) }
        for match in rawMatches where allowSpecial || !match.token.special {
            ids += encodePiece(Array(bytes[start..<match.range.lowerBound]), base: start, allowSpecial: allowSpecial)
            ids.append(match.token.id)
            start = match.range.upperBound
        }
        return ids + encodePiece(Array(bytes[start...]), base: start, allowSpecial: allowSpecial)
    }

    private func encodePiece(_ bytes: [UInt8], base: Int, allowSpecial: Bool) -> [UInt32] {
        guard !bytes.isEmpty else { return [] }
        var piece = bytes.withUnsafeBufferPointer { NormalizedPiece($0, base: base) }
        piece.normalize(spec.normalizers)
        var ids: [UInt32] = []
        var start = 0
        let matches = piece.bytes.withUnsafeBufferPointer { tokenizer.normalizedMatcher.matches(in: $0) }
        for match in matches where allowSpecial || !match.token.special {
            ids += encodeNormalized(piece.slice(start..<match.range.lowerBound))
            ids.append(match.token.id)
            start = match.range.upperBound
        }
        return ids + encodeNormalized(piece.slice(start..<piece.bytes.count))
    }

    private func encodeNormalized(_ piece: NormalizedPiece) -> [UInt32] {
        var piece = piece
        guard !piece.bytes.isEmpty else { return [] }
        if let metaspace = tokenizer.metaspace {
            piece.replace([0x20], with: metaspace.replacement)
            let prepend = metaspace.scheme == .always || (metaspace.scheme == .first && piece.original(0) == 0)
            if prepend && !piece.bytes.starts(with: metaspace.replacement) { piece.prepend(metaspace.replacement) }
        }
        var words: [[UInt8]] = []
        piece.bytes.withUnsafeBufferPointer { bytes in pipeline.forEachWord(bytes) { words.append(Array(bytes[$0])) } }
        return words.flatMap(encodeWord)
    }

    private func encodeWord(_ bytes: [UInt8]) -> [UInt32] {
        var word: [Symbol]
        if spec.isByteLevel {
            if spec.ignoreMerges, let id = idForToken[Array(ByteLevelAlphabet.string(for: bytes).utf8)] { return [id] }
            word = bytes.map { Array(String(ByteLevelAlphabet.scalarForByte[Int($0)]).utf8) }
        } else {
            let text = String(decoding: bytes, as: UTF8.self)
            if spec.ignoreMerges, let id = idForToken[bytes] { return [id] }
            word = []
            var previousWasUnknown = false
            for scalar in text.unicodeScalars {
                let symbol = Array(String(scalar).utf8)
                let fallback = symbol.map { Array(String(format: "<0x%02X>", $0).utf8) }
                if idForToken[symbol] != nil {
                    word.append(symbol)
                    previousWasUnknown = false
                } else if spec.byteFallback && fallback.allSatisfy({ idForToken[$0] != nil }) {
                    word += fallback
                    previousWasUnknown = false
                } else if let unknown = spec.unknownToken {
                    if !(spec.fuseUnknown && previousWasUnknown) { word.append(Array(unknown.utf8)) }
                    previousWasUnknown = true
                }
            }
        }
        while word.count > 1 {
            var best: (rank: Int, pair: Pair)?
            for index in 0..<(word.count - 1) {
                let pair = Pair(left: word[index], right: word[index + 1])
                if let rank = rankForPair[pair], rank < best?.rank ?? .max { best = (rank, pair) }
            }
            guard let (_, pair) = best else { break }
            var merged: [Symbol] = []
            var index = 0
            while index < word.count {
                if index + 1 < word.count && word[index] == pair.left && word[index + 1] == pair.right {
                    merged.append(pair.left + pair.right)
                    index += 2
                } else {
                    merged.append(word[index])
                    index += 1
                }
            }
            word = merged
        }
        return word.map { idForToken[$0]! }
    }
}
