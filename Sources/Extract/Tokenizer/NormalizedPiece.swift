import Foundation

/// A piece of the input after normalization, with the way back to the original bytes.
///
/// `origin[i]` is the original byte offset of the boundary before normalized byte `i`
/// (`origin.count == bytes.count + 1`); nil means nothing changed (offset `base + i`).
/// Where a change replaced original bytes `a..<b` by new bytes, the first new byte maps to
/// `a` and every later boundary inside it to `b`, so a token's span
/// `original(start)..<original(end)` is monotone and the spans of one text tile it: a token
/// that starts a replaced run owns all of its original bytes, tokens inside it get empty spans,
/// and an inserted `▁` (nothing in the original) gets an empty span.
struct NormalizedPiece {
    var bytes: [UInt8]
    var origin: [Int]?
    let base: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) {
        self.bytes = Array(bytes)
        self.origin = nil
        self.base = base
    }

    @inline(__always)
    func original(_ index: Int) -> Int { origin?[index] ?? base + index }

    /// Rebuilds the piece from `edits` over the current bytes, sorted and non-overlapping:
    /// each replaces `range` (possibly empty: an insertion) by `replacement`.
    mutating func apply(_ edits: [(range: Range<Int>, replacement: [UInt8])]) {
        guard !edits.isEmpty else { return }
        var newBytes: [UInt8] = []
        var newOrigin: [Int] = []
        newBytes.reserveCapacity(bytes.count + edits.count * 2)
        newOrigin.reserveCapacity(bytes.count + edits.count * 2 + 1)
        var position = 0
        for edit in edits {
            for index in position..<edit.range.lowerBound {
                newBytes.append(bytes[index])
                newOrigin.append(original(index))
            }
            for (offset, byte) in edit.replacement.enumerated() {
                newBytes.append(byte)
                newOrigin.append(offset == 0 ? original(edit.range.lowerBound) : original(edit.range.upperBound))
            }
            position = edit.range.upperBound
        }
        for index in position..<bytes.count {
            newBytes.append(bytes[index])
            newOrigin.append(original(index))
        }
        newOrigin.append(original(bytes.count))
        bytes = newBytes
        origin = newOrigin
    }

    /// Every occurrence of `pattern` (left to right, not overlapping) replaced by `content`.
    mutating func replace(_ pattern: [UInt8], with content: [UInt8]) {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return }
        var edits: [(range: Range<Int>, replacement: [UInt8])] = []
        var index = 0
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0] && bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                edits.append((index..<(index + pattern.count), content))
                index += pattern.count
            } else {
                index += 1
            }
        }
        apply(edits)
    }

    mutating func prepend(_ content: [UInt8]) { apply([(0..<0, content)]) }

    /// Unicode NFC. Canonical composition never crosses a grapheme-cluster boundary, so each
    /// cluster that changes is one replaced run; if that ever failed to add up to the NFC of
    /// the whole piece, the whole piece becomes one replaced run.
    mutating func composeNFC() {
        guard bytes.contains(where: { $0 >= 0x80 }) else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        let composed = text.precomposedStringWithCanonicalMapping
        guard !composed.utf8.elementsEqual(text.utf8) else { return }
        var edits: [(range: Range<Int>, replacement: [UInt8])] = []
        var offset = 0
        var rebuilt: [UInt8] = []
        for character in text {
            let original = String(character)
            let length = original.utf8.count
            let normal = Array(original.precomposedStringWithCanonicalMapping.utf8)
            if !normal.elementsEqual(original.utf8) { edits.append((offset..<(offset + length), normal)) }
            rebuilt.append(contentsOf: normal)
            offset += length
        }
        if rebuilt.elementsEqual(composed.utf8) {
            apply(edits)
        } else {
            apply([(0..<bytes.count, Array(composed.utf8))])
        }
    }

    mutating func normalize(_ normalizers: [TokenizerSpec.Normalizer]) {
        for normalizer in normalizers {
            switch normalizer {
            case .nfc: composeNFC()
            case let .replace(pattern, content): replace(Array(pattern.utf8), with: Array(content.utf8))
            case let .prepend(content): if !bytes.isEmpty { prepend(Array(content.utf8)) }
            }
        }
    }
}
