/// Where the encode loop puts each word's tokens: plain ids, or ids with byte spans.
protocol TokenSink {
    mutating func append(word ids: UnsafeBufferPointer<UInt32>, byteStart: Int)
}

struct IDSink: TokenSink {
    var ids: [UInt32] = []

    @inline(__always)
    mutating func append(word ids: UnsafeBufferPointer<UInt32>, byteStart: Int) {
        self.ids.append(contentsOf: ids)
    }
}

struct SpanSink: TokenSink {
    let tokenByteOffsets: [Int32]
    var spans: [TokenSpan] = []

    @inline(__always)
    mutating func append(word ids: UnsafeBufferPointer<UInt32>, byteStart: Int) {
        var byteOffset = byteStart
        tokenByteOffsets.withUnsafeBufferPointer { offsets in
            for id in ids {
                let byteCount = Int(offsets[Int(id) + 1] - offsets[Int(id)])
                spans.append(TokenSpan(id: id, byteStart: byteOffset, byteEnd: byteOffset + byteCount))
                byteOffset += byteCount
            }
        }
    }
}

extension GPT2Tokenizer {
    func encode<Sink: TokenSink>(_ text: String, allowSpecial: Bool, into sink: inout Sink) {
        var text = text
        text.withUTF8 { bytes in
            cachePool.withCache { cache in
                var scratch: [UInt32] = []
                scratch.reserveCapacity(64)
                guard allowSpecial, let specialID = endOfTextTokenID else {
                    encodeOrdinary(bytes, byteOffset: 0, cache: cache, scratch: &scratch, into: &sink)
                    return
                }
                // Special tokens cut the text; the pieces between them are pre-tokenized alone,
                // as tiktoken does with allowed_special.
                let special = Array(Self.endOfTextText.utf8)
                var pieceStart = 0
                var index = 0
                while index + special.count <= bytes.count {
                    if bytes[index] == special[0] && special.indices.allSatisfy({ bytes[index + $0] == special[$0] }) {
                        encodeOrdinary(UnsafeBufferPointer(rebasing: bytes[pieceStart..<index]), byteOffset: pieceStart,
                                       cache: cache, scratch: &scratch, into: &sink)
                        withUnsafePointer(to: specialID) { id in
                            sink.append(word: UnsafeBufferPointer(start: id, count: 1), byteStart: index)
                        }
                        index += special.count
                        pieceStart = index
                    } else {
                        index += 1
                    }
                }
                encodeOrdinary(UnsafeBufferPointer(rebasing: bytes[pieceStart...]), byteOffset: pieceStart,
                               cache: cache, scratch: &scratch, into: &sink)
            }
        }
    }

    /// Pre-tokenizes `bytes` and appends each word's tokens; `byteOffset` is where `bytes`
    /// starts in the whole input, for spans.
    private func encodeOrdinary<Sink: TokenSink>(_ bytes: UnsafeBufferPointer<UInt8>, byteOffset: Int, cache: WordCache,
                                                 scratch: inout [UInt32], into sink: inout Sink) {
        var scanner = PreTokenScanner(bytes)
        let merger = self.merger
        let cached = usesWordCache
        while let range = scanner.next() {
            let word = UnsafeBufferPointer(rebasing: bytes[range])
            guard cached else {
                scratch.removeAll(keepingCapacity: true)
                merger.encode(word, into: &scratch)
                scratch.withUnsafeBufferPointer { sink.append(word: $0, byteStart: byteOffset + range.lowerBound) }
                continue
            }
            cache.withIDs(of: word, encode: merger.encode, scratch: &scratch) { ids in
                sink.append(word: ids, byteStart: byteOffset + range.lowerBound)
            }
        }
    }
}
