#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoding a JSON string's escapes (RFC 8259 section 7) once the parser has checked it.
extension JSONLineParser {
    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: return UInt32(byte - 0x30)
        case 0x41...0x46: return UInt32(byte - 0x41 + 10)
        case 0x61...0x66: return UInt32(byte - 0x61 + 10)
        default: return nil
        }
    }

    /// Decodes the contents of a string `scanString` has checked into UTF-8 bytes. `output` must
    /// hold at least `contents.count` bytes (unescaping never lengthens a string).
    static func unescape(_ contents: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>)
        -> (byteCount: Int, replacedLoneSurrogate: Bool) {
        precondition(output.count >= contents.count, "unescape needs an output as long as its input")
        guard let source = contents.baseAddress, let target = output.baseAddress else { return (0, false) }
        let count = contents.count
        var replaced = false
        var index = 0
        var written = 0
        func hex4(at position: Int) -> UInt32 {
            var value: UInt32 = 0
            for offset in 0..<4 { value = value << 4 | hexValue(source[position + offset])! }
            return value
        }
        func put(_ byte: UInt8) {
            target[written] = byte
            written += 1
        }
        while index < count {
            let runEnd = memchr(source + index, Int32(UInt8(ascii: "\\")), count - index)
                .map { source.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? count
            (target + written).update(from: source + index, count: runEnd - index)
            written += runEnd - index
            index = runEnd
            guard index < count else { break }
            let escape = source[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(at: index)
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    if index + 6 <= count && source[index] == UInt8(ascii: "\\") && source[index + 1] == UInt8(ascii: "u"),
                       case let low = hex4(at: index + 2), (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    } else {
                        scalar = 0xFFFD
                        replaced = true
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                    replaced = true
                }
                written += UTF8Check.encode(scalar, into: target + written)
            default: put(escape) // \" \\ \/
            }
        }
        return (written, replaced)
    }
}
