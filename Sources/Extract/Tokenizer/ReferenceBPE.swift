/// Textbook byte-level BPE (OpenAI's encoder.py): a word is a list of byte-level strings; merge
/// every occurrence of the best-ranked adjacent pair, left to right, until none has a rank.
///
/// The plain reference `BytePairMerger` and `GPT2Tokenizer` are tested against.
struct ReferenceBPE {
    private struct Pair: Hashable {
        var left: String
        var right: String
    }

    private let idForToken: [String: UInt32]
    private let rankForPair: [Pair: Int]

    init(vocabulary: VocabularyFile, merges: MergesFile) {
        idForToken = Dictionary(vocabulary.entries.map { ($0.token, $0.id) }, uniquingKeysWith: { first, _ in first })
        // Later lines win, as `dict(zip(bpe_merges, range(len(bpe_merges))))` does.
        rankForPair = Dictionary(merges.merges.enumerated().map { (Pair(left: $1.left, right: $1.right), $0) },
                                 uniquingKeysWith: { _, last in last })
    }

    init(vocabPath: String, mergesPath: String) throws {
        self.init(vocabulary: try VocabularyFile.read(path: vocabPath), merges: try MergesFile.read(path: mergesPath))
    }

    /// Token ids of one pre-token's bytes.
    func encodeWord(_ bytes: [UInt8]) -> [UInt32] {
        var word = bytes.map { String(ByteLevelAlphabet.scalarForByte[Int($0)]) }
        while word.count > 1 {
            var best: (rank: Int, pair: Pair)?
            for index in 0..<(word.count - 1) {
                let pair = Pair(left: word[index], right: word[index + 1])
                if let rank = rankForPair[pair], rank < best?.rank ?? .max { best = (rank, pair) }
            }
            guard let (_, pair) = best else { break }
            var merged: [String] = []
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

    /// Token ids of `text`, pre-tokenized by the regex.
    func encode(_ text: String) -> [UInt32] {
        let utf8 = Array(text.utf8)
        return ReferencePreTokenizer.split(text).flatMap { encodeWord(Array(utf8[$0])) }
    }
}
