/// One token and the bytes of the input it stands for.
///
/// `byteStart..<byteEnd` is half-open and indexes the UTF-8 bytes of the encoded text.
/// Byte-level BPE tokens can split a multi-byte character, so a span need not start or end
/// on a character boundary; the spans of one encoding tile the input without gaps.
public struct TokenSpan: Equatable, Sendable {
    /// Token id in the vocabulary.
    public let id: UInt32
    /// First byte of the token in the input's UTF-8 (inclusive).
    public let byteStart: Int
    /// One past the token's last byte in the input's UTF-8.
    public let byteEnd: Int

    /// Takes the span as given; tokenizers build these so spans tile the input in order.
    public init(id: UInt32, byteStart: Int, byteEnd: Int) {
        self.id = id
        self.byteStart = byteStart
        self.byteEnd = byteEnd
    }
}
