/// A flat JSON object written straight into bytes, as `ServeResponse.encoder` writes it: compact,
/// slashes unescaped, strings escaped as Foundation's JSONEncoder escapes them (`\"`, `\\`,
/// `\b \f \n \r \t`, other control bytes as `\u00XX`, everything else as its UTF-8). The caller
/// gives the fields in the encoder's sorted-key order. It exists for the hot answers (GET
/// /rows is a dozen fields): JSONEncoder builds a tree of boxed values per call, which costs
/// more than the lookup itself. Its reference is JSONEncoder: `JSONFastPathTests` holds their
/// bytes equal on every row of the test store and on strings with every escape.
struct JSONObjectWriter {
    /// The bytes so far.
    private(set) var bytes: [UInt8]
    private var fieldCount = 0

    /// An object under way; `capacity` is a guess of its final size in bytes.
    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// The finished object.
    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `"key":"value"`.
    mutating func field(_ key: StaticString, _ value: String) {
        self.key(key)
        Self.appendString(value, to: &bytes)
    }

    /// `"key":value` for an integer.
    mutating func field(_ key: StaticString, _ value: some BinaryInteger) {
        self.key(key)
        Self.appendInteger(value, to: &bytes)
    }

    private mutating func key(_ key: StaticString) {
        if fieldCount > 0 { bytes.append(UInt8(ascii: ",")) }
        fieldCount += 1
        bytes.append(UInt8(ascii: "\""))
        // Keys are ASCII identifiers: nothing to escape.
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// `value` as a JSON string, escaped as JSONEncoder escapes it.
    static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// JSONEncoder's hex digits in `\u00XX`.
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `value` in decimal, as JSONEncoder writes integers.
    static func appendInteger(_ value: some BinaryInteger, to bytes: inout [UInt8]) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        // Digits of the magnitude, least significant first, in a fixed buffer (no String).
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            var count = 0
            while magnitude > 0 {
                digits[count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[i]) }
        }
    }
}
