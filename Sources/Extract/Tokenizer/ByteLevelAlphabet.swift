/// GPT-2's reversible map between bytes and printable unicode characters.
///
/// The BPE vocabulary is stored as text, so OpenAI mapped every byte to a visible character:
/// bytes 33–126, 161–172 and 174–255 stand for themselves and the other 68 bytes, in
/// ascending order, become U+0100, U+0101, … (so a space, 0x20, is written "Ġ", U+0120).
enum ByteLevelAlphabet {
    /// `scalarForByte[b]` is the character that writes byte `b` in vocab.json / merges.txt.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a vocabulary character stands for, or nil if it is not in the alphabet.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            let byte = UInt8(value)
            return scalarForByte[Int(byte)] == scalar ? byte : nil
        }
        guard value < 256 + 68 else { return nil }
        return byteForRemappedScalar[Int(value - 256)]
    }

    /// Bytes written by a vocabulary string, or nil if any character is outside the alphabet.
    static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            out.append(byte)
        }
        return out
    }

    /// The vocabulary string that writes `bytes`.
    static func string(for bytes: some Sequence<UInt8>) -> String {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalarForByte[Int(byte)]) }
        return String(view)
    }

    private static let byteForRemappedScalar: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 68)
        for byte in 0..<256 where scalarForByte[byte].value >= 256 {
            table[Int(scalarForByte[byte].value - 256)] = UInt8(byte)
        }
        return table
    }()
}
