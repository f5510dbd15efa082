import Foundation

/// A tokenizer read from a Hugging Face `tokenizer.json`: byte-level BPE (GPT-NeoX/Pythia,
/// Llama 3, Qwen2, SmolLM) or SentencePiece-style BPE with `▁` and byte fallback (Gemma,
/// Llama 2, Mistral), id-for-id identical to the `tokenizers` library on the fixtures.
///
/// Every token also gets its byte span in the input (`encodeWithSpans`); the spans tile the
/// input even where a normalizer changed the text (docs/TOKENIZER.md). Special added tokens in
/// the text are ordinary text unless `allowSpecial` is true (as `GPT2Tokenizer`, and as
/// `tokenizers` with `encode_special_tokens=True`); non-special added tokens always match.
/// BOS/EOS come from the model's config.json or tokenizer_config.json; encoding adds neither.
///
/// Thread-safe: tables are immutable after `init` and each call borrows its own word cache.
public final class HFTokenizer: @unchecked Sendable {
    /// The model's beginning-of-sequence token, if its config or tokenizer names one.
    public let bosTokenID: UInt32?
    /// The model's end-of-sequence tokens (config.json may list several), first is the main one.
    public let eosTokenIDs: [UInt32]
    /// Whether the tokenizer's post-processor puts `bosTokenID` before every sequence, as
    /// transformers does when encoding with special tokens (Llama, Gemma: yes; GPT-NeoX: no).
    public let addsBOSToken: Bool

    let spec: TokenizerSpec
    let isByteLevel: Bool
    let pipeline: PreTokenizerPipeline
    /// Metaspace's replacement and prepend scheme, applied with the normalizers.
    let metaspace: (replacement: [UInt8], scheme: TokenizerSpec.PrependScheme)?
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    let byteMerger: BytePairMerger?
    let byteWholeWordIDs: [[UInt8]: UInt32]?
    let scalarMerger: ScalarPairMerger?
    let cachePool = WordCachePool()
    /// The added tokens tokenizer.json marks `special` (BOS, EOS, padding, chat markers).
    let specialTokenIDs: Set<UInt32>
    /// Token string of each id (vocabulary entry or added token content); nil for gaps.
    let tokenStrings: [String?]
    private let tokenByteOffsets: [Int32]
    private let tokenByteArena: [UInt8]

    /// Loads `tokenizer.json`; BOS/EOS from `config.json` (`bos_token_id`, `eos_token_id`),
    /// else from `tokenizer_config.json` (`bos_token`, `eos_token`), else the post-processor.
    /// Throws `TokenizerJSONError` or `TokenizerError.unreadableFile`.
    public convenience init(tokenizerPath: String, configPath: String? = nil, tokenizerConfigPath: String? = nil) throws {
        let bytes = try TokenizerFileReader.bytes(atPath: tokenizerPath)
        let root = try JSONValueReader.parse(bytes, file: tokenizerPath)
        let config = try configPath.map { try JSONValueReader.parse(TokenizerFileReader.bytes(atPath: $0), file: $0) }
        let tokenizerConfig = try tokenizerConfigPath.map { try JSONValueReader.parse(TokenizerFileReader.bytes(atPath: $0), file: $0) }
        try self.init(spec: TokenizerSpec(json: root, bytes: bytes), file: tokenizerPath, config: config, tokenizerConfig: tokenizerConfig)
    }

