/// The four classes GPT-2's pre-tokenizer regex distinguishes.
///
/// `\p{L}` is general category L* (Lu Ll Lt Lm Lo), `\p{N}` is N* (Nd Nl No) and `\s` is the
/// Unicode White_Space property — what Rust's `regex`/`fancy-regex` (tiktoken) and Oniguruma
/// (`tokenizers`) use. `Unicode.Scalar.Properties.isAlphabetic` is a different, larger set
/// (it includes marks such as U+0301), so it must not be used here.
enum ScalarClass: UInt8 {
    case letter = 0
    case number = 1
    case whitespace = 2
    case other = 3

    init(_ scalar: Unicode.Scalar) {
        let properties = scalar.properties
        if properties.isWhitespace { self = .whitespace; return }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    /// Classes of U+0000…U+FFFF, one byte each (64 KiB), so the scanner's common case is a load.
    /// Built once per process and never freed, so the pointer stays valid for every scanner;
    /// scalars above the BMP ask `Unicode.Scalar.Properties` directly.
    static let basicPlaneTable: UnsafeBufferPointer<UInt8> = {
        let table = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0x10000)
        for value in 0..<0x10000 {
            // Surrogate code points never occur in valid UTF-8; give them a class anyway.
            table[value] = Unicode.Scalar(UInt32(value)).map { ScalarClass($0).rawValue } ?? ScalarClass.other.rawValue
        }
        return UnsafeBufferPointer(table)
    }()
}
