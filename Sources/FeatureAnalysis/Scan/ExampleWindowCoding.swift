/// The byte layout of one example in DIR/results.examples (docs/FEATURES.md lists it),
/// little-endian, so a feature's examples decode from one contiguous block:
///
/// ```
/// i64 row · f32 activation · i64 document (−1: bare row) · i64 token index · i64 source index
/// u32 source name bytes, the bytes · u32 tokens n · i32 centre index · i64 window's first row
/// n × u32 token id · n × f32 activation · n × u32 text end (cumulative) · the texts' bytes
/// ```
enum ExampleWindowCoding {
    /// Appends `example` to `out`.
    static func append(_ example: FeatureExample, to out: inout [UInt8]) {
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func i64(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { out.append(contentsOf: $0) } }
        i64(example.row)
        u32(example.activation.bitPattern)
        i64(example.document ?? -1)
        i64(example.tokenIndex ?? 0)
        i64(example.sourceIndex ?? 0)
        let source = Array((example.source ?? "").utf8)
        u32(UInt32(source.count))
        out += source
        u32(UInt32(example.tokens.count))
        u32(UInt32(bitPattern: Int32(example.centerIndex)))
        i64(example.tokens.first?.row ?? 0)
        for token in example.tokens { u32(token.tokenID) }
        for token in example.tokens { u32(token.activation.bitPattern) }
        var end = 0
        for token in example.tokens {
            end += token.text.utf8.count
            u32(UInt32(end))
        }
        for token in example.tokens { out += token.text.utf8 }
    }

    /// A record that ends early or holds impossible values.
    struct Damaged: Error { var detail: String }

    /// Decodes the example at `cursor`, keeping at most `window` tokens on each side of its
    /// centre (the stored window is the scan's; a smaller one is a slice of it, since both
    /// are the same document rows cut at the same document bounds).
    static func decode(_ cursor: inout ByteCursor, feature: Int, window: Int) throws -> FeatureExample {
        let row = try cursor.int()
        let activation = Float(bitPattern: try cursor.u32())
        let document = try cursor.int()
        let tokenIndex = try cursor.int()
        let sourceIndex = try cursor.int()
        let source = try cursor.string(Int(try cursor.u32()))
        let n = Int(try cursor.u32())
        let center = Int(Int32(bitPattern: try cursor.u32()))
        let firstRow = try cursor.int()
        guard document >= 0 else {
            guard n == 0 else { throw Damaged(detail: "bare row \(row) has \(n) tokens") }
            return FeatureExample(feature: feature, row: row, activation: activation, document: nil, tokenIndex: nil,
                                  source: nil, sourceIndex: nil, tokens: [], centerIndex: -1)
        }
        guard (0..<n).contains(center) else { throw Damaged(detail: "row \(row): centre \(center) of \(n) tokens") }
        let ids = cursor.offset, acts = ids + 4 * n, ends = acts + 4 * n, texts = ends + 4 * n
        try cursor.skip(12 * n)
        let textBytes = n > 0 ? Int(try cursor.u32(at: ends + 4 * (n - 1))) : 0
        try cursor.skip(textBytes)
        let lower = max(0, center - window), upper = min(n, center + window + 1)
        var tokens: [ExampleToken] = []
        tokens.reserveCapacity(upper - lower)
        var start = lower > 0 ? Int(try cursor.u32(at: ends + 4 * (lower - 1))) : 0
        for t in lower..<upper {
            let end = Int(try cursor.u32(at: ends + 4 * t))
            guard start <= end, end <= textBytes else { throw Damaged(detail: "row \(row): token \(t) text \(start)..<\(end) of \(textBytes) bytes") }
            tokens.append(ExampleToken(row: firstRow + t, tokenID: try cursor.u32(at: ids + 4 * t),
                                       text: try cursor.string(at: texts + start, count: end - start),
                                       activation: Float(bitPattern: try cursor.u32(at: acts + 4 * t))))
            start = end
        }
        return FeatureExample(feature: feature, row: row, activation: activation, document: document, tokenIndex: tokenIndex,
                              source: source, sourceIndex: sourceIndex, tokens: tokens, centerIndex: center - lower)
    }
}

/// Bounds-checked little-endian reads from a byte buffer (a mapped file's block); a read
/// past the end throws, so damaged files are reported, not trapped on.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    private func check(_ at: Int, _ count: Int) throws {
        guard at >= 0, count >= 0, at <= bytes.count - count else {
            throw ExampleWindowCoding.Damaged(detail: "read of \(count) bytes at \(at) is past the end (\(bytes.count))")
        }
    }

    mutating func skip(_ count: Int) throws {
        try check(offset, count)
        offset += count
    }

    func u32(at at: Int) throws -> UInt32 {
        try check(at, 4)
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    mutating func u32() throws -> UInt32 {
        defer { offset += 4 }
        return try u32(at: offset)
    }

    func u64(at at: Int) throws -> UInt64 {
        try check(at, 8)
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// An i64 field as an Int.
    mutating func int() throws -> Int {
        defer { offset += 8 }
        return Int(Int64(bitPattern: try u64(at: offset)))
    }

    func string(at at: Int, count: Int) throws -> String {
        try check(at, count)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + count]), as: UTF8.self)
    }

    mutating func string(_ count: Int) throws -> String {
        defer { offset += count }
        return try string(at: offset, count: count)
    }
}