    /// Loads `tokenizer.json` and, when present, `config.json` and `tokenizer_config.json` from a model directory.
    public convenience init(directory: String) throws {
        func path(_ name: String) -> String? {
            let path = (directory as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        try self.init(tokenizerPath: (directory as NSString).appendingPathComponent("tokenizer.json"),
                      configPath: path("config.json"), tokenizerConfigPath: path("tokenizer_config.json"))
    }

    init(spec: TokenizerSpec, file: String, config: JSONValueReader?, tokenizerConfig: JSONValueReader?, reference: Bool = false) throws {
        self.spec = spec
        isByteLevel = spec.isByteLevel
        pipeline = try PreTokenizerPipeline(spec.preTokenizers, file: file, reference: reference)
        metaspace = spec.preTokenizers.lazy.compactMap { step -> ([UInt8], TokenizerSpec.PrependScheme)? in
            if case let .metaspace(replacement, scheme, _) = step { return (Array(replacement.utf8), scheme) }
            return nil
        }.first.map { (replacement: $0.0, scheme: $0.1) }

        // Keyed by UTF-8 bytes: Swift String equality is canonical equivalence, and real
        // vocabularies hold both the composed and the decomposed spelling of some tokens.
        var idForToken: [[UInt8]: UInt32] = [:]
        var maxID: Int = -1
        for (token, id) in spec.vocabulary {
            guard idForToken.updateValue(id, forKey: Array(token.utf8)) == nil else {
                throw TokenizerJSONError.duplicateToken(path: file, at: "model.vocab", token: token, id: Int(id))
            }
            maxID = max(maxID, Int(id))
        }
        for token in spec.addedTokens { maxID = max(maxID, Int(token.id)) }
        var strings = [String?](repeating: nil, count: maxID + 1)
        for (token, id) in spec.vocabulary {
            guard strings[Int(id)] == nil else { throw TokenizerJSONError.duplicateToken(path: file, at: "model.vocab", token: token, id: Int(id)) }
            strings[Int(id)] = token
        }
        for token in spec.addedTokens { strings[Int(token.id)] = token.content }
        tokenStrings = strings

        var table = PairMergeTable(capacity: spec.merges.count)
        for (rank, merge) in spec.merges.enumerated() {
            let left = Array(merge.left.utf8), right = Array(merge.right.utf8)
            for (token, key) in [(merge.left, left), (merge.right, right), (merge.left + merge.right, left + right)] where idForToken[key] == nil {
                throw TokenizerJSONError.unknownToken(path: file, at: merge.at, token: token)
            }
            table.set(idForToken[left]!, idForToken[right]!, rank: UInt32(rank), mergedID: idForToken[left + right]!)
        }

        let addedIDs = Set(spec.addedTokens.map(\.id))
        var surfaces = [[UInt8]](repeating: [], count: maxID + 1)
        if spec.isByteLevel {
            var byteTokenIDs = [UInt32](repeating: 0, count: 256)
            for byte in 0..<256 {
                guard let id = idForToken[Array(String(ByteLevelAlphabet.scalarForByte[byte]).utf8)] else {
                    throw TokenizerJSONError.missingByteToken(path: file, byte: UInt8(byte))
                }
                byteTokenIDs[byte] = id
            }
            for (token, id) in spec.vocabulary where !addedIDs.contains(id) {
                guard let bytes = ByteLevelAlphabet.bytes(of: token) else {
                    throw TokenizerJSONError.malformed(path: file, at: "model.vocab[\(String(reflecting: token))]",
                                                       expected: "a token in GPT-2's byte-level alphabet (the pre-tokenizer is ByteLevel)")
                }
                surfaces[Int(id)] = bytes
            }
            byteMerger = BytePairMerger(byteTokenIDs: byteTokenIDs, merges: table)
            byteWholeWordIDs = spec.ignoreMerges ? Dictionary(spec.vocabulary.map { (ByteLevelAlphabet.bytes(of: $0.token)!, $0.id) },
                                                              uniquingKeysWith: { first, _ in first }) : nil
            scalarMerger = nil
        } else {
            let unknownID = try spec.unknownToken.map { token -> UInt32 in
                guard let id = idForToken[Array(token.utf8)] else { throw TokenizerJSONError.unknownToken(path: file, at: "model.unk_token", token: token) }
                return id
            }
            let fallbackIDs = (0..<256).compactMap { idForToken[Array(String(format: "<0x%02X>", $0).utf8)] }
            let byteFallbackIDs = spec.byteFallback && fallbackIDs.count == 256 ? fallbackIDs : nil
            guard byteFallbackIDs != nil || unknownID != nil else {
                throw TokenizerJSONError.unsupported(path: file, at: "model.unk_token",
                                                     what: "a BPE without unk_token or a complete byte_fallback (it drops unknown characters silently)")
            }
            var idForScalar: [UInt32: UInt32] = [:]
            for (token, id) in spec.vocabulary {
                let scalars = token.unicodeScalars
                if scalars.count == 1 { idForScalar[scalars.first!.value] = id }
            }
            let surfaceReplacements = Self.surfaceReplacements(spec)
            for (token, id) in spec.vocabulary where !addedIDs.contains(id) {
                if let byteFallbackIDs, let byte = byteFallbackIDs.firstIndex(of: id) {
                    surfaces[Int(id)] = [UInt8(byte)]
                    continue
                }
                var surface = token
                for (from, to) in surfaceReplacements { surface = surface.replacingOccurrences(of: from, with: to) }
                surfaces[Int(id)] = Array(surface.utf8)
            }
            scalarMerger = ScalarPairMerger(idForScalar: idForScalar, byteFallbackIDs: byteFallbackIDs, unknownID: unknownID,
                                            fuseUnknown: spec.fuseUnknown, merges: table,
                                            wholeWordIDs: spec.ignoreMerges ? Dictionary(spec.vocabulary.map { (Array($0.token.utf8), $0.id) },
                                                                                         uniquingKeysWith: { first, _ in first }) : nil)
            byteMerger = nil
            byteWholeWordIDs = nil
        }
        for token in spec.addedTokens {
            surfaces[Int(token.id)] = spec.isByteLevel ? Self.byteLevelDecode(token.content) : Array(token.content.utf8)
        }
        var offsets: [Int32] = [0]
        var arena: [UInt8] = []
        for surface in surfaces {
            arena.append(contentsOf: surface)
            offsets.append(Int32(arena.count))
        }
        tokenByteOffsets = offsets
        tokenByteArena = arena
        rawMatcher = AddedTokenMatcher(spec.addedTokens.filter { !$0.normalized })
        specialTokenIDs = Set(spec.addedTokens.filter(\.special).map(\.id))
        normalizedMatcher = AddedTokenMatcher(spec.addedTokens.filter { $0.normalized })

        func tokenID(_ node: JSONValueReader?) throws -> [UInt32] {
            guard let node, !node.isNull else { return [] }
            if let list = node.value as? [Any], !(node.value is String) {
                return try list.indices.flatMap { try tokenID(JSONValueReader(value: list[$0], file: node.file, at: "\(node.at)[\($0)]")) }
            }
            if let name = node.value as? String ?? (node["content"].value as? String) {
                guard let id = idForToken[Array(name.utf8)] ?? spec.addedTokens.first(where: { $0.content.utf8.elementsEqual(name.utf8) })?.id else {
                    throw TokenizerJSONError.unknownToken(path: node.file, at: node.at, token: name)
                }
                return [id]
            }
            guard let id = UInt32(exactly: try node.integer()), Int(id) <= maxID else { throw node.malformed("a token id below \(maxID + 1)") }
            return [id]
        }
        let templateBOS = try spec.templateBOS.map { try tokenID(JSONValueReader(value: $0, file: file, at: "post_processor")) } ?? []
        bosTokenID = try (tokenID(config?["bos_token_id"]) + tokenID(tokenizerConfig?["bos_token"]) + templateBOS).first
        var eos = try tokenID(config?["eos_token_id"])
        if eos.isEmpty { eos = try tokenID(tokenizerConfig?["eos_token"]) }
        eosTokenIDs = eos
        if let flag = tokenizerConfig?["add_bos_token"], !flag.isNull {
            addsBOSToken = try flag.bool(default: false)
        } else {
            addsBOSToken = !templateBOS.isEmpty
        }
    }

    /// Replacements that turn a SentencePiece-style token back into text (`▁` → space).
    private static func surfaceReplacements(_ spec: TokenizerSpec) -> [(String, String)] {
        var replacements: [(String, String)] = []
        for normalizer in spec.normalizers { if case let .replace(pattern, content) = normalizer { replacements.append((content, pattern)) } }
        for step in spec.preTokenizers { if case let .metaspace(replacement, _, _) = step { replacements.append((replacement, " ")) } }
        return replacements
    }

    /// What `tokenizers`' ByteLevel decoder makes of a string: the bytes its characters stand
    /// for, or its own UTF-8 when any character is outside the alphabet.
    static func byteLevelDecode(_ token: String) -> [UInt8] {
        ByteLevelAlphabet.bytes(of: token) ?? Array(token.utf8)
    }

    /// Number of token ids (largest id + 1).
    public var vocabularySize: Int { tokenStrings.count }

    /// The bytes one token stands for in text: a byte-level token's bytes, a SentencePiece
    /// piece with `▁` as a space, a `<0xXX>` byte, an added token's content. Traps on an id
    /// outside the vocabulary.
    public func tokenBytes(_ id: UInt32) -> [UInt8] {
        Array(tokenByteArena[byteRange(of: id)])
    }

    /// Whether `id` names a token (an id below `vocabularySize` that tokenizer.json does not
    /// define is not one).
    public func contains(_ id: UInt32) -> Bool { Int(id) < tokenStrings.count && tokenStrings[Int(id)] != nil }

    /// Whether `id` is a special added token, the BOS or an EOS: text rebuilt from ids gives
    /// it no bytes, as ingest gives its BOS rows an empty span.
    public func isSpecialToken(_ id: UInt32) -> Bool {
        specialTokenIDs.contains(id) || id == bosTokenID || eosTokenIDs.contains(id)
    }

    /// The token's string as tokenizer.json writes it (`Ġthe`, `▁the`, `<0x0A>`, `<|eot_id|>`).
    public func tokenString(_ id: UInt32) -> String {
        _ = byteRange(of: id)
        return tokenStrings[Int(id)]!
    }

    /// `tokenBytes` of every id, concatenated (no decoder rules such as stripping the
    /// leading space; `decode` applies those).
    public func decodeBytes(_ ids: [UInt32]) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids { out.append(contentsOf: tokenByteArena[byteRange(of: id)]) }
        return out
    }

    @inline(__always)
    func surfaceLength(_ id: UInt32) -> Int { Int(tokenByteOffsets[Int(id) + 1] - tokenByteOffsets[Int(id)]) }

    private func byteRange(of id: UInt32) -> Range<Int> {
        let index = Int(id)
        precondition(index < tokenStrings.count && tokenStrings[index] != nil,
                     "token id \(id) is not in this vocabulary (\(tokenStrings.count) ids)")
        return Int(tokenByteOffsets[index])..<Int(tokenByteOffsets[index + 1])
    }
}
