extension TokenizerSpec {
    /// Reads the components of a parsed tokenizer.json; throws `TokenizerJSONError` at the
    /// first value that is malformed or not implemented.
    /// `bytes` is the file itself: `model.vocab` is re-read from it entry by entry, because a
    /// Swift dictionary would merge keys that are canonically equivalent ("é" spelled composed
    /// and decomposed), and real vocabularies hold both.
    init(json root: JSONValueReader, bytes: [UInt8]) throws {
        try readNormalizer(root["normalizer"])
        try readPreTokenizer(root["pre_tokenizer"])
        try readDecoder(root["decoder"])
        try readModel(root["model"])
        if let start = Self.vocabularyObjectStart(in: bytes) {
            let entries = try VocabularyFile.parseEmbedded(bytes, startingAt: start, path: root.file).entries
            if entries.count >= vocabulary.count { vocabulary = entries }
        }
        if !root["added_tokens"].isNull {
            for entry in try root["added_tokens"].array() {
                if try entry["single_word"].bool(default: false) { throw entry["single_word"].unsupported("single_word added tokens") }
                guard let id = UInt32(exactly: try entry["id"].integer()) else { throw entry["id"].malformed("an id below 2^32") }
                addedTokens.append(AddedToken(id: id, content: try entry["content"].string(),
                                              special: try entry["special"].bool(default: false),
                                              normalized: try entry["normalized"].bool(default: true),
                                              lstrip: try entry["lstrip"].bool(default: false),
                                              rstrip: try entry["rstrip"].bool(default: false)))
            }
        }
        try readPostProcessor(root["post_processor"])
    }

    /// Offset of the `{` after `"vocab":` — the only place that key is followed by an object
    /// (a token named "vocab" is followed by `,`, `]`, `}` or a number).
    static func vocabularyObjectStart(in bytes: [UInt8]) -> Int? {
        let key = Array("\"vocab\"".utf8)
        var index = 0
        while index + key.count < bytes.count {
            if bytes[index] == key[0] && bytes[index..<(index + key.count)].elementsEqual(key) {
                var cursor = index + key.count
                func skipSpace() { while cursor < bytes.count && [0x20, 0x0A, 0x0D, 0x09].contains(bytes[cursor]) { cursor += 1 } }
                skipSpace()
                if cursor < bytes.count && bytes[cursor] == UInt8(ascii: ":") {
                    cursor += 1
                    skipSpace()
                    if cursor < bytes.count && bytes[cursor] == UInt8(ascii: "{") { return cursor }
                }
            }
            index += 1
        }
        return nil
    }

    private mutating func readNormalizer(_ node: JSONValueReader) throws {
        if node.isNull { return }
        switch try node.componentType() {
        case "Sequence":
            for child in try node["normalizers"].array() { try readNormalizer(child) }
        case "NFC":
            normalizers.append(.nfc)
        case "Replace":
            normalizers.append(.replace(pattern: try literalPattern(node["pattern"]), content: try node["content"].string()))
        case "Prepend":
            normalizers.append(.prepend(try node["prepend"].string()))
        case let other:
            throw node["type"].unsupported("the \(other) normalizer")
        }
    }

    private mutating func readPreTokenizer(_ node: JSONValueReader) throws {
        if node.isNull { return }
        switch try node.componentType() {
        case "Sequence":
            for child in try node["pretokenizers"].array() { try readPreTokenizer(child) }
        case "ByteLevel":
            if try node["add_prefix_space"].bool(default: false) { throw node["add_prefix_space"].unsupported("add_prefix_space: true") }
            preTokenizers.append(.byteLevel(useRegex: try node["use_regex"].bool(default: true)))
        case "Split":
            let behavior = try node["behavior"].string()
            guard behavior == "Isolated" else { throw node["behavior"].unsupported("Split behavior \(behavior)") }
            if try node["invert"].bool(default: false) { throw node["invert"].unsupported("an inverted Split") }
            guard !node["pattern"]["Regex"].isNull else { throw node["pattern"].unsupported("a Split on a plain string") }
            preTokenizers.append(.split(Self.splitPattern(try node["pattern"]["Regex"].string())))
        case "Digits":
            preTokenizers.append(.digits(individual: try node["individual_digits"].bool(default: false)))
        case "Metaspace":
            guard preTokenizers.isEmpty else { throw node.unsupported("Metaspace after another pre-tokenizer") }
            preTokenizers.append(.metaspace(replacement: try node["replacement"].string(),
                                            prependScheme: try prependScheme(node), split: try node["split"].bool(default: true)))
        case let other:
            throw node["type"].unsupported("the \(other) pre-tokenizer")
        }
    }

