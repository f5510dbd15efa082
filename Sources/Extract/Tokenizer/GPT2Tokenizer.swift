/// GPT-2's byte-level BPE tokenizer, id-for-id identical to Hugging Face `tokenizers`
/// (BPE + ByteLevel pre-tokenizer, no prefix space) and to tiktoken's `gpt2`.
///
/// Every token also carries its byte span in the input (`encodeWithSpans`), which is how the
/// store maps an activation row back to the text it came from.
///
/// Thread-safe: the vocabulary and merge tables are immutable after `init`, and each encode
/// call borrows a private word cache from a pool, so many threads can share one instance.
///
/// `<|endoftext|>` in the text is ordinary text unless `allowSpecial` is true, like
/// `tokenizers` without added tokens and tiktoken's `encode_ordinary`.
public final class GPT2Tokenizer: @unchecked Sendable {
    /// GPT-2's end-of-text token, also used as its beginning-of-sequence token.
    public static let endOfTextID: UInt32 = 50256
    /// The text of the special token `allowSpecial` recognises.
    public static let endOfTextText = "<|endoftext|>"

    /// Byte offset of each token's bytes in `tokenByteArena`; `tokenByteOffsets[id + 1]` ends it.
    private let tokenByteOffsets: [Int32]
    private let tokenByteArena: [UInt8]
    /// False for ids that are gaps in a sparse vocab.json.
    private let tokenIsDefined: [Bool]
    let merger: BytePairMerger
    /// Id of `<|endoftext|>` in this vocabulary, if it has one.
    let endOfTextTokenID: UInt32?
    let cachePool = WordCachePool()
    /// false: every word goes through BPE, none through the word cache (the same ids; for
    /// measuring what the cache buys, benchmarks/tokenizer). Set before encoding, not during.
    public var usesWordCache = true

    /// Loads `vocab.json` and `merges.txt` (Hugging Face / OpenAI format).
    /// Throws `TokenizerError` naming the file, line and what was expected.
    public convenience init(vocabPath: String, mergesPath: String) throws {
        try self.init(vocabulary: VocabularyFile.read(path: vocabPath), vocabPath: vocabPath,
                      merges: MergesFile.read(path: mergesPath), mergesPath: mergesPath)
    }

    init(vocabulary: VocabularyFile, vocabPath: String, merges: MergesFile, mergesPath: String) throws {
        var idForToken: [String: UInt32] = [:]
        idForToken.reserveCapacity(vocabulary.entries.count)
        var maxID: UInt32 = 0
        for (token, id) in vocabulary.entries {
            guard idForToken.updateValue(id, forKey: token) == nil else {
                throw TokenizerError.duplicateVocabEntry(path: vocabPath, token: token, id: Int(id))
            }
            maxID = max(maxID, id)
        }
        let idCount = vocabulary.entries.isEmpty ? 0 : Int(maxID) + 1
        var bytesForID = [[UInt8]?](repeating: nil, count: idCount)
        for (token, id) in vocabulary.entries {
            guard let bytes = ByteLevelAlphabet.bytes(of: token) else {
                throw TokenizerError.tokenNotByteLevel(path: vocabPath, token: token)
            }
            guard bytesForID[Int(id)] == nil else {
                throw TokenizerError.duplicateVocabEntry(path: vocabPath, token: token, id: Int(id))
            }
            bytesForID[Int(id)] = bytes
        }
        var byteTokenIDs = [UInt32](repeating: 0, count: 256)
        for byte in 0..<256 {
            guard let id = idForToken[String(ByteLevelAlphabet.scalarForByte[byte])] else {
                throw TokenizerError.missingByteToken(path: vocabPath, byte: UInt8(byte))
            }
            byteTokenIDs[byte] = id
        }
        var table = PairMergeTable(capacity: merges.merges.count)
        for (rank, merge) in merges.merges.enumerated() {
            guard let left = idForToken[merge.left] else {
                throw TokenizerError.mergeTokenNotInVocab(path: mergesPath, line: merge.lineNumber, token: merge.left)
            }
            guard let right = idForToken[merge.right] else {
                throw TokenizerError.mergeTokenNotInVocab(path: mergesPath, line: merge.lineNumber, token: merge.right)
            }
            guard let merged = idForToken[merge.left + merge.right] else {
                throw TokenizerError.mergeTokenNotInVocab(path: mergesPath, line: merge.lineNumber, token: merge.left + merge.right)
            }
            table.set(left, right, rank: UInt32(rank), mergedID: merged)
        }

        var offsets: [Int32] = [0]
        var arena: [UInt8] = []
        offsets.reserveCapacity(idCount + 1)
        for bytes in bytesForID {
            arena.append(contentsOf: bytes ?? [])
            offsets.append(Int32(arena.count))
        }
        tokenByteOffsets = offsets
        tokenByteArena = arena
        tokenIsDefined = bytesForID.map { $0 != nil }
        merger = BytePairMerger(byteTokenIDs: byteTokenIDs, merges: table)
        endOfTextTokenID = idForToken[Self.endOfTextText]
    }

    /// Number of token ids (largest id + 1); 50257 for GPT-2.
    public var vocabularySize: Int { tokenIsDefined.count }

    /// Whether `id` is a token of this vocabulary (ids read from files are checked before decoding).
    public func contains(_ id: UInt32) -> Bool { Int(id) < tokenIsDefined.count && tokenIsDefined[Int(id)] }

    /// Token ids of `text`. With `allowSpecial`, `<|endoftext|>` in the text becomes its one
    /// special token (and splits the text around it) instead of being spelled out.
    public func encode(_ text: String, allowSpecial: Bool = false) -> [UInt32] {
        var sink = IDSink()
        sink.ids.reserveCapacity(text.utf8.count / 3 + 1)
        encode(text, allowSpecial: allowSpecial, into: &sink)
        return sink.ids
    }

    /// Token ids of `text` with each token's half-open byte range in `text.utf8`.
    /// The spans tile the input: they start at 0, each ends where the next starts, and the last
    /// ends at `text.utf8.count`.
    public func encodeWithSpans(_ text: String, allowSpecial: Bool = false) -> [TokenSpan] {
        var sink = SpanSink(tokenByteOffsets: tokenByteOffsets)
        sink.spans.reserveCapacity(text.utf8.count / 3 + 1)
        encode(text, allowSpecial: allowSpecial, into: &sink)
        return sink.spans
    }

    /// The bytes the ids stand for, concatenated.
    /// Traps on an id outside the vocabulary (ids come from this tokenizer or its model).
    public func decodeBytes(_ ids: [UInt32]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        tokenByteArena.withUnsafeBufferPointer { arena in
            for id in ids {
                let range = byteRange(of: id)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: arena[range]))
            }
        }
        return out
    }

    /// The text the ids stand for. Bytes that are not valid UTF-8 (a token sequence cut inside a
    /// multi-byte character) become U+FFFD, as in `tokenizers`' ByteLevel decoder.
    public func decode(_ ids: [UInt32]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// The bytes of one token. Traps on an id outside the vocabulary.
    public func tokenBytes(_ id: UInt32) -> [UInt8] {
        Array(tokenByteArena[byteRange(of: id)])
    }

    private func byteRange(of id: UInt32) -> Range<Int> {
        let index = Int(id)
        precondition(index < tokenIsDefined.count && tokenIsDefined[index],
                     "token id \(id) is not in this vocabulary (\(tokenIsDefined.count) ids)")
        return Int(tokenByteOffsets[index])..<Int(tokenByteOffsets[index + 1])
    }
}
