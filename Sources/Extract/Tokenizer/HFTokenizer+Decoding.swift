extension HFTokenizer {
    /// The text the ids stand for, by the tokenizer.json's decoder chain as `tokenizers` runs
    /// it (`decode(ids, skip_special_tokens=False)`): ByteLevel, Replace, ByteFallback, Fuse,
    /// Strip, Metaspace; with no decoder, tokens joined by spaces. Invalid UTF-8 becomes U+FFFD
    /// (ByteLevel: per maximal invalid sequence; ByteFallback: one per byte token, as there).
    /// Traps on an id outside the vocabulary.
    public func decode(_ ids: [UInt32]) -> String {
        var tokens = ids.map { tokenString($0) }
        if spec.decoders.isEmpty { return tokens.joined(separator: " ") }
        for decoder in spec.decoders {
            switch decoder {
            case .byteLevel:
                var bytes: [UInt8] = []
                for token in tokens { bytes.append(contentsOf: Self.byteLevelDecode(token)) }
                tokens = [String(decoding: bytes, as: UTF8.self)]
            case let .replace(pattern, content):
                tokens = tokens.map { $0.replacingOccurrences(of: pattern, with: content) }
            case .byteFallback:
                tokens = Self.byteFallbackDecode(tokens)
            case .fuse:
                tokens = [tokens.joined()]
            case let .strip(content, start, stop):
                tokens = tokens.map { Self.strip($0, content: content.unicodeScalars.first!, start: start, stop: stop) }
            case let .metaspace(replacement, scheme):
                tokens = tokens.enumerated().map { index, token in
                    // As in tokenizers: the first token loses every `▁` unless the scheme is never.
                    let dropped = index == 0 && scheme != .never
                    return dropped ? token.replacingOccurrences(of: replacement, with: "") : token.replacingOccurrences(of: replacement, with: " ")
                }
            }
        }
        return tokens.joined()
    }

    /// Runs of `<0xXX>` tokens become the text of their bytes, or one U+FFFD per token when
    /// the run is not valid UTF-8.
    static func byteFallbackDecode(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let text = String(decoding: pending, as: UTF8.self)
            if Array(text.utf8) == pending {
                out.append(text)
            } else {
                out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            let utf8 = Array(token.utf8)
            if utf8.count == 6 && token.hasPrefix("<0x") && token.hasSuffix(">"), let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) {
                pending.append(byte)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    static func strip(_ token: String, content: Unicode.Scalar, start: Int, stop: Int) -> String {
        var scalars = Array(token.unicodeScalars)
        var leading = 0
        while leading < start && leading < scalars.count && scalars[leading] == content { leading += 1 }
        scalars.removeFirst(leading)
        var trailing = 0
        while trailing < stop && trailing < scalars.count && scalars[scalars.count - 1 - trailing] == content { trailing += 1 }
        scalars.removeLast(trailing)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
