/// UTF-8 well-formedness (Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
enum UTF8Check {
    /// Length of the well-formed multi-byte sequence starting at `base[offset]` (a byte >= 0x80),
    /// or 0 if it is ill-formed or cut off by `count`.
    @inline(__always)
    static func sequenceLength(_ base: UnsafePointer<UInt8>, _ offset: Int, _ count: Int) -> Int {
        let lead = base[offset]
        func continuation(_ index: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            offset + index < count && base[offset + index] >= low && base[offset + index] <= high
        }
        switch lead {
        case 0xC2...0xDF: return continuation(1) ? 2 : 0
        case 0xE0: return continuation(1, 0xA0) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : 0
        case 0xED: return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0
        case 0xF0: return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4: return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }

    /// Index of the first byte of the first ill-formed sequence, or nil if `bytes` is valid UTF-8.
    static func firstInvalidByteIndex(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset < bytes.count {
            if base[offset] < 0x80 { offset += 1; continue }
            let length = sequenceLength(base, offset, bytes.count)
            if length == 0 { return offset }
            offset += length
        }
        return nil
    }

    /// Writes `scalar` (a Unicode scalar value) as UTF-8 at `target`; returns the byte count (1-4).
    static func encode(_ scalar: UInt32, into target: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case 0..<0x80:
            target[0] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            target[0] = UInt8(0xC0 | scalar >> 6)
            target[1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            target[0] = UInt8(0xE0 | scalar >> 12)
            target[1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            target[2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            target[0] = UInt8(0xF0 | scalar >> 18)
            target[1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            target[2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            target[3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }
}
