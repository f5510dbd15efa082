/// Where `HFTokenizer`'s encode loop puts tokens: plain ids, or ids with byte spans.
protocol SpannedTokenSink {
    mutating func append(_ id: UInt32, byteStart: Int, byteEnd: Int)
}

struct PlainIDSink: SpannedTokenSink {
    var ids: [UInt32] = []
    @inline(__always)
    mutating func append(_ id: UInt32, byteStart: Int, byteEnd: Int) { ids.append(id) }
}

struct TokenSpanSink: SpannedTokenSink {
    var spans: [TokenSpan] = []
    @inline(__always)
    mutating func append(_ id: UInt32, byteStart: Int, byteEnd: Int) {
        spans.append(TokenSpan(id: id, byteStart: byteStart, byteEnd: byteEnd))
    }
}

extension HFTokenizer {
    /// Token ids of `text`. With `allowSpecial`, special added tokens in the text are
    /// recognised; otherwise they are spelled out as ordinary text. No BOS is added.
    public func encode(_ text: String, allowSpecial: Bool = false) -> [UInt32] {
        var sink = PlainIDSink()
        sink.ids.reserveCapacity(text.utf8.count / 3 + 1)
        encode(text, allowSpecial: allowSpecial, into: &sink)
        return sink.ids
    }

    /// Token ids of `text` with each token's half-open byte range in `text.utf8`. The spans
    /// tile the input: they start at 0, each starts where the previous ended, the last ends at
    /// `text.utf8.count` (a `▁` the normalizer inserted has an empty span).
    public func encodeWithSpans(_ text: String, allowSpecial: Bool = false) -> [TokenSpan] {
        var sink = TokenSpanSink()
        sink.spans.reserveCapacity(text.utf8.count / 3 + 1)
        encode(text, allowSpecial: allowSpecial, into: &sink)
        return sink.spans
    }

    func encode<Sink: SpannedTokenSink>(_ text: String, allowSpecial: Bool, into sink: inout Sink) {
        var text = text
        text.withUTF8 { bytes in
            cachePool.withCache { cache in
                var start = 0
                for match in rawMatcher.matches(in: bytes) where allowSpecial || !match.token.special {
                    encodePiece(UnsafeBufferPointer(rebasing: bytes[start..<match.range.lowerBound]), base: start, allowSpecial: allowSpecial,
                                cache: cache, into: &sink)
                    sink.append(match.token.id, byteStart: match.range.lowerBound, byteEnd: match.range.upperBound)
                    start = match.range.upperBound
                }
                encodePiece(UnsafeBufferPointer(rebasing: bytes[start...]), base: start, allowSpecial: allowSpecial, cache: cache, into: &sink)
            }
        }
    }

    /// A piece between raw added tokens: normalize, find normalized added tokens, pre-tokenize, BPE.
    private func encodePiece<Sink: SpannedTokenSink>(_ bytes: UnsafeBufferPointer<UInt8>, base: Int, allowSpecial: Bool,
                                                     cache: WordCache, into sink: inout Sink) {
        guard !bytes.isEmpty else { return }
        if spec.normalizers.isEmpty && metaspace == nil && normalizedMatcher.isEmpty {
            // Nothing changes the text: words index the input directly.
            pipeline.forEachWord(bytes) { word in
                encodeWord(UnsafeBufferPointer(rebasing: bytes[word]), cache: cache) { id, start, end in
                    sink.append(id, byteStart: base + word.lowerBound + start, byteEnd: base + word.lowerBound + end)
                }
            }
            return
        }
        var piece = NormalizedPiece(bytes, base: base)
        piece.normalize(spec.normalizers)
        var start = 0
        let matches = piece.bytes.withUnsafeBufferPointer { normalizedMatcher.matches(in: $0) }
        for match in matches where allowSpecial || !match.token.special {
            encodeNormalized(piece.slice(start..<match.range.lowerBound), cache: cache, into: &sink)
            sink.append(match.token.id, byteStart: piece.original(match.range.lowerBound), byteEnd: piece.original(match.range.upperBound))
            start = match.range.upperBound
        }
        encodeNormalized(piece.slice(start..<piece.bytes.count), cache: cache, into: &sink)
    }

    private func encodeNormalized<Sink: SpannedTokenSink>(_ piece: NormalizedPiece, cache: WordCache, into sink: inout Sink) {
        var piece = piece
        guard !piece.bytes.isEmpty else { return }
        if let metaspace {
            piece.replace([0x20], with: metaspace.replacement)
            let prepend = metaspace.scheme == .always || (metaspace.scheme == .first && piece.original(0) == 0)
            if prepend && !piece.bytes.starts(with: metaspace.replacement) { piece.prepend(metaspace.replacement) }
        }
        piece.bytes.withUnsafeBufferPointer { bytes in
            pipeline.forEachWord(bytes) { word in
                encodeWord(UnsafeBufferPointer(rebasing: bytes[word]), cache: cache) { id, start, end in
                    sink.append(id, byteStart: piece.original(word.lowerBound + start), byteEnd: piece.original(word.lowerBound + end))
                }
            }
        }
    }

    /// BPE of one word; `emit` gets each token with its byte range inside the word.
    @inline(__always)
    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, cache: WordCache, _ emit: (UInt32, Int, Int) -> Void) {
        if let byteMerger {
            var scratch: [UInt32] = []
            let wholeWordIDs = byteWholeWordIDs
            cache.withIDs(of: word, encode: { word, output in
                if let wholeWordIDs, let id = wholeWordIDs[Array(word)] {
                    output.append(id)
                } else {
                    byteMerger.encode(word, into: &output)
                }
            }, scratch: &scratch) { ids in
                var offset = 0
                for id in ids {
                    let length = surfaceLength(id)
                    emit(id, offset, offset + length)
                    offset += length
                }
            }
        } else if let scalarMerger {
            var ids: [UInt32] = []
            var lengths: [Int32] = []
            scalarMerger.encode(word, ids: &ids, lengths: &lengths)
            var offset = 0
            for (id, length) in zip(ids, lengths) {
                emit(id, offset, offset + Int(length))
                offset += Int(length)
            }
        }
    }
}

extension NormalizedPiece {
    /// The bytes in `range` as a piece of their own, still aligned to the original text.
    func slice(_ range: Range<Int>) -> NormalizedPiece {
        var piece = self
        piece.bytes = Array(bytes[range])
        piece.origin = (range.lowerBound...range.upperBound).map { original($0) }
        return piece
    }
}
