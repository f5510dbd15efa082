/// GPT-2's pre-tokenizer, by hand, over UTF-8 bytes.
///
/// Splits text exactly as the regex
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// does under leftmost-first alternation, without a regex engine:
/// - the contractions are ASCII and case-sensitive (`'RE` is not one);
/// - ` ?` is U+0020 only, and joins the run of letters, numbers or other symbols after it;
/// - a whitespace run followed by a non-space keeps its last character for the next word
///   (`\s+(?!\S)` backtracks one character), unless the run is that one character (`\s+`).
/// `ReferencePreTokenizer` runs the regex itself; tests hold the two equal.
///
/// The input must be valid UTF-8 (every Swift String is); `next()` returns byte ranges.
struct PreTokenScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let table: UnsafeBufferPointer<UInt8>
    private var position: Int

    /// `bytes` must outlive the scanner.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.table = ScalarClass.basicPlaneTable
        self.position = 0
    }

    /// The class and byte length of the scalar starting at `index`.
    @inline(__always)
    private func classify(_ index: Int, _ table: UnsafeBufferPointer<UInt8>) -> (ScalarClass, Int) {
        let b0 = UInt32(bytes[index])
        if b0 < 0x80 { return (ScalarClass(rawValue: table[Int(b0)])!, 1) }
        if b0 < 0xE0 {
            let value = (b0 & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
            return (ScalarClass(rawValue: table[Int(value)])!, 2)
        }
        if b0 < 0xF0 {
            let value = (b0 & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
            return (ScalarClass(rawValue: table[Int(value)])!, 3)
        }
        let value = (b0 & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
            | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
        return (ScalarClass(Unicode.Scalar(value)!), 4)
    }

    /// End of the run of `scalarClass` characters starting at `index`.
    @inline(__always)
    private func runEnd(from index: Int, of scalarClass: ScalarClass, _ table: UnsafeBufferPointer<UInt8>) -> Int {
        var index = index
        let end = bytes.count
        while index < end {
            let (next, length) = classify(index, table)
            if next != scalarClass { break }
            index += length
        }
        return index
    }

    /// The next pre-token's byte range, or nil at the end of the input.
    mutating func next() -> Range<Int>? {
        let start = position
        let end = bytes.count
        guard start < end else { return nil }
        let stop = nextEnd(from: start, end: end, table)
        position = stop
        return start..<stop
    }

    @inline(__always)
    private func nextEnd(from start: Int, end: Int, _ table: UnsafeBufferPointer<UInt8>) -> Int {
        let b0 = bytes[start]
        if b0 == UInt8(ascii: "'") && start + 1 < end {
            switch bytes[start + 1] {
            case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
                return start + 2
            case UInt8(ascii: "r"), UInt8(ascii: "v"):
                if start + 2 < end && bytes[start + 2] == UInt8(ascii: "e") { return start + 3 }
            case UInt8(ascii: "l"):
                if start + 2 < end && bytes[start + 2] == UInt8(ascii: "l") { return start + 3 }
            default:
                break
            }
        }
        if b0 == 0x20 && start + 1 < end {
            let (nextClass, _) = classify(start + 1, table)
            if nextClass != .whitespace { return runEnd(from: start + 1, of: nextClass, table) }
        }
        let (firstClass, firstLength) = classify(start, table)
        if firstClass != .whitespace { return runEnd(from: start, of: firstClass, table) }
        var index = start + firstLength
        var lastCharacterStart = start
        while index < end {
            let (nextClass, length) = classify(index, table)
            if nextClass != .whitespace { break }
            lastCharacterStart = index
            index += length
        }
        if index == end { return end }
        // Followed by a non-space: `\s+(?!\S)` gives back one character, or fails for a run of one.
        return lastCharacterStart > start ? lastCharacterStart : index
    }
}