    private mutating func readDecoder(_ node: JSONValueReader) throws {
        if node.isNull { return }
        switch try node.componentType() {
        case "Sequence":
            for child in try node["decoders"].array() { try readDecoder(child) }
        case "ByteLevel": decoders.append(.byteLevel)
        case "ByteFallback": decoders.append(.byteFallback)
        case "Fuse": decoders.append(.fuse)
        case "Replace":
            decoders.append(.replace(pattern: try literalPattern(node["pattern"]), content: try node["content"].string()))
        case "Strip":
            let content = try node["content"].string()
            guard content.unicodeScalars.count == 1 else { throw node["content"].malformed("one character") }
            decoders.append(.strip(content: content, start: try node["start"].integer(), stop: try node["stop"].integer()))
        case "Metaspace":
            decoders.append(.metaspace(replacement: try node["replacement"].string(), prependScheme: try prependScheme(node)))
        case let other:
            throw node["type"].unsupported("the \(other) decoder")
        }
    }

    private mutating func readModel(_ node: JSONValueReader) throws {
        let type = try node.componentType()
        guard type == "BPE" else { throw node["type"].unsupported("the \(type) model (only BPE is implemented)") }
        if let dropout = node["dropout"].value as? Double, dropout > 0 { throw node["dropout"].unsupported("BPE dropout") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] where !(try node[key].optionalString() ?? "").isEmpty {
            throw node[key].unsupported(key)
        }
        unknownToken = try node["unk_token"].optionalString()
        byteFallback = try node["byte_fallback"].bool(default: false)
        fuseUnknown = try node["fuse_unk"].bool(default: false)
        ignoreMerges = try node["ignore_merges"].bool(default: false)
        for (token, idNode) in try node["vocab"].object() {
            guard let id = UInt32(exactly: try idNode.integer()), id < .max else { throw idNode.malformed("an id below 2^32 - 1") }
            vocabulary.append((token, id))
        }
        for merge in try node["merges"].array() {
            if let pair = merge.value as? [Any] {
                guard pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String else {
                    throw merge.malformed("a pair of token strings")
                }
                merges.append((left, right, merge.at))
            } else {
                let parts = try merge.string().split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw merge.malformed("two tokens separated by one space") }
                merges.append((String(parts[0]), String(parts[1]), merge.at))
            }
        }
    }

    private mutating func readPostProcessor(_ node: JSONValueReader) throws {
        if node.isNull { return }
        switch try node.componentType() {
        case "Sequence":
            for child in try node["processors"].array() { try readPostProcessor(child) }
        case "TemplateProcessing":
            if let first = try node["single"].array().first, !first["SpecialToken"].isNull {
                templateBOS = try first["SpecialToken"]["id"].string()
            }
        default:
            break  // ByteLevel offset trimming and others change no ids; BOS is all saestore takes from here.
        }
    }

    private func literalPattern(_ node: JSONValueReader) throws -> String {
        guard !node["String"].isNull else { throw node.unsupported("a regex pattern (only a plain string)") }
        return try node["String"].string()
    }

    private func prependScheme(_ node: JSONValueReader) throws -> PrependScheme {
        if !node["prepend_scheme"].isNull {
            let name = try node["prepend_scheme"].string()
            guard let scheme = PrependScheme(rawValue: name) else { throw node["prepend_scheme"].malformed("always, first or never") }
            return scheme
        }
        // Files written before prepend_scheme existed say add_prefix_space.
        return try node["add_prefix_space"].bool(default: true) ? .always : .never
    }
}
